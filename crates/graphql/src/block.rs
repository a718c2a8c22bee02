//! Where a top-level field is executed: the `block: Block_height` argument resolved against the
//! deployment's head, and the `subgraphError` policy that goes with it (graph-node's
//! `StoreResolver::locate_blocks` and its error policy).

use async_graphql::Value as GqlValue;
use sprig_store::DeploymentStatus;
use sprig_value::{from_hex, BlockPtr};

use crate::error::{QueryError, QueryResult};

/// The `block` argument of a top-level field, as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockConstraint {
    /// No argument: the head at the start of the query.
    Latest,
    Hash([u8; 32]),
    Number(i64),
    /// The head, provided it is at least this block.
    NumberGte(i64),
}

/// The block a field is executed at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryBlock {
    pub number: u64,
    /// Known when the query asked for the head or named a block by hash; graph-node reports
    /// `null` for a block asked for by number.
    pub hash: Option<[u8; 32]>,
    /// Unix seconds; known for the head and blocks named by hash.
    pub timestamp: Option<u64>,
}

impl BlockConstraint {
    /// Reads a `Block_height` value; when several members are set, `hash` wins over `number`,
    /// which wins over `number_gte`, as in graph-node.
    pub fn parse(value: Option<&GqlValue>) -> QueryResult<BlockConstraint> {
        let object = match value {
            None | Some(GqlValue::Null) => return Ok(BlockConstraint::Latest),
            Some(GqlValue::Object(object)) => object,
            Some(other) => {
                return Err(QueryError::decode(
                    "block",
                    format!("not an object: {other}"),
                ))
            }
        };
        let member = |name: &str| object.get(name).filter(|v| !matches!(v, GqlValue::Null));
        if let Some(hash) = member("hash") {
            let GqlValue::String(text) = hash else {
                return Err(QueryError::decode("block.hash", "expected a hex string"));
            };
            let bytes = from_hex(text).map_err(|e| QueryError::decode("block.hash", e))?;
            let hash = <[u8; 32]>::try_from(bytes.as_slice())
                .map_err(|_| QueryError::decode("block.hash", "a block hash has 32 bytes"))?;
            return Ok(BlockConstraint::Hash(hash));
        }
        let number = |name: &str| match member(name) {
            None => Ok(None),
            Some(GqlValue::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| QueryError::decode(&format!("block.{name}"), "not an integer")),
            Some(other) => Err(QueryError::decode(
                &format!("block.{name}"),
                format!("not an integer: {other}"),
            )),
        };
        if let Some(n) = number("number")? {
            return Ok(BlockConstraint::Number(n));
        }
        if let Some(n) = number("number_gte")? {
            return Ok(BlockConstraint::NumberGte(n));
        }
        Ok(BlockConstraint::Latest)
    }

    /// The block to execute at, given the deployment's state and a way to find a committed
    /// block by hash; fails like graph-node when the block is not indexed yet, or no longer.
    pub fn locate(
        self,
        status: &DeploymentStatus,
        deployment: &str,
        by_hash: impl FnOnce(&[u8; 32]) -> QueryResult<Option<(BlockPtr, u64)>>,
    ) -> QueryResult<QueryBlock> {
        let head = status.head.ok_or_else(|| {
            QueryError::new(format!(
                "Subgraph `{deployment}` has not started syncing yet. Wait for it to ingest a few \
                 blocks before querying it"
            ))
        })?;
        let at_head = QueryBlock {
            number: head.number,
            hash: Some(head.hash),
            timestamp: status.head_timestamp,
        };
        let not_yet = |what: &str, n: i64| {
            QueryError::decode(
                what,
                format!(
                    "subgraph {deployment} has only indexed up to block number {} and data for \
                     block number {n} is therefore not yet available",
                    head.number
                ),
            )
        };
        let pruned = |n: i64| {
            QueryError::decode(
                "block.number",
                format!(
                    "subgraph {deployment} only has data starting at block number {} and data \
                     for block number {n} is therefore not available",
                    status.earliest_block
                ),
            )
        };
        match self {
            BlockConstraint::Latest => Ok(at_head),
            BlockConstraint::Hash(hash) if hash == head.hash => Ok(at_head),
            BlockConstraint::Hash(hash) => match by_hash(&hash)? {
                None => Err(QueryError::decode(
                    "block.hash",
                    "no block with that hash found",
                )),
                Some((ptr, _)) if ptr.number < status.earliest_block => {
                    Err(pruned(ptr.number as i64))
                }
                Some((ptr, timestamp)) => Ok(QueryBlock {
                    number: ptr.number,
                    hash: Some(hash),
                    timestamp: Some(timestamp),
                }),
            },
            BlockConstraint::Number(n) => match u64::try_from(n) {
                // Before the earliest kept block (0, or later if history was pruned).
                Ok(number) if number < status.earliest_block => Err(pruned(n)),
                Err(_) => Err(pruned(n)),
                Ok(number) if number > head.number => Err(not_yet("block.number", n)),
                Ok(number) => Ok(QueryBlock {
                    number,
                    hash: None,
                    timestamp: None,
                }),
            },
            BlockConstraint::NumberGte(n) if u64::try_from(n).is_ok_and(|n| n > head.number) => {
                Err(not_yet("block.number_gte", n))
            }
            BlockConstraint::NumberGte(_) => Ok(at_head),
        }
    }
}

/// `subgraphError`: what to do with data when the subgraph failed at or before the block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorPolicy {
    Allow,
    Deny,
}

impl ErrorPolicy {
    /// Reads the `_SubgraphErrorPolicy_` argument (default `deny`).
    pub fn parse(value: Option<&GqlValue>) -> QueryResult<ErrorPolicy> {
        let name = match value {
            None | Some(GqlValue::Null) => return Ok(ErrorPolicy::Deny),
            Some(GqlValue::Enum(name)) => name.as_str(),
            Some(GqlValue::String(name)) => name.as_str(),
            Some(other) => {
                return Err(QueryError::new(format!("invalid `subgraphError`: {other}")))
            }
        };
        match name {
            "allow" => Ok(ErrorPolicy::Allow),
            "deny" => Ok(ErrorPolicy::Deny),
            other => Err(QueryError::new(format!(
                "failed to parse `{other}` as ErrorPolicy"
            ))),
        }
    }
}

/// Whether the deployment's deterministic failure is visible at `block`.
pub fn has_indexing_errors(status: &DeploymentStatus, block: u64) -> bool {
    status
        .failure
        .as_ref()
        .is_some_and(|failure| failure.block.number <= block)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(head: u64) -> DeploymentStatus {
        DeploymentStatus {
            head: Some(BlockPtr {
                number: head,
                hash: [7; 32],
            }),
            head_timestamp: Some(1_000),
            failure: None,
            earliest_block: 0,
        }
    }

    fn parse(json: serde_json::Value) -> BlockConstraint {
        BlockConstraint::parse(Some(&GqlValue::from_json(json).unwrap())).unwrap()
    }

    #[test]
    fn parses_block_height() {
        assert_eq!(
            BlockConstraint::parse(None).unwrap(),
            BlockConstraint::Latest
        );
        assert_eq!(
            parse(serde_json::json!({ "number": 5 })),
            BlockConstraint::Number(5)
        );
        assert_eq!(
            parse(serde_json::json!({ "number_gte": 5, "number": null })),
            BlockConstraint::NumberGte(5)
        );
        let hash = format!("0x{}", "07".repeat(32));
        assert_eq!(
            parse(serde_json::json!({ "hash": hash })),
            BlockConstraint::Hash([7; 32])
        );
    }

    #[test]
    fn locates_blocks_like_graph_node() {
        let status = status(10);
        // Block 6 is recorded under hash 6, block 2 under hash 2.
        let recorded = |hash: &[u8; 32]| {
            Ok([2u8, 6].contains(&hash[0]).then(|| {
                (
                    BlockPtr {
                        number: hash[0].into(),
                        hash: *hash,
                    },
                    600,
                )
            }))
        };
        let at = |c: BlockConstraint| c.locate(&status, "QmX", recorded);
        assert_eq!(
            at(BlockConstraint::Latest).unwrap(),
            QueryBlock {
                number: 10,
                hash: Some([7; 32]),
                timestamp: Some(1_000)
            }
        );
        assert_eq!(
            at(BlockConstraint::Number(4)).unwrap(),
            QueryBlock {
                number: 4,
                hash: None,
                timestamp: None
            }
        );
        assert_eq!(
            at(BlockConstraint::Number(11)).unwrap_err().to_string(),
            "Failed to decode `block.number` value: `subgraph QmX has only indexed up to block \
             number 10 and data for block number 11 is therefore not yet available`"
        );
        assert_eq!(at(BlockConstraint::NumberGte(10)).unwrap().number, 10);
        assert!(at(BlockConstraint::NumberGte(11))
            .unwrap_err()
            .to_string()
            .starts_with("Failed to decode `block.number_gte` value"));
        assert_eq!(at(BlockConstraint::Hash([7; 32])).unwrap().number, 10);
        assert_eq!(
            at(BlockConstraint::Hash([6; 32])).unwrap(),
            QueryBlock {
                number: 6,
                hash: Some([6; 32]),
                timestamp: Some(600)
            }
        );
        assert_eq!(
            at(BlockConstraint::Hash([8; 32])).unwrap_err().to_string(),
            "Failed to decode `block.hash` value: `no block with that hash found`"
        );
    }

    #[test]
    fn refuses_blocks_before_pruned_history() {
        let status = DeploymentStatus {
            earliest_block: 4,
            ..status(10)
        };
        let recorded = |hash: &[u8; 32]| {
            Ok(Some((
                BlockPtr {
                    number: hash[0].into(),
                    hash: *hash,
                },
                0,
            )))
        };
        let at = |c: BlockConstraint| c.locate(&status, "QmX", recorded);
        assert_eq!(at(BlockConstraint::Number(4)).unwrap().number, 4);
        assert!(at(BlockConstraint::Hash([3; 32]))
            .unwrap_err()
            .to_string()
            .contains("only has data starting at block number 4 and data for block number 3"));
        assert_eq!(
            at(BlockConstraint::Number(3)).unwrap_err().to_string(),
            "Failed to decode `block.number` value: `subgraph QmX only has data starting at block \
             number 4 and data for block number 3 is therefore not available`"
        );
        assert!(at(BlockConstraint::Number(-1))
            .unwrap_err()
            .to_string()
            .contains("only has data starting at block number 4"));
    }
}
