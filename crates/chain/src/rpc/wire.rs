//! JSON-RPC shapes of blocks, transactions, logs and receipts, holding only the fields Sprig
//! uses, and their conversion into [`crate::types`].
//!
//! Why not alloy's RPC types: they decode every field (signatures, access lists, blob data,
//! withdrawals) into rich types and reject transaction types they don't know, such as L2 deposit
//! transactions. These structs skip what Sprig never reads, so a block is parsed once, straight
//! from the response text into what the indexer keeps.

use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::serde::quantity;
use serde::Deserialize;

use crate::types::{Block, Log, Receipt, Trace, TraceCall, TraceCallResult, Transaction};

/// A block with full transaction objects (`eth_getBlockBy*(…, true)`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireBlock {
    #[serde(with = "quantity")]
    number: u64,
    hash: B256,
    parent_hash: B256,
    sha3_uncles: B256,
    miner: Address,
    state_root: B256,
    transactions_root: B256,
    receipts_root: B256,
    gas_used: U256,
    gas_limit: U256,
    #[serde(with = "quantity")]
    timestamp: u64,
    // Some proof-of-stake and L2 nodes leave out fields that lost their meaning; absent is
    // zero, as graph-node reads them.
    #[serde(default)]
    difficulty: U256,
    #[serde(default)]
    total_difficulty: Option<U256>,
    #[serde(default)]
    size: Option<U256>,
    #[serde(default)]
    base_fee_per_gas: Option<U256>,
    transactions: Vec<WireTransaction>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTransaction {
    hash: B256,
    #[serde(default, with = "quantity::opt")]
    transaction_index: Option<u64>,
    from: Address,
    #[serde(default)]
    to: Option<Address>,
    value: U256,
    gas: U256,
    #[serde(default)]
    gas_price: Option<U256>,
    #[serde(default)]
    max_fee_per_gas: Option<U256>,
    #[serde(default)]
    max_priority_fee_per_gas: Option<U256>,
    input: Bytes,
    nonce: U256,
}

impl WireBlock {
    pub(crate) fn number(&self) -> u64 {
        self.number
    }

    pub(crate) fn hash(&self) -> B256 {
        self.hash
    }

    pub(crate) fn into_block(self) -> Block {
        let base_fee = self.base_fee_per_gas;
        let transactions = self
            .transactions
            .into_iter()
            .enumerate()
            .map(|(position, tx)| tx.into_transaction(position as u64, base_fee))
            .collect();
        Block {
            number: self.number,
            hash: self.hash,
            parent_hash: self.parent_hash,
            uncles_hash: self.sha3_uncles,
            author: self.miner,
            state_root: self.state_root,
            transactions_root: self.transactions_root,
            receipts_root: self.receipts_root,
            gas_used: self.gas_used,
            gas_limit: self.gas_limit,
            timestamp: self.timestamp,
            difficulty: self.difficulty,
            total_difficulty: self.total_difficulty.unwrap_or(U256::ZERO),
            size: self.size,
            base_fee_per_gas: base_fee,
            transactions,
        }
    }
}

impl WireTransaction {
    fn into_transaction(self, position: u64, base_fee: Option<U256>) -> Transaction {
        Transaction {
            gas_price: effective_gas_price(
                self.gas_price,
                self.max_fee_per_gas,
                self.max_priority_fee_per_gas,
                base_fee,
            ),
            hash: self.hash,
            index: self.transaction_index.unwrap_or(position),
            from: self.from,
            to: self.to,
            value: self.value,
            gas_limit: self.gas,
            input: self.input,
            nonce: self.nonce,
        }
    }
}

/// The price per gas the sender paid.
///
/// For mined transactions, geth, reth, Erigon and anvil report exactly this in `gasPrice` (for
/// EIP-1559 transactions too), and graph-node hands mappings that field, so it wins. Only when a
/// node leaves it out is it derived: `min(maxFeePerGas, baseFee + maxPriorityFeePerGas)`.
fn effective_gas_price(
    gas_price: Option<U256>,
    max_fee: Option<U256>,
    max_priority_fee: Option<U256>,
    base_fee: Option<U256>,
) -> U256 {
    if let Some(price) = gas_price {
        return price;
    }
    match (max_fee, max_priority_fee, base_fee) {
        (Some(max_fee), Some(tip), Some(base_fee)) => max_fee.min(base_fee.saturating_add(tip)),
        (Some(max_fee), _, _) => max_fee,
        _ => U256::ZERO,
    }
}

/// Only the transaction hashes of a block (`eth_getBlockByHash(…, false)`), for fetching its
/// receipts one by one.
#[derive(Debug, Deserialize)]
pub(crate) struct WireBlockTxHashes {
    pub(crate) transactions: Vec<B256>,
}

/// A log as `eth_getLogs` and receipts carry it. The position fields are optional in the
/// JSON-RPC spec (pending logs); Sprig only asks for mined ones and rejects logs without them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireLog {
    address: Address,
    topics: Vec<B256>,
    data: Bytes,
    #[serde(default)]
    block_hash: Option<B256>,
    #[serde(default, with = "quantity::opt")]
    block_number: Option<u64>,
    #[serde(default)]
    transaction_hash: Option<B256>,
    #[serde(default, with = "quantity::opt")]
    transaction_index: Option<u64>,
    #[serde(default, with = "quantity::opt")]
    log_index: Option<u64>,
    #[serde(default)]
    removed: bool,
}

impl WireLog {
    /// The log, or the name of the missing field.
    pub(crate) fn into_log(self) -> Result<Log, &'static str> {
        Ok(Log {
            block_hash: self.block_hash.ok_or("blockHash")?,
            block_number: self.block_number.ok_or("blockNumber")?,
            transaction_hash: self.transaction_hash.ok_or("transactionHash")?,
            transaction_index: self.transaction_index.ok_or("transactionIndex")?,
            log_index: self.log_index.ok_or("logIndex")?,
            address: self.address,
            topics: self.topics,
            data: self.data,
            removed: self.removed,
        })
    }
}

/// A transaction receipt.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireReceipt {
    transaction_hash: B256,
    #[serde(with = "quantity")]
    transaction_index: u64,
    block_hash: B256,
    #[serde(with = "quantity")]
    block_number: u64,
    cumulative_gas_used: U256,
    gas_used: U256,
    #[serde(default)]
    contract_address: Option<Address>,
    logs: Vec<WireLog>,
    #[serde(default, with = "quantity::opt")]
    status: Option<u64>,
    #[serde(default)]
    root: Option<B256>,
    logs_bloom: Bytes,
}

impl WireReceipt {
    /// The receipt, or the name of a field missing from one of its logs.
    pub(crate) fn into_receipt(self) -> Result<Receipt, &'static str> {
        Ok(Receipt {
            logs: self
                .logs
                .into_iter()
                .map(WireLog::into_log)
                .collect::<Result<_, _>>()?,
            transaction_hash: self.transaction_hash,
            transaction_index: self.transaction_index,
            block_hash: self.block_hash,
            block_number: self.block_number,
            cumulative_gas_used: self.cumulative_gas_used,
            gas_used: self.gas_used,
            contract_address: self.contract_address,
            status: self.status,
            root: self.root,
            logs_bloom: self.logs_bloom,
        })
    }
}

/// A Parity-style trace (`trace_filter`). Nodes differ in how they write numbers (anvil writes
/// `blockNumber` as a JSON number, others as hex), so numbers accept both.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireTrace {
    action: WireTraceAction,
    #[serde(default)]
    block_hash: Option<B256>,
    #[serde(default, with = "quantity::opt")]
    block_number: Option<u64>,
    #[serde(default)]
    result: Option<WireTraceResult>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    trace_address: Vec<u64>,
    #[serde(default)]
    transaction_hash: Option<B256>,
    #[serde(default, with = "quantity::opt")]
    transaction_position: Option<u64>,
    #[serde(rename = "type")]
    kind: String,
}

/// The action fields of every trace type; only those of a call are read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTraceAction {
    #[serde(default)]
    call_type: Option<String>,
    #[serde(default)]
    from: Option<Address>,
    #[serde(default)]
    to: Option<Address>,
    #[serde(default)]
    value: Option<U256>,
    #[serde(default)]
    input: Option<Bytes>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTraceResult {
    #[serde(default, with = "quantity::opt")]
    gas_used: Option<u64>,
    #[serde(default)]
    output: Option<Bytes>,
}

impl WireTrace {
    /// The trace, or the name of a missing field.
    pub(crate) fn into_trace(self) -> Result<Trace, &'static str> {
        let call = if self.kind == "call" {
            let a = self.action;
            Some(TraceCall {
                call_type: a.call_type.unwrap_or_else(|| "call".to_owned()),
                from: a.from.ok_or("action.from")?,
                to: a.to.ok_or("action.to")?,
                value: a.value.unwrap_or_default(),
                input: a.input.ok_or("action.input")?,
            })
        } else {
            None
        };
        // A create's result has `code` and `address` instead of `output`: not a call result.
        let result = match (&call, self.result) {
            (
                Some(_),
                Some(WireTraceResult {
                    gas_used,
                    output: Some(output),
                }),
            ) => Some(TraceCallResult {
                gas_used: gas_used.unwrap_or_default(),
                output,
            }),
            _ => None,
        };
        Ok(Trace {
            block_number: self.block_number.ok_or("blockNumber")?,
            block_hash: self.block_hash.ok_or("blockHash")?,
            transaction_hash: self.transaction_hash,
            transaction_position: self.transaction_position,
            trace_address: self.trace_address,
            call,
            result,
            error: self.error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_without_optional_fields_parses() {
        // A post-merge block as a node that drops totalDifficulty and size sends it.
        let json = r#"{
            "number": "0x10", "hash": "0x137380d7fe66c3963f39f31b43ebd5d3aadcce3d45c6bddd134ad970ff5d05de",
            "parentHash": "0xd77f52881db51325de5ac24212dfc13298d9854bd0cc413590b5d09ad62cb231",
            "sha3Uncles": "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347",
            "miner": "0x0000000000000000000000000000000000000001",
            "stateRoot": "0x82db7312f8b01f3ce9764a1c1c19ece06052dc32163d07b4b6d17adc87339496",
            "transactionsRoot": "0x6dd9a37bc24f352bcab791cc4ff2ed174a0ab4ea0d24910a1c27eb24435f9d4f",
            "receiptsRoot": "0xf78dfb743fbd92ade140711c8bbc542b5e307f0ab7984eff35d751969fe57efa",
            "gasUsed": "0x5208", "gasLimit": "0x1c9c380", "timestamp": "0x6b021300",
            "baseFeePerGas": "0x3b9aca00",
            "transactions": [{
                "type": "0x2", "hash": "0xa23b52004fe574000765fbe20a311b2785a318c9dbe6b0bf6a4c1f8936f57ff3",
                "from": "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", "to": null, "value": "0x1",
                "gas": "0x5208", "maxFeePerGas": "0x77359400", "maxPriorityFeePerGas": "0x1",
                "input": "0x", "nonce": "0x0", "transactionIndex": "0x0"
            }]
        }"#;
        let block = serde_json::from_str::<WireBlock>(json)
            .unwrap()
            .into_block();
        assert_eq!(block.number, 16);
        assert_eq!(block.total_difficulty, U256::ZERO);
        assert_eq!(block.difficulty, U256::ZERO);
        assert_eq!(block.size, None);
        let tx = &block.transactions[0];
        assert_eq!(tx.to, None);
        // No gasPrice: base fee 1 gwei + tip 1 wei, below the fee cap.
        assert_eq!(tx.gas_price, U256::from(1_000_000_001u64));
    }

    #[test]
    fn effective_gas_price_prefers_the_nodes_value() {
        let p = |v: u64| Some(U256::from(v));
        assert_eq!(
            effective_gas_price(p(7), p(100), p(2), p(10)),
            U256::from(7)
        );
        assert_eq!(
            effective_gas_price(None, p(100), p(2), p(10)),
            U256::from(12)
        );
        assert_eq!(
            effective_gas_price(None, p(11), p(2), p(10)),
            U256::from(11)
        );
        assert_eq!(effective_gas_price(None, None, None, p(10)), U256::ZERO);
    }

    #[test]
    fn log_without_position_is_rejected() {
        let json = r#"{"address": "0x0000000000000000000000000000000000000001", "topics": [],
                       "data": "0x", "blockHash": null, "blockNumber": null}"#;
        let log = serde_json::from_str::<WireLog>(json).unwrap();
        assert_eq!(log.into_log().unwrap_err(), "blockHash");
    }

    #[test]
    fn traces_parse_with_numbers_or_hex_and_refuse_missing_fields() {
        let call = |block_number: &str, extra: &str| {
            format!(
                r#"{{"action": {{"from": "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
                "callType": "delegatecall", "gas": "0x43f44", "input": "0xa00fd3c8",
                "to": "0x5fbdb2315678afecb367f032d93f642f64180aa3", "value": "0x0"}},
                "blockHash": "0xbd3dbb1840fee168d9092aa2a19f46c02cfe791ae8466a393b19e2d99636e8fc",
                "blockNumber": {block_number}, "result": {{"gasUsed": "0xb6c0", "output": "0x01"}},
                "subtraces": 0, "traceAddress": [0, 1], "transactionPosition": 2,
                "transactionHash": "0xa2ba45fcf4084573a2224e6d93357a6bba68774137c01ab9457f4bd7ffddebd2",
                "type": "call"{extra}}}"#
            )
        };
        let parse = |json: &str| {
            serde_json::from_str::<WireTrace>(json)
                .unwrap()
                .into_trace()
        };
        // anvil writes the block number as a JSON number, other nodes as hex.
        for number in ["3", r#""0x3""#] {
            let trace = parse(&call(number, "")).unwrap();
            assert_eq!(trace.block_number, 3);
            assert_eq!(trace.transaction_position, Some(2));
            assert_eq!(trace.trace_address, [0, 1]);
            let action = trace.call.unwrap();
            assert_eq!(action.call_type, "delegatecall");
            assert_eq!(action.input.as_ref(), [0xa0, 0x0f, 0xd3, 0xc8]);
            assert_eq!(trace.result.unwrap().gas_used, 0xb6c0);
            assert_eq!(trace.error, None);
        }
        let reverted = parse(&call("3", r#", "error": "Reverted""#)).unwrap();
        assert_eq!(reverted.error.as_deref(), Some("Reverted"));
        // A creation: no call, and its result (code, address) is not a call result.
        let create = parse(
            r#"{"action": {"from": "0x70997970c51812dc3a010c7d01b50e0d17dc79c8", "gas": "0x1",
            "init": "0x60", "value": "0x0"}, "blockHash":
            "0xbd3dbb1840fee168d9092aa2a19f46c02cfe791ae8466a393b19e2d99636e8fc", "blockNumber": 1,
            "result": {"gasUsed": "0x1", "code": "0x60", "address":
            "0x5fbdb2315678afecb367f032d93f642f64180aa3"}, "traceAddress": [], "type": "create"}"#,
        )
        .unwrap();
        assert!(create.call.is_none() && create.result.is_none());
        let no_hash = call("3", "").replace(r#""blockHash""#, r#""ignored""#);
        assert_eq!(parse(&no_hash).unwrap_err(), "blockHash");
        let no_to = call("3", "").replace(r#""to""#, r#""ignored""#);
        assert_eq!(parse(&no_to).unwrap_err(), "action.to");
    }
}
