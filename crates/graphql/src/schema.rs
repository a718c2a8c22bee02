//! Derives a subgraph's query API from its schema, as graph-node does (`graph/src/schema/api.rs`),
//! as an async-graphql dynamic schema.
//!
//! Per entity type `T` (and per interface): the object type `T` (list fields of entities take
//! collection arguments), `T_orderBy`, `T_filter`, and the query fields `t(id)` and `ts(...)`.
//! Shared: the scalars `BigInt`, `BigDecimal`, `Bytes`, `Int8`, `Timestamp`, `OrderDirection`,
//! `Block_height`, `_SubgraphErrorPolicy_`, and `_meta` with `_Meta_` and `_Block_`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::{bail, Result};
use async_graphql::dynamic::{
    Enum, Field, FieldFuture, InputObject, InputValue, Interface, InterfaceField, Object,
    ResolverContext, Scalar, Schema as DynamicSchema, Type, TypeRef,
};
use async_graphql::{Name, Value as GqlValue};
use sprig_manifest::{BaseType, EntityType, FieldType, Schema};

use crate::api::Deployment;
use crate::filter::filter_type_name;
use crate::names::query_field_names;
use crate::resolve::{self, FieldPlan, Resolved};

const QUERY: &str = "Query";
const ORDER_DIRECTION: &str = "OrderDirection";
const BLOCK_HEIGHT: &str = "Block_height";
const BLOCK_CHANGED_FILTER: &str = "BlockChangedFilter";
const ERROR_POLICY: &str = "_SubgraphErrorPolicy_";
const META: &str = "_Meta_";
const BLOCK: &str = "_Block_";
const AGGREGATION_INTERVAL: &str = "Aggregation_interval";
const AGGREGATION_CURRENT: &str = "Aggregation_current";

/// Builds the dynamic schema of a deployment.
pub(crate) fn build_schema(deployment: &Arc<Deployment>) -> Result<DynamicSchema> {
    let mut types = TypeSet::default();
    for scalar in custom_scalars() {
        types.add(scalar.type_name().to_string(), scalar)?;
    }
    types.add(
        ORDER_DIRECTION.into(),
        Enum::new(ORDER_DIRECTION)
            .description("Defines the order direction, either ascending or descending")
            .items(["asc", "desc"]),
    )?;
    types.add(
        ERROR_POLICY.into(),
        Enum::new(ERROR_POLICY).items(["allow", "deny"]),
    )?;
    types.add(BLOCK_HEIGHT.into(), block_height_input())?;
    types.add(
        BLOCK_CHANGED_FILTER.into(),
        InputObject::new(BLOCK_CHANGED_FILTER).field(InputValue::new(
            "number_gte",
            TypeRef::named_nn(TypeRef::INT),
        )),
    )?;
    types.add(META.into(), meta_object())?;
    types.add(BLOCK.into(), block_object())?;

    let schema = &deployment.schema;
    for (name, values) in &schema.enums {
        types.add(
            name.clone(),
            Enum::new(name).items(values.iter().map(String::as_str)),
        )?;
    }
    let mut query = Object::new(QUERY);
    let mut query_fields: HashMap<String, String> = HashMap::new();
    for ty in schema.entity_types.iter().chain(&schema.interfaces) {
        types.add(order_by_type_name(&ty.name), order_by_enum(schema, ty))?;
        types.add(filter_type_name(&ty.name), filter_input(deployment, ty))?;
        if ty.is_interface {
            types.add(ty.name.clone(), interface_type(schema, ty))?;
        } else {
            types.add(ty.name.clone(), object_type(deployment, ty))?;
        }
        for (name, field) in top_level_fields(deployment, ty) {
            if let Some(other) = query_fields.insert(name.clone(), ty.name.clone()) {
                bail!(
                    "types `{other}` and `{}` both map to the query field `{name}`; rename one \
                     of them",
                    ty.name
                );
            }
            query = query.field(field);
        }
    }
    if !schema.aggregations.is_empty() {
        types.add(
            AGGREGATION_INTERVAL.into(),
            Enum::new(AGGREGATION_INTERVAL).items(["hour", "day"]),
        )?;
        types.add(
            AGGREGATION_CURRENT.into(),
            Enum::new(AGGREGATION_CURRENT).items(["exclude", "include"]),
        )?;
    }
    for aggregation in &schema.aggregations {
        let ty = aggregation.entity_type(None);
        types.add(order_by_type_name(&ty.name), order_by_enum(schema, &ty))?;
        types.add(filter_type_name(&ty.name), filter_input(deployment, &ty))?;
        types.add(ty.name.clone(), object_type(deployment, &ty))?;
        let (name, field) = aggregation_field(deployment, &ty);
        if let Some(other) = query_fields.insert(name.clone(), ty.name.clone()) {
            bail!(
                "types `{other}` and `{}` both map to the query field `{name}`; rename one of them",
                ty.name
            );
        }
        query = query.field(field);
    }
    for search in &schema.fulltexts {
        // graph-node's rule (`validate_fulltext_directive_name`), which needs its plurals: the
        // name may not be any entity field's name in either of its query-field forms.
        for ty in &schema.entity_types {
            if let Some(field) = ty.fields.iter().find(|f| {
                let (singular, plural) = query_field_names(&f.name);
                search.name == singular || search.name == plural
            }) {
                bail!(
                    "Fulltext directive name overlaps with an existing entity field or a \
                     top-level query field: `{}` (from `{}.{}`); rename the @fulltext directive \
                     in schema.graphql",
                    search.name,
                    ty.name,
                    field.name
                );
            }
        }
        if let Some(other) = query_fields.insert(search.name.clone(), search.entity.clone()) {
            bail!(
                "the @fulltext field `{}` clashes with the query field `{}` of type `{other}`; \
                 rename the @fulltext directive in schema.graphql",
                search.name,
                search.name
            );
        }
        query = query.field(fulltext_field(deployment, search));
    }
    let meta_deployment = Arc::clone(deployment);
    query = query.field(
        resolved_field("_meta", TypeRef::named(META), move |ctx| {
            resolve::meta(ctx, &meta_deployment)
        })
        .description("Access to subgraph metadata")
        .argument(InputValue::new("block", TypeRef::named(BLOCK_HEIGHT))),
    );
    types.add(QUERY.into(), query)?;

    let builder = types
        .types
        .into_iter()
        .fold(DynamicSchema::build(QUERY, None, None), |builder, ty| {
            builder.register(ty)
        });
    Ok(builder.finish()?)
}

/// The types of the schema, refusing two types of one name (a subgraph type named like one of
/// the API's own types, e.g. `Block_height` or `Token_filter`).
#[derive(Default)]
struct TypeSet {
    names: HashSet<String>,
    types: Vec<Type>,
}

impl TypeSet {
    fn add(&mut self, name: String, ty: impl Into<Type>) -> Result<()> {
        if !self.names.insert(name.clone()) {
            bail!("the type name `{name}` is used twice in the query API (by the subgraph schema and the API it derives)");
        }
        self.types.push(ty.into());
        Ok(())
    }
}

/// A field whose resolver is synchronous: store calls block, and the request runs on a
/// blocking thread (see `api`).
fn resolved_field<F>(name: impl Into<String>, ty: TypeRef, resolve: F) -> Field
where
    F: for<'a> Fn(&ResolverContext<'a>) -> Resolved<'a> + Send + Sync + 'static,
{
    Field::new(name, ty, move |ctx| {
        let result = resolve(&ctx).map_err(async_graphql::Error::from);
        FieldFuture::new(async move { result })
    })
}

/// The scalars graph-node adds. Their validators also check outputs, so they accept what
/// `values::encode` produces (strings) besides the inputs graph-node accepts.
fn custom_scalars() -> [Scalar; 5] {
    fn string(v: &GqlValue) -> bool {
        matches!(v, GqlValue::String(_))
    }
    fn string_or_integer(v: &GqlValue) -> bool {
        string(v) || matches!(v, GqlValue::Number(n) if n.is_i64())
    }
    fn string_or_number(v: &GqlValue) -> bool {
        string(v) || matches!(v, GqlValue::Number(_))
    }
    [
        Scalar::new("BigInt")
            .description("An integer of any size, as a string of decimal digits")
            .validator(string_or_integer),
        Scalar::new("BigDecimal")
            .description("A decimal number with up to 34 significant digits, as a string")
            .validator(string_or_number),
        Scalar::new("Bytes")
            .description("A byte array, as a string of 0x-prefixed hex digits")
            .validator(string),
        Scalar::new("Int8")
            .description("8 bytes signed integer")
            .validator(string_or_integer),
        Scalar::new("Timestamp")
            .description("A string representation of microseconds UNIX timestamp (16 digits)")
            .validator(string_or_integer),
    ]
}

fn block_height_input() -> InputObject {
    InputObject::new(BLOCK_HEIGHT)
        .description("The block at which the query should be executed.")
        .field(
            InputValue::new("hash", TypeRef::named("Bytes"))
                .description("Value containing a block hash"),
        )
        .field(
            InputValue::new("number", TypeRef::named(TypeRef::INT))
                .description("Value containing a block number"),
        )
        .field(
            InputValue::new("number_gte", TypeRef::named(TypeRef::INT)).description(
                "Value containing the minimum block number. In the case of `number_gte`, the \
                 query will be executed on the latest block only if the subgraph has progressed \
                 to or past the minimum block number. Defaults to the latest block when omitted.",
            ),
        )
}

fn meta_object() -> Object {
    let field = |name: &'static str, ty: TypeRef| {
        resolved_field(name, ty, move |ctx| resolve::meta_field(ctx, name))
    };
    Object::new(META)
        .description("The type for the top-level _meta field")
        .field(field("block", TypeRef::named_nn(BLOCK)).description(
            "Information about a specific subgraph block. The hash of the block will be null if \
             the _meta field has a block constraint that asks for a block number. It will be \
             filled if the _meta field has no block constraint and therefore asks for the \
             latest block",
        ))
        .field(
            field("deployment", TypeRef::named_nn(TypeRef::STRING))
                .description("The deployment ID"),
        )
        .field(
            field("hasIndexingErrors", TypeRef::named_nn(TypeRef::BOOLEAN)).description(
                "If `true`, the subgraph encountered indexing errors at some past block",
            ),
        )
}

fn block_object() -> Object {
    let field = |name: &'static str, ty: TypeRef| {
        resolved_field(name, ty, move |ctx| resolve::block_field(ctx, name))
    };
    Object::new(BLOCK)
        .field(field("hash", TypeRef::named("Bytes")).description("The hash of the block"))
        .field(field("number", TypeRef::named_nn(TypeRef::INT)).description("The block number"))
        .field(
            field("timestamp", TypeRef::named(TypeRef::INT)).description(
                "Integer representation of the timestamp stored in blocks for the chain",
            ),
        )
        .field(
            field("parentHash", TypeRef::named("Bytes"))
                .description("The hash of the parent block"),
        )
}

fn order_by_type_name(type_name: &str) -> String {
    format!("{type_name}_orderBy")
}

/// `T_orderBy`: every field of `T` (sorting on child fields, `parent__child`, is not
/// generated yet).
/// `T_orderBy`: every field, each followed, for a field holding one entity, by graph-node's
/// child sort keys `<field>__<child field>` (the child's fields that hold one scalar or enum).
fn order_by_enum(schema: &Schema, ty: &EntityType) -> Enum {
    let mut items = Vec::new();
    for field in &ty.fields {
        items.push(field.name.clone());
        let child = match &field.field_type.base {
            BaseType::Reference(target) if !field.field_type.list => {
                schema.object_or_interface(target)
            }
            _ => None,
        };
        for child_field in child.iter().flat_map(|c| &c.fields) {
            if !child_field.field_type.list
                && !matches!(child_field.field_type.base, BaseType::Reference(_))
            {
                items.push(format!("{}__{}", field.name, child_field.name));
            }
        }
    }
    Enum::new(order_by_type_name(&ty.name)).items(items)
}

fn filter_input(deployment: &Deployment, ty: &EntityType) -> InputObject {
    let name = filter_type_name(&ty.name);
    let mut input = InputObject::new(&name);
    if let Some(table) = deployment.filters.get(&ty.name) {
        for (name, type_ref) in table.input_fields() {
            input = input.field(InputValue::new(name, type_ref));
        }
    }
    input = input.field(
        InputValue::new("_change_block", TypeRef::named(BLOCK_CHANGED_FILTER))
            .description("Filter for the block changed event."),
    );
    input
        .field(InputValue::new("and", TypeRef::named_list(&name)))
        .field(InputValue::new("or", TypeRef::named_list(&name)))
}

/// The GraphQL type of an entity field, with the nullability the subgraph declared.
fn output_type(field_type: &FieldType) -> TypeRef {
    let base = match &field_type.base {
        BaseType::Scalar(scalar) => scalar.name().to_string(),
        BaseType::Enum(name) | BaseType::Reference(name) => name.clone(),
    };
    match (field_type.list, field_type.nullable) {
        (false, true) => TypeRef::named(base),
        (false, false) => TypeRef::named_nn(base),
        (true, true) => TypeRef::named_nn_list(base),
        (true, false) => TypeRef::named_nn_list_nn(base),
    }
}

/// `skip, first, orderBy, orderDirection, where` of a collection of `type_name`.
fn collection_arguments(type_name: &str) -> [InputValue; 5] {
    [
        InputValue::new("skip", TypeRef::named(TypeRef::INT)).default_value(0),
        InputValue::new("first", TypeRef::named(TypeRef::INT)).default_value(100),
        InputValue::new("orderBy", TypeRef::named(order_by_type_name(type_name))),
        InputValue::new("orderDirection", TypeRef::named(ORDER_DIRECTION)),
        InputValue::new("where", TypeRef::named(filter_type_name(type_name))),
    ]
}

/// The arguments of an aggregation's collections: `interval` and `current`, then those of
/// every collection.
fn aggregation_arguments(name: &str) -> Vec<InputValue> {
    let mut arguments = vec![
        InputValue::new("interval", TypeRef::named_nn(AGGREGATION_INTERVAL)),
        InputValue::new("current", TypeRef::named(AGGREGATION_CURRENT)),
    ];
    arguments.extend(collection_arguments(name));
    arguments
}

/// The arguments of a field of an entity type or interface: collection arguments if it is a
/// list of entities, and also `interval` and `current` if the list is derived from an
/// aggregation.
fn field_arguments(schema: &Schema, field: &sprig_manifest::Field) -> Vec<InputValue> {
    match &field.field_type.base {
        BaseType::Reference(target) if schema.aggregation(target).is_some() => {
            aggregation_arguments(target)
        }
        BaseType::Reference(target) if field.field_type.list => collection_arguments(target).into(),
        _ => Vec::new(),
    }
}

fn object_type(deployment: &Arc<Deployment>, ty: &EntityType) -> Object {
    let mut object = Object::new(&ty.name);
    for interface in &ty.implements {
        object = object.implement(interface);
    }
    let schema = &deployment.schema;
    for field in &ty.fields {
        let plan = FieldPlan::new(field, deployment);
        let deployment = Arc::clone(deployment);
        let mut out = resolved_field(&field.name, output_type(&field.field_type), move |ctx| {
            resolve::entity_field(ctx, &deployment, &plan)
        });
        for argument in field_arguments(schema, field) {
            out = out.argument(argument);
        }
        object = object.field(out);
    }
    object
}

fn interface_type(schema: &Schema, ty: &EntityType) -> Interface {
    let mut interface = Interface::new(&ty.name);
    for field in &ty.fields {
        let mut out = InterfaceField::new(&field.name, output_type(&field.field_type));
        for argument in field_arguments(schema, field) {
            out = out.argument(argument);
        }
        interface = interface.field(out);
    }
    interface
}

fn block_argument() -> InputValue {
    InputValue::new("block", TypeRef::named(BLOCK_HEIGHT)).description(
        "The block at which the query should be executed. Can either be a `{ hash: Bytes }` \
         value containing a block hash, a `{ number: Int }` containing the block number, or a \
         `{ number_gte: Int }` containing the minimum block number. In the case of \
         `number_gte`, the query will be executed on the latest block only if the subgraph has \
         progressed to or past the minimum block number. Defaults to the latest block when \
         omitted.",
    )
}

fn error_policy_argument() -> InputValue {
    InputValue::new("subgraphError", TypeRef::named_nn(ERROR_POLICY))
        .default_value(GqlValue::Enum(Name::new("deny")))
        .description(
            "Set to `allow` to receive data even if the subgraph has skipped over errors while \
             syncing.",
        )
}

/// `t(id, block, subgraphError)` and `ts(skip, first, orderBy, orderDirection, where, block,
/// subgraphError)`.
fn top_level_fields(deployment: &Arc<Deployment>, ty: &EntityType) -> [(String, Field); 2] {
    let (singular, plural) = query_field_names(&ty.name);
    let by_id = {
        let (deployment, name) = (Arc::clone(deployment), ty.name.clone());
        resolved_field(&singular, TypeRef::named(&ty.name), move |ctx| {
            resolve::entity_by_id(ctx, &deployment, &name)
        })
        .argument(InputValue::new("id", TypeRef::named_nn(TypeRef::ID)))
        .argument(block_argument())
        .argument(error_policy_argument())
    };
    let mut collection = {
        let (deployment, name) = (Arc::clone(deployment), ty.name.clone());
        resolved_field(&plural, TypeRef::named_nn_list_nn(&ty.name), move |ctx| {
            resolve::entity_collection(ctx, &deployment, &name)
        })
    };
    for argument in collection_arguments(&ty.name) {
        collection = collection.argument(argument);
    }
    collection = collection
        .argument(block_argument())
        .argument(error_policy_argument());
    [(singular, by_id), (plural, collection)]
}

/// A `@fulltext` search's query field, as graph-node's API schema has it:
/// `tokenSearch(text: String!, first, skip, block, where, subgraphError): [Token!]!`, its
/// results ordered by rank.
fn fulltext_field(deployment: &Arc<Deployment>, search: &sprig_manifest::Fulltext) -> Field {
    let (deployment, name) = (Arc::clone(deployment), search.name.clone());
    resolved_field(
        &search.name,
        TypeRef::named_nn_list_nn(&search.entity),
        move |ctx| resolve::fulltext_search(ctx, &deployment, &name),
    )
    .argument(InputValue::new("text", TypeRef::named_nn(TypeRef::STRING)))
    .argument(InputValue::new("first", TypeRef::named(TypeRef::INT)).default_value(100))
    .argument(InputValue::new("skip", TypeRef::named(TypeRef::INT)).default_value(0))
    .argument(block_argument())
    .argument(InputValue::new(
        "where",
        TypeRef::named(filter_type_name(&search.entity)),
    ))
    .argument(error_policy_argument())
}

/// An aggregation's only query field, the plural (graph-node has no lookup by id):
/// `ts(interval, current, skip, first, orderBy, orderDirection, where, block, subgraphError)`.
fn aggregation_field(deployment: &Arc<Deployment>, ty: &EntityType) -> (String, Field) {
    let (_, plural) = query_field_names(&ty.name);
    let (deployment, name) = (Arc::clone(deployment), ty.name.clone());
    let mut field = resolved_field(&plural, TypeRef::named_nn_list_nn(&ty.name), move |ctx| {
        resolve::aggregation_collection(ctx, &deployment, &name)
    });
    for argument in aggregation_arguments(&ty.name) {
        field = field.argument(argument);
    }
    field = field
        .argument(block_argument())
        .argument(error_policy_argument());
    (plural, field)
}
