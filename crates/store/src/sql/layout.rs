//! How a deployment's entity types map to tables: names, column types, DDL, and the statements
//! every write and lookup uses.
//!
//! Every deployment has a number `N` (its row in the `deployments` table). Entity type `FooBar`
//! lives in table `sgdN.foo_bar` in PostgreSQL (graph-node's layout: a schema per deployment)
//! and `sgdN_foo_bar` in SQLite (the schema flattened into a name prefix); the deployment's data
//! sources, recent blocks and proof-of-indexing digests live beside them (`sgdN.data_sources$`,
//! `sgdN$data_sources`). Columns are snake_case field names. Each table has:
//!
//! ```text
//! vid         row version, primary key
//! id          text | bytes | int8 (by the id type)
//! block_from  first block the version is visible at
//! block_to    first block it is not (NULL = current); mutable types only
//! causality_region$  0 for onchain writes, the file data source's region for its writes
//! <field>...  one column per stored field, nullable
//! ```
//!
//! graph-node adds `causality_region` only to the tables of types that file templates list in
//! `entities`; Sprig adds it to every table (it costs nothing on rows that keep the default), so
//! a layout depends on the schema alone. Its name ends in `$`, which no snake-cased GraphQL
//! field name has, so a field `causalityRegion` keeps its own column. Ids stay unique across
//! regions, as graph-node's exclusion constraint on `(id, block_range)` keeps them.
//!
//! Both backends store the same values: BigInt and BigDecimal as the order-preserving byte keys
//! of `numeric.rs`, lists as JSON arrays, text compared bytewise (`COLLATE "C"` in PostgreSQL),
//! so that filters and sorting give identical answers on either.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use anyhow::{anyhow, bail, Result};
use sprig_manifest::{
    AggregateArg, Aggregation, AggregationInterval, BaseType, EntityType, ScalarType, Schema,
};
use sprig_value::IdType;

use super::fulltext::{self, FulltextIndex};
use super::Dialect;
use crate::validation::type_name;

/// Columns every entity table has; fields may not map onto them.
const RESERVED_COLUMNS: [&str; 4] = ["vid", "id", "block_from", "block_to"];

/// The entity tables' causality region column, quoted. It is bookkeeping added in layout
/// version 3, after fields had their names: the `$` keeps every field name out of its way.
pub(crate) const CAUSALITY_REGION: &str = "\"causality_region$\"";

/// How the values of a column (or of a list column's elements) are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ColumnType {
    /// `String`, `ID` and enum values: TEXT.
    Text,
    /// BLOB.
    Bytes,
    /// INTEGER holding an `i32`.
    Int,
    /// INTEGER.
    Int8,
    /// INTEGER, microseconds since the epoch.
    Timestamp,
    /// INTEGER 0 or 1.
    Boolean,
    /// BLOB holding the order-preserving key of `numeric.rs`.
    BigInt,
    /// BLOB holding the order-preserving key of `numeric.rs`.
    BigDecimal,
}

impl ColumnType {
    fn of_id(id_type: IdType) -> ColumnType {
        match id_type {
            IdType::String => ColumnType::Text,
            IdType::Bytes => ColumnType::Bytes,
            IdType::Int8 => ColumnType::Int8,
        }
    }

    fn sql_type(self, dialect: Dialect) -> &'static str {
        match (dialect, self) {
            (Dialect::Sqlite, ColumnType::Text) => "TEXT",
            (Dialect::Sqlite, ColumnType::Bytes | ColumnType::BigInt | ColumnType::BigDecimal) => {
                "BLOB"
            }
            (Dialect::Sqlite, _) => "INTEGER",
            // Bytewise order, as in SQLite, whatever the database's locale.
            (Dialect::Postgres, ColumnType::Text) => "TEXT COLLATE \"C\"",
            (
                Dialect::Postgres,
                ColumnType::Bytes | ColumnType::BigInt | ColumnType::BigDecimal,
            ) => "BYTEA",
            (Dialect::Postgres, ColumnType::Int) => "INT4",
            (Dialect::Postgres, ColumnType::Int8 | ColumnType::Timestamp) => "INT8",
            (Dialect::Postgres, ColumnType::Boolean) => "BOOLEAN",
        }
    }

    /// The name of the GraphQL type whose values this column holds, for error messages.
    pub(crate) fn value_name(self) -> &'static str {
        match self {
            ColumnType::Text => "String",
            ColumnType::Bytes => "Bytes",
            ColumnType::Int => "Int",
            ColumnType::Int8 => "Int8",
            ColumnType::Timestamp => "Timestamp",
            ColumnType::Boolean => "Boolean",
            ColumnType::BigInt => "BigInt",
            ColumnType::BigDecimal => "BigDecimal",
        }
    }
}

/// One stored field of an entity type.
#[derive(Clone, Debug)]
pub(crate) struct Column {
    /// The GraphQL field name.
    pub field: String,
    /// The quoted SQL column name.
    pub sql: String,
    pub column_type: ColumnType,
    /// Lists are stored as a JSON array (TEXT in SQLite, JSONB in PostgreSQL).
    pub list: bool,
}

/// A field of a table's type that refers to another entity type or interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reference {
    /// The referenced type (an entity type or an interface).
    pub target: String,
    /// For a derived field, the target's field pointing back.
    pub derived_from: Option<String>,
    /// Whether the field holds a list.
    pub list: bool,
}

/// The table of one entity type.
#[derive(Debug)]
pub(crate) struct Table {
    pub dialect: Dialect,
    /// The table's position in the layout.
    pub number: usize,
    pub entity_type: String,
    /// The quoted (and in PostgreSQL schema-qualified) SQL table name.
    pub sql: String,
    pub immutable: bool,
    pub id: Column,
    /// The stored fields other than `id`, in declaration order.
    pub columns: Vec<Column>,
    /// `id` and then `columns`, for SELECT.
    pub select_list: String,
    /// The `@fulltext` searches over this type, in declaration order.
    pub fulltexts: Vec<FulltextIndex>,
    /// The fields referring to other entity types (stored references and derived fields), for
    /// queries that reach into the referenced entity (sorting by its fields).
    pub references: HashMap<String, Reference>,
    /// The current version: binds `?1` id.
    pub current_sql: String,
    /// The current version if onchain handlers may see it (causality region 0): binds `?1` id.
    pub onchain_sql: String,
    /// The multi-row INSERT and close statements, built once per row count (see
    /// [`Table::insert_sql`]).
    insert_sql: [OnceLock<String>; BATCH_SIZES],
    close_sql: [OnceLock<String>; BATCH_SIZES],
}

/// How many batch sizes a table has statements for: 1, 2, 4, ... up to 2^(BATCH_SIZES-1) rows.
const BATCH_SIZES: usize = 9;

/// At most this many parameters per multi-row statement (SQLite allows 32766, PostgreSQL 65535).
const MAX_BATCH_PARAMS: usize = 16_384;

impl Table {
    /// How many rows one INSERT of this table may carry: a power of two, at most 256, and small
    /// enough that its parameters stay far below both databases' limits.
    pub(crate) fn max_insert_rows(&self) -> usize {
        let per_row = self.columns.len() + 2;
        let mut rows = 1 << (BATCH_SIZES - 1);
        while rows > 1 && rows * per_row > MAX_BATCH_PARAMS {
            rows /= 2;
        }
        rows
    }

    /// How many ids one close statement may carry.
    pub(crate) fn max_close_ids(&self) -> usize {
        1 << (BATCH_SIZES - 1)
    }

    /// Inserts `rows` versions (a power of two, at most [`Table::max_insert_rows`]), each binding
    /// id, block_from, then `columns` in order; a row whose id already has a current version
    /// (or, if immutable, any version) is skipped rather than failing the statement, so the
    /// caller can tell which one it was from the count of changed rows.
    ///
    /// Row counts are powers of two so that a table has at most [`BATCH_SIZES`] insert
    /// statements, which both backends keep prepared.
    pub(crate) fn insert_sql(&self, rows: usize) -> &str {
        self.insert_sql[batch_index(rows)].get_or_init(|| {
            let per_row = self.columns.len() + 2;
            let columns: String = self
                .columns
                .iter()
                .map(|c| format!(", {}", c.sql))
                .collect();
            let values = (0..rows)
                .map(|row| {
                    let first = row * per_row + 1;
                    let params = (first..first + per_row)
                        .map(|i| format!("?{i}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    format!("({params})")
                })
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "INSERT INTO {} (id, block_from{columns}) VALUES {values} ON CONFLICT DO NOTHING",
                self.sql
            )
        })
    }

    /// Closes the current versions of `ids` ids (a power of two, at most
    /// [`Table::max_close_ids`]): binds `?1` block, then the ids. Mutable types only.
    pub(crate) fn close_sql(&self, ids: usize) -> &str {
        self.close_sql[batch_index(ids)].get_or_init(|| {
            let params = (2..ids + 2)
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "UPDATE {} SET block_to = ?1 WHERE block_to IS NULL AND id IN ({params})",
                self.sql
            )
        })
    }

    /// The column of a field, `id` included.
    pub(crate) fn column(&self, field: &str) -> Option<&Column> {
        if field == "id" {
            return Some(&self.id);
        }
        self.columns.iter().find(|c| c.field == field)
    }

    /// The condition selecting the versions visible at a block (`None` = the current ones);
    /// `Some(n)` means the block number is bound as parameter `?n`.
    pub(crate) fn visible_at(&self, block: Option<usize>) -> String {
        match (block, self.immutable) {
            (None, true) => "TRUE".to_string(),
            (None, false) => "block_to IS NULL".to_string(),
            (Some(param), true) => format!("block_from <= ?{param}"),
            (Some(param), false) => {
                format!("block_from <= ?{param} AND (block_to IS NULL OR block_to > ?{param})")
            }
        }
    }

    fn ddl(&self) -> Vec<String> {
        let name = &self.sql;
        let index = |suffix: &str| self.index_name(suffix);
        let types = Types::of(self.dialect);
        let mut table = format!(
            "CREATE TABLE IF NOT EXISTS {name} (\n  vid {},\n  id {} NOT NULL,\n  block_from {} NOT NULL",
            types.vid,
            self.id.column_type.sql_type(self.dialect),
            types.int8
        );
        if !self.immutable {
            let _ = write!(table, ",\n  block_to {}", types.int8);
        }
        let _ = write!(
            table,
            ",\n  {CAUSALITY_REGION} {} NOT NULL DEFAULT 0",
            types.int8
        );
        for column in &self.columns {
            let sql_type = if column.list {
                types.json
            } else {
                column.column_type.sql_type(self.dialect)
            };
            let _ = write!(table, ",\n  {} {sql_type}", column.sql);
        }
        table.push_str("\n)");

        let mut ddl = vec![table];
        // Reverts delete versions by `block_from`.
        ddl.push(format!(
            "CREATE INDEX IF NOT EXISTS {} ON {name}(block_from)",
            index("block_from")
        ));
        let current = if self.immutable {
            ddl.push(format!(
                "CREATE UNIQUE INDEX IF NOT EXISTS {} ON {name}(id)",
                index("id")
            ));
            ""
        } else {
            // One current version per id, found without scanning the id's history.
            ddl.push(format!(
                "CREATE UNIQUE INDEX IF NOT EXISTS {} ON {name}(id) WHERE block_to IS NULL",
                index("current")
            ));
            // Lookups of an id at an earlier block.
            ddl.push(format!(
                "CREATE INDEX IF NOT EXISTS {} ON {name}(id, block_from)",
                index("history")
            ));
            // Reverts reopen versions by `block_to`; current rows stay out of this index.
            ddl.push(format!(
                "CREATE INDEX IF NOT EXISTS {} ON {name}(block_to) WHERE block_to IS NOT NULL",
                index("closed")
            ));
            " WHERE block_to IS NULL"
        };
        // Filters and sorting of current rows, the common query. List columns hold JSON, which
        // an index would not help with.
        for (i, column) in self.columns.iter().enumerate().filter(|(_, c)| !c.list) {
            let suffix = match self.dialect {
                Dialect::Sqlite => unquote(&column.sql).to_string(),
                Dialect::Postgres => format!("c{i}"),
            };
            ddl.push(format!(
                "CREATE INDEX IF NOT EXISTS {} ON {name}({}){current}",
                index(&suffix),
                column.sql
            ));
        }
        for search in &self.fulltexts {
            ddl.extend(search.ddl(self.dialect, name, |suffix| index(suffix)));
        }
        ddl
    }

    /// The `@fulltext` search named `name` (its query field) over this table.
    pub(crate) fn fulltext(&self, name: &str) -> Option<&FulltextIndex> {
        self.fulltexts.iter().find(|f| f.name == name)
    }

    /// The quoted name of one of the table's indexes. PostgreSQL keeps index names per schema
    /// and cuts them at 63 bytes, so there they are short numbered names (`i3_c5`: table 3,
    /// column 5) that cannot collide after cutting.
    fn index_name(&self, suffix: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => quote(&format!("{}${suffix}", unquote(&self.sql))),
            Dialect::Postgres => quote(&format!("i{}_{suffix}", self.number)),
        }
    }
}

/// Column types of the bookkeeping columns, by dialect.
struct Types {
    /// The row version: an auto-assigned primary key.
    vid: &'static str,
    int8: &'static str,
    blob: &'static str,
    json: &'static str,
    /// Text compared bytewise.
    text: &'static str,
}

impl Types {
    fn of(dialect: Dialect) -> Types {
        match dialect {
            Dialect::Sqlite => Types {
                vid: "INTEGER PRIMARY KEY",
                int8: "INTEGER",
                blob: "BLOB",
                json: "TEXT",
                text: "TEXT",
            },
            Dialect::Postgres => Types {
                vid: "INT8 GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                int8: "INT8",
                blob: "BYTEA",
                json: "JSONB",
                text: "TEXT COLLATE \"C\"",
            },
        }
    }
}

/// All tables of one deployment.
#[derive(Debug)]
pub(crate) struct Layout {
    dialect: Dialect,
    /// The quoted name of the deployment's PostgreSQL schema (`sgdN`).
    schema: String,
    tables: Vec<Table>,
    by_type: HashMap<String, usize>,
    /// The quoted name of the data sources table.
    pub data_sources: String,
    /// The committed blocks (number, hash, timestamp) of the recent past, for finding the common
    /// ancestor after a chain reorganisation.
    pub blocks: String,
    /// Proof-of-indexing digests: one row per causality region and block that changed it.
    pub poi: String,
    /// The aggregations' tables, one per aggregation and interval.
    rollups: Vec<Rollup>,
}

/// One aggregation at one interval: its table, filled from its source timeseries' table.
#[derive(Debug)]
pub(crate) struct Rollup {
    pub aggregation: Aggregation,
    pub interval: AggregationInterval,
    /// The aggregation's table at this interval, an index into [`Layout::tables`].
    pub table: usize,
    /// The source timeseries' table, an index into [`Layout::tables`].
    pub source: usize,
}

impl Layout {
    /// The layout of deployment number `deployment` with `schema`. Fails if two types or two
    /// fields of a type would share a table or column name.
    pub(crate) fn new(dialect: Dialect, deployment: i64, schema: &Schema) -> Result<Layout> {
        let prefix = format!("sgd{deployment}");
        let name = |name: &str| match dialect {
            Dialect::Sqlite => quote(&format!("{prefix}_{name}")),
            Dialect::Postgres => format!("{}.{}", quote(&prefix), quote(name)),
        };
        // `$` cannot occur in a snake-cased GraphQL name, so the bookkeeping tables never meet
        // an entity type's.
        let bookkeeping = |name: &str| match dialect {
            Dialect::Sqlite => quote(&format!("{prefix}${name}")),
            Dialect::Postgres => format!("{}.{}", quote(&prefix), quote(&format!("{name}$"))),
        };
        let aggregation_types: Vec<EntityType> = schema
            .aggregations
            .iter()
            .flat_map(|a| a.intervals.iter().map(|&i| a.entity_type(Some(i))))
            .collect();
        let mut tables = Vec::with_capacity(schema.entity_types.len() + aggregation_types.len());
        let mut by_type = HashMap::new();
        let mut by_table: HashMap<String, &str> = HashMap::new();
        for entity_type in schema.entity_types.iter().chain(&aggregation_types) {
            let table_name = snake_case(&entity_type.name);
            if let Some(other) = by_table.insert(table_name.clone(), &entity_type.name) {
                bail!(
                    "types `{other}` and `{}` would share the table `{table_name}`; rename one of them",
                    entity_type.name
                );
            }
            by_type.insert(entity_type.name.clone(), tables.len());
            let number = tables.len();
            tables.push(table(
                dialect,
                schema,
                entity_type,
                name(&table_name),
                number,
            )?);
        }
        let rollups = schema
            .aggregations
            .iter()
            .flat_map(|a| a.intervals.iter().map(move |&i| (a, i)))
            .map(|(aggregation, interval)| Rollup {
                aggregation: aggregation.clone(),
                interval,
                table: by_type[&aggregation.interval_type_name(interval)],
                source: by_type[&aggregation.source],
            })
            .collect();
        Ok(Layout {
            dialect,
            schema: quote(&prefix),
            tables,
            by_type,
            rollups,
            data_sources: bookkeeping("data_sources"),
            blocks: bookkeeping("blocks"),
            poi: bookkeeping("poi"),
        })
    }

    /// The table of an entity type.
    pub(crate) fn table(&self, entity_type: &str) -> Option<&Table> {
        self.by_type.get(entity_type).map(|&i| &self.tables[i])
    }

    pub(crate) fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// The aggregations' tables, one per aggregation and interval.
    pub(crate) fn rollups(&self) -> &[Rollup] {
        &self.rollups
    }

    /// The rollup that fills the rows of `interval_type` (`Stats_hour`).
    pub(crate) fn rollup(&self, interval_type: &str) -> Result<&Rollup> {
        self.rollups
            .iter()
            .find(|r| self.tables[r.table].entity_type == interval_type)
            .ok_or_else(|| anyhow!("`{interval_type}` is not an aggregation at an interval"))
    }

    /// The statements creating every table and index (idempotent).
    pub(crate) fn ddl(&self) -> Vec<String> {
        let mut ddl = Vec::new();
        if self.dialect == Dialect::Postgres {
            ddl.push(format!("CREATE SCHEMA IF NOT EXISTS {}", self.schema));
        }
        ddl.extend(self.tables.iter().flat_map(Table::ddl));
        let Types {
            vid,
            int8,
            blob,
            text,
            ..
        } = Types::of(self.dialect);
        ddl.push(format!(
            "CREATE TABLE IF NOT EXISTS {} (\n  vid {vid},\n  template TEXT NOT NULL,\n  params TEXT NOT NULL,\n  context TEXT,\n  creation_block {int8} NOT NULL,\n  causality_region {int8} NOT NULL DEFAULT 0,\n  done_at {int8}\n)",
            self.data_sources
        ));
        ddl.push(format!(
            "CREATE TABLE IF NOT EXISTS {} (\n  number {int8} PRIMARY KEY,\n  hash {blob} NOT NULL,\n  timestamp {int8} NOT NULL\n)",
            self.blocks
        ));
        // For `block: { hash }` queries.
        let hash_index = match self.dialect {
            Dialect::Sqlite => quote(&format!("{}$hash", unquote(&self.blocks))),
            Dialect::Postgres => quote("blocks$hash"),
        };
        ddl.push(format!(
            "CREATE INDEX IF NOT EXISTS {hash_index} ON {}(hash)",
            self.blocks
        ));
        ddl.push(format!(
            "CREATE TABLE IF NOT EXISTS {} (\n  region {text} NOT NULL,\n  block {int8} NOT NULL,\n  digest {blob} NOT NULL,\n  PRIMARY KEY (region, block)\n)",
            self.poi
        ));
        ddl
    }

    /// The statements that bring this deployment's tables from format version 2 to 3: a
    /// [`CAUSALITY_REGION`] column on every entity table, a `causality_region` column on the
    /// data sources, which also get `done_at` (the block a file data source was processed at).
    pub(crate) fn upgrade_to_v3(&self) -> Vec<String> {
        let int8 = Types::of(self.dialect).int8;
        let mut ddl: Vec<String> = self
            .tables
            .iter()
            .map(|t| {
                format!(
                    "ALTER TABLE {} ADD COLUMN {CAUSALITY_REGION} {int8} NOT NULL DEFAULT 0",
                    t.sql
                )
            })
            .collect();
        ddl.push(format!(
            "ALTER TABLE {} ADD COLUMN causality_region {int8} NOT NULL DEFAULT 0",
            self.data_sources
        ));
        ddl.push(format!(
            "ALTER TABLE {} ADD COLUMN done_at {int8}",
            self.data_sources
        ));
        ddl
    }

    /// The statements that add the `@fulltext` searches to a deployment created before Sprig
    /// kept them (it ignored `_Schema_` then): their columns or tables, indexes and triggers,
    /// then the documents of the rows already stored.
    pub(crate) fn add_fulltexts(&self) -> Vec<String> {
        let mut ddl = Vec::new();
        for table in &self.tables {
            for search in &table.fulltexts {
                ddl.extend(search.ddl(self.dialect, &table.sql, |s| table.index_name(s)));
                ddl.extend(search.backfill(self.dialect, &table.sql));
            }
        }
        ddl
    }

    /// The table of an entity type, or an error naming it.
    pub(crate) fn require(&self, entity_type: &str, schema: &Schema) -> Result<&Table> {
        self.table(entity_type).ok_or_else(|| {
            if schema.interface(entity_type).is_some() {
                anyhow!(
                    "`{entity_type}` is an interface; the store can only query its implementing entity types"
                )
            } else {
                anyhow!("unknown entity type `{entity_type}`: it is not in the deployment's schema")
            }
        })
    }
}

fn table(
    dialect: Dialect,
    schema: &Schema,
    entity_type: &EntityType,
    sql: String,
    number: usize,
) -> Result<Table> {
    let mut columns: Vec<Column> = Vec::new();
    let mut by_name: HashMap<String, &str> = HashMap::new();
    for field in entity_type.stored_fields().filter(|f| f.name != "id") {
        let name = snake_case(&field.name);
        if RESERVED_COLUMNS.contains(&name.as_str()) {
            bail!(
                "field `{}.{}` would be stored in column `{name}`, which Sprig reserves for its own use; rename the field",
                entity_type.name,
                field.name
            );
        }
        if let Some(other) = by_name.insert(name.clone(), &field.name) {
            bail!(
                "fields `{0}.{other}` and `{0}.{1}` would share the column `{name}`; rename one of them",
                entity_type.name,
                field.name
            );
        }
        let column_type = match &field.field_type.base {
            BaseType::Scalar(scalar) => match scalar {
                ScalarType::Id | ScalarType::String => ColumnType::Text,
                ScalarType::Bytes => ColumnType::Bytes,
                ScalarType::BigInt => ColumnType::BigInt,
                ScalarType::BigDecimal => ColumnType::BigDecimal,
                ScalarType::Int => ColumnType::Int,
                ScalarType::Int8 => ColumnType::Int8,
                ScalarType::Boolean => ColumnType::Boolean,
                ScalarType::Timestamp => ColumnType::Timestamp,
            },
            BaseType::Enum(_) => ColumnType::Text,
            BaseType::Reference(target) => {
                let target = schema.object_or_interface(target).ok_or_else(|| {
                    anyhow!(
                        "field `{}.{}` references unknown type `{target}`",
                        entity_type.name,
                        field.name
                    )
                })?;
                ColumnType::of_id(target.id_type)
            }
        };
        columns.push(Column {
            field: field.name.clone(),
            sql: quote(&name),
            column_type,
            list: field.field_type.list,
        });
    }
    let id = Column {
        field: "id".to_string(),
        sql: "id".to_string(),
        column_type: ColumnType::of_id(entity_type.id_type),
        list: false,
    };
    let select_list = std::iter::once("id")
        .chain(columns.iter().map(|c| c.sql.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let references = entity_type
        .fields
        .iter()
        .filter_map(|field| match &field.field_type.base {
            BaseType::Reference(target) => Some((
                field.name.clone(),
                Reference {
                    target: target.clone(),
                    derived_from: field.derived_from.clone(),
                    list: field.field_type.list,
                },
            )),
            _ => None,
        })
        .collect();
    let fulltexts = schema
        .fulltexts_of(&entity_type.name)
        .map(|f| FulltextIndex::new(dialect, f, &sql, &columns))
        .collect::<Result<Vec<_>>>()?;
    let current = if entity_type.immutable {
        ""
    } else {
        " AND block_to IS NULL"
    };
    Ok(Table {
        dialect,
        number,
        entity_type: entity_type.name.clone(),
        immutable: entity_type.immutable,
        current_sql: format!("SELECT {select_list} FROM {sql} WHERE id = ?1{current}"),
        onchain_sql: format!(
            "SELECT {select_list} FROM {sql} WHERE id = ?1{current} AND {CAUSALITY_REGION} = 0"
        ),
        insert_sql: Default::default(),
        close_sql: Default::default(),
        select_list,
        fulltexts,
        references,
        sql,
        id,
        columns,
    })
}

/// The statement slot of a batch of `rows` rows, which must be a power of two.
fn batch_index(rows: usize) -> usize {
    assert!(
        rows.is_power_of_two() && rows < 1 << BATCH_SIZES,
        "internal error: a batch of {rows} rows"
    );
    rows.trailing_zeros() as usize
}

/// A canonical description of everything in the schema that shapes the stored data or its
/// queries. Two schemas with the same description can share a deployment's tables; comments,
/// formatting and declaration order of enums do not matter.
pub(crate) fn describe(schema: &Schema) -> String {
    let mut out = String::new();
    for (name, values) in &schema.enums {
        let _ = writeln!(out, "enum {name} {{ {} }}", values.join(" "));
    }
    let types = schema.entity_types.iter().chain(&schema.interfaces);
    for ty in types {
        let kind = match (ty.is_interface, ty.immutable) {
            (true, _) => "interface",
            (false, true) => "type @immutable",
            (false, false) => "type",
        };
        let implements = if ty.implements.is_empty() {
            String::new()
        } else {
            format!(" implements {}", ty.implements.join(" & "))
        };
        let _ = writeln!(out, "{kind} {}{implements} {{", ty.name);
        for field in &ty.fields {
            let derived = match &field.derived_from {
                Some(target) => format!(" @derivedFrom({target})"),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "  {}: {}{derived}",
                field.name,
                type_name(&field.field_type)
            );
        }
        out.push_str("}\n");
    }
    // Only schemas with aggregations get these lines, so older descriptions stay as they were.
    for aggregation in &schema.aggregations {
        let intervals: Vec<&str> = aggregation.intervals.iter().map(|i| i.name()).collect();
        let _ = writeln!(
            out,
            "aggregation {} @source({}) @intervals({}) {{",
            aggregation.name,
            aggregation.source,
            intervals.join(" ")
        );
        for field in &aggregation.fields {
            let aggregate = match aggregation.aggregate(&field.name) {
                Some(a) => format!(
                    " @aggregate({} {}{})",
                    a.func.name(),
                    match &a.arg {
                        None => "-".to_string(),
                        Some(AggregateArg::Field(name)) => name.clone(),
                        // Quoted: an expression has spaces and symbols.
                        Some(AggregateArg::Expr { sql, .. }) => format!("{sql:?}"),
                    },
                    if a.cumulative { " cumulative" } else { "" }
                ),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "  {}: {}{aggregate}",
                field.name,
                type_name(&field.field_type)
            );
        }
        out.push_str("}\n");
    }
    // Likewise only schemas with `@fulltext` directives.
    for search in &schema.fulltexts {
        fulltext::describe(search, &mut out);
    }
    out
}

/// The description of `schema` as Sprig stored it before it kept `@fulltext` searches: a
/// deployment stored with it only lacks their columns or tables ([`Layout::add_fulltexts`]).
pub(crate) fn describe_without_fulltexts(schema: &Schema) -> String {
    let mut without = schema.clone();
    without.fulltexts.clear();
    describe(&without)
}

/// Describes where two schema descriptions first differ, for the mismatch error.
pub(crate) fn first_difference(stored: &str, new: &str) -> String {
    let mut stored_lines = stored.lines();
    let mut new_lines = new.lines();
    loop {
        match (stored_lines.next(), new_lines.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (Some(a), Some(b)) => return format!("stored `{}`, now `{}`", a.trim(), b.trim()),
            (Some(a), None) => return format!("`{}` was removed", a.trim()),
            (None, Some(b)) => return format!("`{}` was added", b.trim()),
            (None, None) => return "no visible difference".to_string(),
        }
    }
}

/// `FooBar` → `foo_bar`, `ERC20Token` → `erc20_token`, `tokenID` → `token_id`.
pub(crate) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let boundary = match i.checked_sub(1).map(|j| chars[j]) {
                None | Some('_') => false,
                Some(prev) => {
                    prev.is_lowercase()
                        || prev.is_ascii_digit()
                        || (prev.is_uppercase()
                            && chars.get(i + 1).is_some_and(|next| next.is_lowercase()))
                }
            };
            if boundary {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// An SQL identifier, quoted (names come from the schema and may be SQL keywords).
pub(crate) fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn unquote(quoted: &str) -> &str {
    quoted.trim_matches('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_cases_like_graph_node() {
        for (name, snake) in [
            ("FooBar", "foo_bar"),
            ("ERC20Token", "erc20_token"),
            ("tokenID", "token_id"),
            ("already_snake", "already_snake"),
            ("ABCDef", "abc_def"),
            ("x", "x"),
        ] {
            assert_eq!(snake_case(name), snake);
        }
    }

    #[test]
    fn rejects_colliding_and_reserved_names() {
        let schema =
            Schema::parse("type A @entity(immutable: false) { id: ID! fooBar: Int foo_bar: Int }")
                .unwrap();
        let err = Layout::new(Dialect::Sqlite, 1, &schema)
            .unwrap_err()
            .to_string();
        assert!(err.contains("share the column `foo_bar`"), "{err}");
        let schema =
            Schema::parse("type A @entity(immutable: false) { id: ID! blockFrom: Int }").unwrap();
        let err = Layout::new(Dialect::Sqlite, 1, &schema)
            .unwrap_err()
            .to_string();
        assert!(err.contains("reserves"), "{err}");
    }

    #[test]
    fn describes_schemas_canonically() {
        let a = Schema::parse("type A @entity(immutable: true) { id: ID! x: [Int!] }").unwrap();
        let b =
            Schema::parse("# comment\ntype A @entity(immutable: true) {\n id: ID!\n x: [Int!]\n}")
                .unwrap();
        let c = Schema::parse("type A @entity(immutable: true) { id: ID! x: [Int!]! }").unwrap();
        assert_eq!(describe(&a), describe(&b));
        assert_ne!(describe(&a), describe(&c));
    }
}
