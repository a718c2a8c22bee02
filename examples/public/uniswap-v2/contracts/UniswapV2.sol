// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

// Minimal stand-ins for the mainnet contracts the vendored Uniswap v2 subgraph indexes and calls:
// the same events (byte for byte: same signatures, same indexed parameters, same order within a
// transaction) and the same view functions (abis/*.json), with Uniswap v2's pool arithmetic
// (0.3% fee, MINIMUM_LIQUIDITY locked at the first mint). Not the real code: no protocol fee,
// flash swaps, permit or TWAP accumulators, which the subgraph never looks at.
//
// The emit script places most of them at the addresses the subgraph hard-codes (factory, WETH,
// stablecoins, the stable pairs) with anvil_setCode, which copies runtime code only: state is
// therefore set by `initialize` calls rather than constructors.

/// An ERC-20 with string metadata; anyone may mint (a test token).
contract Token {
    string public name;
    string public symbol;
    uint8 public decimals;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    function initialize(string calldata name_, string calldata symbol_, uint8 decimals_) external {
        require(decimals == 0 && bytes(symbol).length == 0, "initialized");
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
    }

    function mint(address to, uint256 value) external {
        totalSupply += value;
        balanceOf[to] += value;
        emit Transfer(address(0), to, value);
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        if (allowance[from][msg.sender] != type(uint256).max) {
            allowance[from][msg.sender] -= value;
        }
        _transfer(from, to, value);
        return true;
    }

    function _transfer(address from, address to, uint256 value) internal {
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}

/// An ERC-20 whose `name()` and `symbol()` return bytes32, as MKR's do: the subgraph's string
/// call fails to decode and it falls back to its ERC20SymbolBytes / ERC20NameBytes bindings.
contract Bytes32Token {
    bytes32 public name;
    bytes32 public symbol;
    uint8 public decimals;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    function initialize(bytes32 name_, bytes32 symbol_, uint8 decimals_) external {
        require(symbol == bytes32(0), "initialized");
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
    }

    function mint(address to, uint256 value) external {
        totalSupply += value;
        balanceOf[to] += value;
        emit Transfer(address(0), to, value);
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        if (allowance[from][msg.sender] != type(uint256).max) {
            allowance[from][msg.sender] -= value;
        }
        _transfer(from, to, value);
        return true;
    }

    function _transfer(address from, address to, uint256 value) internal {
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}

/// An ERC-20 with `decimals()` but no `name()` or `symbol()`: both of the subgraph's calls revert.
contract BareToken {
    uint8 public decimals;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    function initialize(uint8 decimals_) external {
        require(decimals == 0, "initialized");
        decimals = decimals_;
    }

    function mint(address to, uint256 value) external {
        totalSupply += value;
        balanceOf[to] += value;
        emit Transfer(address(0), to, value);
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        if (allowance[from][msg.sender] != type(uint256).max) {
            allowance[from][msg.sender] -= value;
        }
        _transfer(from, to, value);
        return true;
    }

    function _transfer(address from, address to, uint256 value) internal {
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}

interface IERC20 {
    function balanceOf(address) external view returns (uint256);
    function transfer(address, uint256) external returns (bool);
    function transferFrom(address, address, uint256) external returns (bool);
}

/// A Uniswap v2 pair: an 18-decimal LP token over two reserves.
contract UniswapV2Pair {
    uint256 public constant MINIMUM_LIQUIDITY = 1000;

    string public constant name = "Uniswap V2";
    string public constant symbol = "UNI-V2";
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    address public factory;
    address public token0;
    address public token1;
    uint112 private reserve0;
    uint112 private reserve1;
    uint32 private blockTimestampLast;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);
    event Mint(address indexed sender, uint256 amount0, uint256 amount1);
    event Burn(address indexed sender, uint256 amount0, uint256 amount1, address indexed to);
    event Swap(
        address indexed sender,
        uint256 amount0In,
        uint256 amount1In,
        uint256 amount0Out,
        uint256 amount1Out,
        address indexed to
    );
    event Sync(uint112 reserve0, uint112 reserve1);

    /// Called once by the factory (which becomes `factory`); the real pair sets `factory` in its
    /// constructor, but code placed with anvil_setCode runs no constructor.
    function initialize(address token0_, address token1_) external {
        require(token0 == address(0), "initialized");
        factory = msg.sender;
        token0 = token0_;
        token1 = token1_;
    }

    function getReserves() public view returns (uint112, uint112, uint32) {
        return (reserve0, reserve1, blockTimestampLast);
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        if (allowance[from][msg.sender] != type(uint256).max) {
            allowance[from][msg.sender] -= value;
        }
        _transfer(from, to, value);
        return true;
    }

    function mint(address to) external returns (uint256 liquidity) {
        (uint112 r0, uint112 r1,) = getReserves();
        uint256 balance0 = IERC20(token0).balanceOf(address(this));
        uint256 balance1 = IERC20(token1).balanceOf(address(this));
        uint256 amount0 = balance0 - r0;
        uint256 amount1 = balance1 - r1;
        if (totalSupply == 0) {
            liquidity = sqrt(amount0 * amount1) - MINIMUM_LIQUIDITY;
            _mint(address(0), MINIMUM_LIQUIDITY);
        } else {
            liquidity = min((amount0 * totalSupply) / r0, (amount1 * totalSupply) / r1);
        }
        require(liquidity > 0, "insufficient liquidity minted");
        _mint(to, liquidity);
        _update(balance0, balance1);
        emit Mint(msg.sender, amount0, amount1);
    }

    function burn(address to) external returns (uint256 amount0, uint256 amount1) {
        uint256 balance0 = IERC20(token0).balanceOf(address(this));
        uint256 balance1 = IERC20(token1).balanceOf(address(this));
        uint256 liquidity = balanceOf[address(this)];
        amount0 = (liquidity * balance0) / totalSupply;
        amount1 = (liquidity * balance1) / totalSupply;
        require(amount0 > 0 && amount1 > 0, "insufficient liquidity burned");
        _burn(address(this), liquidity);
        IERC20(token0).transfer(to, amount0);
        IERC20(token1).transfer(to, amount1);
        _update(IERC20(token0).balanceOf(address(this)), IERC20(token1).balanceOf(address(this)));
        emit Burn(msg.sender, amount0, amount1, to);
    }

    function swap(uint256 amount0Out, uint256 amount1Out, address to) external {
        require(amount0Out > 0 || amount1Out > 0, "insufficient output amount");
        (uint112 r0, uint112 r1,) = getReserves();
        require(amount0Out < r0 && amount1Out < r1, "insufficient liquidity");
        if (amount0Out > 0) IERC20(token0).transfer(to, amount0Out);
        if (amount1Out > 0) IERC20(token1).transfer(to, amount1Out);
        uint256 balance0 = IERC20(token0).balanceOf(address(this));
        uint256 balance1 = IERC20(token1).balanceOf(address(this));
        uint256 amount0In = balance0 > r0 - amount0Out ? balance0 - (r0 - amount0Out) : 0;
        uint256 amount1In = balance1 > r1 - amount1Out ? balance1 - (r1 - amount1Out) : 0;
        require(amount0In > 0 || amount1In > 0, "insufficient input amount");
        uint256 adjusted0 = balance0 * 1000 - amount0In * 3;
        uint256 adjusted1 = balance1 * 1000 - amount1In * 3;
        require(adjusted0 * adjusted1 >= uint256(r0) * r1 * 1000 ** 2, "K");
        _update(balance0, balance1);
        emit Swap(msg.sender, amount0In, amount1In, amount0Out, amount1Out, to);
    }

    function sync() external {
        _update(IERC20(token0).balanceOf(address(this)), IERC20(token1).balanceOf(address(this)));
    }

    function _update(uint256 balance0, uint256 balance1) private {
        require(balance0 <= type(uint112).max && balance1 <= type(uint112).max, "overflow");
        reserve0 = uint112(balance0);
        reserve1 = uint112(balance1);
        blockTimestampLast = uint32(block.timestamp);
        emit Sync(reserve0, reserve1);
    }

    function _mint(address to, uint256 value) private {
        totalSupply += value;
        balanceOf[to] += value;
        emit Transfer(address(0), to, value);
    }

    function _burn(address from, uint256 value) private {
        balanceOf[from] -= value;
        totalSupply -= value;
        emit Transfer(from, address(0), value);
    }

    function _transfer(address from, address to, uint256 value) private {
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }

    function min(uint256 x, uint256 y) private pure returns (uint256) {
        return x < y ? x : y;
    }

    function sqrt(uint256 y) private pure returns (uint256 z) {
        if (y > 3) {
            z = y;
            uint256 x = y / 2 + 1;
            while (x < z) {
                z = x;
                x = (y / x + x) / 2;
            }
        } else if (y != 0) {
            z = 1;
        }
    }
}

/// The Uniswap v2 factory: one pair per token pair, token0 < token1, CREATE2 addresses.
contract UniswapV2Factory {
    address public feeTo;
    address public feeToSetter;
    mapping(address => mapping(address => address)) public getPair;
    address[] public allPairs;

    event PairCreated(address indexed token0, address indexed token1, address pair, uint256);

    function allPairsLength() external view returns (uint256) {
        return allPairs.length;
    }

    function createPair(address tokenA, address tokenB) external returns (address pair) {
        (address token0, address token1) = sort(tokenA, tokenB);
        pair = address(new UniswapV2Pair{salt: keccak256(abi.encodePacked(token0, token1))}());
        _register(pair, token0, token1);
    }

    /// Registers a pair whose code was placed at `pair` beforehand (anvil_setCode), so that the
    /// stable pairs can sit at the mainnet addresses the subgraph prices ETH from. The real
    /// factory has no such function; the event it emits is the same as createPair's.
    function adoptPair(address pair, address tokenA, address tokenB) external {
        (address token0, address token1) = sort(tokenA, tokenB);
        _register(pair, token0, token1);
    }

    function _register(address pair, address token0, address token1) private {
        require(getPair[token0][token1] == address(0), "pair exists");
        UniswapV2Pair(pair).initialize(token0, token1);
        getPair[token0][token1] = pair;
        getPair[token1][token0] = pair;
        allPairs.push(pair);
        emit PairCreated(token0, token1, pair, allPairs.length);
    }

    function sort(address tokenA, address tokenB) private pure returns (address, address) {
        require(tokenA != tokenB, "identical addresses");
        (address token0, address token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
        require(token0 != address(0), "zero address");
        return (token0, token1);
    }
}

/// The part of Uniswap's router the emit script uses: each call is one transaction that moves
/// tokens into a pair and calls mint, burn or swap, so the pair's events land in one transaction
/// in the real order (the subgraph pairs up Transfer and Mint/Burn events per transaction).
contract Router {
    function addLiquidity(address pair, uint256 amount0, uint256 amount1, address to) external returns (uint256) {
        UniswapV2Pair p = UniswapV2Pair(pair);
        IERC20(p.token0()).transferFrom(msg.sender, pair, amount0);
        IERC20(p.token1()).transferFrom(msg.sender, pair, amount1);
        return p.mint(to);
    }

    function removeLiquidity(address pair, uint256 liquidity, address to) external returns (uint256, uint256) {
        UniswapV2Pair(pair).transferFrom(msg.sender, pair, liquidity);
        return UniswapV2Pair(pair).burn(to);
    }

    /// Swaps `amountIn` of `tokenIn` along `pairs` (one or more hops), Uniswap's
    /// swapExactTokensForTokens without the slippage checks; returns the final amount out.
    function swapExactIn(address[] calldata pairs, address tokenIn, uint256 amountIn, address to)
        external
        returns (uint256 amount)
    {
        IERC20(tokenIn).transferFrom(msg.sender, pairs[0], amountIn);
        amount = amountIn;
        for (uint256 i = 0; i < pairs.length; i++) {
            UniswapV2Pair p = UniswapV2Pair(pairs[i]);
            (uint112 r0, uint112 r1,) = p.getReserves();
            bool zeroForOne = tokenIn == p.token0();
            (uint256 rIn, uint256 rOut) = zeroForOne ? (uint256(r0), uint256(r1)) : (uint256(r1), uint256(r0));
            uint256 out = (amount * 997 * rOut) / (rIn * 1000 + amount * 997);
            address recipient = i + 1 < pairs.length ? pairs[i + 1] : to;
            (uint256 out0, uint256 out1) = zeroForOne ? (uint256(0), out) : (out, uint256(0));
            p.swap(out0, out1, recipient);
            tokenIn = zeroForOne ? p.token1() : p.token0();
            amount = out;
        }
    }
}
