// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// Test contract for sprig-chain's RPC tests: events for eth_getLogs, a counter that changes from
/// block to block for eth_call at past blocks, and calls that fail inside the EVM in different
/// ways. Rebuild Emitter.bin with ./build.sh after changing it.
contract Emitter {
    event Ping(uint256 indexed n, address indexed sender);
    event Pong(uint256 n);

    uint256 public count;

    function ping(uint256 n) external {
        count += 1;
        emit Ping(n, msg.sender);
    }

    function pong(uint256 n) external {
        emit Pong(n);
    }

    /// Emits `times` Ping events in one transaction.
    function pingMany(uint256 times) external {
        for (uint256 i = 0; i < times; i++) {
            emit Ping(i, msg.sender);
        }
        count += times;
    }

    function fail() external pure {
        revert("Emitter: told to fail");
    }

    function invalidOpcode() external pure {
        assembly {
            invalid()
        }
    }

    /// Loops until the call runs out of gas.
    function burn() external view returns (uint256 n) {
        while (gasleft() > 0) {
            n += 1;
        }
    }
}
