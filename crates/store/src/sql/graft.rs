//! Grafting (graph-node's `graft:`): a new deployment starts from a copy of another
//! deployment's data as of a block, then indexes from the next block on.
//!
//! What is copied, as graph-node copies it (`store/postgres/src/copy.rs` and
//! `deployment_store.rs` `start_subgraph`): every entity version the base created at or before
//! the graft block, with versions that ended after it reopened (so history before the graft
//! block stays queryable, and the state at the block is current); the data sources created at
//! or before the block (file data sources keep their causality regions, and one processed after
//! the block waits again); the proof-of-indexing digests up to the block, so the proof carries
//! on where the base's was; the base's earliest kept block and a failure it recorded at or
//! before the block. The head becomes the graft block. All of it happens in the transaction
//! that creates the deployment, so a deployment either exists with its copy or not at all, and
//! opening it again never copies again.
//!
//! The copy is plain `INSERT ... SELECT` between two deployments' tables of one database, the
//! same statements for both backends. The `deployment_info` table (created by each backend
//! beside `deployments`) records a deployment's id (the IPFS hash graph-node knows it by, when
//! the user gives it) and its graft point, below which it can never be reverted.

use std::collections::{BTreeSet, HashMap};

use anyhow::{anyhow, bail, ensure, Context, Result};
use sprig_manifest::{BaseType, EntityType, Schema};
use sprig_value::BlockPtr;

use super::layout::{Layout, Table, CAUSALITY_REGION};
use super::meta::{self, block_number};
use super::{int, text, Db, Dialect, Row};
use crate::{DeploymentSummary, GraftBase};

/// The `deployment_info` table: one row per deployment that has an id or a graft point.
pub(crate) fn info_ddl(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "CREATE TABLE IF NOT EXISTS deployment_info (
               deployment INTEGER PRIMARY KEY,
               hash TEXT,
               graft_base TEXT,
               graft_block INTEGER
             )"
        }
        Dialect::Postgres => {
            "CREATE TABLE IF NOT EXISTS sprig.deployment_info (
               deployment INT8 PRIMARY KEY,
               hash TEXT,
               graft_base TEXT,
               graft_block INT8
             )"
        }
    }
}

/// Records deployment `deployment`'s id (`hash`), keeping the graft point.
pub(crate) fn set_hash(db: &mut impl Db, deployment: i64, hash: &str) -> Result<()> {
    db.execute(
        "INSERT INTO deployment_info (deployment, hash) VALUES (?1, ?2)
           ON CONFLICT (deployment) DO UPDATE SET hash = excluded.hash",
        &[int(deployment), text(hash)],
    )?;
    Ok(())
}

/// The block deployment `deployment` was grafted at, if it was.
pub(crate) fn graft_block(db: &mut impl Db, deployment: i64) -> Result<Option<u64>> {
    let row = db.first(
        "SELECT graft_block FROM deployment_info WHERE deployment = ?1",
        &[int(deployment)],
    )?;
    match row {
        None => Ok(None),
        Some(row) => Ok(Row(&row).opt_int(0)?.map(u64::try_from).transpose()?),
    }
}

/// Every deployment with its id and graft point, sorted by name.
pub(crate) fn summaries(db: &mut impl Db) -> Result<Vec<DeploymentSummary>> {
    let rows = db.rows(
        "SELECT d.name, i.hash, i.graft_base, i.graft_block
           FROM deployments d LEFT JOIN deployment_info i ON i.deployment = d.id
          ORDER BY d.name",
        &[],
    )?;
    rows.iter()
        .map(|row| {
            let row = Row(row);
            let graft = match (row.opt_text(2)?, row.opt_int(3)?) {
                (Some(base), Some(block)) => Some((base, u64::try_from(block)?)),
                _ => None,
            };
            Ok(DeploymentSummary {
                name: row.text(0)?,
                id: row.opt_text(1)?,
                graft,
            })
        })
        .collect()
}

/// What [`copy`] copied, for the log.
#[derive(Debug, Default)]
pub(crate) struct CopyReport {
    pub versions: u64,
    pub data_sources: u64,
}

/// Fills the new, empty deployment `dst` (number `dst_id`, with `dst_layout` for `dst_schema`)
/// from `graft.base` as of `graft.block`, after checking graph-node's rules for a graft base
/// and that the schemas are compatible; runs inside the transaction that created `dst`.
pub(crate) fn copy(
    db: &mut impl Db,
    dialect: Dialect,
    dst_id: i64,
    dst_layout: &Layout,
    dst_schema: &Schema,
    graft: &GraftBase,
) -> Result<CopyReport> {
    let base = &graft.base;
    let (base_id, _) = meta::find(db, base)?
        .ok_or_else(|| anyhow!("there is no deployment `{base}` in this database"))?;
    let status = meta::status(db, base_id)?;
    check_base(base, &status, graft)?;
    let sdl = meta::schema_sdl(db, base)?
        .ok_or_else(|| anyhow!("deployment `{base}` has no stored schema"))?;
    let base_schema = Schema::parse(&sdl)
        .with_context(|| format!("the stored schema of `{base}` does not parse"))?;
    let base_layout = Layout::new(dialect, base_id, &base_schema)?;
    let pairs = compatible_tables(dst_layout, dst_schema, &base_layout, &base_schema)
        .with_context(|| format!("the schema cannot take the data of `{base}`"))?;

    let block = block_number(graft.block.number)?;
    let mut report = CopyReport::default();
    for (dst, src, columns) in &pairs {
        report.versions += copy_table(db, dst, src, columns, block).with_context(|| {
            format!("cannot copy the `{}` entities of `{base}`", dst.entity_type)
        })?;
    }
    let used = db.rows(
        &format!(
            "SELECT DISTINCT template FROM {} WHERE creation_block <= ?1 ORDER BY template",
            base_layout.data_sources
        ),
        &[int(block)],
    )?;
    for row in &used {
        let template = Row(row).text(0)?;
        ensure!(
            graft.templates.contains(&template),
            "`{base}` created data sources of template `{template}` up to block {}, but the \
             manifest has no such template",
            graft.block.number
        );
    }
    report.data_sources = db.execute(
        &format!(
            "INSERT INTO {} (template, params, context, creation_block, causality_region, done_at)
             SELECT template, params, context, creation_block, causality_region,
                    CASE WHEN done_at > ?1 THEN NULL ELSE done_at END
               FROM {} WHERE creation_block <= ?1 ORDER BY vid",
            dst_layout.data_sources, base_layout.data_sources
        ),
        &[int(block)],
    )?;
    db.execute(
        &format!(
            "INSERT INTO {} (region, block, digest) SELECT region, block, digest FROM {} WHERE block <= ?1",
            dst_layout.poi, base_layout.poi
        ),
        &[int(block)],
    )?;
    db.execute(
        &format!(
            "INSERT INTO {} (number, hash, timestamp) SELECT number, hash, timestamp FROM {} WHERE number < ?1",
            dst_layout.blocks, base_layout.blocks
        ),
        &[int(block)],
    )?;
    meta::insert_block(db, dst_layout, &graft.block, graft.timestamp)?;
    meta::set_earliest_block(db, dst_id, status.earliest_block)?;
    if let Some(failure) = status
        .failure
        .as_ref()
        .filter(|f| f.block.number <= graft.block.number)
    {
        meta::set_failure(db, dst_id, failure)?;
    }
    meta::set_head(db, dst_id, &graft.block, graft.timestamp)?;
    db.execute(
        "INSERT INTO deployment_info (deployment, graft_base, graft_block) VALUES (?1, ?2, ?3)
           ON CONFLICT (deployment) DO UPDATE
             SET graft_base = excluded.graft_base, graft_block = excluded.graft_block",
        &[int(dst_id), text(base), int(block)],
    )?;
    Ok(report)
}

/// graph-node's checks of a graft base (`Graft::validate`), with its messages.
fn check_base(base: &str, status: &crate::DeploymentStatus, graft: &GraftBase) -> Result<()> {
    let block = graft.block.number;
    let Some(head) = &status.head else {
        bail!("failed to graft onto `{base}` since it has not processed any blocks");
    };
    // graph-node counts any recorded error, fatal or not, as unhealthy.
    let healthy = status.failure.is_none();
    if healthy && head.number < block {
        bail!(
            "failed to graft onto `{base}` at block {block} since it has only processed block {}",
            head.number
        );
    }
    if healthy && block.saturating_add(graft.reorg_threshold) > head.number {
        bail!(
            "failed to graft onto `{base}` at block {block} since it's only at block {} which is \
             within the reorg threshold of {} blocks",
            head.number,
            graft.reorg_threshold
        );
    }
    if !healthy && block >= head.number {
        bail!(
            "failed to graft onto `{base}` at block {block} since it's not healthy. You can graft \
             it starting at block {} backwards",
            head.number.saturating_sub(1)
        );
    }
    ensure!(
        block >= status.earliest_block,
        "failed to graft onto `{base}` at block {block} since its earliest available block is {}",
        status.earliest_block
    );
    Ok(())
}

/// The stored entity types of a schema by name, aggregations' interval types included.
fn entity_types(schema: &Schema) -> HashMap<String, EntityType> {
    schema
        .entity_types
        .iter()
        .cloned()
        .chain(schema.aggregations.iter().flat_map(|a| {
            a.intervals
                .iter()
                .map(|&i| a.entity_type(Some(i)))
                .collect::<Vec<_>>()
        }))
        .map(|t| (t.name.clone(), t))
        .collect()
}

/// A table of the new deployment, the base's table of the same type, and the columns (by
/// position in the new table's `columns`, with the base's column) both have.
type TablePair<'a> = (&'a Table, &'a Table, Vec<(usize, usize)>);

/// graph-node's `Layout::can_copy_from`: types only the new schema has start empty and types
/// only the base has are left behind; for a type both have, every field of the new one must
/// take the base's values: same type and list-ness (an enum's values a superset of the
/// base's), not non-null where the base's is nullable, and nullable if the base lacks it.
fn compatible_tables<'a>(
    dst_layout: &'a Layout,
    dst_schema: &Schema,
    src_layout: &'a Layout,
    src_schema: &Schema,
) -> Result<Vec<TablePair<'a>>> {
    let (dst_types, src_types) = (entity_types(dst_schema), entity_types(src_schema));
    let mut errors = Vec::new();
    let mut pairs = Vec::new();
    for dst in dst_layout.tables() {
        let Some(src) = src_layout.table(&dst.entity_type) else {
            continue;
        };
        let (Some(dst_type), Some(src_type)) = (
            dst_types.get(&dst.entity_type),
            src_types.get(&src.entity_type),
        ) else {
            continue;
        };
        let object = &dst.entity_type;
        let mut columns = Vec::new();
        if dst.id.column_type != src.id.column_type {
            errors.push(format!(
                "The attribute {object}.id has type {}, but its type in the source is {}",
                dst.id.column_type.value_name(),
                src.id.column_type.value_name()
            ));
        }
        for (i, dcol) in dst.columns.iter().enumerate() {
            // Only the schema's own fields are copied; anything else a table holds is derived.
            let Some(dfield) = dst_type.field(&dcol.field) else {
                continue;
            };
            let found = src
                .columns
                .iter()
                .position(|s| s.sql == dcol.sql)
                .and_then(|j| src_type.field(&src.columns[j].field).map(|f| (j, f)));
            let Some((j, sfield)) = found else {
                if !dfield.field_type.nullable {
                    errors.push(format!(
                        "The attribute {object}.{} is non-nullable, but there is no such \
                         attribute in the source",
                        dcol.field
                    ));
                }
                continue;
            };
            let scol = &src.columns[j];
            let (dtype, stype) = (&dfield.field_type, &sfield.field_type);
            let error = if !dtype.nullable && stype.nullable {
                Some(format!(
                    "The attribute {object}.{} is non-nullable, but the corresponding attribute \
                     in the source is nullable",
                    dcol.field
                ))
            } else {
                match (&dtype.base, &stype.base) {
                    (BaseType::Enum(d), BaseType::Enum(s)) => {
                        let values = |schema: &Schema, name: &str| -> BTreeSet<String> {
                            schema
                                .enums
                                .get(name)
                                .map(|v| v.iter().cloned().collect())
                                .unwrap_or_default()
                        };
                        (!values(src_schema, s).is_subset(&values(dst_schema, d))).then(|| {
                            format!("the enum type {s} contains values not present in {d}")
                        })
                    }
                    (BaseType::Enum(_), _) | (_, BaseType::Enum(_)) => Some(format!(
                        "The attribute {object}.{} is an enum or has one as its type, but its \
                         type in the source is {}",
                        dcol.field,
                        crate::validation::type_name(stype)
                    )),
                    _ if dcol.column_type != scol.column_type || dcol.list != scol.list => {
                        Some(format!(
                            "The attribute {object}.{} has type {}, but its type in the source \
                             is {}",
                            dcol.field,
                            crate::validation::type_name(dtype),
                            crate::validation::type_name(stype)
                        ))
                    }
                    _ => None,
                }
            };
            match error {
                Some(error) => errors.push(error),
                None => columns.push((i, j)),
            }
        }
        pairs.push((dst, src, columns));
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("; "));
    }
    Ok(pairs)
}

/// Copies the versions of `src` created at or before `block` into `dst`, reopening those that
/// ended after it. Returns how many were copied.
fn copy_table(
    db: &mut impl Db,
    dst: &Table,
    src: &Table,
    columns: &[(usize, usize)],
    block: i64,
) -> Result<u64> {
    if dst.immutable && !src.immutable {
        // graph-node refuses a mutable type becoming immutable once an entity of it changed.
        let changed = db.first(
            &format!(
                "SELECT id FROM {} WHERE block_from <= ?1 AND block_to IS NOT NULL AND block_to <= ?1 LIMIT 1",
                src.sql
            ),
            &[int(block)],
        )?;
        ensure!(
            changed.is_none(),
            "`{}` can not be made immutable since it contains at least one mutated entity",
            dst.entity_type
        );
    }
    let mut dst_columns = format!("id, block_from, {CAUSALITY_REGION}");
    let mut src_columns = format!("id, block_from, {CAUSALITY_REGION}");
    if !dst.immutable {
        dst_columns.push_str(", block_to");
        src_columns.push_str(if src.immutable {
            ", NULL"
        } else {
            ", CASE WHEN block_to > ?1 THEN NULL ELSE block_to END"
        });
    }
    for &(d, s) in columns {
        dst_columns.push_str(", ");
        dst_columns.push_str(&dst.columns[d].sql);
        src_columns.push_str(", ");
        src_columns.push_str(&src.columns[s].sql);
    }
    // In vid order, so the copies keep the order the base wrote them in.
    db.execute(
        &format!(
            "INSERT INTO {} ({dst_columns}) SELECT {src_columns} FROM {} WHERE block_from <= ?1 ORDER BY vid",
            dst.sql, src.sql
        ),
        &[int(block)],
    )
}

/// Refuses to revert a grafted deployment below its graft block, as graph-node does: the
/// blocks before it were never indexed by this deployment.
pub(crate) fn check_revert(db: &mut impl Db, deployment: i64, block: &BlockPtr) -> Result<()> {
    if let Some(graft) = graft_block(db, deployment)? {
        ensure!(
            block.number >= graft,
            "cannot revert to block {}: the deployment was grafted at block {graft}, and \
             reverting past a graft point is not possible",
            block.number
        );
    }
    Ok(())
}
