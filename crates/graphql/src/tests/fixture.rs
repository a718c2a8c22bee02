//! The test subgraph: its schema, its entities, and a server serving them.

use std::sync::Arc;

use async_graphql::Value as GqlValue;
use sprig_manifest::{BaseType, Schema};
use sprig_store::{DeploymentStatus, SubgraphFailure};
use sprig_value::{BlockPtr, Entity, Value};

use super::memory_store::{MemoryStore, Version};
use crate::values::{decode, decode_list, InputType};
use crate::QueryServer;

/// The name the test subgraph is served under (with a `/`, as real names have).
pub const NAME: &str = "test/subgraph";
/// Its deployment id.
pub const DEPLOYMENT: &str = "QmTestDeployment";
/// The head block: number, hash byte (repeated 32 times), timestamp.
pub const HEAD: u64 = 10;
pub const HEAD_HASH: u8 = 0xaa;
pub const HEAD_TIMESTAMP: u64 = 1_700_000_100;

pub fn schema() -> Arc<Schema> {
    Arc::new(Schema::parse(include_str!("../../testdata/schema.graphql")).unwrap())
}

/// A healthy deployment at [`HEAD`].
pub fn status() -> DeploymentStatus {
    DeploymentStatus {
        head: Some(BlockPtr {
            number: HEAD,
            hash: [HEAD_HASH; 32],
        }),
        head_timestamp: Some(HEAD_TIMESTAMP),
        failure: None,
        earliest_block: 0,
    }
}

/// A deployment that failed deterministically at `block`.
pub fn failed_at(block: u64) -> DeploymentStatus {
    DeploymentStatus {
        failure: Some(SubgraphFailure {
            block: BlockPtr {
                number: block,
                hash: [block as u8; 32],
            },
            handler: Some("handleTransfer".into()),
            message: "boom".into(),
            fatal: true,
        }),
        ..status()
    }
}

/// The store holding `testdata/entities.json`, typed by the schema.
pub fn store(status: DeploymentStatus) -> Arc<MemoryStore> {
    let schema = schema();
    let json: serde_json::Value =
        serde_json::from_str(include_str!("../../testdata/entities.json")).unwrap();
    let versions = json
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let entity_type = entry["type"].as_str().unwrap().to_string();
            let ty = schema.entity_type(&entity_type).unwrap();
            let mut entity = Entity::new();
            for (name, raw) in entry["data"].as_object().unwrap() {
                let field = ty
                    .field(name)
                    .unwrap_or_else(|| panic!("{entity_type}.{name}"));
                let input = match &field.field_type.base {
                    BaseType::Scalar(scalar) => InputType::Scalar(*scalar),
                    BaseType::Enum(_) => InputType::Enum,
                    BaseType::Reference(target) => {
                        InputType::Id(schema.object_or_interface(target).unwrap().id_type)
                    }
                };
                let raw = GqlValue::from_json(raw.clone()).unwrap();
                let value = if field.field_type.list {
                    Value::List(decode_list(&raw, &input).unwrap())
                } else {
                    decode(&raw, &input).unwrap()
                };
                entity.insert(name.clone(), value);
            }
            Version {
                entity_type,
                entity,
                from: entry["from"].as_u64().unwrap(),
                to: entry["to"].as_u64(),
            }
        })
        .collect();
    Arc::new(MemoryStore::new(versions, status))
}

/// A server serving the test subgraph over `store`.
pub fn server(store: Arc<MemoryStore>) -> QueryServer {
    let server = QueryServer::new();
    server
        .add_subgraph(NAME, DEPLOYMENT, schema(), store)
        .unwrap();
    server
}
