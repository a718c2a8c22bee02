//! The triggers a mapping handles, and the objects they become in guest memory.

use std::sync::Arc;

use alloy::dyn_abi::DynSolValue;
use alloy::primitives::Bytes;
use sprig_chain::{Block, Call, Log, Receipt, Transaction};

use crate::api_version::ApiVersion;
use crate::asc::ethereum::TriggerWriter;
use crate::asc::{ObjPtr, Objects};

/// What happened on chain that a handler is called for.
#[derive(Clone, Debug)]
pub enum MappingTrigger {
    /// An event handler's log, with its decoded parameters (in ABI order, named as in the ABI).
    /// The handler receives an `ethereum.Event`.
    Event {
        log: Arc<Log>,
        params: Vec<(String, DynSolValue)>,
        block: Arc<Block>,
        /// The log's transaction. When absent the mapping sees a transaction with only the
        /// hash and index of the log set (its other fields zero, `to` null).
        transaction: Option<Arc<Transaction>>,
        /// The transaction's receipt, for handlers declared with `receipt: true` (apiVersion
        /// 0.0.7 and later); `event.receipt` is `null` otherwise.
        receipt: Option<Arc<Receipt>>,
    },
    /// A call handler's call, with its input and output values decoded by the handler's ABI
    /// function (in ABI order, named as in the ABI). The handler receives an `ethereum.Call`.
    Call {
        call: Arc<Call>,
        inputs: Vec<(String, DynSolValue)>,
        outputs: Vec<(String, DynSolValue)>,
        block: Arc<Block>,
        /// The call's transaction (graph-node fails the block when it is not in the block).
        transaction: Arc<Transaction>,
    },
    /// A block handler's block. The handler receives an `ethereum.Block`.
    Block { block: Arc<Block> },
    /// A file data source's file, handled during `block`. The handler receives its bytes
    /// (`Bytes`).
    File {
        content: Arc<Vec<u8>>,
        block: Arc<Block>,
    },
}

impl MappingTrigger {
    /// The block the trigger happened in.
    pub fn block(&self) -> &Arc<Block> {
        match self {
            MappingTrigger::Event { block, .. }
            | MappingTrigger::Call { block, .. }
            | MappingTrigger::Block { block }
            | MappingTrigger::File { block, .. } => block,
        }
    }

    /// Writes the handler's argument object for a mapping of `api_version`.
    pub(crate) fn write(&self, objects: &mut Objects, api_version: ApiVersion) -> ObjPtr {
        let mut writer = TriggerWriter {
            objects,
            api_version,
        };
        match self {
            MappingTrigger::Block { block } => writer.block(block),
            MappingTrigger::File { content, .. } => writer.objects.uint8_array(content),
            MappingTrigger::Call {
                call,
                inputs,
                outputs,
                block,
                transaction,
            } => writer.call(call, inputs, outputs, block, transaction),
            MappingTrigger::Event {
                log,
                params,
                block,
                transaction,
                receipt,
            } => {
                let placeholder;
                let transaction = match transaction {
                    Some(tx) => tx.as_ref(),
                    None => {
                        placeholder = placeholder_transaction(log);
                        &placeholder
                    }
                };
                writer.event(log, params, block, transaction, receipt.as_deref())
            }
        }
    }
}

fn placeholder_transaction(log: &Log) -> Transaction {
    Transaction {
        hash: log.transaction_hash,
        index: log.transaction_index,
        from: Default::default(),
        to: None,
        value: Default::default(),
        gas_limit: Default::default(),
        gas_price: Default::default(),
        input: Bytes::new(),
        nonce: Default::default(),
    }
}
