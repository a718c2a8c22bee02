//! The response in graph-node's shape, and its error policy.
//!
//! graph-node answers `{"data": …}` on success and `{"errors": [{"message", "locations"?}]}`
//! when anything failed: it never mixes partial data with errors. The one exception is the
//! `indexing_error` of a failed subgraph, added after execution: with `subgraphError: deny`
//! the affected fields are removed from `data` (but `_meta` stays, so that clients can see how
//! far the subgraph got), with `allow` they stay.

use std::collections::HashMap;

use async_graphql::{ServerError, Value as GqlValue};
use serde::Serialize;

use crate::block::{BlockConstraint, ErrorPolicy};

/// The message graph-node uses for data affected by a failed subgraph.
const INDEXING_ERROR: &str = "indexing_error";

/// The body of a GraphQL response.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueryResponse {
    /// The selected data; absent when the query failed or all of it was withheld.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<GqlValue>,
    /// What went wrong; omitted when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ResponseError>,
}

/// One entry of `errors`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResponseError {
    /// What went wrong, for people.
    pub message: String,
    /// Where in the query, when the error belongs to a part of it; omitted when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
}

/// A position in the query text, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1.
    pub column: usize,
}

impl QueryResponse {
    /// A response carrying only errors.
    pub fn from_errors(messages: impl IntoIterator<Item = String>) -> QueryResponse {
        QueryResponse {
            data: None,
            errors: messages
                .into_iter()
                .map(|message| ResponseError {
                    message,
                    locations: Vec::new(),
                })
                .collect(),
        }
    }
}

impl From<ServerError> for ResponseError {
    fn from(error: ServerError) -> Self {
        ResponseError {
            message: error.message,
            locations: error
                .locations
                .into_iter()
                .map(|pos| Location {
                    line: pos.line,
                    column: pos.column,
                })
                .collect(),
        }
    }
}

/// What executing a top-level field recorded for the error policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopLevelField {
    /// The field's key in `data` (its alias, or its name).
    pub response_key: String,
    pub block: BlockConstraint,
    pub policy: ErrorPolicy,
    /// Whether the subgraph had failed at or before the field's block.
    pub indexing_error: bool,
    /// `_meta`, which is never withheld.
    pub is_meta: bool,
}

/// Turns async-graphql's response into graph-node's, applying the error policy.
///
/// Like graph-node, fields are grouped by block constraint and policy; each group whose block
/// sees the failure and that asked for more than `_meta` gets one `indexing_error`.
pub fn finish(response: async_graphql::Response, fields: &[TopLevelField]) -> QueryResponse {
    if !response.errors.is_empty() {
        return QueryResponse {
            data: None,
            errors: response
                .errors
                .into_iter()
                .map(ResponseError::from)
                .collect(),
        };
    }
    let mut data = match response.data {
        GqlValue::Object(object) => object,
        GqlValue::Null => Default::default(),
        other => {
            return QueryResponse {
                data: Some(other),
                errors: Vec::new(),
            }
        }
    };
    let mut groups: HashMap<(BlockConstraint, ErrorPolicy), Vec<&TopLevelField>> = HashMap::new();
    for field in fields {
        groups
            .entry((field.block, field.policy))
            .or_default()
            .push(field);
    }
    // Keep the error order stable: groups in the order their first field was recorded.
    let mut keys: Vec<_> = groups.keys().copied().collect();
    keys.sort_by_key(|key| fields.iter().position(|f| (f.block, f.policy) == *key));
    let mut errors = Vec::new();
    for key in keys {
        let group = &groups[&key];
        let failed = group.iter().any(|f| f.indexing_error);
        if !failed || group.iter().all(|f| f.is_meta) {
            continue;
        }
        errors.push(ResponseError {
            message: INDEXING_ERROR.to_string(),
            locations: Vec::new(),
        });
        if key.1 == ErrorPolicy::Deny {
            for field in group.iter().filter(|f| !f.is_meta) {
                data.shift_remove(field.response_key.as_str());
            }
        }
    }
    QueryResponse {
        data: (!data.is_empty() || errors.is_empty()).then_some(GqlValue::Object(data)),
        errors,
    }
}
