// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

/// A name registry indexed through a call handler on `register` (and, for the trigger order, an
/// event handler on `Registered`).
contract Registry {
    uint256 public total;
    mapping(uint256 => string) public names;

    event Registered(uint256 indexed id, address registrant);

    /// Registers `name` under `id` and returns the number of registrations so far.
    function register(uint256 id, string calldata name) external returns (uint256 count) {
        require(id != 0, "id 0 is reserved");
        names[id] = name;
        total += 1;
        emit Registered(id, msg.sender);
        return total;
    }
}

/// Calls a `Registry` from a contract, so the calls are internal (seen in traces only), and
/// creates registries that the subgraph follows through a template.
contract Caller {
    event Spawned(address registry);

    /// An internal call that succeeds.
    function registerVia(Registry registry, uint256 id, string calldata name) external returns (uint256) {
        return registry.register(id, name);
    }

    /// Two internal calls in one transaction.
    function registerTwice(Registry registry, uint256 id, string calldata name) external {
        registry.register(id, name);
        registry.register(id + 1, name);
    }

    /// The inner call reverts (id 0) and the revert is caught: the transaction succeeds, but the
    /// failed call must not trigger a handler.
    function tryRegister(Registry registry, uint256 id, string calldata name) external returns (bool ok) {
        try registry.register(id, name) returns (uint256) {
            ok = true;
        } catch {
            ok = false;
        }
    }

    /// The inner call succeeds, then the whole transaction reverts: no handler may run.
    function registerThenRevert(Registry registry, uint256 id, string calldata name) external {
        registry.register(id, name);
        revert("undone");
    }

    /// A read-only call: no call handler matches it, but it is a call to the registry.
    function readTotal(Registry registry) external view returns (uint256) {
        return registry.total();
    }

    /// Deploys a new registry and announces it.
    function spawn() external returns (Registry registry) {
        registry = new Registry();
        emit Spawned(address(registry));
    }
}
