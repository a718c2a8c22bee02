// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Announces IPFS files by CID; the example subgraph reads them with ipfs.cat, and lists (files
/// of JSON values, one per line) with ipfs.map.
contract Files {
    event FilePublished(address indexed author, string cid);
    event ListPublished(address indexed author, string cid);

    function publish(string calldata cid) external {
        emit FilePublished(msg.sender, cid);
    }

    function publishList(string calldata cid) external {
        emit ListPublished(msg.sender, cid);
    }
}
