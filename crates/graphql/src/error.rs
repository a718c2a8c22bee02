//! The error a query can fail with, worded for the person who wrote the query.

use std::fmt;

/// A query error. Its message goes into the response's `errors` as is, so it uses graph-node's
/// wording where graph-node has one (front-ends and their tests match on some of them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError(String);

/// Results of query-building and resolving steps.
pub type QueryResult<T> = Result<T, QueryError>;

impl QueryError {
    /// An error with the given message.
    pub fn new(message: impl Into<String>) -> Self {
        QueryError(message.into())
    }

    /// graph-node's `ValueParseError`: an input (or a block constraint) that cannot be decoded.
    pub fn decode(what: &str, detail: impl fmt::Display) -> Self {
        QueryError(format!("Failed to decode `{what}` value: `{detail}`"))
    }

    /// A failure of the store; the alternate form of `anyhow` keeps its causes.
    pub fn store(error: anyhow::Error) -> Self {
        QueryError(format!("Store error: {error:#}"))
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for QueryError {}
