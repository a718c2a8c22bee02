//! End-to-end tests: the API derived from `testdata/schema.graphql`, over an in-memory store
//! holding `testdata/entities.json`, queried through the real HTTP router.

mod aggregations;
mod fixture;
mod fulltext;
mod http;
mod memory_store;
mod queries;
mod references;
mod schema_api;
mod server;
mod sqlite_store;
