//! Committing a block and reverting blocks: the two directions of the same versioning scheme.
//!
//! At block `B`, an insert adds a version `[B, ∞)`; an overwrite closes the current version at
//! `B` and adds `[B, ∞)`; a remove closes the current version at `B`. Reverting to `R` undoes
//! exactly that: versions starting after `R` are deleted, versions closed after `R` reopened.
//! Both run inside the caller's transaction.

use anyhow::{anyhow, bail, ensure, Context, Result};
use sprig_value::{BlockPtr, Entity, EntityKey, Id, Value};

use super::layout::{Layout, Table, CAUSALITY_REGION};
use super::meta::{self, block_number};
use super::rollup;
use super::{codec, int, Db, Param, SqlValue};
use crate::{BlockWrite, EntityModification, PruneReport};

/// Writes one block's changes and moves the head to `block`, under a savepoint inside the
/// caller's transaction: a block that fails half-way is undone alone, and the blocks deferred
/// before it stay ready to commit.
pub(crate) fn transact_block(
    db: &mut impl Db,
    deployment: i64,
    layout: &Layout,
    block: &BlockPtr,
    timestamp: u64,
    write: &BlockWrite,
) -> Result<()> {
    db.batch("SAVEPOINT block")?;
    match apply_block(db, deployment, layout, block, timestamp, write) {
        Ok(()) => db.batch("RELEASE SAVEPOINT block"),
        Err(e) => {
            db.batch("ROLLBACK TO SAVEPOINT block; RELEASE SAVEPOINT block")?;
            Err(e)
        }
    }
}

fn apply_block(
    db: &mut impl Db,
    deployment: i64,
    layout: &Layout,
    block: &BlockPtr,
    timestamp: u64,
    write: &BlockWrite,
) -> Result<()> {
    let status = meta::status(db, deployment)?;
    if let Some(head) = &status.head {
        ensure!(
            block.number > head.number,
            "block {} does not follow the head, block {}",
            block.number,
            head.number
        );
    }
    // Buckets that ended before this block hold only earlier blocks' timeseries rows, so they
    // are computed before this block's own rows are written.
    if let Some(previous) = status.head_timestamp {
        let buckets = rollup::rollups(db, layout, previous, timestamp)
            .with_context(|| format!("cannot compute aggregations at block {}", block.number))?;
        write_entities(db, layout, block_number(block.number)?, &buckets)
            .with_context(|| format!("cannot write aggregations at block {}", block.number))?;
    }
    write_entities(
        db,
        layout,
        block_number(block.number)?,
        &write.modifications,
    )
    .with_context(|| format!("cannot write entities at block {}", block.number))?;
    for (region, key, data) in &write.file_entities {
        write_file_entity(db, layout, block_number(block.number)?, *region, key, data)
            .with_context(|| {
                format!(
                    "cannot write {key} of the file data source of causality region {region} at \
                     block {}",
                    block.number
                )
            })?;
    }
    for data_source in &write.data_sources {
        ensure!(
            data_source.creation_block <= block.number,
            "data source of template `{}` claims to be created at block {}, after block {}",
            data_source.template,
            data_source.creation_block,
            block.number
        );
        meta::insert_data_source(db, layout, data_source)?;
    }
    for region in &write.done_data_sources {
        meta::set_done(db, layout, *region, block.number)?;
    }
    if let Some(failure) = &write.failure {
        meta::set_failure(db, deployment, failure)?;
    }
    meta::insert_poi(db, layout, block.number, &write.poi)?;
    meta::insert_block(db, layout, block, timestamp)?;
    meta::set_head(db, deployment, block, timestamp)
}

/// Undoes every block after `block` and moves the head there.
pub(crate) fn revert_to(
    db: &mut impl Db,
    deployment: i64,
    layout: &Layout,
    block: &BlockPtr,
    timestamp: u64,
) -> Result<()> {
    let status = meta::status(db, deployment)?;
    let head = status
        .head
        .ok_or_else(|| anyhow!("cannot revert: no block has been written yet"))?;
    ensure!(
        block.number <= head.number,
        "cannot revert to block {}: it is after the head, block {}",
        block.number,
        head.number
    );
    ensure!(
        block.number >= status.earliest_block,
        "cannot revert to block {}: the history before block {} was pruned",
        block.number,
        status.earliest_block
    );
    super::graft::check_revert(db, deployment, block)?;
    let number = block_number(block.number)?;
    for table in layout.tables() {
        // Delete first: a reopened version can then never meet a newer current version of its id.
        db.execute(
            &format!("DELETE FROM {} WHERE block_from > ?1", table.sql),
            &[int(number)],
        )
        .with_context(|| format!("cannot revert entities of type `{}`", table.entity_type))?;
        if !table.immutable {
            db.execute(
                &format!(
                    "UPDATE {} SET block_to = NULL WHERE block_to > ?1",
                    table.sql
                ),
                &[int(number)],
            )
            .with_context(|| format!("cannot revert entities of type `{}`", table.entity_type))?;
        }
    }
    meta::delete_data_sources_after(db, layout, block.number)?;
    meta::delete_blocks_after(db, layout, block.number)?;
    meta::delete_poi_after(db, layout, block.number)?;
    meta::clear_failure_after(db, deployment, block.number)?;
    meta::set_head(db, deployment, block, timestamp)
}

/// One table's share of a block: versions to close and versions to insert, each with its key
/// for error messages.
struct TableWrite<'a> {
    closes: Vec<(&'a EntityKey, Param<'a>)>,
    inserts: Vec<(&'a EntityKey, Vec<Param<'a>>)>,
}

/// Writes a block's entity changes with a few multi-row statements per table instead of one or
/// two per entity: on PostgreSQL every statement is a round trip, and on SQLite each costs a
/// VM run. Per table, all closes come before all inserts, which is the same as doing each
/// modification in turn because a block holds at most one modification per entity (the entity
/// cache's contract).
/// Deletes the history before `earliest` (see [`crate::WritableStore::prune`]). A version is
/// visible at block `B` when `block_from <= B < block_to`, so one whose `block_to <= earliest`
/// is visible only before `earliest`. Immutable versions never end and are all kept.
pub(crate) fn prune(
    db: &mut impl Db,
    deployment: i64,
    layout: &Layout,
    earliest: u64,
) -> Result<PruneReport> {
    let status = meta::status(db, deployment)?;
    let head = status.head.map_or(0, |head| head.number);
    ensure!(
        earliest <= head,
        "cannot prune history up to block {earliest}: it is after the head, block {head}"
    );
    let mut report = PruneReport::default();
    if earliest <= status.earliest_block {
        return Ok(report);
    }
    let number = block_number(earliest)?;
    for table in layout.tables().iter().filter(|t| !t.immutable) {
        report.versions += db
            .execute(
                &format!(
                    "DELETE FROM {} WHERE block_to IS NOT NULL AND block_to <= ?1",
                    table.sql
                ),
                &[int(number)],
            )
            .with_context(|| format!("cannot prune entities of type `{}`", table.entity_type))?;
    }
    report.metadata += meta::delete_poi_before(db, layout, earliest)?;
    report.metadata += meta::delete_blocks_before(db, layout, earliest)?;
    meta::set_earliest_block(db, deployment, earliest)?;
    Ok(report)
}

fn write_entities(
    db: &mut impl Db,
    layout: &Layout,
    block: i64,
    modifications: &[EntityModification],
) -> Result<()> {
    let mut tables: Vec<Option<TableWrite<'_>>> = Vec::new();
    tables.resize_with(layout.tables().len(), || None);
    for modification in modifications {
        let key = modification.key();
        let table = layout.table(&key.entity_type).ok_or_else(|| {
            anyhow!(
                "unknown entity type `{}`: it is not in the deployment's schema",
                key.entity_type
            )
        })?;
        let write = tables[table.number].get_or_insert_with(|| TableWrite {
            closes: Vec::new(),
            inserts: Vec::new(),
        });
        let mut row = || -> Result<()> {
            match modification {
                EntityModification::Insert { key, data } => {
                    write
                        .inserts
                        .push((key, row_params(table, key, data, block)?));
                }
                EntityModification::Overwrite { key, data } => {
                    ensure_mutable(table, "overwritten")?;
                    write
                        .closes
                        .push((key, codec::id_to_sql(&key.id, &table.id)?));
                    write
                        .inserts
                        .push((key, row_params(table, key, data, block)?));
                }
                EntityModification::Remove { key } => {
                    ensure_mutable(table, "removed")?;
                    write
                        .closes
                        .push((key, codec::id_to_sql(&key.id, &table.id)?));
                }
            }
            Ok(())
        };
        row().with_context(|| key.to_string())?;
    }
    for (table, write) in layout.tables().iter().zip(tables) {
        let Some(write) = write else { continue };
        for chunk in batches(&write.closes, table.max_close_ids()) {
            close(db, table, chunk, block)?;
        }
        for chunk in batches(&write.inserts, table.max_insert_rows()) {
            insert(db, table, chunk, block)?;
        }
    }
    Ok(())
}

/// Inserts one entity created by a file data source under its causality region. Rare enough
/// for a statement per entity.
fn write_file_entity(
    db: &mut impl Db,
    layout: &Layout,
    block: i64,
    region: i64,
    key: &EntityKey,
    data: &Entity,
) -> Result<()> {
    ensure!(
        region > 0,
        "causality region {region} is not a file data source's"
    );
    let table = layout.table(&key.entity_type).ok_or_else(|| {
        anyhow!(
            "unknown entity type `{}`: it is not in the deployment's schema",
            key.entity_type
        )
    })?;
    let mut params = row_params(table, key, data, block)?;
    params.push(int(region));
    // Parameters: id, block_from, the columns in order, then the region.
    let columns: String = table
        .columns
        .iter()
        .map(|c| format!(", {}", c.sql))
        .collect();
    let values: String = (3..params.len()).map(|i| format!(", ?{i}")).collect();
    let sql = format!(
        "INSERT INTO {} (id, block_from{columns}, {CAUSALITY_REGION}) VALUES (?1, ?2{values}, ?{}) \
         ON CONFLICT DO NOTHING",
        table.sql,
        params.len()
    );
    let inserted = db.execute(&sql, &params)?;
    ensure!(
        inserted == 1,
        "{key} already exists (a file data source may only create entities, with ids no other \
         data source uses)"
    );
    Ok(())
}

/// Splits `items` into runs of at most `max` (a power of two), the last ones sized by the binary
/// digits of the remainder, so every run's length is a power of two.
fn batches<T>(items: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let len = if rest.len() >= max {
            max
        } else {
            1 << rest.len().ilog2()
        };
        let (run, tail) = rest.split_at(len);
        rest = tail;
        Some(run)
    })
}

fn ensure_mutable(table: &Table, action: &str) -> Result<()> {
    ensure!(
        !table.immutable,
        "entity type `{}` is immutable; its entities cannot be {action}",
        table.entity_type
    );
    Ok(())
}

/// The parameters of one inserted version, in the order of [`Table::insert_sql`]; refuses data
/// with fields the type does not store or an `id` field that contradicts the key.
fn row_params<'a>(
    table: &Table,
    key: &'a EntityKey,
    data: &'a Entity,
    block: i64,
) -> Result<Vec<Param<'a>>> {
    let mut params: Vec<Param<'_>> = Vec::with_capacity(table.columns.len() + 2);
    params.push(codec::id_to_sql(&key.id, &table.id)?);
    params.push(int(block));
    let mut used = 0;
    for column in &table.columns {
        let value = match data.get(&column.field) {
            Some(value) => {
                used += 1;
                value
            }
            None => &Value::Null,
        };
        params.push(codec::to_sql(value, column)?);
    }
    if let Some(id) = data.get("id") {
        ensure!(
            same_id(id, &key.id),
            "the `id` field `{id}` differs from the entity's id"
        );
        used += 1;
    }
    if used != data.len() {
        let unknown = data
            .keys()
            .find(|field| table.column(field).is_none())
            .map(String::as_str)
            .unwrap_or("?");
        bail!("the entity has field `{unknown}`, which is not a stored field of its type");
    }
    Ok(params)
}

/// Inserts a run of versions; if one of them already exists, names it.
fn insert(
    db: &mut impl Db,
    table: &Table,
    rows: &[(&EntityKey, Vec<Param<'_>>)],
    block: i64,
) -> Result<()> {
    let params: Vec<Param<'_>> = rows
        .iter()
        .flat_map(|(_, row)| row.iter().map(borrow))
        .collect();
    let inserted = db.execute(table.insert_sql(rows.len()), &params)?;
    if inserted != rows.len() as u64 {
        // Rows that conflicted were skipped: the others are the ones starting at `block`.
        let ids: Vec<Param<'_>> = rows.iter().map(|(_, row)| borrow(&row[0])).collect();
        let key = first_missing(db, table, "block_from", block, rows, &ids)?;
        bail!("{key} already exists");
    }
    Ok(())
}

/// Ends the current versions of a run of entities at `block`; if one of them has none, names it.
fn close(
    db: &mut impl Db,
    table: &Table,
    ids: &[(&EntityKey, Param<'_>)],
    block: i64,
) -> Result<()> {
    let params: Vec<Param<'_>> = std::iter::once(int(block))
        .chain(ids.iter().map(|(_, id)| borrow(id)))
        .collect();
    let closed = db.execute(table.close_sql(ids.len()), &params)?;
    if closed != ids.len() as u64 {
        let key = first_missing(db, table, "block_to", block, ids, &params[1..])?;
        bail!("{key} does not exist");
    }
    Ok(())
}

/// The first of `items` whose id (in `ids`, in the same order) has no version with `column` =
/// `block`: the row a batched statement skipped. Only called on the error path.
fn first_missing<'k, T>(
    db: &mut impl Db,
    table: &Table,
    column: &str,
    block: i64,
    items: &[(&'k EntityKey, T)],
    ids: &[Param<'_>],
) -> Result<&'k EntityKey> {
    let list = (2..ids.len() + 2)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let params: Vec<Param<'_>> = std::iter::once(int(block))
        .chain(ids.iter().map(borrow))
        .collect();
    let written: Vec<SqlValue> = db
        .rows(
            &format!(
                "SELECT id FROM {} WHERE {column} = ?1 AND id IN ({list})",
                table.sql
            ),
            &params,
        )?
        .into_iter()
        .filter_map(|row| row.into_iter().next())
        .collect();
    items
        .iter()
        .zip(ids)
        .find(|(_, id)| !written.contains(&owned(id)))
        .map(|((key, _), _)| *key)
        .ok_or_else(|| anyhow!("internal error: a batched write of `{}` changed fewer rows than it should, yet none is missing", table.entity_type))
}

/// The same parameter, borrowed.
fn borrow<'a>(param: &'a Param<'_>) -> Param<'a> {
    Param::Borrowed(match param {
        Param::Borrowed(value) => *value,
        Param::Owned(value) => value.into(),
        other => unreachable!("the codec makes only plain values, not {other:?}"),
    })
}

/// The value of a parameter, as a row would hold it.
fn owned(param: &Param<'_>) -> SqlValue {
    match param {
        Param::Borrowed(value) => (*value).into(),
        Param::Owned(value) => value.clone(),
        other => unreachable!("the codec makes only plain values, not {other:?}"),
    }
}

/// Whether an entity's `id` field holds `id` (without allocating, unlike `Id::to_value`).
fn same_id(value: &Value, id: &Id) -> bool {
    match (value, id) {
        (Value::String(a), Id::String(b)) => a == b,
        (Value::Bytes(a), Id::Bytes(b)) => a == b,
        (Value::Int8(a), Id::Int8(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::batches;

    #[test]
    fn batches_are_powers_of_two_covering_everything_in_order() {
        let items: Vec<usize> = (0..1000).collect();
        for len in [0, 1, 2, 3, 255, 256, 257, 700, 1000] {
            let runs: Vec<&[usize]> = batches(&items[..len], 256).collect();
            assert!(runs
                .iter()
                .all(|r| r.len().is_power_of_two() && r.len() <= 256));
            assert_eq!(runs.concat(), &items[..len]);
        }
        let sizes: Vec<usize> = batches(&items[..700], 256).map(<[_]>::len).collect();
        assert_eq!(sizes, [256, 256, 128, 32, 16, 8, 4]);
    }
}
