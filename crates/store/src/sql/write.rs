//! Committing a block and reverting blocks: the two directions of the same versioning scheme.
//!
//! At block `B`, an insert adds a version `[B, ∞)`; an overwrite closes the current version at
//! `B` and adds `[B, ∞)`; a remove closes the current version at `B`. Reverting to `R` undoes
//! exactly that: versions starting after `R` are deleted, versions closed after `R` reopened.
//! Both run inside the caller's transaction.

use anyhow::{anyhow, bail, ensure, Context, Result};
use sprig_value::{BlockPtr, Entity, EntityKey, Id, Value};

use super::layout::{Layout, Table};
use super::meta::{self, block_number};
use super::{codec, int, Db, Param, UniqueViolation};
use crate::{BlockWrite, EntityModification};

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
    if let Some(head) = meta::status(db, deployment)?.head {
        ensure!(
            block.number > head.number,
            "block {} does not follow the head, block {}",
            block.number,
            head.number
        );
    }
    let number = block_number(block.number)?;
    for modification in &write.modifications {
        apply(db, layout, number, modification).with_context(|| {
            format!(
                "cannot write {} at block {}",
                modification.key(),
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
    let head = meta::status(db, deployment)?
        .head
        .ok_or_else(|| anyhow!("cannot revert: no block has been written yet"))?;
    ensure!(
        block.number <= head.number,
        "cannot revert to block {}: it is after the head, block {}",
        block.number,
        head.number
    );
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

fn apply(
    db: &mut impl Db,
    layout: &Layout,
    block: i64,
    modification: &EntityModification,
) -> Result<()> {
    let key = modification.key();
    let table = layout.table(&key.entity_type).ok_or_else(|| {
        anyhow!(
            "unknown entity type `{}`: it is not in the deployment's schema",
            key.entity_type
        )
    })?;
    match modification {
        EntityModification::Insert { key, data } => insert(db, table, key, data, block),
        EntityModification::Overwrite { key, data } => {
            ensure_mutable(table, "overwritten")?;
            close(db, table, key, block)?;
            insert(db, table, key, data, block)
        }
        EntityModification::Remove { key } => {
            ensure_mutable(table, "removed")?;
            close(db, table, key, block)
        }
    }
}

fn ensure_mutable(table: &Table, action: &str) -> Result<()> {
    ensure!(
        !table.immutable,
        "entity type `{}` is immutable; its entities cannot be {action}",
        table.entity_type
    );
    Ok(())
}

fn insert(
    db: &mut impl Db,
    table: &Table,
    key: &EntityKey,
    data: &Entity,
    block: i64,
) -> Result<()> {
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
    db.execute(&table.insert_sql, &params).map_err(|e| {
        if e.is::<UniqueViolation>() {
            anyhow!("it already exists")
        } else {
            e
        }
    })?;
    Ok(())
}

/// Ends the current version at `block`.
fn close(db: &mut impl Db, table: &Table, key: &EntityKey, block: i64) -> Result<()> {
    let closed = db.execute(
        &table.close_sql,
        &[int(block), codec::id_to_sql(&key.id, &table.id)?],
    )?;
    ensure!(closed == 1, "it does not exist");
    Ok(())
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
