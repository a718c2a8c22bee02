//! Chain data as mappings see it (graph-node's `ethereum.Block`, `Transaction`, `Log`,
//! `TransactionReceipt`).

use alloy::primitives::{Address, Bytes, B256, U256};
use sprig_value::BlockPtr;

/// A block header plus its transactions (full objects, in block order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub number: u64,
    pub hash: B256,
    pub parent_hash: B256,
    pub uncles_hash: B256,
    pub author: Address,
    pub state_root: B256,
    pub transactions_root: B256,
    pub receipts_root: B256,
    pub gas_used: U256,
    pub gas_limit: U256,
    /// Unix seconds.
    pub timestamp: u64,
    pub difficulty: U256,
    /// Zero when the node does not report it.
    pub total_difficulty: U256,
    pub size: Option<U256>,
    pub base_fee_per_gas: Option<U256>,
    pub transactions: Vec<Transaction>,
}

impl Block {
    pub fn ptr(&self) -> BlockPtr {
        BlockPtr {
            number: self.number,
            hash: self.hash.0,
        }
    }

    /// The transaction with this hash, if it is in the block.
    pub fn transaction(&self, hash: &B256) -> Option<&Transaction> {
        self.transactions.iter().find(|t| &t.hash == hash)
    }
}

/// A transaction as graph-node exposes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    pub hash: B256,
    /// Position in the block.
    pub index: u64,
    pub from: Address,
    /// `None` for contract creation.
    pub to: Option<Address>,
    pub value: U256,
    pub gas_limit: U256,
    /// The effective gas price.
    pub gas_price: U256,
    pub input: Bytes,
    pub nonce: U256,
}

/// An event log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log {
    pub address: Address,
    pub topics: Vec<B256>,
    pub data: Bytes,
    pub block_hash: B256,
    pub block_number: u64,
    pub transaction_hash: B256,
    pub transaction_index: u64,
    /// Index of the log in the block.
    pub log_index: u64,
    pub removed: bool,
}

/// A transaction receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub transaction_hash: B256,
    pub transaction_index: u64,
    pub block_hash: B256,
    pub block_number: u64,
    pub cumulative_gas_used: U256,
    pub gas_used: U256,
    pub contract_address: Option<Address>,
    pub logs: Vec<Log>,
    /// 1 success, 0 failure; `None` before Byzantium.
    pub status: Option<u64>,
    pub root: Option<B256>,
    pub logs_bloom: Bytes,
}

/// One action inside a transaction as a Parity-style `trace_filter` reports it: a call, or a
/// contract creation, self-destruct or block reward (those have no [`call`](Self::call)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    pub block_number: u64,
    pub block_hash: B256,
    /// `None` for traces outside transactions (block rewards).
    pub transaction_hash: Option<B256>,
    /// The transaction's index in the block.
    pub transaction_position: Option<u64>,
    /// The path of child indices from the transaction's top-level call; `[]` is that call.
    pub trace_address: Vec<u64>,
    /// Set for `call` actions (every `callType`: call, delegatecall, staticcall, callcode).
    pub call: Option<TraceCall>,
    /// The call's result; `None` when the node reports none (or the action is not a call).
    pub result: Option<TraceCallResult>,
    /// The node's error message (`Reverted`, `Out of gas`, ...) when the action failed.
    pub error: Option<String>,
}

/// The action of a call trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceCall {
    /// `call`, `delegatecall`, `staticcall` or `callcode`.
    pub call_type: String,
    pub from: Address,
    /// The address whose code runs (for a delegatecall: the library, not the caller's storage).
    pub to: Address,
    pub value: U256,
    pub input: Bytes,
}

/// What a call trace returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceCallResult {
    pub gas_used: u64,
    pub output: Bytes,
}

/// A successful call made in a transaction, as call handlers see it (graph-node's
/// `EthereumCall`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub from: Address,
    pub to: Address,
    pub value: U256,
    pub gas_used: u64,
    pub input: Bytes,
    pub output: Bytes,
    pub block_number: u64,
    pub block_hash: B256,
    pub transaction_hash: B256,
    pub transaction_index: u64,
}
