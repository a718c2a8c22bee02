//! `store.get`, `store.get_in_block`, `store.loadRelated`, `store.set`, `store.remove`: entity
//! access through the block's entity cache.
//!
//! Errors the mapping causes (unknown entity type, bad id, undefined fields, an entity the
//! schema rejects) are deterministic. Failing to read the store is not: before a write, the
//! entity is loaded into the cache, so that the write itself can only fail on the mapping's
//! data.

use sprig_manifest::{BaseType, EntityType, Schema};
use sprig_value::{from_hex, Entity, EntityKey, Id, IdType, Value};
use wasmtime::{AsContextMut, Caller, StoreContextMut};

use super::HostFuture;
use crate::api_version::ApiVersion;
use crate::asc::value::AscEntity;
use crate::asc::{write_value, write_value_opt, ObjPtr, Objects, Reader, ToAsc, TypeIndex};
use crate::error::{deterministic, HostError};
use crate::gas;
use crate::state::HostState;

/// `store.get(entity, id): Entity | null`: the entity as the block sees it so far.
pub(crate) fn get(caller: Caller<'_, HostState>, (entity, id): (u32, u32)) -> HostFuture<'_, u32> {
    load(caller, entity, id, Scope::Store)
}

/// `store.get_in_block(entity, id): Entity | null`: only what this block wrote.
pub(crate) fn get_in_block(
    caller: Caller<'_, HostState>,
    (entity, id): (u32, u32),
) -> HostFuture<'_, u32> {
    load(caller, entity, id, Scope::InBlock)
}

enum Scope {
    Store,
    InBlock,
}

fn load(
    mut caller: Caller<'_, HostState>,
    entity: u32,
    id: u32,
    scope: Scope,
) -> HostFuture<'_, u32> {
    Box::new(async move {
        let mut cx = caller.as_context_mut();
        let key = read_key(&mut cx, entity, id, "get")?;
        gas::charge(&mut cx, gas::HOST_CALL + gas::STORE_GET)?;
        let cache = &mut cx.data_mut().ctx.state.cache;
        let found = match scope {
            Scope::Store => cache.get(&key).map_err(|e| {
                HostError::non_deterministic(e.context(format!("store.get of {key} failed")))
            })?,
            Scope::InBlock => cache.get_in_block(&key),
        };
        write_value_opt(&mut cx, found.as_ref()).await
    })
}

/// `store.loadRelated(entity, id, field): Array<Entity>`: the entities the `@derivedFrom` field
/// `field` of `entity` `id` lists, as the block sees them so far, sorted by id (graph-ts's
/// generated `<Entity>Loader` classes call it).
///
/// Only fields derived from a single (not list) reference of an entity type can be loaded, as in
/// graph-node; other fields are a deterministic error, as are unknown types and fields (the
/// mapping's fault; graph-node lets these retry forever). Failing to read the store is
/// non-deterministic. Costs [`gas::STORE_GET`] for the query and
/// [`gas::STORE_GET_RELATED_PER_ENTITY`] per entity found.
pub(crate) fn load_related(
    mut caller: Caller<'_, HostState>,
    (entity, id, field): (u32, u32, u32),
) -> HostFuture<'_, u32> {
    Box::new(async move {
        let mut cx = caller.as_context_mut();
        let key = read_key(&mut cx, entity, id, "loadRelated")?;
        let field: String = Reader::new(&mut cx)?.read(field)?;
        let (target, back_field) = derived_field(&cx.data().ctx.schema, &key, &field)?;
        gas::charge(&mut cx, gas::HOST_CALL + gas::STORE_GET)?;
        let cache = &mut cx.data_mut().ctx.state.cache;
        let related = cache
            .load_related(&target, &back_field, &key.id)
            .map_err(|e| {
                HostError::non_deterministic(
                    e.context(format!("store.loadRelated of {key}.{field} failed")),
                )
            })?;
        gas::charge(
            &mut cx,
            gas::STORE_GET_RELATED_PER_ENTITY.saturating_mul(related.len() as u64),
        )?;
        write_value(&mut cx, &EntityArray(related)).await
    })
}

/// The entity type and field that `field` of `key`'s type is derived from.
fn derived_field(
    schema: &Schema,
    key: &EntityKey,
    field: &str,
) -> Result<(String, String), HostError> {
    // `read_key` resolved the type already.
    let entity_type = entity_type(schema, &key.entity_type, "loadRelated")?;
    let found = entity_type
        .field(field)
        .ok_or_else(|| deterministic!("Entity {key}: unknown field `{field}`"))?;
    let Some(back_field) = &found.derived_from else {
        return Err(deterministic!(
            "Entity {key}: field is not derived `{field}`"
        ));
    };
    // The schema checked that a derived field references an entity type or interface that has
    // the back field.
    let BaseType::Reference(target) = &found.field_type.base else {
        return Err(deterministic!(
            "Entity {key}: field is not derived `{field}`"
        ));
    };
    let Some(target_type) = schema.entity_type(target) else {
        return Err(deterministic!(
            "Entity {key}: `{field}` lists the interface `{target}`; store.loadRelated can only              load fields derived from an entity type"
        ));
    };
    if target_type
        .field(back_field)
        .is_some_and(|back| back.field_type.list)
    {
        return Err(deterministic!(
            "Entity {key}: `{field}` is derived from the list field `{target}.{back_field}`;              store.loadRelated can only load fields derived from a single reference"
        ));
    }
    Ok((target.clone(), back_field.clone()))
}

/// `Array<Entity>`, each a `TypedMap<string, Value>` with its fields sorted by name.
struct EntityArray(Vec<Entity>);

impl ToAsc for EntityArray {
    fn to_asc(&self, objects: &mut Objects) -> ObjPtr {
        let items: Vec<ObjPtr> = self.0.iter().map(|e| e.to_asc(objects)).collect();
        objects.array_of(TypeIndex::ArrayTypedMapStringStoreValue, &items)
    }
}

/// `store.set(entity, id, data)`: a partial update of the entity (fields merged into what the
/// block sees so far), checked against the schema.
pub(crate) fn set(
    mut caller: Caller<'_, HostState>,
    entity: u32,
    id: u32,
    data: u32,
) -> wasmtime::Result<()> {
    let mut cx = caller.as_context_mut();
    let (entity, id) = read_names(&mut cx, entity, id)?;
    let AscEntity(mut data) = Reader::new(&mut cx)?.read(data)?;
    let schema = cx.data().ctx.schema.clone();
    let entity_type = entity_type(&schema, &entity, "set")?;
    // graph-node ignores the id a mapping gives a timeseries entry (graph-ts codegen makes it
    // pass 0) and generates one, as for the id "auto"; the entry's time is the block's.
    let id = if id == "auto" || entity_type.timeseries {
        let ctx = &mut cx.data_mut().ctx;
        let id = ctx
            .state
            .generate_id(entity_type.id_type, ctx.block.number)
            .map_err(|e| deterministic!("Cannot set entity of type `{entity}`: {e}"))?;
        data.insert("id".to_string(), id.to_value());
        id
    } else {
        parse_id(&entity, &id, entity_type.id_type)?
    };
    if entity_type.timeseries {
        let seconds = i64::try_from(cx.data().ctx.block_timestamp)
            .map_err(|_| deterministic!("the block timestamp is out of range"))?;
        data.insert(
            "timestamp".to_string(),
            Value::Timestamp(seconds.saturating_mul(1_000_000)),
        );
    }
    let key = EntityKey {
        entity_type: entity,
        id,
    };
    let state = cx.data();
    check_id(entity_type, &key, &mut data)?;
    check_fields(entity_type, &mut data, state.api_version)?;
    let weight = data
        .iter()
        .map(|(name, value)| name.len() + value_weight(value))
        .sum::<usize>() as u64;
    gas::charge(
        &mut cx,
        gas::HOST_CALL + gas::STORE_WRITE + gas::PER_ENTITY_BYTE.saturating_mul(weight),
    )?;
    let cache = &mut cx.data_mut().ctx.state.cache;
    preload(cache, &key)?;
    cache
        .set(key, data)
        .map_err(|e| HostError::deterministic(e).into())
}

/// `store.remove(entity, id)`.
pub(crate) fn remove(
    mut caller: Caller<'_, HostState>,
    entity: u32,
    id: u32,
) -> wasmtime::Result<()> {
    let mut cx = caller.as_context_mut();
    let key = read_key(&mut cx, entity, id, "remove")?;
    gas::charge(&mut cx, gas::HOST_CALL + gas::STORE_WRITE)?;
    let cache = &mut cx.data_mut().ctx.state.cache;
    preload(cache, &key)?;
    cache
        .remove(key)
        .map_err(|e| HostError::deterministic(e).into())
}

/// Loads the entity into the cache, so that a failure to read the store (an environment
/// problem) is told apart from the cache rejecting the write (the mapping's).
fn preload(cache: &mut sprig_store::EntityCache, key: &EntityKey) -> Result<(), HostError> {
    cache.get(key).map(drop).map_err(|e| {
        HostError::non_deterministic(e.context(format!("failed to load {key} from the store")))
    })
}

/// Reads the entity type name and the id string and makes the typed key.
fn read_key(
    cx: &mut StoreContextMut<'_, HostState>,
    entity: u32,
    id: u32,
    operation: &str,
) -> Result<EntityKey, HostError> {
    let (entity, id) = read_names(cx, entity, id)?;
    let id_type = entity_type(&cx.data().ctx.schema, &entity, operation)?.id_type;
    let id = parse_id(&entity, &id, id_type)?;
    Ok(EntityKey {
        entity_type: entity,
        id,
    })
}

/// Reads the entity type name and the id string a host function was passed.
fn read_names(
    cx: &mut StoreContextMut<'_, HostState>,
    entity: u32,
    id: u32,
) -> Result<(String, String), HostError> {
    let mut reader = Reader::new(cx)?;
    Ok((reader.read(entity)?, reader.read(id)?))
}

fn entity_type<'s>(
    schema: &'s Schema,
    name: &str,
    operation: &str,
) -> Result<&'s EntityType, HostError> {
    if let Some(entity_type) = schema.entity_type(name) {
        return Ok(entity_type);
    }
    if schema.interface(name).is_some() || schema.aggregation(name).is_some() {
        return Err(deterministic!(
            "Cannot {operation} entity of type `{name}`. The type must be an @entity type"
        ));
    }
    Err(deterministic!(
        "Cannot {operation} entity of type `{name}`: no such entity type in the schema"
    ))
}

/// Mappings pass ids as strings: hex for `Bytes` ids, decimal for `Int8` ids.
fn parse_id(entity: &str, id: &str, id_type: IdType) -> Result<Id, HostError> {
    match id_type {
        IdType::String => Ok(Id::String(id.to_string())),
        IdType::Bytes => from_hex(id).map(Id::Bytes).map_err(|_| {
            deterministic!("Invalid id `{id}` for entity type `{entity}`: Bytes ids must be hex")
        }),
        IdType::Int8 => id.parse().map(Id::Int8).map_err(|_| {
            deterministic!(
                "Invalid id `{id}` for entity type `{entity}`: Int8 ids must be 64-bit integers"
            )
        }),
    }
}

/// The entity's own `id` field must agree with the id it is saved under; a missing one is
/// filled in.
fn check_id(entity_type: &EntityType, key: &EntityKey, data: &mut Entity) -> Result<(), HostError> {
    let name = &entity_type.name;
    match data.get("id") {
        None => {
            data.insert("id".to_string(), key.id.to_value());
            Ok(())
        }
        Some(value) => match Id::from_value(value, entity_type.id_type) {
            Some(given) if given == key.id => Ok(()),
            Some(given) => Err(deterministic!(
                "Value of {name} attribute 'id' conflicts with ID passed to `store.set()`: \
                 {given} != {}",
                key.id
            )),
            None => Err(deterministic!(
                "Attribute `{name}.id` has wrong type: expected {} but got {}",
                id_type_name(entity_type.id_type),
                value.type_name()
            )),
        },
    }
}

fn id_type_name(id_type: IdType) -> &'static str {
    match id_type {
        IdType::String => "String",
        IdType::Bytes => "Bytes",
        IdType::Int8 => "Int8",
    }
}

/// Fields the schema does not define: an error from apiVersion 0.0.8, silently dropped before
/// (graph-node's behaviour).
fn check_fields(
    entity_type: &EntityType,
    data: &mut Entity,
    api_version: ApiVersion,
) -> Result<(), HostError> {
    let undefined: Vec<String> = data
        .keys()
        .filter(|name| entity_type.field(name).is_none())
        .cloned()
        .collect();
    if undefined.is_empty() {
        return Ok(());
    }
    if api_version >= ApiVersion::V0_0_8 {
        return Err(deterministic!(
            "Attempted to set undefined fields [{}] for the entity type `{}`. Make sure those \
             fields are defined in the schema.",
            undefined.join(", "),
            entity_type.name
        ));
    }
    for name in undefined {
        data.remove(&name);
    }
    Ok(())
}

/// Rough size of a value in bytes, for gas.
fn value_weight(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len(),
        Value::Bytes(b) => b.len(),
        Value::BigInt(n) => n.bits() as usize / 8 + 1,
        Value::BigDecimal(d) => d.digits_and_exp().0.bits() as usize / 8 + 9,
        Value::List(items) => 8 + items.iter().map(value_weight).sum::<usize>(),
        Value::Int(_) => 4,
        Value::Int8(_) | Value::Timestamp(_) => 8,
        Value::Bool(_) | Value::Null => 1,
    }
}
