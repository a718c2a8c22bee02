// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.28;

/// A counter created by `Factory`; indexed through a data source template.
contract Pair {
    string public label;
    uint256 public count;

    event Bumped(address indexed caller, uint256 by, uint256 newCount);

    constructor(string memory label_) {
        label = label_;
    }

    function bump(uint256 by) external {
        count += by;
        emit Bumped(msg.sender, by, count);
    }
}

/// Deploys `Pair` contracts and announces each one with `PairCreated`.
contract Factory {
    address[] public pairs;

    event PairCreated(address indexed pair, string label, uint256 index);

    function createPair(string calldata label) external returns (address) {
        Pair pair = new Pair(label);
        pairs.push(address(pair));
        emit PairCreated(address(pair), label, pairs.length - 1);
        return address(pair);
    }

    function pairCount() external view returns (uint256) {
        return pairs.length;
    }
}
