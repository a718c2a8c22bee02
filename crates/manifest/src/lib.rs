//! Reads what graph-cli builds: `subgraph.yaml`, `schema.graphql`, the ABIs and the wasm files.
//!
//! [`Manifest::load`] resolves and validates a built manifest into typed data sources and
//! templates; [`Schema::parse`] turns the GraphQL SDL into entity types. Everything invalid is
//! refused here, at load, with an error naming the file and the rule broken, so that later stages
//! can rely on a well-formed subgraph.
//!
//! Architecture invariant: this crate does no I/O besides reading the subgraph's own files, and
//! knows nothing about the chain, wasm execution, or storage.

pub mod declared_calls;
pub mod fulltext;
pub mod manifest;
pub mod schema;
pub mod sqlexpr;

pub use declared_calls::{CallArg, DeclaredCall};
pub use fulltext::{Fulltext, FulltextAlgorithm, FulltextLanguage};
pub use manifest::{
    Abi, BlockHandler, BlockHandlerFilter, CallHandler, DataSource, DataSourceTemplate,
    EventHandler, FileSource, Graft, Manifest, Mapping, Prune, Source, TemplateKind, Version,
};
pub use schema::{
    Aggregate, AggregateArg, AggregateFn, Aggregation, AggregationInterval, BaseType, EntityType,
    Field, FieldType, ScalarType, Schema,
};
pub use sqlexpr::SqlType;
