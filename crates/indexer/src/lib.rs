//! The indexing pipeline: block source -> triggers -> runtime -> entity cache -> store.
//!
//! [`Indexer`] follows the chain from the subgraph's stored head: it asks the node for the logs its
//! data sources want over a range of blocks, fetches the blocks that have triggers, runs the
//! handlers of each block in graph-node's order, and commits each block's changes atomically with
//! the new head. Data sources created by a handler see the rest of their creation block, as in
//! graph-node, and the range is cut there so later blocks are fetched with the wider filter.
//!
//! Architecture invariants:
//! - A block is committed whole or not at all; a restart resumes after the last committed block.
//! - A non-deterministic error (RPC failure, timeout) never produces a write: the block is retried.
//! - A deterministic error fails the subgraph at that block (only the failure and the head are
//!   written), unless the manifest declares `nonFatalErrors`, in which case only the failing
//!   handler's writes are dropped.

mod files;
mod metrics;
mod pipeline;

pub use metrics::{HandlerStats, Metrics};
pub use pipeline::{Indexer, IndexerConfig, Progress, StopReason};
