//! One block's entity reads and writes (graph-node's `EntityCache`).
//!
//! Three layers make up what a mapping sees: the store's state (read at most once per key and
//! remembered), the block's accumulated updates, and the running handler's updates. A handler that
//! fails deterministically has its layer dropped; one that succeeds has it folded into the block's.
//! At the end of the block the accumulated operations are compared with the store's state to
//! produce the minimal [`EntityModification`]s.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use sprig_manifest::{EntityType, Schema};
use sprig_value::{Entity, EntityKey, Id};

use crate::validation::validate_entity;
use crate::{EntityModification, EntityReader};

/// The accumulated writes to one entity, as graph-node's `EntityOp`.
#[derive(Clone, Debug, PartialEq)]
enum EntityOp {
    /// Merge these fields into the prior state; a `Value::Null` removes the field.
    Update(Entity),
    /// Replace the prior state with this entity (no nulls).
    Overwrite(Entity),
    /// The entity is gone.
    Remove,
}

impl EntityOp {
    /// Combines `self` followed by `next` into one operation.
    fn accumulate(&mut self, next: EntityOp) {
        let update = match next {
            EntityOp::Update(update) => update,
            // Remove and Overwrite do not depend on what came before.
            replacement => {
                *self = replacement;
                return;
            }
        };
        match self {
            // Writing after a remove starts a fresh entity.
            EntityOp::Remove => *self = EntityOp::Overwrite(without_nulls(update)),
            // Keep the nulls: they must still remove fields from the prior state.
            EntityOp::Update(current) => current.extend(update),
            EntityOp::Overwrite(current) => {
                merge(current, update);
            }
        }
    }

    /// The entity state after applying `self` to `prior`.
    fn apply_to(&self, prior: Option<Entity>) -> Option<Entity> {
        match (self, prior) {
            (EntityOp::Remove, _) => None,
            (EntityOp::Overwrite(entity), _) => Some(entity.clone()),
            (EntityOp::Update(update), None) => Some(without_nulls(update.clone())),
            (EntityOp::Update(update), Some(mut entity)) => {
                merge(&mut entity, update.clone());
                Some(entity)
            }
        }
    }
}

/// Applies a partial update: set fields overwrite, null fields are removed. Returns whether
/// the entity changed.
fn merge(entity: &mut Entity, update: Entity) -> bool {
    let mut changed = false;
    for (field, value) in update {
        if value.is_null() {
            changed |= entity.remove(&field).is_some();
        } else if entity.get(&field) != Some(&value) {
            entity.insert(field, value);
            changed = true;
        }
    }
    changed
}

fn entity_type<'a>(schema: &'a Schema, key: &EntityKey) -> Result<&'a EntityType> {
    schema
        .entity_type(&key.entity_type)
        .ok_or_else(|| anyhow!("Entity {key}: unknown entity type `{}`", key.entity_type))
}

fn without_nulls(mut entity: Entity) -> Entity {
    entity.retain(|_, value| !value.is_null());
    entity
}

/// One block's entity reads and writes, with handler-level rollback.
///
/// Create one per block. Entities written here are validated against the schema when they are
/// set, so a bad write fails the handler that made it, not the block's commit.
pub struct EntityCache {
    store: Arc<dyn EntityReader>,
    schema: Arc<Schema>,
    /// The store's state of every key read so far (`None` = known to be absent).
    current: HashMap<EntityKey, Option<Entity>>,
    /// Writes of the block's finished handlers (and of code running outside any handler).
    updates: HashMap<EntityKey, EntityOp>,
    /// Writes of the running handler.
    handler_updates: HashMap<EntityKey, EntityOp>,
    in_handler: bool,
    /// Every `set` and `remove` in call order, including those of handlers whose writes are
    /// later discarded: the proof of indexing hashes what mappings asked for.
    writes: Vec<EntityWrite>,
}

/// One write a mapping asked for, in call order (what the proof of indexing records).
#[derive(Clone, Debug, PartialEq)]
pub enum EntityWrite {
    /// `store.set` that passed validation, with the data as given plus its `id`.
    Set { key: EntityKey, data: Entity },
    /// `store.remove`, recorded before any check.
    Remove { key: EntityKey },
}

impl std::fmt::Debug for EntityCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntityCache")
            .field("loaded", &self.current.len())
            .field("updates", &self.updates.len())
            .field("handler_updates", &self.handler_updates.len())
            .field("in_handler", &self.in_handler)
            .finish_non_exhaustive()
    }
}

impl EntityCache {
    /// An empty cache reading from `store`, validating against `schema`.
    pub fn new(store: Arc<dyn EntityReader>, schema: Arc<Schema>) -> EntityCache {
        EntityCache {
            store,
            schema,
            current: HashMap::new(),
            updates: HashMap::new(),
            handler_updates: HashMap::new(),
            in_handler: false,
            writes: Vec::new(),
        }
    }

    /// The entity as the mapping sees it now: the store's state with the block's and then the
    /// running handler's writes applied. The store is read at most once per key.
    pub fn get(&mut self, key: &EntityKey) -> Result<Option<Entity>> {
        let stored = self.stored(key)?.clone();
        Ok(self.apply_in_block(key, stored))
    }

    /// Only what this block wrote (graph-node's `loadInBlock`): `None` unless the entity was set
    /// in this block. Like graph-node, this starts from an absent entity, so after a partial
    /// `set` of a stored entity it holds only the fields that were set.
    pub fn get_in_block(&self, key: &EntityKey) -> Option<Entity> {
        self.apply_in_block(key, None)
    }

    /// The entities of type `entity_type` whose field `field` equals `id`, as the mapping sees
    /// them now, sorted by id: what a `@derivedFrom(field: "<field>")` field of the entity with
    /// that id lists (`store.loadRelated`, graph-node's `EntityCache::load_related`).
    ///
    /// `entity_type` must be an entity type and `field` one of its stored, non-list fields (see
    /// [`EntityReader::get_derived`]). The candidates are the entities the store matches plus
    /// every entity of the type this block has written; each is taken in its current state (the
    /// store's, then the block's and the running handler's writes) and kept if it still points
    /// at `id`. So an entity written in this block to point elsewhere, or removed, drops out, and
    /// one written to point here joins.
    ///
    /// graph-node starts an in-block candidate the store did not match from an empty entity, so
    /// after a partial `store.set` it lists only the fields that were set; this returns the whole
    /// entity, as `get` does. graph-ts's `save()` writes every field, so mappings see no
    /// difference.
    pub fn load_related(&mut self, entity_type: &str, field: &str, id: &Id) -> Result<Vec<Entity>> {
        let id_type = self
            .schema
            .entity_type(entity_type)
            .ok_or_else(|| anyhow!("unknown entity type `{entity_type}`"))?
            .id_type;
        let stored = self
            .store
            .get_derived(entity_type, field, id)
            .with_context(|| {
                format!("failed to load the `{entity_type}` entities whose `{field}` is {id}")
            })?;
        let mut candidates = BTreeSet::new();
        for entity in stored {
            let key = entity
                .get("id")
                .and_then(|value| Id::from_value(value, id_type))
                .map(|id| EntityKey {
                    entity_type: entity_type.to_string(),
                    id,
                })
                .ok_or_else(|| {
                    anyhow!("the store returned a `{entity_type}` entity without a valid id")
                })?;
            // Remember the store's state as `get` would, unless it was read before (the store
            // does not change during a block, so both reads agree).
            self.current
                .entry(key.clone())
                .or_insert_with(|| Some(entity));
            candidates.insert(key);
        }
        candidates.extend(
            self.updates
                .keys()
                .chain(self.handler_updates.keys())
                .filter(|key| key.entity_type == entity_type)
                .cloned(),
        );
        let wanted = id.to_value();
        let mut related = Vec::new();
        for key in candidates {
            if let Some(entity) = self.get(&key)? {
                if entity.get(field) == Some(&wanted) {
                    related.push(entity);
                }
            }
        }
        Ok(related)
    }

    /// Writes `data` as a partial update of the entity: its fields are merged into the current
    /// state, and a field set to `Value::Null` is removed. After [`EntityCache::remove`], this
    /// starts a fresh entity. A missing `id` field is filled in from `key`.
    ///
    /// The merged entity must satisfy the schema. Fields the schema does not have are an error;
    /// mappings of api versions before 0.0.8, whose unknown fields graph-node drops silently,
    /// must drop them before calling this.
    pub fn set(&mut self, key: EntityKey, mut data: Entity) -> Result<()> {
        let schema = Arc::clone(&self.schema);
        let entity_type = entity_type(&schema, &key)?;
        let id = key.id.to_value();
        match data.get("id") {
            None => {
                data.insert("id".to_string(), id);
            }
            Some(given) if *given == id => {}
            Some(given) => bail!(
                "Entity {key}: the `id` field `{given}` conflicts with the id the entity is saved under"
            ),
        }
        if entity_type.immutable && self.stored(&key)?.is_some() {
            bail!(
                "Entity {key} is immutable and already exists in the store; it can only be set in the block that created it"
            );
        }
        let merged = EntityOp::Update(data.clone())
            .apply_to(self.get(&key)?)
            .unwrap_or_default();
        validate_entity(&schema, entity_type, &key, &merged)?;
        self.writes.push(EntityWrite::Set {
            key: key.clone(),
            data: data.clone(),
        });
        self.push(key, EntityOp::Update(data));
        Ok(())
    }

    /// Removes the entity. Removing an absent entity is allowed and changes nothing.
    pub fn remove(&mut self, key: EntityKey) -> Result<()> {
        self.writes.push(EntityWrite::Remove { key: key.clone() });
        if entity_type(&self.schema, &key)?.immutable && self.stored(&key)?.is_some() {
            bail!("Entity {key} is immutable and cannot be removed");
        }
        self.push(key, EntityOp::Remove);
        Ok(())
    }

    /// An empty cache over the same store and schema: what an `ipfs.map` callback starts from
    /// (graph-node gives each callback an empty block state, so it sees the store as it was
    /// before the block, not the block's writes so far).
    pub fn fresh(&self) -> EntityCache {
        EntityCache::new(Arc::clone(&self.store), Arc::clone(&self.schema))
    }

    /// Merges the finished writes of `other` (a cache from [`fresh`](Self::fresh), outside any
    /// handler) into this one, as if they had been made here after this cache's own writes:
    /// into the running handler's layer if a handler runs, so they are discarded with it. Its
    /// write log follows this cache's, also the writes of its handlers that were discarded,
    /// since the proof of indexing records every write a mapping asked for.
    ///
    /// Each entity `other` set is validated again in its merged state (`other`'s writes were
    /// checked against the store's state, not this cache's), so an entity the merge would leave
    /// invalid is an error, as it would have been for a `set` made here. `other` read every
    /// entity it set (to validate it) and its reads are taken over, so the store is not read
    /// here: an error is the mapping's.
    pub fn extend(&mut self, mut other: EntityCache) -> Result<()> {
        if other.in_handler {
            bail!("internal error: merging an entity cache whose handler is still running");
        }
        self.writes.append(&mut other.writes);
        for (key, entity) in other.current {
            // Both read the same store during one block, so a key read by both has one state.
            self.current.entry(key).or_insert(entity);
        }
        let mut ops: Vec<(EntityKey, EntityOp)> = other.updates.into_iter().collect();
        // Validation errors name the first invalid entity in key order, whatever the hash order.
        ops.sort_by(|(a, _), (b, _)| a.cmp(b));
        let schema = Arc::clone(&self.schema);
        for (key, op) in ops {
            let removed = op == EntityOp::Remove;
            self.push(key.clone(), op);
            if removed {
                continue;
            }
            if let Some(entity) = self.get(&key)? {
                validate_entity(&schema, entity_type(&schema, &key)?, &key, &entity)?;
            }
        }
        Ok(())
    }

    /// The writes recorded since the last call, in call order.
    pub fn take_writes(&mut self) -> Vec<EntityWrite> {
        std::mem::take(&mut self.writes)
    }

    /// Starts a handler: writes until the matching exit can be dropped as one.
    pub fn enter_handler(&mut self) {
        debug_assert!(!self.in_handler, "handlers do not nest");
        self.in_handler = true;
    }

    /// Ends a successful handler, keeping its writes.
    pub fn exit_handler(&mut self) {
        self.in_handler = false;
        for (key, op) in std::mem::take(&mut self.handler_updates) {
            self.push(key, op);
        }
    }

    /// Ends a handler that failed deterministically, dropping its writes.
    pub fn exit_handler_and_discard(&mut self) {
        self.in_handler = false;
        self.handler_updates.clear();
    }

    /// The block's net changes against the store: an `Insert` for entities that did not exist,
    /// an `Overwrite` for entities whose state changed (none if nothing changed), a `Remove` for
    /// entities that existed and are gone. Sorted by entity type, then id, so the result does not
    /// depend on hash order.
    pub fn into_modifications(mut self) -> Result<Vec<EntityModification>> {
        if self.in_handler {
            bail!("internal error: the block ended while a handler was still running");
        }
        let mut ops: Vec<(EntityKey, EntityOp)> =
            std::mem::take(&mut self.updates).into_iter().collect();
        ops.sort_by(|(a, _), (b, _)| a.cmp(b));
        let mut modifications = Vec::with_capacity(ops.len());
        for (key, op) in ops {
            self.stored(&key)?;
            let before = self.current.remove(&key).flatten();
            let modification = match (op, before) {
                (EntityOp::Remove, None) => None,
                (EntityOp::Remove, Some(_)) => Some(EntityModification::Remove { key }),
                (EntityOp::Update(data) | EntityOp::Overwrite(data), None) => {
                    let data = without_nulls(data);
                    Some(EntityModification::Insert { key, data })
                }
                (EntityOp::Overwrite(data), Some(before)) => {
                    (data != before).then_some(EntityModification::Overwrite { key, data })
                }
                (EntityOp::Update(update), Some(mut data)) => {
                    merge(&mut data, update).then_some(EntityModification::Overwrite { key, data })
                }
            };
            modifications.extend(modification);
        }
        Ok(modifications)
    }

    /// The store's state of `key`, read on first use.
    fn stored(&mut self, key: &EntityKey) -> Result<&Option<Entity>> {
        // Look up before inserting so that hits, the common case, need not clone the key.
        if !self.current.contains_key(key) {
            let entity = self
                .store
                .get(key)
                .with_context(|| format!("failed to load {key} from the store"))?;
            return Ok(self.current.entry(key.clone()).or_insert(entity));
        }
        Ok(&self.current[key])
    }

    fn apply_in_block(&self, key: &EntityKey, mut entity: Option<Entity>) -> Option<Entity> {
        for layer in [&self.updates, &self.handler_updates] {
            if let Some(op) = layer.get(key) {
                entity = op.apply_to(entity);
            }
        }
        entity
    }

    fn push(&mut self, key: EntityKey, op: EntityOp) {
        let layer = if self.in_handler {
            &mut self.handler_updates
        } else {
            &mut self.updates
        };
        match layer.entry(key) {
            Entry::Vacant(entry) => {
                entry.insert(op);
            }
            Entry::Occupied(mut entry) => entry.get_mut().accumulate(op),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use sprig_value::{BigInt, Id, Value};

    use super::*;

    const SDL: &str = r#"
        type Account @entity(immutable: false) {
          id: ID!
          balance: BigInt!
          name: String
          transfers: [Transfer!]! @derivedFrom(field: "from")
          pets: [Pet!]! @derivedFrom(field: "owner")
        }
        type Transfer @entity(immutable: true) { id: ID! from: Account! }
        type Pet @entity(immutable: false) { id: ID! owner: Account name: String }
    "#;

    /// A store with fixed contents that counts its reads.
    #[derive(Default)]
    struct FakeStore {
        entities: BTreeMap<EntityKey, Entity>,
        reads: AtomicUsize,
    }

    impl EntityReader for FakeStore {
        fn get(&self, key: &EntityKey) -> Result<Option<Entity>> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            Ok(self.entities.get(key).cloned())
        }

        fn get_derived(&self, entity_type: &str, field: &str, id: &Id) -> Result<Vec<Entity>> {
            let wanted = id.to_value();
            // Newest first: the cache must not depend on the store's order.
            Ok(self
                .entities
                .iter()
                .rev()
                .filter(|(key, entity)| {
                    key.entity_type == entity_type && entity.get(field) == Some(&wanted)
                })
                .map(|(_, entity)| entity.clone())
                .collect())
        }
    }

    fn key(entity_type: &str, id: &str) -> EntityKey {
        EntityKey {
            entity_type: entity_type.into(),
            id: Id::String(id.into()),
        }
    }

    fn entity(fields: &[(&str, Value)]) -> Entity {
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn big(n: i64) -> Value {
        Value::BigInt(BigInt::from(n))
    }

    fn text(s: &str) -> Value {
        Value::String(s.into())
    }

    /// A cache over a store holding `Account[a]` (balance 1, name "alice") and `Transfer[t]`.
    fn new_cache() -> (EntityCache, Arc<FakeStore>) {
        let mut store = FakeStore::default();
        store.entities.insert(
            key("Account", "a"),
            entity(&[
                ("id", text("a")),
                ("balance", big(1)),
                ("name", text("alice")),
            ]),
        );
        store.entities.insert(
            key("Transfer", "t"),
            entity(&[("id", text("t")), ("from", text("a"))]),
        );
        let store = Arc::new(store);
        let schema = Arc::new(Schema::parse(SDL).unwrap());
        (EntityCache::new(store.clone(), schema), store)
    }

    #[test]
    fn partial_set_merges_and_null_removes() {
        let (mut cache, store) = new_cache();
        cache
            .set(key("Account", "a"), entity(&[("balance", big(2))]))
            .unwrap();
        assert_eq!(
            cache.get(&key("Account", "a")).unwrap().unwrap(),
            entity(&[
                ("id", text("a")),
                ("balance", big(2)),
                ("name", text("alice"))
            ])
        );
        cache
            .set(key("Account", "a"), entity(&[("name", Value::Null)]))
            .unwrap();
        assert_eq!(
            cache.get(&key("Account", "a")).unwrap().unwrap(),
            entity(&[("id", text("a")), ("balance", big(2))])
        );
        assert_eq!(
            store.reads.load(Ordering::SeqCst),
            1,
            "one store read per key"
        );
    }

    #[test]
    fn remove_then_set_starts_a_fresh_entity() {
        let (mut cache, _) = new_cache();
        cache.remove(key("Account", "a")).unwrap();
        assert_eq!(cache.get(&key("Account", "a")).unwrap(), None);
        // Without the old `balance` the fresh entity is incomplete.
        let err = cache
            .set(key("Account", "a"), entity(&[("name", text("bob"))]))
            .unwrap_err();
        assert!(err
            .to_string()
            .contains("missing value for non-nullable field `balance`"));
        cache
            .set(key("Account", "a"), entity(&[("balance", big(5))]))
            .unwrap();
        let mods = cache.into_modifications().unwrap();
        assert_eq!(
            mods,
            vec![EntityModification::Overwrite {
                key: key("Account", "a"),
                data: entity(&[("id", text("a")), ("balance", big(5))]),
            }]
        );
    }

    #[test]
    fn discarded_handler_leaves_no_trace() {
        let (mut cache, _) = new_cache();
        cache.enter_handler();
        cache
            .set(key("Account", "a"), entity(&[("balance", big(7))]))
            .unwrap();
        cache
            .set(key("Account", "b"), entity(&[("balance", big(1))]))
            .unwrap();
        assert_eq!(
            cache.get(&key("Account", "a")).unwrap().unwrap()["balance"],
            big(7)
        );
        cache.exit_handler_and_discard();
        assert_eq!(
            cache.get(&key("Account", "a")).unwrap().unwrap()["balance"],
            big(1)
        );
        assert_eq!(cache.get(&key("Account", "b")).unwrap(), None);

        cache.enter_handler();
        cache
            .set(key("Account", "b"), entity(&[("balance", big(1))]))
            .unwrap();
        cache.exit_handler();
        assert!(cache.get_in_block(&key("Account", "b")).is_some());
        assert_eq!(cache.into_modifications().unwrap().len(), 1);
    }

    #[test]
    fn handlers_see_earlier_handlers_writes() {
        let (mut cache, _) = new_cache();
        cache.enter_handler();
        cache
            .set(key("Account", "a"), entity(&[("balance", big(2))]))
            .unwrap();
        cache.exit_handler();
        cache.enter_handler();
        cache
            .set(key("Account", "a"), entity(&[("name", text("z"))]))
            .unwrap();
        cache.exit_handler_and_discard();
        let a = cache.get(&key("Account", "a")).unwrap().unwrap();
        assert_eq!((&a["balance"], &a["name"]), (&big(2), &text("alice")));
    }

    #[test]
    fn get_in_block_sees_only_this_blocks_writes() {
        let (mut cache, _) = new_cache();
        assert_eq!(cache.get_in_block(&key("Account", "a")), None);
        cache
            .set(key("Account", "a"), entity(&[("balance", big(3))]))
            .unwrap();
        assert_eq!(
            cache.get_in_block(&key("Account", "a")).unwrap(),
            entity(&[("id", text("a")), ("balance", big(3))])
        );
    }

    #[test]
    fn modifications_are_minimal_and_sorted() {
        let (mut cache, _) = new_cache();
        // No-op: the same value as in the store.
        cache
            .set(key("Account", "a"), entity(&[("balance", big(1))]))
            .unwrap();
        cache
            .set(key("Account", "c"), entity(&[("balance", big(3))]))
            .unwrap();
        cache
            .set(key("Account", "b"), entity(&[("balance", big(2))]))
            .unwrap();
        // Set and removed in the same block: nothing to write.
        cache
            .set(key("Account", "d"), entity(&[("balance", big(4))]))
            .unwrap();
        cache.remove(key("Account", "d")).unwrap();
        let mods = cache.into_modifications().unwrap();
        let keys: Vec<_> = mods.iter().map(|m| m.key().id.to_string()).collect();
        assert_eq!(keys, ["b", "c"]);
        assert!(mods
            .iter()
            .all(|m| matches!(m, EntityModification::Insert { .. })));

        let (mut cache, _) = new_cache();
        cache
            .set(key("Account", "a"), entity(&[("balance", big(9))]))
            .unwrap();
        assert!(matches!(
            &cache.into_modifications().unwrap()[..],
            [EntityModification::Overwrite { .. }]
        ));

        let (mut cache, _) = new_cache();
        cache.remove(key("Account", "a")).unwrap();
        cache.remove(key("Account", "nobody")).unwrap();
        assert_eq!(
            cache.into_modifications().unwrap(),
            vec![EntityModification::Remove {
                key: key("Account", "a")
            }]
        );
    }

    #[test]
    fn immutable_entities_are_written_once() {
        let (mut cache, _) = new_cache();
        let err = cache
            .set(key("Transfer", "t"), entity(&[("from", text("b"))]))
            .unwrap_err();
        assert!(err.to_string().contains("immutable"), "{err}");
        assert!(cache.remove(key("Transfer", "t")).is_err());
        // Within a block, later sets win.
        cache
            .set(key("Transfer", "u"), entity(&[("from", text("a"))]))
            .unwrap();
        cache
            .set(key("Transfer", "u"), entity(&[("from", text("b"))]))
            .unwrap();
        assert_eq!(
            cache.into_modifications().unwrap(),
            vec![EntityModification::Insert {
                key: key("Transfer", "u"),
                data: entity(&[("id", text("u")), ("from", text("b"))]),
            }]
        );
    }

    /// Ids of entities, in order.
    fn ids(entities: &[Entity]) -> Vec<String> {
        entities.iter().map(|e| e["id"].to_string()).collect()
    }

    fn pet(owner: &str) -> Entity {
        entity(&[("owner", text(owner))])
    }

    #[test]
    fn load_related_combines_the_store_and_the_block() {
        let (mut cache, _) = new_cache();
        let a = Id::String("a".into());
        assert_eq!(
            ids(&cache.load_related("Transfer", "from", &a).unwrap()),
            ["t"]
        );
        assert_eq!(cache.load_related("Pet", "owner", &a).unwrap(), vec![]);

        cache.set(key("Pet", "p2"), pet("a")).unwrap();
        cache.set(key("Pet", "p1"), pet("a")).unwrap();
        cache.set(key("Pet", "p3"), pet("b")).unwrap();
        let related = cache.load_related("Pet", "owner", &a).unwrap();
        assert_eq!(ids(&related), ["p1", "p2"], "sorted by id, p3 belongs to b");
        assert_eq!(
            related[0],
            entity(&[("id", text("p1")), ("owner", text("a"))])
        );

        // The running handler's writes count, and go away with it.
        cache.enter_handler();
        cache.set(key("Pet", "p3"), pet("a")).unwrap();
        cache.remove(key("Pet", "p1")).unwrap();
        cache
            .set(key("Pet", "p2"), entity(&[("owner", Value::Null)]))
            .unwrap();
        assert_eq!(
            ids(&cache.load_related("Pet", "owner", &a).unwrap()),
            ["p3"]
        );
        cache.exit_handler_and_discard();
        assert_eq!(
            ids(&cache.load_related("Pet", "owner", &a).unwrap()),
            ["p1", "p2"]
        );
        // The same candidates, filtered for another owner.
        let b = Id::String("b".into());
        assert_eq!(
            ids(&cache.load_related("Pet", "owner", &b).unwrap()),
            ["p3"]
        );
    }

    #[test]
    fn load_related_sees_stored_entities_moved_or_removed_in_the_block() {
        let mut store = FakeStore::default();
        for (id, owner) in [("s1", "a"), ("s2", "a"), ("s3", "b"), ("s4", "a")] {
            let mut pet = pet(owner);
            pet.insert("id".into(), text(id));
            pet.insert("name".into(), text(&format!("stored {id}")));
            store.entities.insert(key("Pet", id), pet);
        }
        let schema = Arc::new(Schema::parse(SDL).unwrap());
        let mut cache = EntityCache::new(Arc::new(store), schema);
        let a = Id::String("a".into());
        assert_eq!(
            ids(&cache.load_related("Pet", "owner", &a).unwrap()),
            ["s1", "s2", "s4"]
        );
        // Moved away, moved here (a partial write: the stored fields stay), removed.
        cache.set(key("Pet", "s1"), pet("b")).unwrap();
        cache.set(key("Pet", "s3"), pet("a")).unwrap();
        cache.remove(key("Pet", "s4")).unwrap();
        let related = cache.load_related("Pet", "owner", &a).unwrap();
        assert_eq!(ids(&related), ["s2", "s3"]);
        assert_eq!(related[1]["name"], text("stored s3"));
        // What load_related read is what `get` sees.
        assert_eq!(
            cache.get(&key("Pet", "s2")).unwrap().unwrap()["name"],
            text("stored s2")
        );
    }

    #[test]
    fn rejects_bad_writes() {
        let (mut cache, _) = new_cache();
        let err = cache
            .set(key("Nope", "x"), entity(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown entity type `Nope`"), "{err}");
        let err = cache
            .set(
                key("Account", "x"),
                entity(&[("balance", big(1)), ("transfers", Value::List(vec![]))]),
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("derived"), "{err}");
        let err = cache
            .set(
                key("Account", "x"),
                entity(&[("id", text("y")), ("balance", big(1))]),
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("conflicts"), "{err}");
        let err = cache
            .set(key("Account", "x"), entity(&[("name", text("x"))]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "Entity Account[x]: missing value for non-nullable field `balance`"
        );
        // A failed set writes nothing.
        assert_eq!(cache.get(&key("Account", "x")).unwrap(), None);
        assert!(cache.into_modifications().unwrap().is_empty());
    }

    /// `extend` (ipfs.map's merge): a fresh cache sees the store, not the block's writes; its
    /// writes land on top of the running handler's, in its layer, with its write log after
    /// this cache's; and a merge that leaves an entity invalid fails.
    #[test]
    fn extend_merges_a_fresh_cache_into_the_handler() {
        let (mut cache, _) = new_cache();
        cache.enter_handler();
        cache
            .set(key("Account", "a"), entity(&[("balance", big(5))]))
            .unwrap();
        let mut other = cache.fresh();
        assert_eq!(
            other.get(&key("Account", "a")).unwrap().unwrap()["balance"],
            big(1)
        );
        other.enter_handler();
        other
            .set(key("Account", "a"), entity(&[("name", text("bob"))]))
            .unwrap();
        other
            .set(key("Account", "b"), entity(&[("balance", big(7))]))
            .unwrap();
        other.exit_handler();
        cache.extend(other).unwrap();
        assert_eq!(
            cache.get(&key("Account", "a")).unwrap().unwrap(),
            entity(&[
                ("id", text("a")),
                ("balance", big(5)),
                ("name", text("bob"))
            ])
        );
        let writes = cache.take_writes();
        assert_eq!(writes.len(), 3);
        assert!(matches!(&writes[2], EntityWrite::Set { key: k, .. } if *k == key("Account", "b")));

        // The merged writes belong to the handler: discarding it drops them.
        cache.exit_handler_and_discard();
        assert_eq!(cache.get(&key("Account", "b")).unwrap(), None);

        // A partial update of an entity this cache removed leaves it without `balance`.
        cache.enter_handler();
        cache.remove(key("Account", "a")).unwrap();
        let mut other = cache.fresh();
        other
            .set(key("Account", "a"), entity(&[("name", text("carol"))]))
            .unwrap();
        let err = cache.extend(other).unwrap_err().to_string();
        assert_eq!(
            err,
            "Entity Account[a]: missing value for non-nullable field `balance`"
        );

        let mut running = cache.fresh();
        running.enter_handler();
        assert!(cache.extend(running).is_err());
    }
}
