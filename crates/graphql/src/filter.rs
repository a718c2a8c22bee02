//! `T_filter` inputs: which `<field>_<op>` arguments each field gets (graph-node's op table,
//! `graph/src/schema/api.rs`), and how a `where` value becomes store [`Filter`]s.
//!
//! One [`FilterTable`] per entity type or interface drives both sides, so the generated input
//! type and the interpretation of a query can never disagree.

use std::collections::HashMap;

use async_graphql::dynamic::TypeRef;
use async_graphql::{Name, Value as GqlValue};
use sprig_manifest::{Aggregation, BaseType, EntityType, Field, ScalarType, Schema};
use sprig_store::Filter;
use sprig_value::{IdType, Value};

use crate::error::{QueryError, QueryResult};
use crate::values::{decode, decode_list, InputType};

/// A filter operator: the suffix of a `T_filter` input field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterOp {
    Equal,
    Not,
    GreaterThan,
    LessThan,
    GreaterOrEqual,
    LessOrEqual,
    In,
    NotIn,
    Contains,
    ContainsNoCase,
    NotContains,
    NotContainsNoCase,
    StartsWith,
    StartsWithNoCase,
    NotStartsWith,
    NotStartsWithNoCase,
    EndsWith,
    EndsWithNoCase,
    NotEndsWith,
    NotEndsWithNoCase,
}

use FilterOp::*;

/// Booleans and enums.
const EQUALITY_OPS: &[FilterOp] = &[Equal, Not, In, NotIn];
/// `ID`, numbers and timestamps (and references to entities with `Int8` ids).
const ORDERED_OPS: &[FilterOp] = &[
    Equal,
    Not,
    GreaterThan,
    LessThan,
    GreaterOrEqual,
    LessOrEqual,
    In,
    NotIn,
];
const BYTES_OPS: &[FilterOp] = &[
    Equal,
    Not,
    GreaterThan,
    LessThan,
    GreaterOrEqual,
    LessOrEqual,
    In,
    NotIn,
    Contains,
    NotContains,
];
/// Strings (and references to entities with `String` or `Bytes` ids, as in graph-node).
const STRING_OPS: &[FilterOp] = &[
    Equal,
    Not,
    GreaterThan,
    LessThan,
    GreaterOrEqual,
    LessOrEqual,
    In,
    NotIn,
    Contains,
    ContainsNoCase,
    NotContains,
    NotContainsNoCase,
    StartsWith,
    StartsWithNoCase,
    NotStartsWith,
    NotStartsWithNoCase,
    EndsWith,
    EndsWithNoCase,
    NotEndsWith,
    NotEndsWithNoCase,
];
/// List fields of scalars, enums and (non-derived) references.
const LIST_OPS: &[FilterOp] = &[Equal, Not, Contains, NotContains];
/// An aggregation's numeric and timestamp fields (graph-node offers only these on aggregations).
const AGGREGATION_ORDERED_OPS: &[FilterOp] = &[
    Equal,
    GreaterThan,
    LessThan,
    GreaterOrEqual,
    LessOrEqual,
    In,
];
/// An aggregation's other fields.
const AGGREGATION_OTHER_OPS: &[FilterOp] = &[Equal];

impl FilterOp {
    /// The suffix appended to the field name.
    pub fn suffix(self) -> &'static str {
        match self {
            Equal => "",
            Not => "_not",
            GreaterThan => "_gt",
            LessThan => "_lt",
            GreaterOrEqual => "_gte",
            LessOrEqual => "_lte",
            In => "_in",
            NotIn => "_not_in",
            Contains => "_contains",
            ContainsNoCase => "_contains_nocase",
            NotContains => "_not_contains",
            NotContainsNoCase => "_not_contains_nocase",
            StartsWith => "_starts_with",
            StartsWithNoCase => "_starts_with_nocase",
            NotStartsWith => "_not_starts_with",
            NotStartsWithNoCase => "_not_starts_with_nocase",
            EndsWith => "_ends_with",
            EndsWithNoCase => "_ends_with_nocase",
            NotEndsWith => "_not_ends_with",
            NotEndsWithNoCase => "_not_ends_with_nocase",
        }
    }

    /// Whether the operator compares against a set of values.
    fn takes_set(self) -> bool {
        matches!(self, In | NotIn)
    }
}

/// How a filtered field is stored, which decides what an operator means for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Storage {
    /// A string column (or a reference to a string id): the text operators apply.
    Text,
    /// A bytes column: `_contains` looks for a byte substring.
    Bytes,
    /// A reference to an entity with `Bytes` ids, filtered with graph-node's string operators;
    /// only the comparisons make sense for it.
    BytesReference,
    /// A list column.
    List,
    /// Anything else: only comparisons.
    Plain,
}

/// One input field of a `T_filter` type.
#[derive(Clone, Debug)]
pub struct FilterInput {
    /// The input field's name, `<field><suffix>`.
    pub name: String,
    /// The entity field it filters.
    pub field: String,
    pub op: FilterOp,
    /// The position of `field` in its type.
    position: usize,
    /// The GraphQL type of one value.
    element_type: String,
    /// How one value decodes.
    value: InputType,
    storage: Storage,
}

impl FilterInput {
    /// The GraphQL type of the input field: a list for set operators and list fields.
    pub fn type_ref(&self) -> TypeRef {
        if self.op.takes_set() || self.storage == Storage::List {
            TypeRef::named_nn_list(&self.element_type)
        } else {
            TypeRef::named(&self.element_type)
        }
    }
}

/// A `<field>_` input of a `T_filter` type: graph-node's child filter, through a reference,
/// a list of references or a derived field, taking the referenced type's `_filter`.
#[derive(Clone, Debug)]
pub struct ChildInput {
    /// `<field>_`.
    pub name: String,
    field: String,
    /// The referenced entity type or interface: the input's type is its `_filter`.
    pub target: String,
    /// The concrete types behind `target` (an interface's implementors).
    child_types: Vec<String>,
    /// The target's own filters. They have no child inputs: graph-node does not nest them.
    table: Box<FilterTable>,
    /// The field's position in its type.
    position: usize,
}

impl ChildInput {
    fn input_field(&self) -> (String, TypeRef) {
        let filter = TypeRef::named(filter_type_name(&self.target));
        (self.name.clone(), filter)
    }
}

/// The filter inputs of one entity type or interface.
#[derive(Clone, Debug)]
pub struct FilterTable {
    type_name: String,
    inputs: Vec<FilterInput>,
    by_name: HashMap<String, usize>,
    children: Vec<ChildInput>,
    /// In a child's table, the names its own child inputs would have, to refuse nesting with
    /// graph-node's message rather than as an unknown attribute.
    nested: Vec<String>,
}

impl FilterTable {
    /// The inputs graph-node generates for `ty`'s fields, in field order, and a child filter
    /// input for every field referring to entities.
    pub fn new(ty: &EntityType, schema: &Schema) -> FilterTable {
        let mut table = FilterTable::without_children(ty, schema);
        table.children = child_references(ty, schema)
            .filter_map(|(field, target)| {
                let target_type = schema.object_or_interface(target)?;
                let child_types = if target_type.is_interface {
                    schema
                        .implementors(target)
                        .map(|t| t.name.clone())
                        .collect()
                } else {
                    vec![target.to_string()]
                };
                Some(ChildInput {
                    position: ty.fields.iter().position(|f| f.name == field.name)?,
                    name: format!("{}_", field.name),
                    field: field.name.clone(),
                    target: target.to_string(),
                    child_types,
                    table: Box::new(FilterTable::without_children(target_type, schema)),
                })
            })
            .collect();
        table.nested.clear();
        table
    }

    /// `ty`'s own inputs, as a child filter sees them.
    fn without_children(ty: &EntityType, schema: &Schema) -> FilterTable {
        let inputs = ty
            .fields
            .iter()
            .enumerate()
            .flat_map(|(position, field)| field_inputs(position, field, schema))
            .collect();
        let mut table = FilterTable::of(&ty.name, inputs);
        table.nested = child_references(ty, schema)
            .map(|(field, _)| format!("{}_", field.name))
            .collect();
        table
    }

    /// The inputs graph-node generates for an aggregation: on `id`, `timestamp` and the
    /// dimensions only (aggregates are not filterable), comparisons and `in` for numbers and
    /// timestamps, equality for the rest.
    pub fn for_aggregation(aggregation: &Aggregation, schema: &Schema) -> FilterTable {
        let inputs = aggregation
            .fields
            .iter()
            .enumerate()
            .filter(|(_, field)| aggregation.aggregate(&field.name).is_none())
            .flat_map(|(position, field)| {
                let ops = match field.field_type.base {
                    BaseType::Scalar(
                        ScalarType::BigInt
                        | ScalarType::BigDecimal
                        | ScalarType::Int
                        | ScalarType::Int8
                        | ScalarType::Timestamp,
                    ) if !field.field_type.list => AGGREGATION_ORDERED_OPS,
                    _ => AGGREGATION_OTHER_OPS,
                };
                field_inputs(position, field, schema)
                    .into_iter()
                    .filter(move |input| ops.contains(&input.op))
            })
            .collect();
        FilterTable::of(&aggregation.name, inputs)
    }

    fn of(type_name: &str, inputs: Vec<FilterInput>) -> FilterTable {
        let by_name = inputs
            .iter()
            .enumerate()
            .map(|(i, input)| (input.name.clone(), i))
            .collect();
        FilterTable {
            type_name: type_name.to_string(),
            inputs,
            by_name,
            children: Vec::new(),
            nested: Vec::new(),
        }
    }

    /// The inputs, in the order of the fields they filter.
    #[cfg(test)]
    pub fn inputs(&self) -> &[FilterInput] {
        &self.inputs
    }

    /// The fields of the `T_filter` input type (before `and` and `or`), in graph-node's order:
    /// field by field, a field's operators, then its child filter.
    pub fn input_fields(&self) -> Vec<(String, TypeRef)> {
        let mut fields = Vec::with_capacity(self.inputs.len() + self.children.len());
        let mut children = self.children.iter().peekable();
        let mut inputs = self.inputs.iter().peekable();
        while let Some(input) = inputs.next() {
            // A derived field has no inputs: its child filter comes where the field is.
            while let Some(child) = children.next_if(|c| c.position < input.position) {
                fields.push(child.input_field());
            }
            fields.push((input.name.clone(), input.type_ref()));
            if inputs.peek().is_none_or(|next| next.field != input.field) {
                if let Some(child) = children.next_if(|c| c.field == input.field) {
                    fields.push(child.input_field());
                }
            }
        }
        fields.extend(children.map(ChildInput::input_field));
        fields
    }

    /// The store filters a `where` argument stands for; all of them must hold.
    pub fn parse(&self, value: &GqlValue) -> QueryResult<Vec<Filter>> {
        match value {
            GqlValue::Null => Ok(Vec::new()),
            GqlValue::Object(object) => self.parse_object(object),
            _ => Err(QueryError::new("Filter must by an object")),
        }
    }

    fn parse_object(
        &self,
        object: &async_graphql::indexmap::IndexMap<Name, GqlValue>,
    ) -> QueryResult<Vec<Filter>> {
        if object.contains_key("or") {
            reject_columns_beside_or(object.keys().map(Name::as_str))?;
        }
        let mut filters = Vec::with_capacity(object.len());
        for (key, value) in object {
            match key.as_str() {
                "and" => filters.extend(self.parse_list(value)?.map(Filter::And)),
                "_change_block" => filters.push(change_block(value)?),
                "or" => filters.extend(self.parse_list(value)?.map(Filter::Or)),
                name if name.ends_with('_') && !self.by_name.contains_key(name) => {
                    filters.push(self.child_filter(name, value)?);
                }
                name => {
                    let input = self.by_name.get(name).map(|&i| &self.inputs[i]);
                    let input = input.ok_or_else(|| {
                        QueryError::new(format!(
                            "Entity `{}` has no attribute `{name}`",
                            self.type_name
                        ))
                    })?;
                    filters.push(build_filter(input, value)?);
                }
            }
        }
        Ok(filters)
    }

    /// `<field>_: { ... }`: the child's conditions, parsed with the referenced type's inputs, for
    /// each concrete type behind it (any of them may match).
    fn child_filter(&self, name: &str, value: &GqlValue) -> QueryResult<Filter> {
        let Some(child) = self.children.iter().find(|c| c.name == name) else {
            return Err(QueryError::new(if self.nested.iter().any(|n| n == name) {
                format!("Child filter nesting not supported by value `{name}`: `{value}`")
            } else {
                format!("Entity `{}` has no attribute `{name}`", self.type_name)
            }));
        };
        let GqlValue::Object(object) = value else {
            return Err(QueryError::new("Filter must by an object"));
        };
        let filter = Box::new(Filter::And(child.table.parse_object(object)?));
        let mut per_type: Vec<Filter> = child
            .child_types
            .iter()
            .map(|child_type| Filter::Child {
                field: child.field.clone(),
                child_type: child_type.clone(),
                filter: filter.clone(),
            })
            .collect();
        Ok(match per_type.len() {
            1 => per_type.remove(0),
            _ => Filter::Or(per_type),
        })
    }

    /// The elements of an `and`/`or` list, each the conjunction of its own filters; `None` for
    /// an explicit null.
    fn parse_list(&self, value: &GqlValue) -> QueryResult<Option<Vec<Filter>>> {
        let items = match value {
            GqlValue::Null => return Ok(None),
            GqlValue::List(items) => items,
            _ => return Err(QueryError::new("Filter must by an object")),
        };
        let filters = items
            .iter()
            .map(|item| match item {
                GqlValue::Object(object) => self.parse_object(object).map(conjunction),
                _ => Err(QueryError::new("Filter must by an object")),
            })
            .collect::<QueryResult<Vec<Filter>>>()?;
        Ok(Some(filters))
    }
}

/// `_change_block: { number_gte: N }` (graph-node's `BlockChangedFilter`).
fn change_block(value: &GqlValue) -> QueryResult<Filter> {
    let number = match value {
        GqlValue::Object(object) => object.get("number_gte"),
        _ => None,
    };
    match number.and_then(|n| match n {
        GqlValue::Number(n) => n.as_u64(),
        _ => None,
    }) {
        Some(block) => Ok(Filter::ChangedSince(block)),
        None => Err(QueryError::new(
            "`_change_block` must be `{ number_gte: <block number> }`",
        )),
    }
}

/// The name of the filter input type of an entity type or interface.
pub fn filter_type_name(type_name: &str) -> String {
    format!("{type_name}_filter")
}

fn conjunction(mut filters: Vec<Filter>) -> Filter {
    if filters.len() == 1 {
        filters.remove(0)
    } else {
        Filter::And(filters)
    }
}

/// graph-node refuses `{ a: 1, or: [...] }` because users read it as `a OR ...`; it is `a AND
/// (...)`. The message is graph-node's.
fn reject_columns_beside_or<'a>(keys: impl Iterator<Item = &'a str>) -> QueryResult<()> {
    let columns: Vec<String> = keys
        .filter(|key| !matches!(*key, "or" | "and" | "_change_block"))
        .map(|key| format!("'{key}'"))
        .collect();
    if columns.is_empty() {
        return Ok(());
    }
    let list = columns.join(", ");
    Err(QueryError::new(format!(
        "Cannot mix column filters with 'or' operator at the same level. Found column filter(s) \
         {list} alongside 'or' operator.\n\nInstead of:\nwhere: {{ {list}, or: [...] }}\n\nUse:\n\
         where: {{ or: [{{ {list}, ... }}, {{ {list}, ... }}] }}"
    )))
}

/// The fields of `ty` that refer to entity types or interfaces (references, lists of them and
/// derived fields; not aggregations), with the referenced type: those get child filters.
fn child_references<'t>(
    ty: &'t EntityType,
    schema: &'t Schema,
) -> impl Iterator<Item = (&'t Field, &'t str)> {
    ty.fields
        .iter()
        .filter_map(|field| match &field.field_type.base {
            BaseType::Reference(target) if schema.object_or_interface(target).is_some() => {
                Some((field, target.as_str()))
            }
            _ => None,
        })
}

/// The filter inputs of one field (none for derived fields: graph-node only offers child
/// filters on them, see [`ChildInput`]).
fn field_inputs(position: usize, field: &Field, schema: &Schema) -> Vec<FilterInput> {
    if !field.is_stored() {
        return Vec::new();
    }
    let (ops, element_type, value, storage): (_, String, _, _) = match &field.field_type.base {
        BaseType::Scalar(scalar) => {
            let (ops, storage) = match scalar {
                ScalarType::String => (STRING_OPS, Storage::Text),
                ScalarType::Bytes => (BYTES_OPS, Storage::Bytes),
                ScalarType::Boolean => (EQUALITY_OPS, Storage::Plain),
                _ => (ORDERED_OPS, Storage::Plain),
            };
            (
                ops,
                scalar.name().into(),
                InputType::Scalar(*scalar),
                storage,
            )
        }
        BaseType::Enum(name) => (EQUALITY_OPS, name.clone(), InputType::Enum, Storage::Plain),
        BaseType::Reference(target) => {
            // graph-node filters references by the referenced id, typed `String` for string and
            // bytes ids and `Int` for Int8 ids.
            let id_type = schema
                .object_or_interface(target)
                .map_or(IdType::String, |t| t.id_type);
            let (ops, element_type, storage) = match id_type {
                IdType::String => (STRING_OPS, "String", Storage::Text),
                IdType::Bytes => (STRING_OPS, "String", Storage::BytesReference),
                IdType::Int8 => (ORDERED_OPS, "Int", Storage::Plain),
            };
            (ops, element_type.into(), InputType::Id(id_type), storage)
        }
    };
    let (ops, storage) = if field.field_type.list {
        (LIST_OPS, Storage::List)
    } else {
        (ops, storage)
    };
    ops.iter()
        .map(|&op| FilterInput {
            position,
            name: format!("{}{}", field.name, op.suffix()),
            field: field.name.clone(),
            op,
            element_type: element_type.clone(),
            value: value.clone(),
            storage,
        })
        .collect()
}

/// The store filter for one input field and its value.
fn build_filter(input: &FilterInput, raw: &GqlValue) -> QueryResult<Filter> {
    let field = input.field.clone();
    if input.op.takes_set() {
        let values = decode_list(raw, &input.value)?;
        return Ok(match input.op {
            In => Filter::In(field, values),
            _ => Filter::NotIn(field, values),
        });
    }
    let value = match (input.storage, raw) {
        (_, GqlValue::Null) => Value::Null,
        (Storage::List, _) => Value::List(decode_list(raw, &input.value)?),
        _ => decode(raw, &input.value)?,
    };
    if value.is_null() && !matches!(input.op, Equal | Not) {
        return Err(QueryError::new(format!(
            "Filter `{}` does not accept null",
            input.name
        )));
    }
    let unsupported = || {
        QueryError::new(format!(
            "The filter `{}` is not supported yet by this indexer",
            input.name
        ))
    };
    let text = |value: Value| match value {
        Value::String(s) => Ok(s),
        _ => Err(unsupported()),
    };
    Ok(match input.op {
        Equal => Filter::Equal(field, value),
        Not => Filter::Not(field, value),
        GreaterThan => Filter::GreaterThan(field, value),
        LessThan => Filter::LessThan(field, value),
        GreaterOrEqual => Filter::GreaterOrEqual(field, value),
        LessOrEqual => Filter::LessOrEqual(field, value),
        // Handled above.
        In | NotIn => return Err(unsupported()),
        Contains | NotContains => match input.storage {
            Storage::Text => Filter::StringContains {
                field,
                substring: text(value)?,
                case_insensitive: false,
                negated: input.op == NotContains,
            },
            Storage::Bytes | Storage::List if input.op == Contains => {
                Filter::Contains(field, value)
            }
            Storage::Bytes | Storage::List => Filter::NotContains(field, value),
            Storage::BytesReference | Storage::Plain => return Err(unsupported()),
        },
        ContainsNoCase | NotContainsNoCase => Filter::StringContains {
            field,
            substring: text(value)?,
            case_insensitive: true,
            negated: input.op == NotContainsNoCase,
        },
        StartsWith | StartsWithNoCase | NotStartsWith | NotStartsWithNoCase => Filter::StartsWith {
            field,
            prefix: text(value)?,
            case_insensitive: matches!(input.op, StartsWithNoCase | NotStartsWithNoCase),
            negated: matches!(input.op, NotStartsWith | NotStartsWithNoCase),
        },
        EndsWith | EndsWithNoCase | NotEndsWith | NotEndsWithNoCase => Filter::EndsWith {
            field,
            suffix: text(value)?,
            case_insensitive: matches!(input.op, EndsWithNoCase | NotEndsWithNoCase),
            negated: matches!(input.op, NotEndsWith | NotEndsWithNoCase),
        },
    })
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
          live: Boolean!
          supply: BigInt!
          owner: Account
          tags: [String!]
          holders: [Account!]! @derivedFrom(field: "token")
        }
        type Account @entity(immutable: true) { id: ID! token: Token! }
    "#;

    fn table() -> FilterTable {
        let schema = Schema::parse(SDL).unwrap();
        FilterTable::new(schema.entity_type("Token").unwrap(), &schema)
    }

    fn names_for(table: &FilterTable, field: &str) -> Vec<String> {
        let inputs = table.inputs().iter().filter(|i| i.field == field);
        inputs.map(|i| i.name.clone()).collect()
    }

    #[test]
    fn op_sets_follow_the_field_type() {
        let table = table();
        assert_eq!(
            names_for(&table, "id"),
            [
                "id",
                "id_not",
                "id_gt",
                "id_lt",
                "id_gte",
                "id_lte",
                "id_in",
                "id_not_in",
                "id_contains",
                "id_not_contains"
            ]
        );
        assert_eq!(names_for(&table, "name").len(), 20);
        assert_eq!(names_for(&table, "owner").len(), 20);
        assert_eq!(
            names_for(&table, "kind"),
            ["kind", "kind_not", "kind_in", "kind_not_in"]
        );
        assert_eq!(
            names_for(&table, "live"),
            ["live", "live_not", "live_in", "live_not_in"]
        );
        assert_eq!(names_for(&table, "supply").len(), 8);
        assert_eq!(
            names_for(&table, "tags"),
            ["tags", "tags_not", "tags_contains", "tags_not_contains"]
        );
        assert!(names_for(&table, "holders").is_empty());
    }

    fn parse(table: &FilterTable, json: serde_json::Value) -> QueryResult<Vec<Filter>> {
        table.parse(&GqlValue::from_json(json).unwrap())
    }

    #[test]
    fn builds_store_filters() {
        let table = table();
        let filters = parse(
            &table,
            serde_json::json!({
                "name_starts_with_nocase": "ab",
                "supply_gte": "10",
                "id_in": ["0x01", "0x02"],
                "owner": "alice",
                "and": [{ "live": true }, { "tags_contains": ["x"] }],
            }),
        )
        .unwrap();
        // serde_json sorts object keys, so the filters come in key order.
        assert_eq!(
            filters,
            vec![
                Filter::And(vec![
                    Filter::Equal("live".into(), Value::Bool(true)),
                    Filter::Contains("tags".into(), Value::List(vec![Value::String("x".into())])),
                ]),
                Filter::In(
                    "id".into(),
                    vec![Value::Bytes(vec![1]), Value::Bytes(vec![2])]
                ),
                Filter::StartsWith {
                    field: "name".into(),
                    prefix: "ab".into(),
                    case_insensitive: true,
                    negated: false,
                },
                Filter::Equal("owner".into(), Value::String("alice".into())),
                Filter::GreaterOrEqual("supply".into(), Value::BigInt(10.into())),
            ]
        );
    }

    #[test]
    fn refuses_columns_beside_or() {
        let err = parse(&table(), serde_json::json!({ "name": "a", "or": [] })).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "Cannot mix column filters with 'or' operator at the same level. Found column \
                 filter(s) 'name' alongside 'or' operator."
            ),
            "{err}"
        );
    }

    #[test]
    fn null_only_for_equality() {
        let table = table();
        assert_eq!(
            parse(&table, serde_json::json!({ "kind": null })).unwrap(),
            vec![Filter::Equal("kind".into(), Value::Null)]
        );
        let err = parse(&table, serde_json::json!({ "supply_gt": null })).unwrap_err();
        assert_eq!(err.to_string(), "Filter `supply_gt` does not accept null");
    }
}
