// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

// Stand-ins for the mainnet ENS contracts the vendored subgraph indexes: the same events (same
// signatures, same indexed parameters, emitted in the same order within a transaction as the
// real contracts emit them) with enough of ENS's logic that a history built through them is one
// mainnet could have had: registries with owners and operators, a .eth registrar with expiries
// and a 90-day grace period, controllers that price names and set records, a NameWrapper with
// fuses and expiries, and public resolvers that check who may write a node's records.
// Not the real code: no commit-reveal, price oracle, reverse registrar, ERC-165, URIs or
// callbacks to ERC-1155/721 receivers, which the subgraph never looks at.
//
// The emit script places most of them at the mainnet addresses the manifest names with
// anvil_setCode, which copies runtime code only: state is set by `initialize` calls rather than
// constructors. Resolvers are deployed normally (the subgraph's Resolver data source has no
// address: it takes these events from any contract).

address constant REGISTRY = 0x00000000000C2E074eC69A0dFb2997BA6C7d2e1e;
address constant OLD_REGISTRY = 0x314159265dD8dbb310642f98f50C066173C1259b;
address constant BASE_REGISTRAR = 0x57f1887a8BF19b14fC0dF6Fd9B2acc9Af147eA85;
address constant LEGACY_CONTROLLER = 0x283Af0B28c62C092C9727F1Ee09c02CA627EB7F5;
address constant WRAPPED_CONTROLLER = 0x253553366Da8546fC250F225fe3d25d0C782303b;
address constant NAME_WRAPPER = 0xD4416b13d2b3a9aBae7AcD5D6C2BbDBE25686401;
address constant UNWRAPPED_CONTROLLER = 0x59E16fcCd424Cc24e280Be16E11Bcd56fb0CE547;
// namehash("eth")
bytes32 constant ETH_NODE = 0x93cdeb708b7545dc668eb9280176169d1c33cfd8ed6f04690a0bcc88a93fc4ae;
uint256 constant GRACE_PERIOD = 90 days;

/// The ENS registry (ENSRegistry; the old registry at 0x3141… runs the same code).
contract Registry {
    struct Record {
        address owner;
        address resolver;
        uint64 ttl;
    }

    mapping(bytes32 => Record) records;
    mapping(address => mapping(address => bool)) operators;

    event NewOwner(bytes32 indexed node, bytes32 indexed label, address owner);
    event Transfer(bytes32 indexed node, address owner);
    event NewResolver(bytes32 indexed node, address resolver);
    event NewTTL(bytes32 indexed node, uint64 ttl);
    event ApprovalForAll(address indexed owner, address indexed operator, bool approved);

    modifier authorised(bytes32 node) {
        address o = records[node].owner;
        require(o == msg.sender || operators[o][msg.sender], "registry: not authorised");
        _;
    }

    /// The real constructor gives the root to the deployer, without an event.
    function claimRoot() external {
        require(records[0].owner == address(0), "registry: root owned");
        records[0].owner = msg.sender;
    }

    function setRecord(bytes32 node, address owner_, address resolver_, uint64 ttl_) external {
        setOwner(node, owner_);
        _setResolverAndTTL(node, resolver_, ttl_);
    }

    function setSubnodeRecord(bytes32 node, bytes32 label, address owner_, address resolver_, uint64 ttl_) external {
        bytes32 subnode = setSubnodeOwner(node, label, owner_);
        _setResolverAndTTL(subnode, resolver_, ttl_);
    }

    function setOwner(bytes32 node, address owner_) public authorised(node) {
        records[node].owner = owner_;
        emit Transfer(node, owner_);
    }

    function setSubnodeOwner(bytes32 node, bytes32 label, address owner_) public authorised(node) returns (bytes32) {
        bytes32 subnode = keccak256(abi.encodePacked(node, label));
        records[subnode].owner = owner_;
        emit NewOwner(node, label, owner_);
        return subnode;
    }

    function setResolver(bytes32 node, address resolver_) public authorised(node) {
        emit NewResolver(node, resolver_);
        records[node].resolver = resolver_;
    }

    function setTTL(bytes32 node, uint64 ttl_) public authorised(node) {
        emit NewTTL(node, ttl_);
        records[node].ttl = ttl_;
    }

    function setApprovalForAll(address operator, bool approved) external {
        operators[msg.sender][operator] = approved;
        emit ApprovalForAll(msg.sender, operator, approved);
    }

    function owner(bytes32 node) external view returns (address) {
        return records[node].owner;
    }

    function resolver(bytes32 node) external view returns (address) {
        return records[node].resolver;
    }

    function ttl(bytes32 node) external view returns (uint64) {
        return records[node].ttl;
    }

    function isApprovedForAll(address owner_, address operator) external view returns (bool) {
        return operators[owner_][operator];
    }

    function _setResolverAndTTL(bytes32 node, address resolver_, uint64 ttl_) internal {
        if (resolver_ != records[node].resolver) {
            records[node].resolver = resolver_;
            emit NewResolver(node, resolver_);
        }
        if (ttl_ != records[node].ttl) {
            records[node].ttl = ttl_;
            emit NewTTL(node, ttl_);
        }
    }
}

/// The .eth registrar (BaseRegistrarImplementation): an ERC-721 of label hashes with expiries.
contract BaseRegistrar {
    address public owner;
    mapping(address => bool) public controllers;
    mapping(uint256 => uint256) expiries;
    mapping(uint256 => address) owners;
    mapping(uint256 => address) approvals;
    mapping(address => mapping(address => bool)) operators;

    event ControllerAdded(address indexed controller);
    event NameRegistered(uint256 indexed id, address indexed owner, uint256 expires);
    event NameRenewed(uint256 indexed id, uint256 expires);
    event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
    event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId);
    event ApprovalForAll(address indexed owner, address indexed operator, bool approved);

    modifier onlyController() {
        require(controllers[msg.sender], "registrar: not a controller");
        _;
    }

    modifier live() {
        require(Registry(REGISTRY).owner(ETH_NODE) == address(this), "registrar: does not own eth");
        _;
    }

    function initialize() external {
        require(owner == address(0), "registrar: initialized");
        owner = msg.sender;
    }

    function addController(address controller) external {
        require(msg.sender == owner, "registrar: not the owner");
        controllers[controller] = true;
        emit ControllerAdded(controller);
    }

    function available(uint256 id) public view returns (bool) {
        return expiries[id] + GRACE_PERIOD < block.timestamp;
    }

    function nameExpires(uint256 id) external view returns (uint256) {
        return expiries[id];
    }

    function ownerOf(uint256 id) public view returns (address) {
        require(expiries[id] > block.timestamp, "registrar: expired");
        return owners[id];
    }

    function register(uint256 id, address owner_, uint256 duration) external live onlyController returns (uint256) {
        require(available(id), "registrar: not available");
        expiries[id] = block.timestamp + duration;
        address previous = owners[id];
        if (previous != address(0)) {
            // An expired name is burned before it is minted again.
            delete approvals[id];
            emit Transfer(previous, address(0), id);
        }
        owners[id] = owner_;
        emit Transfer(address(0), owner_, id);
        Registry(REGISTRY).setSubnodeOwner(ETH_NODE, bytes32(id), owner_);
        emit NameRegistered(id, owner_, block.timestamp + duration);
        return block.timestamp + duration;
    }

    function renew(uint256 id, uint256 duration) external live onlyController returns (uint256) {
        require(expiries[id] + GRACE_PERIOD >= block.timestamp, "registrar: expired");
        expiries[id] += duration;
        emit NameRenewed(id, expiries[id]);
        return expiries[id];
    }

    function reclaim(uint256 id, address owner_) external live {
        require(_approvedOrOwner(msg.sender, id), "registrar: not approved");
        Registry(REGISTRY).setSubnodeOwner(ETH_NODE, bytes32(id), owner_);
    }

    function approve(address to, uint256 id) external {
        address o = ownerOf(id);
        require(msg.sender == o || operators[o][msg.sender], "registrar: not approved");
        approvals[id] = to;
        emit Approval(o, to, id);
    }

    function setApprovalForAll(address operator, bool approved) external {
        operators[msg.sender][operator] = approved;
        emit ApprovalForAll(msg.sender, operator, approved);
    }

    function isApprovedForAll(address owner_, address operator) external view returns (bool) {
        return operators[owner_][operator];
    }

    function transferFrom(address from, address to, uint256 id) public {
        require(_approvedOrOwner(msg.sender, id), "registrar: not approved");
        require(owners[id] == from && to != address(0), "registrar: bad transfer");
        delete approvals[id];
        owners[id] = to;
        emit Transfer(from, to, id);
    }

    function safeTransferFrom(address from, address to, uint256 id) external {
        transferFrom(from, to, id);
    }

    function _approvedOrOwner(address spender, uint256 id) internal view returns (bool) {
        address o = ownerOf(id);
        return spender == o || approvals[id] == spender || operators[o][spender];
    }
}

/// What the controllers charge, in wei per second by label length (mainnet's $5, $160 and $640
/// a year at $3,100 an ETH), and the premium for taking a name that expired and was registered before.
abstract contract Pricing {
    uint256 constant PREMIUM = 0.1 ether;

    function rentPrice(string memory name, uint256 duration) public view returns (uint256 base, uint256 premium) {
        uint256 len = bytes(name).length;
        uint256 perSecond = len >= 5 ? 50735667 : len == 4 ? 8117706770 : 32470827080;
        base = perSecond * duration;
        uint256 id = uint256(keccak256(bytes(name)));
        premium = BaseRegistrar(BASE_REGISTRAR).nameExpires(id) == 0 ? 0 : PREMIUM;
    }

    function _charge(uint256 amount) internal {
        require(msg.value >= amount, "controller: not enough paid");
        if (msg.value > amount) payable(msg.sender).transfer(msg.value - amount);
    }
}

/// The first .eth controller (ETHRegistrarController, 2019).
contract LegacyController is Pricing {
    event NameRegistered(string name, bytes32 indexed label, address indexed owner, uint256 cost, uint256 expires);
    event NameRenewed(string name, bytes32 indexed label, uint256 cost, uint256 expires);

    function register(string calldata name, address owner, uint256 duration, bytes32 secret) external payable {
        registerWithConfig(name, owner, duration, secret, address(0), address(0));
    }

    function registerWithConfig(string calldata name, address owner, uint256 duration, bytes32, address resolver, address addr) public payable {
        (uint256 base, uint256 premium) = rentPrice(name, duration);
        uint256 cost = base + premium;
        _charge(cost);
        bytes32 label = keccak256(bytes(name));
        uint256 id = uint256(label);
        uint256 expires;
        if (resolver != address(0)) {
            // Registered to the controller first, so that it may set the records.
            expires = BaseRegistrar(BASE_REGISTRAR).register(id, address(this), duration);
            bytes32 node = keccak256(abi.encodePacked(ETH_NODE, label));
            Registry(REGISTRY).setResolver(node, resolver);
            if (addr != address(0)) PublicResolver(resolver).setAddr(node, addr);
            BaseRegistrar(BASE_REGISTRAR).reclaim(id, owner);
            BaseRegistrar(BASE_REGISTRAR).transferFrom(address(this), owner, id);
        } else {
            expires = BaseRegistrar(BASE_REGISTRAR).register(id, owner, duration);
        }
        emit NameRegistered(name, label, owner, cost, expires);
    }

    function renew(string calldata name, uint256 duration) external payable {
        (uint256 cost,) = rentPrice(name, duration);
        _charge(cost);
        bytes32 label = keccak256(bytes(name));
        uint256 expires = BaseRegistrar(BASE_REGISTRAR).renew(uint256(label), duration);
        emit NameRenewed(name, label, cost, expires);
    }
}

/// The 2023 controller (ETHRegistrarController with the NameWrapper): names are registered
/// wrapped, records set through the resolver's multicall.
contract WrappedController is Pricing {
    event NameRegistered(string name, bytes32 indexed label, address indexed owner, uint256 baseCost, uint256 premium, uint256 expires);
    event NameRenewed(string name, bytes32 indexed label, uint256 cost, uint256 expires);

    function register(string calldata name, address owner, uint256 duration, bytes32, address resolver, bytes[] calldata data, bool, uint16 ownerControlledFuses)
        external
        payable
    {
        (uint256 base, uint256 premium) = rentPrice(name, duration);
        _charge(base + premium);
        uint256 expires = NameWrapper(NAME_WRAPPER).registerAndWrapETH2LD(name, owner, duration, resolver, ownerControlledFuses);
        if (data.length > 0) PublicResolver(resolver).multicall(data);
        emit NameRegistered(name, keccak256(bytes(name)), owner, base, premium, expires);
    }

    function renew(string calldata name, uint256 duration) external payable {
        (uint256 cost,) = rentPrice(name, duration);
        _charge(cost);
        bytes32 label = keccak256(bytes(name));
        uint256 expires = NameWrapper(NAME_WRAPPER).renew(uint256(label), duration);
        emit NameRenewed(name, label, cost, expires);
    }
}

/// The 2025 controller (UnwrappedEthRegistrarController): names are registered unwrapped, with
/// a referrer in the events. (Mainnet takes a Registration struct with a commitment secret and
/// a reverse record too.)
contract UnwrappedController is Pricing {
    event NameRegistered(
        string label, bytes32 indexed labelhash, address indexed owner, uint256 baseCost, uint256 premium, uint256 expires, bytes32 referrer
    );
    event NameRenewed(string label, bytes32 indexed labelhash, uint256 cost, uint256 expires, bytes32 referrer);

    function register(string calldata label, address owner, uint256 duration, address resolver, bytes[] calldata data, bytes32 referrer)
        external
        payable
    {
        (uint256 base, uint256 premium) = rentPrice(label, duration);
        _charge(base + premium);
        bytes32 labelhash = keccak256(bytes(label));
        uint256 expires = resolver == address(0)
            ? BaseRegistrar(BASE_REGISTRAR).register(uint256(labelhash), owner, duration)
            : _registerWithRecords(labelhash, owner, duration, resolver, data);
        emit NameRegistered(label, labelhash, owner, base, premium, expires, referrer);
    }

    /// Registered to the controller first, so that it may set the records.
    function _registerWithRecords(bytes32 labelhash, address owner, uint256 duration, address resolver, bytes[] calldata data)
        internal
        returns (uint256 expires)
    {
        uint256 id = uint256(labelhash);
        expires = BaseRegistrar(BASE_REGISTRAR).register(id, address(this), duration);
        bytes32 node = keccak256(abi.encodePacked(ETH_NODE, labelhash));
        Registry(REGISTRY).setResolver(node, resolver);
        if (data.length > 0) PublicResolver(resolver).multicall(data);
        BaseRegistrar(BASE_REGISTRAR).reclaim(id, owner);
        BaseRegistrar(BASE_REGISTRAR).transferFrom(address(this), owner, id);
    }

    function renew(string calldata label, uint256 duration, bytes32 referrer) external payable {
        (uint256 cost,) = rentPrice(label, duration);
        _charge(cost);
        bytes32 labelhash = keccak256(bytes(label));
        uint256 expires = BaseRegistrar(BASE_REGISTRAR).renew(uint256(labelhash), duration);
        emit NameRenewed(label, labelhash, cost, expires, referrer);
    }
}

/// The NameWrapper: an ERC-1155 of namehashes, each with an owner, fuses and an expiry.
contract NameWrapper {
    uint32 constant PARENT_CANNOT_CONTROL = 1 << 16;
    uint32 constant IS_DOT_ETH = 1 << 17;

    struct Data {
        address owner;
        uint32 fuses;
        uint64 expiry;
    }

    mapping(uint256 => Data) tokens;
    mapping(bytes32 => bytes) public names;

    event NameWrapped(bytes32 indexed node, bytes name, address owner, uint32 fuses, uint64 expiry);
    event NameUnwrapped(bytes32 indexed node, address owner);
    event FusesSet(bytes32 indexed node, uint32 fuses);
    event ExpiryExtended(bytes32 indexed node, uint64 expiry);
    event TransferSingle(address indexed operator, address indexed from, address indexed to, uint256 id, uint256 value);
    event TransferBatch(address indexed operator, address indexed from, address indexed to, uint256[] ids, uint256[] values);

    modifier onlyTokenOwner(bytes32 node) {
        require(tokens[uint256(node)].owner == msg.sender, "wrapper: not the owner");
        _;
    }

    function ownerOf(uint256 id) external view returns (address) {
        return tokens[id].owner;
    }

    function getData(uint256 id) external view returns (address, uint32, uint64) {
        Data memory d = tokens[id];
        return (d.owner, d.fuses, d.expiry);
    }

    function registerAndWrapETH2LD(string calldata label, address wrappedOwner, uint256 duration, address resolver, uint16 ownerControlledFuses)
        external
        returns (uint256 registrarExpiry)
    {
        require(msg.sender == WRAPPED_CONTROLLER, "wrapper: not a controller");
        uint256 id = uint256(keccak256(bytes(label)));
        registrarExpiry = BaseRegistrar(BASE_REGISTRAR).register(id, address(this), duration);
        _wrapETH2LD(label, wrappedOwner, ownerControlledFuses, uint64(registrarExpiry + GRACE_PERIOD), resolver);
    }

    /// Wraps a .eth name its registrant holds (and has approved the wrapper for).
    function wrapETH2LD(string calldata label, address wrappedOwner, uint16 ownerControlledFuses, address resolver) external returns (uint64 expiry) {
        uint256 id = uint256(keccak256(bytes(label)));
        address registrant = BaseRegistrar(BASE_REGISTRAR).ownerOf(id);
        require(registrant == msg.sender, "wrapper: not the registrant");
        BaseRegistrar(BASE_REGISTRAR).transferFrom(registrant, address(this), id);
        BaseRegistrar(BASE_REGISTRAR).reclaim(id, address(this));
        expiry = uint64(BaseRegistrar(BASE_REGISTRAR).nameExpires(id) + GRACE_PERIOD);
        _wrapETH2LD(label, wrappedOwner, ownerControlledFuses, expiry, resolver);
    }

    function renew(uint256 id, uint256 duration) external returns (uint256 expires) {
        require(msg.sender == WRAPPED_CONTROLLER, "wrapper: not a controller");
        expires = BaseRegistrar(BASE_REGISTRAR).renew(id, duration);
        bytes32 node = keccak256(abi.encodePacked(ETH_NODE, bytes32(id)));
        Data storage d = tokens[uint256(node)];
        if (d.owner != address(0)) d.expiry = uint64(expires + GRACE_PERIOD);
    }

    /// Creates a wrapped subname of a wrapped name, its expiry capped by the parent's.
    function setSubnodeOwner(bytes32 parentNode, string calldata label, address owner, uint32 fuses, uint64 expiry)
        external
        onlyTokenOwner(parentNode)
        returns (bytes32 node)
    {
        bytes32 labelhash = keccak256(bytes(label));
        node = keccak256(abi.encodePacked(parentNode, labelhash));
        require(tokens[uint256(node)].owner == address(0), "wrapper: subname exists");
        uint64 parentExpiry = tokens[uint256(parentNode)].expiry;
        if (expiry > parentExpiry) expiry = parentExpiry;
        Registry(REGISTRY).setSubnodeOwner(parentNode, labelhash, address(this));
        bytes memory name = abi.encodePacked(uint8(bytes(label).length), label, names[parentNode]);
        _wrap(node, name, owner, fuses, expiry);
    }

    /// The parent's owner burns a child's fuses (PARENT_CANNOT_CONTROL among them) and may
    /// extend its expiry, up to the parent's.
    function setChildFuses(bytes32 parentNode, bytes32 labelhash, uint32 fuses, uint64 expiry) external onlyTokenOwner(parentNode) {
        bytes32 node = keccak256(abi.encodePacked(parentNode, labelhash));
        Data storage d = tokens[uint256(node)];
        require(d.owner != address(0), "wrapper: not wrapped");
        uint64 parentExpiry = tokens[uint256(parentNode)].expiry;
        if (expiry > parentExpiry) expiry = parentExpiry;
        uint64 oldExpiry = d.expiry;
        if (expiry < oldExpiry) expiry = oldExpiry;
        d.fuses |= fuses;
        d.expiry = expiry;
        emit FusesSet(node, d.fuses);
        if (expiry > oldExpiry) emit ExpiryExtended(node, expiry);
    }

    /// The owner burns fuses of their own name.
    function setFuses(bytes32 node, uint16 ownerControlledFuses) external onlyTokenOwner(node) returns (uint32) {
        Data storage d = tokens[uint256(node)];
        d.fuses |= ownerControlledFuses;
        emit FusesSet(node, d.fuses);
        return d.fuses;
    }

    function extendExpiry(bytes32 parentNode, bytes32 labelhash, uint64 expiry) external returns (uint64) {
        bytes32 node = keccak256(abi.encodePacked(parentNode, labelhash));
        Data storage d = tokens[uint256(node)];
        require(
            tokens[uint256(parentNode)].owner == msg.sender || d.owner == msg.sender, "wrapper: not the owner of the name or its parent"
        );
        uint64 parentExpiry = tokens[uint256(parentNode)].expiry;
        if (expiry > parentExpiry) expiry = parentExpiry;
        require(expiry >= d.expiry, "wrapper: expiry would shrink");
        d.expiry = expiry;
        emit ExpiryExtended(node, expiry);
        return expiry;
    }

    function unwrapETH2LD(bytes32 labelhash, address registrant, address controller) external {
        bytes32 node = keccak256(abi.encodePacked(ETH_NODE, labelhash));
        require(tokens[uint256(node)].owner == msg.sender, "wrapper: not the owner");
        _unwrap(node, controller);
        BaseRegistrar(BASE_REGISTRAR).transferFrom(address(this), registrant, uint256(labelhash));
    }

    function unwrap(bytes32 parentNode, bytes32 labelhash, address controller) external {
        require(parentNode != ETH_NODE, "wrapper: use unwrapETH2LD");
        bytes32 node = keccak256(abi.encodePacked(parentNode, labelhash));
        require(tokens[uint256(node)].owner == msg.sender, "wrapper: not the owner");
        _unwrap(node, controller);
    }

    function safeTransferFrom(address from, address to, uint256 id, uint256 amount, bytes calldata) external {
        require(from == msg.sender && amount == 1 && tokens[id].owner == from && to != address(0), "wrapper: bad transfer");
        tokens[id].owner = to;
        emit TransferSingle(msg.sender, from, to, id, 1);
    }

    function safeBatchTransferFrom(address from, address to, uint256[] calldata ids, uint256[] calldata amounts, bytes calldata) external {
        require(from == msg.sender && to != address(0) && ids.length == amounts.length, "wrapper: bad transfer");
        for (uint256 i = 0; i < ids.length; i++) {
            require(amounts[i] == 1 && tokens[ids[i]].owner == from, "wrapper: bad transfer");
            tokens[ids[i]].owner = to;
        }
        emit TransferBatch(msg.sender, from, to, ids, amounts);
    }

    function _wrapETH2LD(string calldata label, address wrappedOwner, uint32 fuses, uint64 expiry, address resolver) internal {
        bytes32 labelhash = keccak256(bytes(label));
        bytes32 node = keccak256(abi.encodePacked(ETH_NODE, labelhash));
        bytes memory name = abi.encodePacked(uint8(bytes(label).length), label, uint8(3), "eth", uint8(0));
        _wrap(node, name, wrappedOwner, fuses | PARENT_CANNOT_CONTROL | IS_DOT_ETH, expiry);
        if (resolver != address(0)) Registry(REGISTRY).setResolver(node, resolver);
    }

    function _wrap(bytes32 node, bytes memory name, address owner, uint32 fuses, uint64 expiry) internal {
        names[node] = name;
        tokens[uint256(node)] = Data(owner, fuses, expiry);
        emit TransferSingle(msg.sender, address(0), owner, uint256(node), 1);
        emit NameWrapped(node, name, owner, fuses, expiry);
    }

    function _unwrap(bytes32 node, address owner) internal {
        address previous = tokens[uint256(node)].owner;
        delete tokens[uint256(node)];
        emit TransferSingle(msg.sender, previous, address(0), uint256(node), 1);
        Registry(REGISTRY).setOwner(node, owner);
        emit NameUnwrapped(node, owner);
    }
}

/// A public resolver. `legacyText` selects the text event before 2023
/// (`TextChanged(node, indexedKey, key)`, no value) over the current one (with the value).
contract PublicResolver {
    bool immutable legacyText;
    mapping(bytes32 => uint64) public recordVersions;
    mapping(uint64 => mapping(bytes32 => mapping(uint256 => bytes))) addresses;
    mapping(uint64 => mapping(bytes32 => mapping(string => string))) texts;
    mapping(uint64 => mapping(bytes32 => bytes)) hashes;
    mapping(uint64 => mapping(bytes32 => string)) names;
    mapping(bytes32 => mapping(address => mapping(address => bool))) public authorisations;

    event AddrChanged(bytes32 indexed node, address a);
    event AddressChanged(bytes32 indexed node, uint256 coinType, bytes newAddress);
    event NameChanged(bytes32 indexed node, string name);
    event ABIChanged(bytes32 indexed node, uint256 indexed contentType);
    event PubkeyChanged(bytes32 indexed node, bytes32 x, bytes32 y);
    event TextChanged(bytes32 indexed node, string indexed indexedKey, string key);
    event TextChanged(bytes32 indexed node, string indexed indexedKey, string key, string value);
    event ContenthashChanged(bytes32 indexed node, bytes hash);
    event InterfaceChanged(bytes32 indexed node, bytes4 indexed interfaceID, address implementer);
    event AuthorisationChanged(bytes32 indexed node, address indexed owner, address indexed target, bool isAuthorised);
    event VersionChanged(bytes32 indexed node, uint64 newVersion);

    constructor(bool legacyText_) {
        legacyText = legacyText_;
    }

    modifier authorised(bytes32 node) {
        require(isAuthorised(node), "resolver: not authorised");
        _;
    }

    /// The owner in the registry (the old one for names not yet in the new one, as the
    /// registry with fallback answers), the wrapped owner for wrapped names, an operator
    /// authorised by them, or a controller the resolver trusts.
    function isAuthorised(bytes32 node) public view returns (bool) {
        if (msg.sender == WRAPPED_CONTROLLER || msg.sender == UNWRAPPED_CONTROLLER) return true;
        address owner = Registry(REGISTRY).owner(node);
        if (owner == address(0)) owner = Registry(OLD_REGISTRY).owner(node);
        if (owner == NAME_WRAPPER) owner = NameWrapper(NAME_WRAPPER).ownerOf(uint256(node));
        return owner == msg.sender || authorisations[node][owner][msg.sender];
    }

    function setAddr(bytes32 node, address a) external {
        setAddr(node, 60, abi.encodePacked(a));
    }

    function setAddr(bytes32 node, uint256 coinType, bytes memory a) public authorised(node) {
        emit AddressChanged(node, coinType, a);
        if (coinType == 60) emit AddrChanged(node, address(bytes20(a)));
        addresses[recordVersions[node]][node][coinType] = a;
    }

    function setText(bytes32 node, string calldata key, string calldata value) external authorised(node) {
        texts[recordVersions[node]][node][key] = value;
        if (legacyText) emit TextChanged(node, key, key);
        else emit TextChanged(node, key, key, value);
    }

    function setContenthash(bytes32 node, bytes calldata hash) external authorised(node) {
        hashes[recordVersions[node]][node] = hash;
        emit ContenthashChanged(node, hash);
    }

    function setName(bytes32 node, string calldata newName) external authorised(node) {
        names[recordVersions[node]][node] = newName;
        emit NameChanged(node, newName);
    }

    function setABI(bytes32 node, uint256 contentType, bytes calldata) external authorised(node) {
        require(contentType & (contentType - 1) == 0, "resolver: content type not a power of 2");
        emit ABIChanged(node, contentType);
    }

    function setPubkey(bytes32 node, bytes32 x, bytes32 y) external authorised(node) {
        emit PubkeyChanged(node, x, y);
    }

    function setInterface(bytes32 node, bytes4 interfaceID, address implementer) external authorised(node) {
        emit InterfaceChanged(node, interfaceID, implementer);
    }

    function setAuthorisation(bytes32 node, address target, bool isAuthorised_) external {
        authorisations[node][msg.sender][target] = isAuthorised_;
        emit AuthorisationChanged(node, msg.sender, target, isAuthorised_);
    }

    function clearRecords(bytes32 node) external authorised(node) {
        recordVersions[node]++;
        emit VersionChanged(node, recordVersions[node]);
    }

    function addr(bytes32 node) external view returns (address) {
        return address(bytes20(addresses[recordVersions[node]][node][60]));
    }

    function text(bytes32 node, string calldata key) external view returns (string memory) {
        return texts[recordVersions[node]][node][key];
    }

    function multicall(bytes[] calldata data) external returns (bytes[] memory results) {
        results = new bytes[](data.length);
        for (uint256 i = 0; i < data.length; i++) {
            (bool ok, bytes memory result) = address(this).delegatecall(data[i]);
            require(ok, "resolver: multicall failed");
            results[i] = result;
        }
    }
}
