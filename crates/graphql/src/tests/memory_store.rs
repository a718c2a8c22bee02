//! A [`QueryStore`] over a vector of entity versions, evaluating [`EntityQuery`] the way the SQL
//! backends do: block-range visibility, filters, `order by <field>, id` in one direction with
//! nulls last ascending, then `skip`/`first`.

use std::cmp::Ordering;
use std::sync::Mutex;

use anyhow::Result;
use sprig_store::{DeploymentStatus, EntityQuery, Filter, OrderDirection, QueryStore};
use sprig_value::{BlockPtr, Entity, EntityKey, Value};

use crate::values::compare;

/// One version of an entity, visible in blocks `[from, to)`.
#[derive(Clone, Debug)]
pub struct Version {
    pub entity_type: String,
    pub entity: Entity,
    pub from: u64,
    pub to: Option<u64>,
}

impl Version {
    fn visible_at(&self, block: Option<u64>) -> bool {
        match block {
            None => self.to.is_none(),
            Some(b) => self.from <= b && self.to.is_none_or(|to| b < to),
        }
    }
}

/// The in-memory store.
pub struct MemoryStore {
    pub versions: Vec<Version>,
    pub status: Mutex<DeploymentStatus>,
    /// Every query received, to check what the API asked for.
    pub queries: Mutex<Vec<EntityQuery>>,
}

impl MemoryStore {
    pub fn new(versions: Vec<Version>, status: DeploymentStatus) -> MemoryStore {
        MemoryStore {
            versions,
            status: Mutex::new(status),
            queries: Mutex::new(Vec::new()),
        }
    }
}

impl QueryStore for MemoryStore {
    fn query(&self, query: &EntityQuery) -> Result<Vec<Entity>> {
        self.queries.lock().unwrap().push(query.clone());
        let mut found: Vec<&Entity> = self
            .versions
            .iter()
            .filter(|v| v.entity_type == query.entity_type && v.visible_at(query.block))
            .map(|v| &v.entity)
            .filter(|e| query.filters.iter().all(|f| matches(e, f)))
            .collect();
        found.sort_by(|a, b| {
            let field = |e: &Entity, name: &str| e.get(name).cloned().unwrap_or(Value::Null);
            let by_field = match &query.order_by {
                Some(name) => compare(&field(a, name), &field(b, name)),
                None => Ordering::Equal,
            };
            let ordering = by_field.then_with(|| compare(&field(a, "id"), &field(b, "id")));
            match query.order_direction {
                OrderDirection::Ascending => ordering,
                OrderDirection::Descending => ordering.reverse(),
            }
        });
        Ok(found
            .into_iter()
            .skip(query.skip as usize)
            .take(query.first as usize)
            .cloned()
            .collect())
    }

    fn find(&self, key: &EntityKey, block: Option<u64>) -> Result<Option<Entity>> {
        let id = key.id.to_value();
        Ok(self
            .versions
            .iter()
            .find(|v| {
                v.entity_type == key.entity_type
                    && v.visible_at(block)
                    && v.entity.get("id") == Some(&id)
            })
            .map(|v| v.entity.clone()))
    }

    fn status(&self) -> Result<DeploymentStatus> {
        Ok(self.status.lock().unwrap().clone())
    }

    /// Only the head is recorded.
    fn block_by_hash(&self, hash: &[u8; 32]) -> Result<Option<(BlockPtr, u64)>> {
        let status = self.status.lock().unwrap();
        Ok(status
            .head
            .filter(|head| &head.hash == hash)
            .map(|head| (head, status.head_timestamp.unwrap_or(0))))
    }

    /// Aggregations are computed by the SQL stores; their tests cover `current: include`.
    fn current_buckets(&self, interval_type: &str, _: &[Filter], _: u64) -> Result<Vec<Entity>> {
        anyhow::bail!(
            "the in-memory store does not compute the current bucket of `{interval_type}`"
        )
    }
}

/// SQL semantics: a comparison with a null column is false, except `= null` / `!= null`.
fn matches(entity: &Entity, filter: &Filter) -> bool {
    let get = |field: &str| entity.get(field).cloned().unwrap_or(Value::Null);
    let ordered = |field: &str, value: &Value, accept: fn(Ordering) -> bool| {
        let actual = get(field);
        !actual.is_null() && accept(actual.cmp(value))
    };
    let text = |field: &str, ci: bool| match get(field) {
        Value::String(s) if ci => Some(s.to_lowercase()),
        Value::String(s) => Some(s),
        _ => None,
    };
    let pattern = |p: &str, ci: bool| if ci { p.to_lowercase() } else { p.to_string() };
    match filter {
        Filter::Equal(f, v) => get(f) == *v,
        Filter::Not(f, v) if v.is_null() => !get(f).is_null(),
        Filter::Not(f, v) => !get(f).is_null() && get(f) != *v,
        Filter::GreaterThan(f, v) => ordered(f, v, |o| o == Ordering::Greater),
        Filter::LessThan(f, v) => ordered(f, v, |o| o == Ordering::Less),
        Filter::GreaterOrEqual(f, v) => ordered(f, v, |o| o != Ordering::Less),
        Filter::LessOrEqual(f, v) => ordered(f, v, |o| o != Ordering::Greater),
        Filter::In(f, vs) => vs.contains(&get(f)),
        Filter::NotIn(f, vs) => !get(f).is_null() && !vs.contains(&get(f)),
        Filter::Contains(f, Value::List(wanted)) => match get(f) {
            Value::List(items) => wanted.iter().all(|w| items.contains(w)),
            _ => false,
        },
        Filter::Contains(f, Value::Bytes(needle)) => match get(f) {
            Value::Bytes(bytes) => {
                needle.is_empty() || bytes.windows(needle.len()).any(|w| w == needle)
            }
            _ => false,
        },
        Filter::Contains(..) => false,
        Filter::NotContains(f, Value::List(unwanted)) => match get(f) {
            Value::List(items) => !unwanted.iter().any(|u| items.contains(u)),
            _ => false,
        },
        Filter::NotContains(f, needle @ Value::Bytes(_)) => {
            !get(f).is_null() && !matches(entity, &Filter::Contains(f.clone(), needle.clone()))
        }
        Filter::NotContains(..) => false,
        Filter::StringContains {
            field,
            substring,
            case_insensitive,
            negated,
        } => text(field, *case_insensitive)
            .is_some_and(|s| s.contains(&pattern(substring, *case_insensitive)) != *negated),
        Filter::StartsWith {
            field,
            prefix,
            case_insensitive,
            negated,
        } => text(field, *case_insensitive)
            .is_some_and(|s| s.starts_with(&pattern(prefix, *case_insensitive)) != *negated),
        Filter::EndsWith {
            field,
            suffix,
            case_insensitive,
            negated,
        } => text(field, *case_insensitive)
            .is_some_and(|s| s.ends_with(&pattern(suffix, *case_insensitive)) != *negated),
        Filter::And(filters) => filters.iter().all(|f| matches(entity, f)),
        Filter::Or(filters) => filters.iter().any(|f| matches(entity, f)),
        Filter::Fulltext(..) => {
            panic!(
                "the memory store keeps no search documents: test @fulltext over the SQLite store"
            )
        }
        Filter::ChangedSince(_) => {
            panic!("the memory store matches entities, not versions: test over the SQLite store")
        }
        Filter::Child { .. } => {
            panic!("the memory store does not join: test child filters over the SQLite store")
        }
    }
}
