//! The subgraph's `schema.graphql`: entity types, their fields, enums and interfaces.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Context, Result};
use async_graphql_parser::types::{self as ast, TypeKind, TypeSystemDefinition};
use async_graphql_parser::Positioned;
use sprig_value::IdType;

use crate::fulltext::Fulltext;
use crate::sqlexpr::SqlType;

/// A built-in scalar usable as an entity field type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarType {
    /// `ID`, stored like `String`.
    Id,
    String,
    Bytes,
    BigInt,
    BigDecimal,
    /// 32-bit signed integer.
    Int,
    /// 64-bit signed integer.
    Int8,
    Boolean,
    /// Microseconds since the Unix epoch.
    Timestamp,
}

impl ScalarType {
    fn from_name(name: &str) -> Option<ScalarType> {
        Some(match name {
            "ID" => ScalarType::Id,
            "String" => ScalarType::String,
            "Bytes" => ScalarType::Bytes,
            "BigInt" => ScalarType::BigInt,
            "BigDecimal" => ScalarType::BigDecimal,
            "Int" => ScalarType::Int,
            "Int8" => ScalarType::Int8,
            "Boolean" => ScalarType::Boolean,
            "Timestamp" => ScalarType::Timestamp,
            _ => return None,
        })
    }

    /// The GraphQL name of the scalar.
    pub fn name(self) -> &'static str {
        match self {
            ScalarType::Id => "ID",
            ScalarType::String => "String",
            ScalarType::Bytes => "Bytes",
            ScalarType::BigInt => "BigInt",
            ScalarType::BigDecimal => "BigDecimal",
            ScalarType::Int => "Int",
            ScalarType::Int8 => "Int8",
            ScalarType::Boolean => "Boolean",
            ScalarType::Timestamp => "Timestamp",
        }
    }
}

/// What a field holds, without list-ness or nullability.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BaseType {
    Scalar(ScalarType),
    /// A value of the named enum (stored as its string).
    Enum(String),
    /// A reference to an entity or interface, stored as the referenced id.
    Reference(String),
}

/// The full type of a field.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldType {
    pub base: BaseType,
    /// `[T]` (graph-node allows no nested lists).
    pub list: bool,
    /// Whether the field itself may be null.
    pub nullable: bool,
}

/// One field of an entity type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub field_type: FieldType,
    /// `@derivedFrom(field: "...")`: a virtual reverse lookup, never stored.
    pub derived_from: Option<String>,
}

impl Field {
    /// Whether the field has a column in the store.
    pub fn is_stored(&self) -> bool {
        self.derived_from.is_none()
    }
}

/// An `@entity` type (or an interface, whose `is_interface` is true).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityType {
    pub name: String,
    pub immutable: bool,
    /// `@entity(timeseries: true)`: immutable, `id: Int8!` assigned by the store and
    /// `timestamp: Timestamp!` set from the block; the source of `@aggregation` types.
    pub timeseries: bool,
    pub is_interface: bool,
    pub id_type: IdType,
    /// Fields in declaration order (including `id` and derived fields).
    pub fields: Vec<Field>,
    /// Interfaces this type implements.
    pub implements: Vec<String>,
}

impl EntityType {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The fields that have a column in the store, in declaration order.
    pub fn stored_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.is_stored())
    }
}

/// The length of an aggregation's buckets (graph-node supports these two).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AggregationInterval {
    Hour,
    Day,
}

impl AggregationInterval {
    fn from_name(name: &str) -> Option<AggregationInterval> {
        match name {
            "hour" => Some(AggregationInterval::Hour),
            "day" => Some(AggregationInterval::Day),
            _ => None,
        }
    }

    /// The name used in `intervals:` and in the query argument `interval`.
    pub fn name(self) -> &'static str {
        match self {
            AggregationInterval::Hour => "hour",
            AggregationInterval::Day => "day",
        }
    }

    /// The bucket length in seconds; buckets start at multiples of it since the Unix epoch
    /// (UTC).
    pub fn seconds(self) -> i64 {
        match self {
            AggregationInterval::Hour => 3600,
            AggregationInterval::Day => 24 * 3600,
        }
    }
}

/// The function of an `@aggregate` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggregateFn {
    Sum,
    Count,
    Min,
    Max,
    First,
    Last,
}

impl AggregateFn {
    fn from_name(name: &str) -> Option<AggregateFn> {
        Some(match name {
            "sum" => AggregateFn::Sum,
            "count" => AggregateFn::Count,
            "min" => AggregateFn::Min,
            "max" => AggregateFn::Max,
            "first" => AggregateFn::First,
            "last" => AggregateFn::Last,
            _ => return None,
        })
    }

    /// The name used in `@aggregate(fn: ...)`.
    pub fn name(self) -> &'static str {
        match self {
            AggregateFn::Sum => "sum",
            AggregateFn::Count => "count",
            AggregateFn::Min => "min",
            AggregateFn::Max => "max",
            AggregateFn::First => "first",
            AggregateFn::Last => "last",
        }
    }

    /// Whether the function needs an `arg` (all but `count`).
    pub fn needs_arg(self) -> bool {
        self != AggregateFn::Count
    }
}

/// One `@aggregate(fn: ..., arg: ..., cumulative: ...)` field of an aggregation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Aggregate {
    /// The aggregation's field holding the result.
    pub field: String,
    pub func: AggregateFn,
    /// What is aggregated (`None` for `count` without an `arg`).
    pub arg: Option<AggregateArg>,
    /// Whether each bucket starts from the previous bucket's value instead of from nothing.
    pub cumulative: bool,
}

/// The `arg` of an `@aggregate`: a field of the source, or a SQL expression over its numeric
/// fields (graph-node's "aggregation expressions").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AggregateArg {
    /// A field of the source, aggregated as it is (widened to the aggregate's type).
    Field(String),
    /// An expression evaluated per source row with PostgreSQL's semantics; its aggregate is
    /// converted to the field's type as PostgreSQL's assignment cast would.
    Expr {
        /// The text as written in the schema.
        sql: String,
        expr: crate::sqlexpr::Expr,
    },
}

/// An `@aggregation(intervals: [...], source: "...")` type: buckets computed by the store from a
/// timeseries, never written by mappings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Aggregation {
    pub name: String,
    /// The timeseries entity type whose rows are aggregated.
    pub source: String,
    /// The bucket lengths, in declaration order; the store keeps one table per interval.
    pub intervals: Vec<AggregationInterval>,
    pub id_type: IdType,
    /// Fields in declaration order: `id`, `timestamp`, dimensions and aggregates.
    pub fields: Vec<Field>,
    /// The `@aggregate` fields, in declaration order.
    pub aggregates: Vec<Aggregate>,
}

impl Aggregation {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The `@aggregate` of a field, if it is one.
    pub fn aggregate(&self, field: &str) -> Option<&Aggregate> {
        self.aggregates.iter().find(|a| a.field == field)
    }

    /// The name under which the store knows the aggregation's rows at `interval`,
    /// `<Aggregation>_<interval>` (its table is `<aggregation>_<interval>`, as in graph-node).
    pub fn interval_type_name(&self, interval: AggregationInterval) -> String {
        format!("{}_{}", self.name, interval.name())
    }

    /// The aggregation's rows seen as an immutable entity type with the aggregation's fields:
    /// named after the aggregation (`None`, the type queries show) or after one interval's
    /// rows ([`Aggregation::interval_type_name`], the type the store keeps). Each bucket row is
    /// written once, by the block that closed its bucket, so they are stored, reverted and
    /// queried like entities.
    pub fn entity_type(&self, interval: Option<AggregationInterval>) -> EntityType {
        EntityType {
            name: match interval {
                Some(interval) => self.interval_type_name(interval),
                None => self.name.clone(),
            },
            immutable: true,
            timeseries: false,
            is_interface: false,
            id_type: self.id_type,
            fields: self.fields.clone(),
            implements: Vec::new(),
        }
    }

    /// The dimensions: the fields besides `id`, `timestamp` and the aggregates, which group the
    /// source rows into one bucket per distinct combination of their values.
    pub fn dimensions(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(move |f| {
            f.name != "id" && f.name != "timestamp" && self.aggregate(&f.name).is_none()
        })
    }
}

/// A parsed and validated `schema.graphql`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    /// Entity types in declaration order.
    pub entity_types: Vec<EntityType>,
    /// Interfaces in declaration order.
    pub interfaces: Vec<EntityType>,
    /// `@aggregation` types in declaration order.
    pub aggregations: Vec<Aggregation>,
    /// Enum name to its values, in declaration order.
    pub enums: BTreeMap<String, Vec<String>>,
    /// `_Schema_`'s `@fulltext` directives in declaration order: full-text search query fields.
    pub fulltexts: Vec<Fulltext>,
    /// The SDL this schema was parsed from, kept so a store can persist it and serve the
    /// subgraph later without the manifest.
    pub sdl: String,
}

impl Schema {
    /// Parses the SDL and checks graph-node's rules. Errors name the line.
    pub fn parse(sdl: &str) -> Result<Schema> {
        let doc = async_graphql_parser::parse_schema(sdl).map_err(|e| anyhow!("{e}"))?;
        let mut enums = BTreeMap::new();
        let mut objects = Vec::new();
        let mut interfaces = Vec::new();
        let mut aggregations = Vec::new();
        let mut schema_type = None;
        for def in doc.definitions {
            let TypeSystemDefinition::Type(ty) = def else {
                continue;
            };
            let ty = ty.node;
            let name = ty.name.node.to_string();
            match &ty.kind {
                TypeKind::Enum(e) => {
                    enums.insert(
                        name,
                        e.values
                            .iter()
                            .map(|v| v.node.value.node.to_string())
                            .collect(),
                    );
                }
                TypeKind::Object(_) if name == "_Schema_" => {
                    schema_type = Some((ty.clone(), ty.name.pos.line));
                }
                TypeKind::Object(_) if has_directive(&ty.directives, "aggregation") => {
                    aggregations.push(ty);
                }
                TypeKind::Object(_) | TypeKind::Interface(_) => {
                    if matches!(ty.kind, TypeKind::Interface(_)) {
                        interfaces.push(ty);
                    } else {
                        objects.push(ty);
                    }
                }
                TypeKind::Scalar | TypeKind::Union(_) | TypeKind::InputObject(_) => {
                    bail!(
                        "line {}: type `{name}`: only entity types, interfaces and enums may be defined in a subgraph schema",
                        ty.name.pos.line
                    )
                }
            }
        }
        let type_names: Vec<String> = objects
            .iter()
            .chain(interfaces.iter())
            .map(|t| t.name.node.to_string())
            .collect();
        let mut schema = Schema {
            enums,
            sdl: sdl.to_string(),
            ..Schema::default()
        };
        // Entity fields may also name an aggregation (derived fields only: checked below).
        let referable: Vec<String> = type_names
            .iter()
            .cloned()
            .chain(aggregations.iter().map(|a| a.name.node.to_string()))
            .collect();
        for def in &objects {
            schema
                .entity_types
                .push(convert_type(def, false, &referable, &schema.enums)?);
        }
        for def in &interfaces {
            schema
                .interfaces
                .push(convert_type(def, true, &referable, &schema.enums)?);
        }
        for def in &aggregations {
            let aggregation = convert_aggregation(def, &schema, &type_names)?;
            schema.aggregations.push(aggregation);
        }
        schema.validate_derived_fields()?;
        if let Some((ty, line)) = &schema_type {
            schema.fulltexts =
                crate::fulltext::convert_schema_type(ty, *line, &schema.entity_types)?;
        }
        Ok(schema)
    }

    /// An `@entity` type by name (not interfaces).
    pub fn entity_type(&self, name: &str) -> Option<&EntityType> {
        self.entity_types.iter().find(|t| t.name == name)
    }

    /// An interface by name.
    pub fn interface(&self, name: &str) -> Option<&EntityType> {
        self.interfaces.iter().find(|t| t.name == name)
    }

    /// A `@fulltext` search by its query field's name.
    pub fn fulltext(&self, name: &str) -> Option<&Fulltext> {
        self.fulltexts.iter().find(|f| f.name == name)
    }

    /// The `@fulltext` searches over an entity type.
    pub fn fulltexts_of<'a>(&'a self, entity_type: &'a str) -> impl Iterator<Item = &'a Fulltext> {
        self.fulltexts
            .iter()
            .filter(move |f| f.entity == entity_type)
    }

    /// An `@aggregation` type by name.
    pub fn aggregation(&self, name: &str) -> Option<&Aggregation> {
        self.aggregations.iter().find(|t| t.name == name)
    }

    /// Whether the schema has timeseries or aggregations (graph-node's `aggregations`
    /// feature, which needs specVersion 1.1.0).
    pub fn uses_aggregations(&self) -> bool {
        !self.aggregations.is_empty() || self.entity_types.iter().any(|t| t.timeseries)
    }

    /// An entity type or interface by name.
    pub fn object_or_interface(&self, name: &str) -> Option<&EntityType> {
        self.entity_type(name).or_else(|| self.interface(name))
    }

    /// The entity types implementing an interface.
    pub fn implementors(&self, interface: &str) -> impl Iterator<Item = &EntityType> {
        let interface = interface.to_string();
        self.entity_types
            .iter()
            .filter(move |t| t.implements.contains(&interface))
    }

    fn validate_derived_fields(&self) -> Result<()> {
        for ty in self.entity_types.iter().chain(&self.interfaces) {
            for field in &ty.fields {
                let Some(target_field) = &field.derived_from else {
                    if let BaseType::Reference(target) = &field.field_type.base {
                        if self.aggregation(target).is_some() {
                            bail!(
                                "field `{}.{}` references the aggregation `{target}`: such a field must be `@derivedFrom` a dimension of `{target}` that points back at `{}`",
                                ty.name,
                                field.name,
                                ty.name
                            );
                        }
                    }
                    continue;
                };
                let BaseType::Reference(target) = &field.field_type.base else {
                    bail!(
                        "field `{}.{}`: @derivedFrom is only allowed on fields that reference an entity type",
                        ty.name,
                        field.name
                    );
                };
                // An aggregation can be derived from a dimension pointing back at the entity
                // (graph-node: `stats: [Stats!]! @derivedFrom(field: "token")`), queried
                // per interval like the aggregation's own collection field.
                let target_fields = match self.object_or_interface(target) {
                    Some(t) => &t.fields,
                    None => match self.aggregations.iter().find(|a| &a.name == target) {
                        Some(aggregation) => {
                            if aggregation.aggregate(target_field).is_some() {
                                bail!(
                                    "field `{}.{}`: @derivedFrom(field: \"{target_field}\") names an aggregate of `{target}`; only its dimensions can point back",
                                    ty.name,
                                    field.name
                                );
                            }
                            &aggregation.fields
                        }
                        None => bail!(
                            "field `{}.{}`: unknown type `{target}`",
                            ty.name,
                            field.name
                        ),
                    },
                };
                let back = target_fields.iter().find(|f| &f.name == target_field).ok_or_else(|| {
                    anyhow!(
                        "field `{}.{}`: @derivedFrom(field: \"{target_field}\") names a field that `{target}` does not have",
                        ty.name,
                        field.name
                    )
                })?;
                let points_back = match &back.field_type.base {
                    BaseType::Reference(r) => r == &ty.name || ty.implements.contains(r),
                    _ => back.name == "id",
                };
                if !points_back {
                    bail!(
                        "field `{}.{}`: `{target}.{target_field}` must reference `{}` to be used in @derivedFrom",
                        ty.name,
                        field.name,
                        ty.name
                    );
                }
            }
        }
        Ok(())
    }
}

/// A boolean argument of a directive; `owner` names the type or field in the error.
fn bool_arg(
    directive: &Positioned<ast::ConstDirective>,
    arg: &str,
    owner: &str,
) -> Result<Option<bool>> {
    match directive.node.get_argument(arg) {
        None => Ok(None),
        Some(v) => match &v.node {
            async_graphql_value::ConstValue::Boolean(b) => Ok(Some(*b)),
            other => bail!(
                "line {}: `{owner}`: @{} argument `{arg}` must be a boolean, not `{other}`",
                v.pos.line,
                directive.node.name.node
            ),
        },
    }
}

/// A string argument of a directive; `Ok(None)` when absent. `allow_enum` also takes a bare
/// name, as graph-node does for `@aggregate(fn: ...)`.
fn string_arg(
    directive: &Positioned<ast::ConstDirective>,
    arg: &str,
    owner: &str,
    allow_enum: bool,
) -> Result<Option<String>> {
    match directive.node.get_argument(arg) {
        None => Ok(None),
        Some(v) => match &v.node {
            async_graphql_value::ConstValue::String(s) => Ok(Some(s.clone())),
            async_graphql_value::ConstValue::Enum(s) if allow_enum => Ok(Some(s.to_string())),
            other => bail!(
                "line {}: `{owner}`: @{} argument `{arg}` must be a string, not `{other}`",
                v.pos.line,
                directive.node.name.node
            ),
        },
    }
}

fn has_directive(directives: &[Positioned<ast::ConstDirective>], name: &str) -> bool {
    find_directive(directives, name).is_some()
}

fn find_directive<'a>(
    directives: &'a [Positioned<ast::ConstDirective>],
    name: &str,
) -> Option<&'a Positioned<ast::ConstDirective>> {
    directives.iter().find(|d| d.node.name.node == name)
}

fn convert_type(
    def: &ast::TypeDefinition,
    is_interface: bool,
    type_names: &[String],
    enums: &BTreeMap<String, Vec<String>>,
) -> Result<EntityType> {
    let name = def.name.node.to_string();
    let line = def.name.pos.line;
    let (fields, implements) = match &def.kind {
        TypeKind::Object(o) => (&o.fields, &o.implements),
        TypeKind::Interface(i) => (&i.fields, &i.implements),
        _ => unreachable!("only objects and interfaces are converted"),
    };
    let mut immutable = false;
    let mut timeseries = false;
    if !is_interface {
        let entity = find_directive(&def.directives, "entity").ok_or_else(|| {
            anyhow!("line {line}: type `{name}` must have an @entity or @aggregation directive")
        })?;
        timeseries = bool_arg(entity, "timeseries", &name)?.unwrap_or(false);
        let declared_immutable = bool_arg(entity, "immutable", &name)?;
        if timeseries && declared_immutable == Some(false) {
            bail!("line {line}: timeseries `{name}` is marked as mutable, it must be immutable");
        }
        // A timeseries is immutable without saying so.
        immutable = declared_immutable.unwrap_or(timeseries);
    }
    let out_fields = convert_fields(&name, fields, type_names, enums)?;
    let id_type = id_type(&name, line, &out_fields)?;
    if timeseries {
        if id_type != IdType::Int8 {
            bail!("line {line}: timeseries `{name}` must have an `id` field of type Int8!");
        }
        check_timestamp_field(&name, line, "timeseries", &out_fields)?;
    }
    Ok(EntityType {
        name,
        immutable,
        timeseries,
        is_interface,
        id_type,
        fields: out_fields,
        implements: implements.iter().map(|i| i.node.to_string()).collect(),
    })
}

/// The fields of an object or interface, with their types resolved against the schema.
fn convert_fields(
    name: &str,
    fields: &[Positioned<ast::FieldDefinition>],
    type_names: &[String],
    enums: &BTreeMap<String, Vec<String>>,
) -> Result<Vec<Field>> {
    let mut out_fields = Vec::new();
    for f in fields {
        let f = &f.node;
        let fname = f.name.node.to_string();
        let (base_name, list, nullable) = match &f.ty.node.base {
            ast::BaseType::Named(n) => (n.to_string(), false, f.ty.node.nullable),
            ast::BaseType::List(inner) => match &inner.base {
                ast::BaseType::Named(n) => (n.to_string(), true, f.ty.node.nullable),
                ast::BaseType::List(_) => bail!(
                    "line {}: field `{name}.{fname}`: nested lists are not allowed",
                    f.name.pos.line
                ),
            },
        };
        let base = if let Some(s) = ScalarType::from_name(&base_name) {
            BaseType::Scalar(s)
        } else if enums.contains_key(&base_name) {
            BaseType::Enum(base_name)
        } else if type_names.contains(&base_name) {
            BaseType::Reference(base_name)
        } else {
            bail!(
                "line {}: field `{name}.{fname}` has unknown type `{base_name}` (not a scalar, enum, entity or interface of this schema)",
                f.name.pos.line
            );
        };
        let derived_from = match find_directive(&f.directives, "derivedFrom") {
            None => None,
            Some(d) => match d.node.get_argument("field").map(|v| &v.node) {
                Some(async_graphql_value::ConstValue::String(s)) => Some(s.clone()),
                _ => bail!(
                    "line {}: field `{name}.{fname}`: @derivedFrom needs a string argument `field`",
                    d.pos.line
                ),
            },
        };
        out_fields.push(Field {
            name: fname,
            field_type: FieldType {
                base,
                list,
                nullable,
            },
            derived_from,
        });
    }
    Ok(out_fields)
}

/// The id type given by a type's `id` field.
fn id_type(name: &str, line: usize, fields: &[Field]) -> Result<IdType> {
    let id = fields
        .iter()
        .find(|f| f.name == "id")
        .ok_or_else(|| anyhow!("line {line}: type `{name}` has no `id` field"))?;
    Ok(match (&id.field_type.base, id.field_type.list) {
        (BaseType::Scalar(ScalarType::Id | ScalarType::String), false) => IdType::String,
        (BaseType::Scalar(ScalarType::Bytes), false) => IdType::Bytes,
        (BaseType::Scalar(ScalarType::Int8), false) => IdType::Int8,
        _ => bail!(
            "line {line}: type `{name}`: the `id` field must be of type ID!, String!, Bytes! or Int8!"
        ),
    })
}

/// Timeseries and aggregations need `timestamp: Timestamp!` (the block's or the bucket's time).
fn check_timestamp_field(name: &str, line: usize, kind: &str, fields: &[Field]) -> Result<()> {
    let field = fields
        .iter()
        .find(|f| f.name == "timestamp")
        .ok_or_else(|| anyhow!("line {line}: {kind} `{name}` is missing a `timestamp` field"))?;
    let t = &field.field_type;
    if t.base != BaseType::Scalar(ScalarType::Timestamp) || t.list {
        bail!(
            "line {line}: {kind} `{name}` has a `timestamp` field of type {}, but it must be of type Timestamp",
            type_name(t)
        );
    }
    Ok(())
}

/// A field type's base name as the schema spells it, with brackets for lists.
fn type_name(t: &FieldType) -> String {
    let base = match &t.base {
        BaseType::Scalar(s) => s.name(),
        BaseType::Enum(n) | BaseType::Reference(n) => n.as_str(),
    };
    if t.list {
        format!("[{base}]")
    } else {
        base.to_string()
    }
}

/// graph-node's widening order of numeric types: an aggregate's `arg` may be narrower than its
/// field (`Int` into `BigDecimal`), never wider. `None` for non-numeric types.
fn numeric_rank(t: &FieldType) -> Option<u8> {
    if t.list {
        return None;
    }
    match t.base {
        BaseType::Scalar(ScalarType::Int) => Some(0),
        BaseType::Scalar(ScalarType::Int8) => Some(1),
        BaseType::Scalar(ScalarType::BigInt) => Some(2),
        BaseType::Scalar(ScalarType::BigDecimal) => Some(3),
        _ => None,
    }
}

/// Whether `first`/`last` may also take a value of this type besides numbers (graph-node:
/// bytes, strings and references to entity types).
fn first_last_type(t: &FieldType) -> bool {
    !t.list
        && matches!(
            t.base,
            BaseType::Scalar(ScalarType::Bytes | ScalarType::String | ScalarType::Id)
                | BaseType::Reference(_)
        )
}

/// An `@aggregation` type, checked against its source timeseries with graph-node's rules.
fn convert_aggregation(
    def: &ast::TypeDefinition,
    schema: &Schema,
    type_names: &[String],
) -> Result<Aggregation> {
    let name = def.name.node.to_string();
    let line = def.name.pos.line;
    let TypeKind::Object(object) = &def.kind else {
        unreachable!("only object types are aggregations");
    };
    let directive = find_directive(&def.directives, "aggregation")
        .expect("aggregations are recognised by their directive");
    let at = format!("line {line}: aggregation `{name}`");

    let intervals = match directive.node.get_argument("intervals").map(|v| &v.node) {
        None => bail!("{at} is missing the `intervals` argument"),
        Some(async_graphql_value::ConstValue::List(list)) if !list.is_empty() => {
            let mut intervals = Vec::new();
            for v in list {
                let async_graphql_value::ConstValue::String(s) = v else {
                    bail!("{at} has an invalid argument for `intervals`: it must be a non-empty list of strings");
                };
                let interval = AggregationInterval::from_name(s).ok_or_else(|| {
                    anyhow!("{at}: the interval `{s}` is not supported (supported: hour, day)")
                })?;
                if !intervals.contains(&interval) {
                    intervals.push(interval);
                }
            }
            intervals
        }
        Some(_) => bail!(
            "{at} has an invalid argument for `intervals`: it must be a non-empty list of strings"
        ),
    };

    let source_name = string_arg(directive, "source", &name, false)?
        .ok_or_else(|| anyhow!("{at} is missing the `source` argument"))?;
    let source = schema.entity_type(&source_name).ok_or_else(|| {
        anyhow!("{at} uses `{source_name}` as the source, but there is no timeseries of that name")
    })?;
    if !source.timeseries {
        bail!("{at} uses `{source_name}` as the source, but that type is not a timeseries");
    }

    let fields = convert_fields(&name, &object.fields, type_names, &schema.enums)?;
    for field in &fields {
        if field.derived_from.is_some() {
            bail!(
                "{at} has a derived field `{}`, but fields in aggregations can not be derived",
                field.name
            );
        }
    }
    let id_type = id_type(&name, line, &fields)?;
    if id_type != source.id_type {
        bail!(
            "{at}: the type of the `id` field must be Int8, the same as in the source `{source_name}`"
        );
    }
    check_timestamp_field(&name, line, "aggregation", &fields)?;

    let mut aggregates = Vec::new();
    for (def_field, field) in object.fields.iter().zip(&fields) {
        if field.name == "id" || field.name == "timestamp" {
            continue;
        }
        let fline = def_field.node.name.pos.line;
        let owner = format!("{name}.{}", field.name);
        let at = format!("line {fline}: field `{owner}`");
        let Some(agg) = find_directive(&def_field.node.directives, "aggregate") else {
            // A dimension: copied from the source rows it groups.
            let src = source.field(&field.name).ok_or_else(|| {
                anyhow!(
                    "{at}: the source `{source_name}` has no field `{}` (a field without @aggregate is a dimension and must be a field of the source)",
                    field.name
                )
            })?;
            if src.field_type.base != field.field_type.base {
                bail!(
                    "{at} has type {} but its type in the source `{source_name}` is {}",
                    type_name(&field.field_type),
                    type_name(&src.field_type)
                );
            }
            continue;
        };
        let func_name = string_arg(agg, "fn", &owner, true)?
            .ok_or_else(|| anyhow!("{at}: @aggregate is missing the `fn` argument"))?;
        let func = AggregateFn::from_name(&func_name).ok_or_else(|| {
            anyhow!("{at} uses the unknown aggregation function `{func_name}` (known: sum, count, min, max, first, last)")
        })?;
        let arg = string_arg(agg, "arg", &owner, false)?;
        if arg.is_none() && func.needs_arg() {
            bail!("{at}: @aggregate is missing the `arg` argument, which `{func_name}` needs");
        }
        let cumulative = bool_arg(agg, "cumulative", &owner)?.unwrap_or(false);
        let is_first_last = matches!(func, AggregateFn::First | AggregateFn::Last);
        let field_rank = numeric_rank(&field.field_type);
        if field_rank.is_none() && !(is_first_last && first_last_type(&field.field_type)) {
            bail!(if is_first_last {
                format!("{at}: first/last aggregates must use a numeric, byte array, string or a reference type")
            } else {
                format!("{at}: aggregates must use a numeric type, one of Int, Int8, BigInt and BigDecimal")
            });
        }
        let arg = match arg {
            // A field of the source as it is (also one whose name SQL would not parse, like a
            // keyword).
            Some(arg) if source.field(&arg).is_some() => {
                let src = source.field(&arg).expect("checked");
                match (numeric_rank(&src.field_type), field_rank) {
                    (Some(arg_rank), Some(field_rank)) if arg_rank > field_rank => bail!(
                        "{at} has `arg` `{arg}` of type {} in the source, which is wider than the field's type {}",
                        type_name(&src.field_type),
                        type_name(&field.field_type)
                    ),
                    (Some(_), Some(_)) => {}
                    _ if is_first_last
                        && first_last_type(&src.field_type)
                        && src.field_type.base == field.field_type.base => {}
                    _ => bail!(
                        "{at} has `arg` `{arg}`, but that is not a numeric field of `{source_name}`"
                    ),
                }
                Some(AggregateArg::Field(arg))
            }
            Some(arg) => {
                // graph-node's identifier rule: every identifier is a numeric field of the
                // source no wider than the aggregate's field.
                let field_type = |ident: &str| -> std::result::Result<SqlType, String> {
                    let Some(src) = source.field(ident) else {
                        return Err(format!("the source `{source_name}` has no field `{ident}`"));
                    };
                    let Some(arg_rank) = numeric_rank(&src.field_type) else {
                        return Err(if is_first_last && first_last_type(&src.field_type) {
                            format!("`{ident}` is a {} field of `{source_name}`: expressions over non-numeric fields are not supported by Sprig (only the plain field)", type_name(&src.field_type))
                        } else {
                            format!("`{ident}` is not a numeric field of `{source_name}`")
                        });
                    };
                    let Some(field_rank) = field_rank else {
                        return Err(format!(
                            "an expression needs a numeric aggregate field, not {} (expressions of other types are not supported by Sprig)",
                            type_name(&field.field_type)
                        ));
                    };
                    if arg_rank > field_rank {
                        return Err(format!(
                            "`{ident}` is of type {} in the source, which is wider than the field's type {}",
                            type_name(&src.field_type),
                            type_name(&field.field_type)
                        ));
                    }
                    Ok(match arg_rank {
                        0 => SqlType::Int4,
                        1 => SqlType::Int8,
                        _ => SqlType::Numeric,
                    })
                };
                let expr = crate::sqlexpr::parse(&arg, &field_type)
                    .map_err(|e| anyhow!("{at} has `arg` `{arg}`: {e}"))?;
                if field_rank.is_none() {
                    bail!("{at} has `arg` `{arg}`: an expression needs a numeric aggregate field, not {} (expressions of other types are not supported by Sprig)", type_name(&field.field_type));
                }
                // graph-node's first/last pass each value to an aggregate over the column's
                // type (`arg_min_int4`), which PostgreSQL refuses for a wider value; Sprig
                // refuses it at load instead of failing the rollup.
                let column = match field_rank {
                    Some(0) => SqlType::Int4,
                    Some(1) => SqlType::Int8,
                    _ => SqlType::Numeric,
                };
                if let Some(t) = expr.sql_type().filter(|t| is_first_last && *t > column) {
                    bail!(
                        "{at} has `arg` `{arg}` of SQL type {}, which PostgreSQL cannot pass to `{func_name}` for the field's type {} ({})",
                        t.name(),
                        type_name(&field.field_type),
                        column.name()
                    );
                }
                Some(AggregateArg::Expr { sql: arg, expr })
            }
            None => None,
        };
        aggregates.push(Aggregate {
            field: field.name.clone(),
            func,
            arg,
            cumulative,
        });
    }
    if aggregates.is_empty() {
        bail!("{at} has no @aggregate fields");
    }
    Ok(Aggregation {
        name,
        source: source_name,
        intervals,
        id_type,
        fields,
        aggregates,
    })
}

/// Reads and parses a schema file, naming the file in errors.
pub fn load(path: &std::path::Path) -> Result<Schema> {
    let sdl = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read schema {}", path.display()))?;
    Schema::parse(&sdl).with_context(|| format!("invalid schema {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
        enum Kind { A, B }
        type Token @entity(immutable: false) {
          id: Bytes!
          name: String!
          kind: Kind
          holders: [Account!]! @derivedFrom(field: "token")
        }
        type Account @entity(immutable: true) {
          id: ID!
          token: Token!
          tags: [String!]
        }
    "#;

    #[test]
    fn parses_entities_fields_and_enums() {
        let s = Schema::parse(SDL).unwrap();
        let token = s.entity_type("Token").unwrap();
        assert_eq!(token.id_type, IdType::Bytes);
        assert!(!token.immutable);
        assert_eq!(
            token.field("kind").unwrap().field_type.base,
            BaseType::Enum("Kind".into())
        );
        assert_eq!(token.stored_fields().count(), 3);
        let account = s.entity_type("Account").unwrap();
        assert!(account.immutable);
        assert!(account.field("tags").unwrap().field_type.list);
        assert_eq!(s.enums["Kind"], vec!["A", "B"]);
    }

    #[test]
    fn rejects_bad_schemas_with_line_numbers() {
        let err = Schema::parse("type A { id: ID! }").unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("@entity"), "{err}");
        let err = Schema::parse("type A @entity(immutable: false) { id: ID! x: Foo }")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown type `Foo`"), "{err}");
        let err = Schema::parse(
            "type A @entity(immutable: false) { id: ID! bs: [B!]! @derivedFrom(field: \"nope\") }\n type B @entity(immutable: true) { id: ID! }",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("does not have"), "{err}");
    }
    const TIMESERIES: &str = r#"
        type Token @entity(immutable: true) { id: Bytes! }
        type Trade @entity(timeseries: true) {
          id: Int8!
          timestamp: Timestamp!
          token: Token!
          pool: Bytes!
          amount: BigInt!
          price: BigDecimal!
          count: Int!
          note: String
        }
    "#;

    /// The timeseries above plus `aggregation`.
    fn with(aggregation: &str) -> Result<Schema> {
        Schema::parse(&format!("{TIMESERIES}\n{aggregation}"))
    }

    fn error(aggregation: &str) -> String {
        format!("{:#}", with(aggregation).unwrap_err())
    }

    #[test]
    fn parses_timeseries_and_aggregations() {
        let s = with(
            r#"type Volume @aggregation(intervals: ["hour", "day"], source: "Trade") {
                 id: Int8!
                 timestamp: Timestamp!
                 token: Token!
                 trades: Int! @aggregate(fn: "count")
                 total: BigDecimal! @aggregate(fn: "sum", arg: "amount")
                 high: BigDecimal! @aggregate(fn: max, arg: "price")
                 close: BigDecimal! @aggregate(fn: "last", arg: "price")
                 pool: Bytes! @aggregate(fn: "first", arg: "pool")
                 allTime: BigInt! @aggregate(fn: "sum", arg: "count", cumulative: true)
               }"#,
        )
        .unwrap();
        let trade = s.entity_type("Trade").unwrap();
        assert!(trade.timeseries && trade.immutable);
        assert_eq!(trade.id_type, IdType::Int8);
        assert!(!s.entity_type("Token").unwrap().timeseries);
        assert!(s.uses_aggregations());
        // An aggregation is not an entity type: the store and queries treat it on its own.
        assert!(s.entity_type("Volume").is_none());
        let v = s.aggregation("Volume").unwrap();
        assert_eq!(v.source, "Trade");
        assert_eq!(
            v.intervals,
            vec![AggregationInterval::Hour, AggregationInterval::Day]
        );
        assert_eq!(AggregationInterval::Day.seconds(), 86_400);
        assert_eq!(
            v.dimensions().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            vec!["token"]
        );
        let summary: Vec<_> = v
            .aggregates
            .iter()
            .map(|a| {
                let arg = match &a.arg {
                    Some(AggregateArg::Field(f)) => Some(f.as_str()),
                    Some(AggregateArg::Expr { .. }) => panic!("no expressions here"),
                    None => None,
                };
                (a.field.as_str(), a.func, arg, a.cumulative)
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("trades", AggregateFn::Count, None, false),
                ("total", AggregateFn::Sum, Some("amount"), false),
                ("high", AggregateFn::Max, Some("price"), false),
                ("close", AggregateFn::Last, Some("price"), false),
                ("pool", AggregateFn::First, Some("pool"), false),
                ("allTime", AggregateFn::Sum, Some("count"), true),
            ]
        );
        assert!(!Schema::parse(SDL).unwrap().uses_aggregations());
    }

    #[test]
    fn entities_derive_aggregations_from_a_dimension() {
        let sdl = |token_field: &str| {
            format!(
                r#"type Token @entity(immutable: true) {{ id: Bytes! {token_field} }}
                   type Data @entity(timeseries: true) {{ id: Int8! timestamp: Timestamp! token: Token! amount: BigDecimal! }}
                   type Stats @aggregation(intervals: ["hour"], source: "Data") {{
                     id: Int8! timestamp: Timestamp! token: Token! sum: BigDecimal! @aggregate(fn: "sum", arg: "amount")
                   }}"#
            )
        };
        let s = Schema::parse(&sdl(r#"stats: [Stats!]! @derivedFrom(field: "token")"#)).unwrap();
        let stats = s.entity_type("Token").unwrap().field("stats").unwrap();
        assert_eq!(stats.derived_from.as_deref(), Some("token"));
        assert_eq!(stats.field_type.base, BaseType::Reference("Stats".into()));
        for (field, expected) in [
            (
                "stats: [Stats!]!",
                "such a field must be `@derivedFrom` a dimension of `Stats`",
            ),
            (
                r#"stats: [Stats!]! @derivedFrom(field: "sum")"#,
                "names an aggregate of `Stats`",
            ),
            (
                r#"stats: [Stats!]! @derivedFrom(field: "nope")"#,
                "names a field that `Stats` does not have",
            ),
        ] {
            let err = format!("{:#}", Schema::parse(&sdl(field)).unwrap_err());
            assert!(err.contains(expected), "{field}: {err}");
        }
    }

    #[test]
    fn refuses_invalid_timeseries() {
        let cases = [
            (
                "type T @entity(timeseries: true, immutable: false) { id: Int8! timestamp: Timestamp! }",
                "is marked as mutable, it must be immutable",
            ),
            (
                "type T @entity(timeseries: true) { id: Bytes! timestamp: Timestamp! }",
                "must have an `id` field of type Int8!",
            ),
            (
                "type T @entity(timeseries: true) { id: Int8! }",
                "timeseries `T` is missing a `timestamp` field",
            ),
            (
                "type T @entity(timeseries: true) { id: Int8! timestamp: Int8! }",
                "has a `timestamp` field of type Int8, but it must be of type Timestamp",
            ),
            (
                "type T @entity(timeseries: \"yes\") { id: Int8! timestamp: Timestamp! }",
                "argument `timeseries` must be a boolean",
            ),
        ];
        for (sdl, expected) in cases {
            let err = format!("{:#}", Schema::parse(sdl).unwrap_err());
            assert!(
                err.contains(expected) && err.contains("line 1"),
                "{sdl}: {err}"
            );
        }
    }

    #[test]
    fn parses_expression_args() {
        let s = with(
            r#"type V @aggregation(intervals: ["hour"], source: "Trade") {
                 id: Int8!
                 timestamp: Timestamp!
                 value: BigDecimal! @aggregate(fn: "sum", arg: "price * amount")
                 top: BigInt! @aggregate(fn: "max", arg: "greatest(amount, count, 0)")
                 big: Int8! @aggregate(fn: "sum", arg: "case when count > 10 then count else 0 end", cumulative: true)
                 plain: Int! @aggregate(fn: "sum", arg: "count")
               }"#,
        )
        .unwrap();
        let v = &s.aggregations[0];
        let arg = |field: &str| {
            v.aggregates
                .iter()
                .find(|a| a.field == field)
                .unwrap()
                .arg
                .clone()
                .unwrap()
        };
        let AggregateArg::Expr { expr: value, .. } = arg("value") else {
            panic!("an expression")
        };
        assert_eq!(value.fields(), vec!["price", "amount"]);
        assert_eq!(value.sql_type(), Some(SqlType::Numeric));
        let AggregateArg::Expr { expr: big, .. } = arg("big") else {
            panic!("an expression")
        };
        assert_eq!(big.sql_type(), Some(SqlType::Int4));
        assert_eq!(arg("plain"), AggregateArg::Field("count".into()));
    }

    #[test]
    fn refuses_invalid_expression_args() {
        let agg = |ty: &str, func: &str, arg: &str| {
            error(&format!(
                r#"type A @aggregation(intervals: ["hour"], source: "Trade") {{ id: Int8! timestamp: Timestamp! n: {ty} @aggregate(fn: "{func}", arg: "{arg}") }}"#
            ))
        };
        let cases = [
            // graph-node's refusals and messages.
            ("BigInt!", "sum", "amount || count", "binary operator || is not supported"),
            ("BigInt!", "sum", "sqrt(amount)", "Function sqrt is not supported"),
            ("BigInt!", "sum", "random()", "Function random is not supported"),
            ("BigInt!", "sum", "count between 1 and 2", "Expressions using Between are not supported"),
            ("BigInt!", "sum", "(select 1)", "Expressions using Subquery are not supported"),
            ("BigDecimal!", "sum", "floor(price)", "Expressions using Floor are not supported"),
            ("BigInt!", "sum", "sum(amount)", "Function sum is not supported"),
            ("BigInt!", "sum", "abs(amount) over ()", "Illegal function: call to abs uses an illegal feature"),
            ("BigInt!", "sum", "amount +", "Failed to parse expression"),
            // graph-node's identifier rule.
            ("BigInt!", "sum", "volume * 2", "the source `Trade` has no field `volume`"),
            ("BigInt!", "sum", "count + note", "`note` is not a numeric field of `Trade`"),
            ("BigInt!", "sum", "count * timestamp", "`timestamp` is not a numeric field of `Trade`"),
            ("Int8!", "sum", "amount * 2", "`amount` is of type BigInt in the source, which is wider than the field's type Int8"),
            ("BigInt!", "sum", "price + 1", "`price` is of type BigDecimal in the source, which is wider than the field's type BigInt"),
            // What PostgreSQL would refuse when the rollup runs.
            ("BigInt!", "sum", "count > 1", "the expression is of type boolean, but an aggregate needs a number"),
            ("BigInt!", "sum", "count + true", "boolean"),
            ("BigInt!", "sum", "case when count then 1 else 0 end", "must be type boolean"),
            ("BigInt!", "sum", "null", "always NULL"),
            // Deliberate differences: graph-node accepts these.
            ("BigDecimal!", "sum", "price ^ 2", "not supported by Sprig"),
            ("BigDecimal!", "sum", "power(price, 2)", "not supported by Sprig"),
            ("BigDecimal!", "sum", "ceiling(count)", "not supported by Sprig"),
            ("BigDecimal!", "sum", "sign(count)", "not supported by Sprig"),
            ("BigDecimal!", "sum", "price::float8", "not supported by Sprig"),
            ("BigDecimal!", "sum", "price::numeric(10, 2)", "not supported by Sprig"),
            ("BigDecimal!", "sum", "price + '1'", "not supported by Sprig"),
            ("Bytes!", "first", "coalesce(pool, pool)", "not supported by Sprig"),
            ("Int!", "first", "count * 1.5", "of SQL type numeric, which PostgreSQL cannot pass to `first` for the field's type Int (integer)"),
            ("Int!", "last", "count + 2147483648", "of SQL type bigint"),
        ];
        for (ty, func, arg, expected) in cases {
            let err = agg(ty, func, arg);
            assert!(
                err.contains(expected) && err.contains(&format!("has `arg` `{arg}`")),
                "{arg}: {err}"
            );
        }
    }

    #[test]
    fn refuses_invalid_aggregations() {
        let cases = [
            (
                r#"type A @aggregation(source: "Trade") { id: Int8! timestamp: Timestamp! n: Int! @aggregate(fn: "count") }"#,
                "is missing the `intervals` argument",
            ),
            (
                r#"type A @aggregation(intervals: [], source: "Trade") { id: Int8! timestamp: Timestamp! n: Int! @aggregate(fn: "count") }"#,
                "it must be a non-empty list of strings",
            ),
            (
                r#"type A @aggregation(intervals: ["week"], source: "Trade") { id: Int8! timestamp: Timestamp! n: Int! @aggregate(fn: "count") }"#,
                "the interval `week` is not supported",
            ),
            (
                r#"type A @aggregation(intervals: ["hour"]) { id: Int8! timestamp: Timestamp! n: Int! @aggregate(fn: "count") }"#,
                "is missing the `source` argument",
            ),
            (
                r#"type A @aggregation(intervals: ["hour"], source: "Nope") { id: Int8! timestamp: Timestamp! n: Int! @aggregate(fn: "count") }"#,
                "there is no timeseries of that name",
            ),
            (
                r#"type A @aggregation(intervals: ["hour"], source: "Token") { id: Int8! timestamp: Timestamp! n: Int! @aggregate(fn: "count") }"#,
                "that type is not a timeseries",
            ),
            (
                r#"type A @aggregation(intervals: ["hour"], source: "Trade") { id: Bytes! timestamp: Timestamp! n: Int! @aggregate(fn: "count") }"#,
                "the type of the `id` field must be Int8",
            ),
            (
                r#"type A @aggregation(intervals: ["hour"], source: "Trade") { id: Int8! n: Int! @aggregate(fn: "count") }"#,
                "aggregation `A` is missing a `timestamp` field",
            ),
            (
                r#"type A @aggregation(intervals: ["hour"], source: "Trade") { id: Int8! timestamp: Timestamp! token: Token! }"#,
                "has no @aggregate fields",
            ),
            (
                r#"type A @aggregation(intervals: ["hour"], source: "Trade") { id: Int8! timestamp: Timestamp! colour: String! n: Int! @aggregate(fn: "count") }"#,
                "the source `Trade` has no field `colour`",
            ),
            (
                r#"type A @aggregation(intervals: ["hour"], source: "Trade") { id: Int8! timestamp: Timestamp! pool: String! n: Int! @aggregate(fn: "count") }"#,
                "has type String but its type in the source `Trade` is Bytes",
            ),
            (
                r#"type A @aggregation(intervals: ["hour"], source: "Trade") { id: Int8! timestamp: Timestamp! n: Int! @aggregate(arg: "count") }"#,
                "missing the `fn` argument",
            ),
            (
                r#"type A @aggregation(intervals: ["hour"], source: "Trade") { id: Int8! timestamp: Timestamp! n: Int! @aggregate(fn: "avg", arg: "count") }"#,
                "unknown aggregation function `avg`",
            ),
            (
                r#"type A @aggregation(intervals: ["hour"], source: "Trade") { id: Int8! timestamp: Timestamp! n: BigInt! @aggregate(fn: "sum") }"#,
                "missing the `arg` argument, which `sum` needs",
            ),
            (
                r#"type A @aggregation(intervals: ["hour"], source: "Trade") { id: Int8! timestamp: Timestamp! n: BigInt! @aggregate(fn: "sum", arg: "volume") }"#,
                "has `arg` `volume`: the source `Trade` has no field `volume`",
            ),
            (
                r#"type A @aggregation(intervals: ["hour"], source: "Trade") { id: Int8! timestamp: Timestamp! n: Int! @aggregate(fn: "sum", arg: "amount") }"#,
                "of type BigInt in the source, which is wider than the field's type Int",
            ),
            (
                r#"type A @aggregation(intervals: ["hour"], source: "Trade") { id: Int8! timestamp: Timestamp! n: String! @aggregate(fn: "sum", arg: "note") }"#,
                "aggregates must use a numeric type",
            ),
            (
                r#"type A @aggregation(intervals: ["hour"], source: "Trade") { id: Int8! timestamp: Timestamp! n: BigInt! @aggregate(fn: "max", arg: "pool") }"#,
                "that is not a numeric field of `Trade`",
            ),
            (
                r#"type A @aggregation(intervals: ["hour"], source: "Trade") { id: Int8! timestamp: Timestamp! n: Boolean! @aggregate(fn: "last", arg: "count") }"#,
                "first/last aggregates must use a numeric, byte array, string or a reference type",
            ),
            (
                r#"type A @aggregation(intervals: ["hour"], source: "Trade") { id: Int8! timestamp: Timestamp! n: Int! @aggregate(fn: "count", cumulative: "yes") }"#,
                "argument `cumulative` must be a boolean",
            ),
            (
                r#"type A @aggregation(intervals: ["hour"], source: "Trade") { id: Int8! timestamp: Timestamp! n: Int! @aggregate(fn: "count") ts: [Trade!]! @derivedFrom(field: "token") }"#,
                "fields in aggregations can not be derived",
            ),
        ];
        for (sdl, expected) in cases {
            let err = error(sdl);
            assert!(err.contains(expected), "{sdl}: {err}");
        }
    }
}
