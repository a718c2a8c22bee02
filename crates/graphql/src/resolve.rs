//! The resolvers: top-level fields (`token`, `tokens`, `_meta`) and the fields of entities.
//!
//! Every entity handed to GraphQL carries the block its top-level field was executed at, so
//! that nested references and collections read the same version of the data.

use async_graphql::dynamic::{FieldValue, ResolverContext};
use async_graphql::Value as GqlValue;
use sprig_manifest::{BaseType, EntityType, Field};
use sprig_store::Filter;
use sprig_value::{to_hex, Entity, EntityKey, Id, Value};

use crate::api::{Deployment, RequestState};
use crate::block::{has_indexing_errors, BlockConstraint, ErrorPolicy, QueryBlock};
use crate::collection::{tag, Collection, Found};
use crate::error::{QueryError, QueryResult};
use crate::response::TopLevelField;
use crate::values::{decode, encode, InputType};

/// What a resolver returns.
pub type Resolved<'a> = QueryResult<Option<FieldValue<'a>>>;

/// An entity as a GraphQL object.
pub struct EntityObject {
    pub entity: Entity,
    /// The block its top-level field was executed at.
    pub block: u64,
}

/// How one field of an entity type is resolved, decided once when the schema is built.
#[derive(Clone, Debug)]
pub enum FieldPlan {
    /// Scalars, enums and lists of them: the stored value.
    Stored { field: String },
    /// A reference: the entity with the stored id. `required` if the field is non-null.
    Reference {
        field: String,
        target: String,
        required: bool,
    },
    /// A list of references: a collection restricted to the stored ids.
    References { field: String, target: String },
    /// `@derivedFrom(field: back_field)`: the entities of `target` pointing back at the parent.
    Derived {
        field: String,
        target: String,
        back_field: String,
        /// Whether `target.back_field` is a list of references (then "points back" means
        /// "contains").
        back_is_list: bool,
        list: bool,
    },
    /// `@derivedFrom(field: dimension)` on an aggregation: its buckets whose dimension is the
    /// parent, at the interval the query asks for.
    DerivedAggregation {
        aggregation: String,
        dimension: String,
    },
}

impl FieldPlan {
    /// The plan for `field` of an entity type of `deployment`'s schema.
    pub fn new(field: &Field, deployment: &Deployment) -> FieldPlan {
        let name = field.name.clone();
        let BaseType::Reference(target) = &field.field_type.base else {
            return FieldPlan::Stored { field: name };
        };
        let target = target.clone();
        match &field.derived_from {
            Some(dimension) if deployment.schema.aggregation(&target).is_some() => {
                FieldPlan::DerivedAggregation {
                    aggregation: target,
                    dimension: dimension.clone(),
                }
            }
            Some(back_field) => {
                let back_is_list = deployment
                    .schema
                    .object_or_interface(&target)
                    .and_then(|t| t.field(back_field))
                    .is_some_and(|f| f.field_type.list);
                FieldPlan::Derived {
                    field: name,
                    target,
                    back_field: back_field.clone(),
                    back_is_list,
                    list: field.field_type.list,
                }
            }
            None if field.field_type.list => FieldPlan::References {
                field: name,
                target,
            },
            None => FieldPlan::Reference {
                field: name,
                target,
                required: !field.field_type.nullable,
            },
        }
    }
}

/// `token(id, block, subgraphError)`.
pub fn entity_by_id<'a>(
    ctx: &ResolverContext<'a>,
    deployment: &Deployment,
    type_name: &str,
) -> Resolved<'a> {
    let block = enter_top_level(ctx, deployment, false)?;
    let ty = object_or_interface(deployment, type_name)?;
    let raw_id = argument(ctx, "id").unwrap_or(GqlValue::Null);
    let id = match decode(&raw_id, &InputType::Id(ty.id_type))? {
        Value::Null => return Err(QueryError::new("the `id` argument is required")),
        value => Id::from_value(&value, ty.id_type)
            .ok_or_else(|| QueryError::new(format!("invalid id `{raw_id}`")))?,
    };
    let found = find(deployment, type_name, &id, block.number)?;
    Ok(found.map(|found| entity_value(deployment, type_name, found, block.number)))
}

/// `tokens(skip, first, orderBy, orderDirection, where, block, subgraphError)`.
pub fn entity_collection<'a>(
    ctx: &ResolverContext<'a>,
    deployment: &Deployment,
    type_name: &str,
) -> Resolved<'a> {
    let block = enter_top_level(ctx, deployment, false)?;
    let collection = collection_args(ctx, deployment, type_name, Vec::new())?;
    run_collection(deployment, type_name, &collection, block.number)
}

/// `tokenSearch(text, first, skip, block, where, subgraphError)`: the entities whose
/// `@fulltext` search `name` matches `text` (PostgreSQL's `to_tsquery` syntax) and `where`,
/// ordered as graph-node orders them: by rank ascending, then by id.
pub fn fulltext_search<'a>(
    ctx: &ResolverContext<'a>,
    deployment: &Deployment,
    name: &str,
) -> Resolved<'a> {
    let block = enter_top_level(ctx, deployment, false)?;
    let search = deployment
        .schema
        .fulltext(name)
        .ok_or_else(|| QueryError::new(format!("internal error: no @fulltext `{name}`")))?;
    let text = match argument(ctx, "text") {
        Some(GqlValue::String(text)) => text,
        _ => return Err(QueryError::new("the `text` argument is required")),
    };
    let search_filter = Filter::Fulltext(name.to_string(), text);
    let mut collection = collection_args(ctx, deployment, &search.entity, vec![search_filter])?;
    collection.order_by = Some(name.to_string());
    run_collection(deployment, &search.entity, &collection, block.number)
}

/// `stats(interval, current, skip, first, orderBy, orderDirection, where, block,
/// subgraphError)`: the buckets of an aggregation at one interval.
pub fn aggregation_collection<'a>(
    ctx: &ResolverContext<'a>,
    deployment: &Deployment,
    aggregation: &str,
) -> Resolved<'a> {
    let block = enter_top_level(ctx, deployment, false)?;
    aggregation_buckets(ctx, deployment, aggregation, Vec::new(), block.number)
}

/// The buckets of an aggregation at the `interval` argument's interval that match `filters`
/// and the `where` argument, newest first unless ordered otherwise (as graph-node). With
/// `current: include`, the unfinished bucket computed from the source timeseries joins the
/// finished ones before ordering and paging, as graph-node's `union all` does.
fn aggregation_buckets<'a>(
    ctx: &ResolverContext<'a>,
    deployment: &Deployment,
    aggregation: &str,
    filters: Vec<Filter>,
    block: u64,
) -> Resolved<'a> {
    let interval = match argument(ctx, "interval") {
        Some(GqlValue::Enum(name)) => name.to_string(),
        Some(GqlValue::String(name)) => name,
        _ => return Err(QueryError::new("the `interval` argument is required")),
    };
    let include_current = match argument(ctx, "current") {
        Some(GqlValue::Enum(current)) => current.as_str() == "include",
        _ => false,
    };
    let stored =
        object_or_interface(deployment, &format!("{aggregation}_{interval}")).map_err(|_| {
            QueryError::new(format!(
                "aggregation `{aggregation}` has no interval `{interval}`"
            ))
        })?;
    let mut collection = collection_args(ctx, deployment, aggregation, filters)?;
    if argument(ctx, "orderBy").is_none() {
        collection.order_by = Some("timestamp".to_string());
        if argument(ctx, "orderDirection").is_none() {
            collection.direction = sprig_store::OrderDirection::Descending;
        }
    }
    let store = deployment.store.as_ref();
    let found = if include_current {
        let finished = Collection {
            first: collection.window(),
            skip: 0,
            ..collection.clone()
        };
        let mut all = finished.run(store, &[stored], block)?;
        let current = store
            .current_buckets(&stored.name, &collection.filters, block)
            .map_err(QueryError::store)?;
        all.extend(tag(stored, current));
        collection.page(all)
    } else {
        collection.run(store, &[stored], block)?
    };
    Ok(Some(FieldValue::list(found.into_iter().map(|found| {
        entity_value(deployment, aggregation, found, block)
    }))))
}

/// A field of an entity object.
pub fn entity_field<'a>(
    ctx: &ResolverContext<'a>,
    deployment: &Deployment,
    plan: &FieldPlan,
) -> Resolved<'a> {
    let parent = ctx
        .parent_value
        .downcast_ref::<EntityObject>()
        .ok_or_else(|| QueryError::new("internal error: parent is not an entity"))?;
    let stored = |field: &str| parent.entity.get(field).unwrap_or(&Value::Null);
    match plan {
        FieldPlan::Stored { field } => Ok(encode(stored(field)).map(FieldValue::value)),
        FieldPlan::Reference {
            field,
            target,
            required,
        } => {
            let value = stored(field);
            if value.is_null() {
                return Ok(None);
            }
            let id = stored_id(deployment, target, value)?;
            match find(deployment, target, &id, parent.block)? {
                Some(found) => Ok(Some(entity_value(deployment, target, found, parent.block))),
                // A stored id naming no entity, in a non-null field (the ENS subgraph records
                // a resolver cleared to 0x0 as `NewResolver.resolver = "0x000…"`): graph-node's
                // NonNullError, worded as graph-node words it.
                None if *required => Err(QueryError::new(format!(
                    "Null value resolved for non-null field `{field}`"
                ))),
                None => Ok(None),
            }
        }
        FieldPlan::References { field, target } => {
            let ids = match stored(field) {
                Value::List(ids) => ids.clone(),
                Value::Null => Vec::new(),
                other => vec![other.clone()],
            };
            let only_those = vec![Filter::In("id".to_string(), ids)];
            let collection = collection_args(ctx, deployment, target, only_those)?;
            run_collection(deployment, target, &collection, parent.block)
        }
        FieldPlan::DerivedAggregation {
            aggregation,
            dimension,
        } => {
            let points_back = Filter::Equal(dimension.clone(), stored("id").clone());
            aggregation_buckets(
                ctx,
                deployment,
                aggregation,
                vec![points_back],
                parent.block,
            )
        }
        FieldPlan::Derived {
            field,
            target,
            back_field,
            back_is_list,
            list,
        } => {
            let id = stored("id").clone();
            let points_back = if *back_is_list {
                Filter::Contains(back_field.clone(), Value::List(vec![id]))
            } else {
                Filter::Equal(back_field.clone(), id)
            };
            if *list {
                let collection = collection_args(ctx, deployment, target, vec![points_back])?;
                return run_collection(deployment, target, &collection, parent.block);
            }
            // A single derived entity: more than one is an error, as in graph-node.
            let collection = Collection {
                filters: vec![points_back],
                order_by: None,
                direction: Default::default(),
                first: 2,
                skip: 0,
            };
            let types = concrete_types(deployment, target)?;
            let mut found = collection.run(deployment.store.as_ref(), &types, parent.block)?;
            if found.len() > 1 {
                return Err(QueryError::new(format!(
                    "Ambiguous result for derived field `{field}`: Multiple `{target}` entities \
                     refer back via `{back_field}`"
                )));
            }
            Ok(found
                .pop()
                .map(|found| entity_value(deployment, target, found, parent.block)))
        }
    }
}

/// What `_meta` resolves to.
pub struct Meta {
    pub block: QueryBlock,
    pub deployment: String,
    pub has_indexing_errors: bool,
}

/// `_meta(block)`.
pub fn meta<'a>(ctx: &ResolverContext<'a>, deployment: &Deployment) -> Resolved<'a> {
    let block = enter_top_level(ctx, deployment, true)?;
    let state = RequestState::of(ctx)?;
    let has_indexing_errors = has_indexing_errors(state.status(deployment)?, block.number);
    Ok(Some(FieldValue::owned_any(Meta {
        block,
        deployment: deployment.id.clone(),
        has_indexing_errors,
    })))
}

/// A field of `_Meta_`.
pub fn meta_field<'a>(ctx: &ResolverContext<'a>, name: &str) -> Resolved<'a> {
    let meta = ctx
        .parent_value
        .downcast_ref::<Meta>()
        .ok_or_else(|| QueryError::new("internal error: parent is not _Meta_"))?;
    Ok(Some(match name {
        "block" => FieldValue::borrowed_any(&meta.block),
        "deployment" => FieldValue::value(meta.deployment.clone()),
        _ => FieldValue::value(meta.has_indexing_errors),
    }))
}

/// A field of `_Block_`.
pub fn block_field<'a>(ctx: &ResolverContext<'a>, name: &str) -> Resolved<'a> {
    let block = ctx
        .parent_value
        .downcast_ref::<QueryBlock>()
        .ok_or_else(|| QueryError::new("internal error: parent is not _Block_"))?;
    Ok(match name {
        "hash" => block.hash.map(|hash| FieldValue::value(to_hex(&hash))),
        "number" => Some(FieldValue::value(block.number)),
        "timestamp" => block.timestamp.map(FieldValue::value),
        // Sprig does not keep parent hashes.
        _ => None,
    })
}

/// Resolves the block of a top-level field and records it for the error policy.
fn enter_top_level(
    ctx: &ResolverContext<'_>,
    deployment: &Deployment,
    is_meta: bool,
) -> QueryResult<QueryBlock> {
    let state = RequestState::of(ctx)?;
    let status = state.status(deployment)?;
    let constraint = BlockConstraint::parse(argument(ctx, "block").as_ref())?;
    let policy = ErrorPolicy::parse(argument(ctx, "subgraphError").as_ref())?;
    let block = constraint.locate(status, &deployment.id, |hash| {
        deployment
            .store
            .block_by_hash(hash)
            .map_err(QueryError::store)
    })?;
    let field = ctx.ctx.field();
    state.record(TopLevelField {
        response_key: field.alias().unwrap_or(field.name()).to_string(),
        block: constraint,
        policy,
        indexing_error: has_indexing_errors(status, block.number),
        is_meta,
    });
    Ok(block)
}

fn argument(ctx: &ResolverContext<'_>, name: &str) -> Option<GqlValue> {
    ctx.args.get(name).map(|value| value.as_value().clone())
}

fn object_or_interface<'d>(deployment: &'d Deployment, name: &str) -> QueryResult<&'d EntityType> {
    deployment
        .schema
        .object_or_interface(name)
        .or_else(|| deployment.aggregation_types.iter().find(|t| t.name == name))
        .ok_or_else(|| QueryError::new(format!("internal error: unknown type `{name}`")))
}

/// The entity types behind a type name: itself, or an interface's implementors.
fn concrete_types<'d>(deployment: &'d Deployment, name: &str) -> QueryResult<Vec<&'d EntityType>> {
    let ty = object_or_interface(deployment, name)?;
    Ok(if ty.is_interface {
        deployment.schema.implementors(name).collect()
    } else {
        vec![ty]
    })
}

fn collection_args(
    ctx: &ResolverContext<'_>,
    deployment: &Deployment,
    type_name: &str,
    mut filters: Vec<Filter>,
) -> QueryResult<Collection> {
    let ty = object_or_interface(deployment, type_name)?;
    let table = deployment
        .filters
        .get(type_name)
        .ok_or_else(|| QueryError::new(format!("internal error: no filters for `{type_name}`")))?;
    let mut collection = Collection::from_args(&ctx.args, ty, table)?;
    filters.append(&mut collection.filters);
    collection.filters = filters;
    Ok(collection)
}

fn run_collection<'a>(
    deployment: &Deployment,
    type_name: &str,
    collection: &Collection,
    block: u64,
) -> Resolved<'a> {
    let types = concrete_types(deployment, type_name)?;
    let found = collection.run(deployment.store.as_ref(), &types, block)?;
    Ok(Some(FieldValue::list(found.into_iter().map(|found| {
        entity_value(deployment, type_name, found, block)
    }))))
}

/// Looks an entity up by id in a type, or in each implementor of an interface.
fn find(
    deployment: &Deployment,
    type_name: &str,
    id: &Id,
    block: u64,
) -> QueryResult<Option<Found>> {
    for ty in concrete_types(deployment, type_name)? {
        let key = EntityKey {
            entity_type: ty.name.clone(),
            id: id.clone(),
        };
        let entity = deployment
            .store
            .find(&key, Some(block))
            .map_err(QueryError::store)?;
        if let Some(entity) = entity {
            return Ok(Some(Found {
                type_name: ty.name.clone(),
                entity,
            }));
        }
    }
    Ok(None)
}

/// The id a stored reference holds, typed for the referenced type.
fn stored_id(deployment: &Deployment, target: &str, value: &Value) -> QueryResult<Id> {
    let id_type = object_or_interface(deployment, target)?.id_type;
    Id::from_value(value, id_type).ok_or_else(|| {
        QueryError::new(format!(
            "Broken entity found in store: a reference to `{target}` holds `{value}`, which is \
             not a {id_type:?} id"
        ))
    })
}

/// An entity as a field value; fields typed with an interface need the concrete type.
fn entity_value<'a>(
    deployment: &Deployment,
    declared_type: &str,
    found: Found,
    block: u64,
) -> FieldValue<'a> {
    let is_interface = deployment.schema.interface(declared_type).is_some();
    let value = FieldValue::owned_any(EntityObject {
        entity: found.entity,
        block,
    });
    if is_interface {
        value.with_type(found.type_name)
    } else {
        value
    }
}
