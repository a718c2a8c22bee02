// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

/// A contract for Sprig's runtime tests: its events ask the subgraph's handlers to burn CPU
/// (`Work`) or to make `ethereum.call`s (`Calls`), so tests can make a handler as slow as they
/// need without a large chain.
contract Busy {
    /// What each `ethereum.call` of the `Calls` handler reads.
    uint256 public constant answer = 42;

    /// Asks for `rounds` rounds of CPU-bound work in the handler.
    event Work(uint256 rounds);
    /// Asks for `count` `ethereum.call`s of `answer()` in the handler.
    event Calls(uint256 count);

    function work(uint256 rounds) external {
        emit Work(rounds);
    }

    function calls(uint256 count) external {
        emit Calls(count);
    }
}
