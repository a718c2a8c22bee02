//! Trigger matching: which handlers of which data sources run for a block, and in what order.
//!
//! The indexer keeps a list of [`Host`]s (static data sources in manifest order, then data sources
//! created from templates in creation order). [`LogFilter::for_hosts`] says which logs to ask the
//! node for; [`block_triggers`] turns a block's logs into the ordered list of handler calls,
//! following graph-node: `once` block handlers first, then logs by log index (each log's matching
//! hosts in host order), then the other block handlers.
//!
//! Architecture invariant: this crate does no I/O and runs no mapping code; given the same hosts
//! and logs it returns the same triggers.

use std::sync::Arc;

use alloy::dyn_abi::{DynSolValue, EventExt};
use alloy::primitives::{Address, B256};
use anyhow::{bail, Result};
use sprig_chain::Log;
use sprig_manifest::{BlockHandlerFilter, Mapping};
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
        // Needs traces; the indexer refuses such manifests for now.
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
}

/// The ordered handler calls of one block for `hosts[first_host..]`.
///
/// `logs` are the block's logs (any order; they are sorted by log index here). Hosts before
/// `first_host` are skipped, which is how data sources created during a block get that block's
/// triggers run against only the new hosts. An error is deterministic (a manifest problem that
/// shows only when a log arrives).
pub fn block_triggers(
    hosts: &[Host],
    first_host: usize,
    block: u64,
    logs: &[Arc<Log>],
) -> Result<Vec<Trigger>> {
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
    let mut logs: Vec<&Arc<Log>> = logs.iter().collect();
    logs.sort_by_key(|l| l.log_index);
    for log in logs {
        for (i, host) in candidates() {
            if host.address.is_some_and(|a| a != log.address) {
                continue;
            }
            if let Some(t) = match_log(i, host, log)? {
                triggers.push(t);
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

fn block_trigger(host: usize, handler: &str) -> Trigger {
    Trigger {
        host,
        handler: handler.to_string(),
        data: TriggerData::Block,
        receipt: false,
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
        found = Some(Trigger {
            host: index,
            handler: handler.handler.clone(),
            data: TriggerData::Event {
                log: log.clone(),
                params,
            },
            receipt: handler.receipt,
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::json_abi::Event;
    use alloy::primitives::{Bytes, U256};
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
        let triggers = block_triggers(&hosts, 0, 10, &logs).unwrap();
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
        let triggers = block_triggers(&hosts, 2, 10, &logs).unwrap();
        assert_eq!(names(&triggers), [(2, "onAny"), (2, "onAny")]);
        // Outside the start/end window nothing runs.
        assert!(block_triggers(&hosts, 0, 9, &logs).unwrap().is_empty());
        assert!(block_triggers(&hosts, 0, 101, &logs).unwrap().is_empty());
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
            names(&block_triggers(&hosts, 0, 10, &logs).unwrap()),
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
        let err = block_triggers(&hosts, 0, 10, &[transfer_log(a, 0, 2)]).unwrap_err();
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
}
