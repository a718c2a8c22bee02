//! The GraphQL query API of Sprig: graph-node's query language over a subgraph's store.
//!
//! [`SubgraphApi`] derives a subgraph's API from its schema exactly as graph-node does (the same
//! type, field and argument names, filters, pagination rules, block constraints, error policy
//! and value encodings), so existing front-ends work unchanged. [`QueryServer`] serves any
//! number of subgraphs over HTTP at `/subgraphs/name/<name>`, with GraphiQL on `GET`.
//!
//! Reading a query: `schema` builds the types; a top-level field resolves its `block`
//! argument against the deployment's head (`block`), turns its arguments into store queries
//! (`collection`, `filter`) and hands entities to GraphQL (`resolve`), encoded as
//! graph-node does (`values`); `response` then applies the error policy and gives the
//! response graph-node's shape.
//!
//! Architecture invariants: this crate only reads, through [`sprig_store::QueryStore`], and
//! knows nothing about SQL, wasm or the chain. Store calls are synchronous and always run on
//! Tokio's blocking pool, never on an async worker.

#![warn(missing_docs)]

mod api;
mod block;
mod collection;
mod error;
mod filter;
mod names;
mod resolve;
mod response;
mod schema;
mod server;
mod values;

#[cfg(test)]
mod tests;

pub use api::{QueryRequest, SubgraphApi};
pub use names::query_field_names;
pub use response::{Location, QueryResponse, ResponseError};
pub use server::{check_name, router, MetricsSource, QueryServer};
