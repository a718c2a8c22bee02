//! Collection fields (`tokens`, `Token.holders`, ...): their arguments become an [`EntityQuery`]
//! per entity type, and the results of several types (an interface) merge into one page.

use std::cmp::Ordering;

use async_graphql::dynamic::ObjectAccessor;
use async_graphql::Value as GqlValue;
use sprig_manifest::{BaseType, EntityType};
use sprig_store::{EntityQuery, Filter, OrderDirection, QueryStore};
use sprig_value::{Entity, Value};

use crate::error::{QueryError, QueryResult};
use crate::filter::FilterTable;
use crate::values::compare;

/// graph-node's defaults and limits (`GRAPH_GRAPHQL_MAX_FIRST`, `GRAPH_GRAPHQL_MAX_SKIP`).
const DEFAULT_FIRST: u32 = 100;
const MAX_FIRST: u32 = 1000;
const MAX_SKIP: u32 = u32::MAX;

/// A page of entities of one collection, before it is split per entity type.
#[derive(Clone, Debug, PartialEq)]
pub struct Collection {
    pub filters: Vec<Filter>,
    /// `None` orders by `id`.
    pub order_by: Option<String>,
    pub direction: OrderDirection,
    pub first: u32,
    pub skip: u32,
}

/// An entity found by a query, with its concrete type (needed when the field is an interface).
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub type_name: String,
    pub entity: Entity,
}

impl Collection {
    /// Reads `skip`, `first`, `orderBy`, `orderDirection` and `where` for a collection of `ty`.
    pub fn from_args(
        args: &ObjectAccessor<'_>,
        ty: &EntityType,
        filters: &FilterTable,
    ) -> QueryResult<Collection> {
        let arg = |name: &str| args.get(name).map(|v| v.as_value().clone());
        let first = range_arg(arg("first"), "first", DEFAULT_FIRST, 1, MAX_FIRST)?;
        let skip = range_arg(arg("skip"), "skip", 0, 0, MAX_SKIP)?;
        let order_by = match arg("orderBy") {
            None | Some(GqlValue::Null) => None,
            Some(GqlValue::Enum(name)) => order_field(ty, name.as_str())?,
            Some(GqlValue::String(name)) => order_field(ty, &name)?,
            Some(other) => return Err(QueryError::new(format!("invalid `orderBy`: {other}"))),
        };
        let direction = match arg("orderDirection") {
            Some(GqlValue::Enum(name)) if name.as_str() == "desc" => OrderDirection::Descending,
            Some(GqlValue::String(name)) if name == "desc" => OrderDirection::Descending,
            _ => OrderDirection::Ascending,
        };
        let filters = match arg("where") {
            Some(value) => filters.parse(&value)?,
            None => Vec::new(),
        };
        Ok(Collection {
            filters,
            order_by,
            direction,
            first,
            skip,
        })
    }

    /// Runs the collection over the entity types of `types` (one type, or an interface's
    /// implementors) at `block`.
    pub fn run(
        &self,
        store: &dyn QueryStore,
        types: &[&EntityType],
        block: u64,
    ) -> QueryResult<Vec<Found>> {
        let query = |entity_type: &str, first: u32, skip: u32| EntityQuery {
            entity_type: entity_type.to_string(),
            filters: self.filters.clone(),
            order_by: self.order_by.clone(),
            order_direction: self.direction,
            first,
            skip,
            block: Some(block),
        };
        if let [ty] = types {
            let entities = store
                .query(&query(&ty.name, self.first, self.skip))
                .map_err(QueryError::store)?;
            return Ok(tag(ty, entities).collect());
        }
        if self.order_by.as_deref().is_some_and(|o| o.contains("__")) {
            return Err(QueryError::new(
                "Sorting by a child entity's field is not supported for interfaces",
            ));
        }
        // Across types, the page can only be cut after merging: every type contributes up to
        // `skip + first` candidates, in the order the store sorted them.
        let mut all = Vec::new();
        for ty in types {
            let entities = store
                .query(&query(&ty.name, self.window(), 0))
                .map_err(QueryError::store)?;
            all.extend(tag(ty, entities));
        }
        Ok(self.page(all))
    }

    /// How many candidates each part of a merged page must contribute: `skip + first`.
    pub fn window(&self) -> u32 {
        self.skip.saturating_add(self.first)
    }

    /// The page of `candidates` (each part's first [`Collection::window`] entities, in any
    /// order): sorted as the store sorts, then `skip` and `first` applied.
    pub fn page(&self, mut candidates: Vec<Found>) -> Vec<Found> {
        candidates.sort_by(|a, b| self.compare(&a.entity, &b.entity));
        candidates
            .into_iter()
            .skip(self.skip as usize)
            .take(self.first as usize)
            .collect()
    }

    /// The store's order: the sort field, then `id`, both in the requested direction.
    fn compare(&self, a: &Entity, b: &Entity) -> Ordering {
        let get = |e: &Entity, field: &str| e.get(field).cloned().unwrap_or(Value::Null);
        let by_field = match &self.order_by {
            Some(field) => compare(&get(a, field), &get(b, field)),
            None => Ordering::Equal,
        };
        let ordering = by_field.then_with(|| compare(&get(a, "id"), &get(b, "id")));
        match self.direction {
            OrderDirection::Ascending => ordering,
            OrderDirection::Descending => ordering.reverse(),
        }
    }
}

/// The entities of one type, tagged with it.
pub fn tag<'t>(ty: &'t EntityType, entities: Vec<Entity>) -> impl Iterator<Item = Found> + 't {
    entities.into_iter().map(|entity| Found {
        type_name: ty.name.clone(),
        entity,
    })
}

/// `first`/`skip`: an explicit null means the default; the error text is graph-node's.
fn range_arg(
    value: Option<GqlValue>,
    name: &str,
    default: u32,
    min: u32,
    max: u32,
) -> QueryResult<u32> {
    let n = match value {
        None | Some(GqlValue::Null) => return Ok(default),
        Some(GqlValue::Number(n)) => n.as_i64(),
        Some(_) => None,
    };
    let n = n.ok_or_else(|| QueryError::new(format!("The `{name}` argument must be an Int")))?;
    u32::try_from(n)
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            QueryError::new(format!(
                "The `{name}` argument must be between 0 and {max}, but is {n}"
            ))
        })
}

/// The field an `orderBy` value names; `None` for `id`, the store's default order.
fn order_field(ty: &EntityType, name: &str) -> QueryResult<Option<String>> {
    // graph-node's child sorting, `<field>__<child field>`: the store checks the child's side.
    if let Some((parent, _)) = name.split_once("__") {
        let field = ty.field(parent).ok_or_else(|| {
            QueryError::new(format!("Entity `{}` has no attribute `{parent}`", ty.name))
        })?;
        if !matches!(field.field_type.base, BaseType::Reference(_)) || field.field_type.list {
            return Err(QueryError::new(format!(
                "Ordering by `{name}` is not supported for type `{}`: `{parent}` does not hold \
                 one entity",
                ty.name
            )));
        }
        return Ok(Some(name.to_string()));
    }
    let field = ty.field(name).ok_or_else(|| {
        QueryError::new(format!("Entity `{}` has no attribute `{name}`", ty.name))
    })?;
    if !field.is_stored() || field.field_type.list {
        return Err(QueryError::new(format!(
            "Ordering by `{name}` is not supported for type `{}`: only fields holding a single \
             stored value can be sorted on",
            ty.name
        )));
    }
    Ok((name != "id").then(|| name.to_string()))
}
