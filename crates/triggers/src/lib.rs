//! Trigger matching: which handlers of which data sources run for a block, and in what order.
//!
//! The indexer keeps a list of [`Host`]s (static data sources in manifest order, then data sources
//! created from templates in creation order). [`LogFilter::for_hosts`] says which logs to ask the
//! node for and [`CallFilter::for_hosts`] which traces; [`calls_from_traces`] keeps the traces
//! call handlers can see; [`block_triggers`] turns a block's logs and calls into the ordered list
//! of handler calls, following graph-node: `once` block handlers first, then logs and calls by
//! transaction (a transaction's logs before its calls, logs by log index, calls in the order they
//! ran), each with its matching hosts in host order, then `call`-filtered block handlers, then the
//! other block handlers.
//!
//! Architecture invariant: this crate does no I/O and runs no mapping code; given the same hosts
//! and logs it returns the same triggers.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use alloy::dyn_abi::{DynSolValue, EventExt, FunctionExt, JsonAbiExt};
use alloy::primitives::{Address, Bytes, B256};
use anyhow::{anyhow, bail, ensure, Result};
use sprig_chain::{Call, Log, Trace};
use sprig_manifest::{BlockHandlerFilter, CallHandler, Mapping};
use sprig_value::Entity;

/// A data source as it runs: static from the manifest or created from a template.
#[derive(Clone, Debug)]
pub struct Host {
    /// The data source's (or template's) name.
    pub name: String,
    /// Set for a data source created from a template.
    pub template: Option<String>,
    pub network: String,
    pub address: Option<Address>,
    pub start_block: u64,
    pub end_block: Option<u64>,
    pub mapping: Arc<Mapping>,
    /// The name of the ABI events are decoded with.
    pub abi: String,
    pub context: Option<Entity>,
}

impl Host {
    /// Whether the data source is active at this block.
    pub fn is_active(&self, block: u64) -> bool {
        block >= self.start_block && self.end_block.is_none_or(|end| block <= end)
    }
}

/// What to ask the node's `eth_getLogs` for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// Contract addresses; empty together with `any_address` means no log is wanted.
    pub addresses: Vec<Address>,
    /// Set when some data source has no address: logs of every contract are wanted.
    pub any_address: bool,
    pub topic0s: Vec<B256>,
}

impl LogFilter {
    /// The union of what the hosts' event handlers need.
    pub fn for_hosts<'a>(hosts: impl IntoIterator<Item = &'a Host>) -> LogFilter {
        let mut filter = LogFilter::default();
        for host in hosts {
            if host.mapping.event_handlers.is_empty() {
                continue;
            }
            match host.address {
                Some(a) => filter.addresses.push(a),
                None => filter.any_address = true,
            }
            filter
                .topic0s
                .extend(host.mapping.event_handlers.iter().map(|h| h.topic0));
        }
        filter.addresses.sort();
        filter.addresses.dedup();
        filter.topic0s.sort();
        filter.topic0s.dedup();
        if filter.any_address {
            filter.addresses.clear();
        }
        filter
    }

    /// Whether any log is wanted at all.
    pub fn is_empty(&self) -> bool {
        self.topic0s.is_empty()
    }
}

/// What to ask the node's `trace_filter` for: calls to the addresses of the data sources with call
/// handlers or a `call` block filter. Empty when no data source needs traces, so that subgraphs
/// without call handlers never ask for them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallFilter {
    pub addresses: Vec<Address>,
}

impl CallFilter {
    /// The addresses the hosts' call handlers and `call` block handlers need.
    pub fn for_hosts<'a>(hosts: impl IntoIterator<Item = &'a Host>) -> CallFilter {
        let mut addresses: Vec<Address> = hosts
            .into_iter()
            .filter(|h| needs_traces(&h.mapping))
            // The manifest refuses call handlers on data sources without an address.
            .filter_map(|h| h.address)
            .collect();
        addresses.sort();
        addresses.dedup();
        CallFilter { addresses }
    }

    /// Whether no trace is wanted at all.
    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }
}

fn needs_traces(mapping: &Mapping) -> bool {
    !mapping.call_handlers.is_empty()
        || mapping
            .block_handlers
            .iter()
            .any(|b| b.filter == BlockHandlerFilter::Call)
}

/// The traces that can trigger call handlers and `call` block filters, as graph-node's
/// `EthereumCall::try_from_trace` picks them: call actions of every call type (call,
/// delegatecall, staticcall, callcode) with at least 4 bytes of input, a call result, no error,
/// and a transaction. Order is kept.
///
/// As in graph-node, only the trace's own error counts: a call that succeeded inside a call that
/// reverted later keeps no error in Parity-style traces and stays (graph-node issue #5775). Calls
/// of failed transactions are dropped later, for call handlers only (see [`block_triggers`]).
pub fn calls_from_traces(traces: &[Trace]) -> Vec<Arc<Call>> {
    traces
        .iter()
        .filter_map(|trace| {
            if trace.error.is_some() {
                return None;
            }
            let call = trace.call.as_ref().filter(|c| c.input.len() >= 4)?;
            let result = trace.result.as_ref()?;
            Some(Arc::new(Call {
                from: call.from,
                to: call.to,
                value: call.value,
                gas_used: result.gas_used,
                input: call.input.clone(),
                output: result.output.clone(),
                block_number: trace.block_number,
                block_hash: trace.block_hash,
                transaction_hash: trace.transaction_hash?,
                transaction_index: trace.transaction_position?,
            }))
        })
        .collect()
}

/// The transactions whose success decides whether a call handler runs at `block`: those of the
/// calls that some host from `first_host` on has a call handler for. The caller looks up their
/// receipts and passes the failed ones to [`block_triggers`].
pub fn call_handler_transactions(
    hosts: &[Host],
    first_host: usize,
    block: u64,
    calls: &[Arc<Call>],
) -> BTreeSet<B256> {
    calls
        .iter()
        .filter(|call| {
            hosts
                .iter()
                .skip(first_host)
                .any(|h| call_handler_for(h, block, call).is_some())
        })
        .map(|call| call.transaction_hash)
        .collect()
}

/// The call handler of `host` that `call` selects, if the host is active and the call goes to it.
fn call_handler_for<'h>(host: &'h Host, block: u64, call: &Call) -> Option<&'h CallHandler> {
    if host.address != Some(call.to) || !host.is_active(block) {
        return None;
    }
    // graph-node takes the first handler with the selector.
    host.mapping
        .call_handlers
        .iter()
        .find(|h| call.input.get(..4) == Some(&h.selector[..]))
}

/// Whether some host has a block handler that runs at `block`.
pub fn wants_block(hosts: &[Host], block: u64) -> bool {
    hosts.iter().any(|h| {
        h.is_active(block)
            && h.mapping
                .block_handlers
                .iter()
                .any(|b| block_handler_runs(b.filter, h.start_block, block))
    })
}

fn block_handler_runs(filter: BlockHandlerFilter, start_block: u64, block: u64) -> bool {
    match filter {
        BlockHandlerFilter::Every => true,
        BlockHandlerFilter::Once => block == start_block,
        BlockHandlerFilter::Polling(every) => (block - start_block).is_multiple_of(every),
        // Runs only for blocks with a call to the data source, which `block_triggers` finds.
        BlockHandlerFilter::Call => false,
    }
}

/// What a handler receives.
#[derive(Clone, Debug)]
pub enum TriggerData {
    /// A log decoded by the handler's ABI event: parameters by name, in ABI order.
    Event {
        log: Arc<Log>,
        params: Vec<(String, DynSolValue)>,
    },
    /// A call decoded by the handler's ABI function: inputs and outputs by name, in ABI order.
    Call {
        call: Arc<Call>,
        inputs: Vec<(String, DynSolValue)>,
        outputs: Vec<(String, DynSolValue)>,
    },
    /// A block (the block itself is supplied by the caller).
    Block,
}

/// One handler call: which host, which exported function, with what.
#[derive(Clone, Debug)]
pub struct Trigger {
    /// Index into the host list.
    pub host: usize,
    pub handler: String,
    pub data: TriggerData,
    /// Whether the handler asked for the transaction receipt.
    pub receipt: bool,
    /// The `eth_call`s the event handler declares (`calls:`), evaluated for this log.
    pub declared_calls: Vec<DeclaredEthCall>,
}

/// A declared call of an event handler, evaluated for one log: what to send to `eth_call`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredEthCall {
    /// The call's label in the manifest.
    pub label: String,
    pub to: Address,
    /// Selector and encoded arguments, byte for byte what the mapping's `ethereum.call` sends.
    pub data: Bytes,
}

/// What happened in one block that triggers may come from.
#[derive(Clone, Copy, Debug)]
pub struct BlockContent<'a> {
    pub number: u64,
    /// The block's logs that the log filter asked for, in any order.
    pub logs: &'a [Arc<Log>],
    /// The block's calls from [`calls_from_traces`], in the order they ran.
    pub calls: &'a [Arc<Call>],
    /// Transactions of the block that failed (receipt status 0), at least among those
    /// [`call_handler_transactions`] named. Their calls run no call handler.
    pub failed_transactions: &'a HashSet<B256>,
}

/// The ordered handler calls of one block for `hosts[first_host..]`.
///
/// Hosts before `first_host` are skipped, which is how data sources created during a block get
/// that block's triggers run against only the new hosts. An error is deterministic (a manifest
/// or ABI problem that shows only when a log or call arrives).
pub fn block_triggers(
    hosts: &[Host],
    first_host: usize,
    content: BlockContent<'_>,
) -> Result<Vec<Trigger>> {
    let block = content.number;
    let mut triggers = Vec::new();
    let candidates = || {
        hosts
            .iter()
            .enumerate()
            .skip(first_host)
            .filter(|(_, h)| h.is_active(block))
    };
    for (i, host) in candidates() {
        for bh in &host.mapping.block_handlers {
            if bh.filter == BlockHandlerFilter::Once && block == host.start_block {
                triggers.push(block_trigger(i, &bh.handler));
            }
        }
    }

    // graph-node's order: by transaction; within one, logs (by log index) before calls (in the
    // order they ran). A log's index grows with its transaction's, so this is log-index order
    // for logs. Equal calls next to each other count once (graph-node dedups its sorted list).
    enum Item<'a> {
        Log(&'a Arc<Log>),
        Call(&'a Arc<Call>),
    }
    let mut items: Vec<Item> = content.logs.iter().map(Item::Log).collect();
    let mut previous: Option<&Arc<Call>> = None;
    for call in content.calls {
        let handled = !content.failed_transactions.contains(&call.transaction_hash)
            && candidates().any(|(_, h)| call_handler_for(h, block, call).is_some());
        if handled && previous.is_none_or(|p| p != call) {
            items.push(Item::Call(call));
            previous = Some(call);
        }
    }
    items.sort_by_key(|item| match item {
        Item::Log(log) => (log.transaction_index, 0, log.log_index),
        Item::Call(call) => (call.transaction_index, 1, 0),
    });
    for item in items {
        match item {
            Item::Log(log) => {
                for (i, host) in candidates() {
                    if host.address.is_some_and(|a| a != log.address) {
                        continue;
                    }
                    if let Some(t) = match_log(i, host, log)? {
                        triggers.push(t);
                    }
                }
            }
            Item::Call(call) => {
                for (i, host) in candidates() {
                    if let Some(handler) = call_handler_for(host, block, call) {
                        if let Some(t) = match_call(i, host, handler, call)? {
                            triggers.push(t);
                        }
                    }
                }
            }
        }
    }

    // `call` block handlers: one trigger per address called (in the order of the calls, repeats
    // in a row counted once, as graph-node's sorted and deduplicated block triggers), whether or
    // not the call's transaction succeeded, as in graph-node.
    let mut called: Vec<Address> = content.calls.iter().map(|c| c.to).collect();
    called.dedup();
    for address in called {
        for (i, host) in candidates() {
            if host.address != Some(address) {
                continue;
            }
            for bh in &host.mapping.block_handlers {
                if bh.filter == BlockHandlerFilter::Call {
                    triggers.push(block_trigger(i, &bh.handler));
                }
            }
        }
    }
    for (i, host) in candidates() {
        for bh in &host.mapping.block_handlers {
            let runs = match bh.filter {
                BlockHandlerFilter::Every | BlockHandlerFilter::Polling(_) => {
                    block_handler_runs(bh.filter, host.start_block, block)
                }
                BlockHandlerFilter::Once | BlockHandlerFilter::Call => false,
            };
            if runs {
                triggers.push(block_trigger(i, &bh.handler));
            }
        }
    }
    Ok(triggers)
}

/// The trigger of a call handler: `None` when the input does not decode (graph-node skips such
/// calls with a warning), an error when the output does not.
fn match_call(
    index: usize,
    host: &Host,
    handler: &CallHandler,
    call: &Arc<Call>,
) -> Result<Option<Trigger>> {
    let function = &handler.abi_function;
    let Ok(inputs) = function.abi_decode_input(&call.input[4..]) else {
        return Ok(None);
    };
    ensure!(
        inputs.len() == function.inputs.len(),
        "the call's input has {} values, the function `{}` takes {}",
        inputs.len(),
        handler.function,
        function.inputs.len()
    );
    let outputs = function.abi_decode_output(&call.output).map_err(|e| {
        anyhow!(
            "decoding the output of the call to `{}` of data source `{}` failed: {e} (raw output: {})",
            handler.function,
            host.name,
            sprig_value::to_hex(&call.output)
        )
    })?;
    ensure!(
        outputs.len() == function.outputs.len(),
        "the call's output has {} values, the function `{}` returns {}",
        outputs.len(),
        handler.function,
        function.outputs.len()
    );
    let named = |params: &[alloy::json_abi::Param], values: Vec<DynSolValue>| {
        params
            .iter()
            .map(|p| p.name.clone())
            .zip(values)
            .collect::<Vec<_>>()
    };
    Ok(Some(Trigger {
        host: index,
        handler: handler.handler.clone(),
        data: TriggerData::Call {
            call: call.clone(),
            inputs: named(&function.inputs, inputs),
            outputs: named(&function.outputs, outputs),
        },
        receipt: false,
        declared_calls: Vec::new(),
    }))
}

fn block_trigger(host: usize, handler: &str) -> Trigger {
    Trigger {
        host,
        handler: handler.to_string(),
        data: TriggerData::Block,
        receipt: false,
        declared_calls: Vec::new(),
    }
}

/// The trigger of the host's event handler for this log, if one matches and decodes.
fn match_log(index: usize, host: &Host, log: &Arc<Log>) -> Result<Option<Trigger>> {
    let Some(topic0) = log.topics.first() else {
        return Ok(None);
    };
    let mut found: Option<Trigger> = None;
    for handler in &host.mapping.event_handlers {
        if &handler.topic0 != topic0 {
            continue;
        }
        let filters_pass = handler
            .topic_filters
            .iter()
            .enumerate()
            .all(|(pos, accepted)| {
                accepted.is_empty()
                    || log
                        .topics
                        .get(pos + 1)
                        .is_some_and(|t| accepted.contains(t))
            });
        if !filters_pass {
            continue;
        }
        // A log the ABI cannot decode (e.g. indexed-ness differs between overloads sharing a
        // topic0) is skipped, as graph-node does.
        let Ok(decoded) = handler
            .abi_event
            .decode_log_parts(log.topics.iter().copied(), &log.data)
        else {
            continue;
        };
        if found.is_some() {
            bail!(
                "multiple handlers of data source `{}` match the event `{}`",
                host.name,
                handler.event
            );
        }
        let mut indexed = decoded.indexed.into_iter();
        let mut body = decoded.body.into_iter();
        let params: Option<Vec<_>> = handler
            .abi_event
            .inputs
            .iter()
            .map(|input| {
                let value = if input.indexed {
                    indexed.next()
                } else {
                    body.next()
                };
                value.map(|v| (input.name.clone(), v))
            })
            .collect();
        let Some(params) = params else {
            continue;
        };
        let declared_calls = handler
            .calls
            .iter()
            .map(|call| {
                let (to, data) = call.eth_call(log.address, &params).map_err(|e| {
                    anyhow!(
                        "declared call `{}` of handler `{}` of data source `{}`: {e:#}",
                        call.label,
                        handler.handler,
                        host.name
                    )
                })?;
                Ok(DeclaredEthCall {
                    label: call.label.clone(),
                    to,
                    data,
                })
            })
            .collect::<Result<_>>()?;
        found = Some(Trigger {
            host: index,
            handler: handler.handler.clone(),
            data: TriggerData::Event {
                log: log.clone(),
                params,
            },
            receipt: handler.receipt,
            declared_calls,
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::json_abi::Event;
    use alloy::primitives::{Bytes, U256};
    use sprig_chain::Trace;
    use sprig_manifest::{BlockHandler, EventHandler};

    fn transfer_handler(name: &str) -> EventHandler {
        let abi_event =
            Event::parse("event Transfer(address indexed from, address indexed to, uint256 value)")
                .unwrap();
        EventHandler {
            event: "Transfer(indexed address,indexed address,uint256)".into(),
            topic0: abi_event.selector(),
            topic_filters: Default::default(),
            handler: name.into(),
            receipt: false,
            abi_event,
            calls: Vec::new(),
        }
    }

    fn host(
        address: Option<Address>,
        events: Vec<EventHandler>,
        blocks: Vec<BlockHandler>,
    ) -> Host {
        Host {
            name: "ds".into(),
            template: None,
            network: "anvil".into(),
            address,
            start_block: 10,
            end_block: Some(100),
            mapping: Arc::new(Mapping {
                api_version: sprig_manifest::Version(0, 0, 9),
                entities: vec![],
                abis: Arc::new(vec![]),
                event_handlers: events,
                block_handlers: blocks,
                call_handlers: vec![],
                file: "m.wasm".into(),
                wasm: Arc::new(vec![]),
            }),
            abi: "Token".into(),
            context: None,
        }
    }

    fn transfer_log(address: Address, log_index: u64, to: u8) -> Arc<Log> {
        let word = |b: u8| {
            let mut w = [0u8; 32];
            w[31] = b;
            B256::from(w)
        };
        Arc::new(Log {
            address,
            topics: vec![transfer_handler("x").topic0, word(1), word(to)],
            data: Bytes::from(U256::from(7).to_be_bytes::<32>().to_vec()),
            block_hash: B256::ZERO,
            block_number: 10,
            transaction_hash: B256::ZERO,
            transaction_index: 0,
            log_index,
            removed: false,
        })
    }

    /// `block_triggers` for a block with only logs.
    fn run(hosts: &[Host], first: usize, block: u64, logs: &[Arc<Log>]) -> Result<Vec<Trigger>> {
        block_triggers(
            hosts,
            first,
            BlockContent {
                number: block,
                logs,
                calls: &[],
                failed_transactions: &HashSet::new(),
            },
        )
    }

    fn names(triggers: &[Trigger]) -> Vec<(usize, &str)> {
        triggers
            .iter()
            .map(|t| (t.host, t.handler.as_str()))
            .collect()
    }

    #[test]
    fn orders_once_then_logs_by_index_then_block_handlers() {
        let a = Address::repeat_byte(0xaa);
        let b = Address::repeat_byte(0xbb);
        let hosts = vec![
            host(
                Some(a),
                vec![transfer_handler("onA")],
                vec![BlockHandler {
                    handler: "everyA".into(),
                    filter: BlockHandlerFilter::Every,
                }],
            ),
            host(
                Some(b),
                vec![transfer_handler("onB")],
                vec![BlockHandler {
                    handler: "onceB".into(),
                    filter: BlockHandlerFilter::Once,
                }],
            ),
            host(None, vec![transfer_handler("onAny")], vec![]),
        ];
        let logs = vec![transfer_log(b, 5, 2), transfer_log(a, 3, 2)];
        let triggers = run(&hosts, 0, 10, &logs).unwrap();
        assert_eq!(
            names(&triggers),
            [
                (1, "onceB"),
                (0, "onA"),
                (2, "onAny"),
                (1, "onB"),
                (2, "onAny"),
                (0, "everyA")
            ]
        );
        let TriggerData::Event { params, .. } = &triggers[1].data else {
            panic!("an event trigger")
        };
        let param_names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(param_names, ["from", "to", "value"]);
        assert_eq!(params[2].1, DynSolValue::Uint(U256::from(7), 256));

        // New hosts only, for the data sources created during the block.
        let triggers = run(&hosts, 2, 10, &logs).unwrap();
        assert_eq!(names(&triggers), [(2, "onAny"), (2, "onAny")]);
        // Outside the start/end window nothing runs.
        assert!(run(&hosts, 0, 9, &logs).unwrap().is_empty());
        assert!(run(&hosts, 0, 101, &logs).unwrap().is_empty());
    }

    #[test]
    fn topic_filters_and_polling() {
        let a = Address::repeat_byte(0xaa);
        let mut filtered = transfer_handler("toTwo");
        let mut two = [0u8; 32];
        two[31] = 2;
        filtered.topic_filters[1] = vec![B256::from(two)];
        let hosts = vec![host(
            Some(a),
            vec![filtered],
            vec![BlockHandler {
                handler: "poll".into(),
                filter: BlockHandlerFilter::Polling(5),
            }],
        )];
        let logs = vec![transfer_log(a, 0, 2), transfer_log(a, 1, 3)];
        assert_eq!(
            names(&run(&hosts, 0, 10, &logs).unwrap()),
            [(0, "toTwo"), (0, "poll")]
        );
        assert!(wants_block(&hosts, 15) && !wants_block(&hosts, 16));
    }

    #[test]
    fn two_handlers_for_one_event_is_an_error() {
        let a = Address::repeat_byte(0xaa);
        let hosts = vec![host(
            Some(a),
            vec![transfer_handler("one"), transfer_handler("two")],
            vec![],
        )];
        let err = run(&hosts, 0, 10, &[transfer_log(a, 0, 2)]).unwrap_err();
        assert!(err.to_string().contains("multiple handlers"), "{err}");
    }

    #[test]
    fn log_filter_unions_hosts() {
        let a = Address::repeat_byte(0xaa);
        let f = LogFilter::for_hosts(&[host(Some(a), vec![transfer_handler("x")], vec![])]);
        assert_eq!(f.addresses, [a]);
        assert_eq!(f.topic0s.len(), 1);
        let f = LogFilter::for_hosts(&[
            host(Some(a), vec![transfer_handler("x")], vec![]),
            host(None, vec![transfer_handler("y")], vec![]),
        ]);
        assert!(f.any_address && f.addresses.is_empty());
    }

    fn register_handler(name: &str) -> CallHandler {
        let function = "register(uint256,string)";
        let hash = alloy::primitives::keccak256(function);
        CallHandler {
            function: function.into(),
            selector: [hash[0], hash[1], hash[2], hash[3]],
            handler: name.into(),
            abi_function: alloy::json_abi::Function::parse(
                "function register(uint256 id, string name) returns (uint256 count)",
            )
            .unwrap(),
        }
    }

    fn call_host(address: Address, calls: Vec<CallHandler>, blocks: Vec<BlockHandler>) -> Host {
        let mut h = host(Some(address), vec![transfer_handler("onLog")], blocks);
        Arc::make_mut(&mut h.mapping).call_handlers = calls;
        h
    }

    /// ABI-encoded `register(id, "x")` input and `count` output.
    fn register_io(id: u64, count: u64) -> (Bytes, Bytes) {
        let selector = register_handler("x").selector;
        let args = DynSolValue::Tuple(vec![
            DynSolValue::Uint(U256::from(id), 256),
            DynSolValue::String("x".into()),
        ]);
        let input = [&selector[..], &args.abi_encode_params()].concat();
        (
            input.into(),
            U256::from(count).to_be_bytes::<32>().to_vec().into(),
        )
    }

    fn tx_hash(tx: u64) -> B256 {
        B256::from(U256::from(tx + 1000))
    }

    /// A successful top-level call trace to `to` in transaction `tx`.
    fn trace(to: Address, tx: u64, input: Bytes, output: Bytes) -> Trace {
        Trace {
            block_number: 10,
            block_hash: B256::ZERO,
            transaction_hash: Some(tx_hash(tx)),
            transaction_position: Some(tx),
            trace_address: vec![],
            call: Some(sprig_chain::types::TraceCall {
                call_type: "call".into(),
                from: Address::repeat_byte(0x11),
                to,
                value: U256::ZERO,
                input,
            }),
            result: Some(sprig_chain::types::TraceCallResult {
                gas_used: 21_000,
                output,
            }),
            error: None,
        }
    }

    fn content<'a>(
        logs: &'a [Arc<Log>],
        calls: &'a [Arc<Call>],
        failed: &'a HashSet<B256>,
    ) -> BlockContent<'a> {
        BlockContent {
            number: 10,
            logs,
            calls,
            failed_transactions: failed,
        }
    }

    #[test]
    fn only_successful_calls_with_a_selector_and_a_transaction_are_calls() {
        let a = Address::repeat_byte(0xaa);
        let (input, output) = register_io(1, 1);
        let ok = trace(a, 0, input.clone(), output.clone());
        let reverted = Trace {
            error: Some("Reverted".into()),
            ..ok.clone()
        };
        let short_input = trace(a, 0, Bytes::from(vec![1, 2, 3]), output.clone());
        let creation = Trace {
            call: None,
            result: None,
            ..ok.clone()
        };
        let no_result = Trace {
            result: None,
            ..ok.clone()
        };
        let no_transaction = Trace {
            transaction_position: None,
            transaction_hash: None,
            ..ok.clone()
        };
        let with_type = |call_type: &str| {
            let mut t = ok.clone();
            t.call.as_mut().unwrap().call_type = call_type.into();
            t.trace_address = vec![0];
            t
        };
        // A call that succeeded inside one that reverted: Parity-style traces give it no error,
        // and graph-node keeps it (its transaction may still succeed).
        let child_of_reverted = Trace {
            trace_address: vec![0, 0],
            ..ok.clone()
        };
        let parent = Trace {
            trace_address: vec![0],
            error: Some("Reverted".into()),
            ..ok.clone()
        };
        let calls = calls_from_traces(&[
            ok.clone(),
            reverted,
            short_input,
            creation,
            no_result,
            no_transaction,
            with_type("delegatecall"),
            with_type("staticcall"),
            parent,
            child_of_reverted,
        ]);
        assert_eq!(calls.len(), 4);
        assert!(calls.iter().all(|c| c.input == input && c.output == output));
        assert_eq!(calls[0].transaction_hash, tx_hash(0));
        assert_eq!(calls[0].gas_used, 21_000);
    }

    #[test]
    fn call_handlers_match_address_and_selector_and_skip_failed_transactions() {
        let a = Address::repeat_byte(0xaa);
        let b = Address::repeat_byte(0xbb);
        let hosts = vec![
            call_host(
                a,
                vec![register_handler("onRegister")],
                vec![BlockHandler {
                    handler: "onCallBlock".into(),
                    filter: BlockHandlerFilter::Call,
                }],
            ),
            call_host(b, vec![], vec![]),
        ];
        let (input, output) = register_io(7, 3);
        let other_selector = [&[0xde, 0xad, 0xbe, 0xef][..], &input[4..]].concat();
        let calls = calls_from_traces(&[
            // tx 0: to `b`, which has no call handler.
            trace(b, 0, input.clone(), output.clone()),
            // tx 1: another function of `a`.
            trace(a, 1, other_selector.into(), output.clone()),
            // tx 2: a transaction that failed in the end.
            trace(a, 2, input.clone(), output.clone()),
            // tx 3: the one that runs.
            trace(a, 3, input.clone(), output.clone()),
        ]);
        assert_eq!(
            call_handler_transactions(&hosts, 0, 10, &calls),
            BTreeSet::from([tx_hash(2), tx_hash(3)])
        );
        let failed = HashSet::from([tx_hash(2)]);
        let triggers = block_triggers(&hosts, 0, content(&[], &calls, &failed)).unwrap();
        // The call block handler runs once for `a` although `a` was called three times in a row
        // (the failed transaction's call counts: graph-node only checks receipts for call
        // handlers).
        assert_eq!(names(&triggers), [(0, "onRegister"), (0, "onCallBlock")]);
        let TriggerData::Call {
            call,
            inputs,
            outputs,
        } = &triggers[0].data
        else {
            panic!("a call trigger")
        };
        assert_eq!(call.transaction_index, 3);
        assert_eq!(
            inputs,
            &[
                ("id".to_string(), DynSolValue::Uint(U256::from(7), 256)),
                ("name".to_string(), DynSolValue::String("x".into())),
            ]
        );
        assert_eq!(
            outputs,
            &[("count".to_string(), DynSolValue::Uint(U256::from(3), 256))]
        );

        // Not before the start block, and not for hosts before `first_host`.
        let mut late = hosts.clone();
        late[0].start_block = 11;
        assert!(block_triggers(&late, 0, content(&[], &calls, &failed))
            .unwrap()
            .is_empty());
        assert!(block_triggers(&hosts, 1, content(&[], &calls, &failed))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn logs_and_calls_run_by_transaction_with_logs_first() {
        let a = Address::repeat_byte(0xaa);
        let hosts = vec![call_host(a, vec![register_handler("onRegister")], vec![])];
        let (input, output) = register_io(1, 1);
        let (input2, output2) = register_io(2, 2);
        let log_in_tx = |tx: u64, log_index: u64| {
            let mut log = (*transfer_log(a, log_index, 2)).clone();
            log.transaction_index = tx;
            log.transaction_hash = tx_hash(tx);
            Arc::new(log)
        };
        let logs = vec![log_in_tx(2, 1), log_in_tx(1, 0)];
        let mut nested = trace(a, 1, input2.clone(), output2.clone());
        nested.trace_address = vec![0];
        let calls = calls_from_traces(&[
            trace(a, 1, input.clone(), output.clone()),
            nested,
            // The same call again right after: counted once, as graph-node dedups.
            trace(a, 1, input2.clone(), output2.clone()),
            trace(a, 2, input.clone(), output.clone()),
            trace(a, 3, input, output),
        ]);
        let failed = HashSet::new();
        let triggers = block_triggers(&hosts, 0, content(&logs, &calls, &failed)).unwrap();
        let order: Vec<(u64, &str)> = triggers
            .iter()
            .map(|t| match &t.data {
                TriggerData::Event { log, .. } => (log.transaction_index, "log"),
                TriggerData::Call { call, .. } => (call.transaction_index, "call"),
                TriggerData::Block => unreachable!(),
            })
            .collect();
        assert_eq!(
            order,
            [
                (1, "log"),
                (1, "call"),
                (1, "call"),
                (2, "log"),
                (2, "call"),
                (3, "call")
            ]
        );
    }

    #[test]
    fn undecodable_inputs_are_skipped_and_undecodable_outputs_fail() {
        let a = Address::repeat_byte(0xaa);
        let hosts = vec![call_host(a, vec![register_handler("onRegister")], vec![])];
        let (input, output) = register_io(1, 1);
        let failed = HashSet::new();
        let truncated = calls_from_traces(&[trace(a, 0, input[..40].to_vec().into(), output)]);
        assert!(block_triggers(&hosts, 0, content(&[], &truncated, &failed))
            .unwrap()
            .is_empty());
        let no_output = calls_from_traces(&[trace(a, 0, input, Bytes::from(vec![1]))]);
        let err = block_triggers(&hosts, 0, content(&[], &no_output, &failed)).unwrap_err();
        assert!(
            err.to_string()
                .contains("decoding the output of the call to `register(uint256,string)`"),
            "{err}"
        );
    }

    #[test]
    fn call_filter_asks_only_for_data_sources_with_call_handlers_or_call_blocks() {
        let a = Address::repeat_byte(0xaa);
        let b = Address::repeat_byte(0xbb);
        let c = Address::repeat_byte(0xcc);
        let hosts = [
            call_host(c, vec![register_handler("x")], vec![]),
            host(Some(b), vec![transfer_handler("x")], vec![]),
            call_host(
                a,
                vec![],
                vec![BlockHandler {
                    handler: "y".into(),
                    filter: BlockHandlerFilter::Call,
                }],
            ),
            call_host(c, vec![register_handler("x")], vec![]),
        ];
        assert_eq!(CallFilter::for_hosts(&hosts).addresses, [a, c]);
        assert!(CallFilter::for_hosts(&hosts[1..2]).is_empty());
    }
}
