//! The data set of the store's write benchmarks: accounts with a 20-byte id, a BigInt balance
//! and a few other fields, like an ERC-20 subgraph's.

use sprig_value::{BigInt, Entity, EntityKey, Id, Value};

/// The benchmark schema.
pub const SDL: &str = r#"
    type Account @entity(immutable: false) {
      id: Bytes!
      balance: BigInt!
      txCount: Int!
      lastSeen: Timestamp!
      label: String
      token: Token!
    }
    type Token @entity(immutable: false) { id: Bytes! }
"#;

/// Account `i` as written in round `round` (each round changes the balance and counters).
pub fn account(i: u64, round: u64) -> (EntityKey, Entity) {
    let id = i.to_be_bytes()[..].repeat(3)[..20].to_vec();
    let key = EntityKey {
        entity_type: "Account".into(),
        id: Id::Bytes(id.clone()),
    };
    let balance = BigInt::from(i * 1_000_000_007 + round).times(&BigInt::from(10u64.pow(18)));
    let data = Entity::from([
        ("id".to_string(), Value::Bytes(id)),
        ("balance".to_string(), Value::BigInt(balance)),
        ("txCount".to_string(), Value::Int(round as i32)),
        (
            "lastSeen".to_string(),
            Value::Timestamp(1_700_000_000_000_000 + round as i64),
        ),
        ("label".to_string(), Value::String(format!("account {i}"))),
        ("token".to_string(), Value::Bytes(vec![0xaa; 20])),
    ]);
    (key, data)
}
