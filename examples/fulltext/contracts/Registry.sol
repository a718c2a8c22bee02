// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

/// A token list for Sprig's full-text search example: anyone may list or rename a token. It
/// exists to generate test events on a local chain.
contract Registry {
    event Listed(uint256 indexed id, string name, string symbol);
    event Renamed(uint256 indexed id, string name);

    function list(uint256 id, string calldata name, string calldata symbol) external {
        emit Listed(id, name, symbol);
    }

    function rename(uint256 id, string calldata name) external {
        emit Renamed(id, name);
    }
}
