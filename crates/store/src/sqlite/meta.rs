//! The `deployments` table (one row per deployment: name, schema, head, failure) and the
//! per-deployment data sources table.

use anyhow::{anyhow, bail, Context, Result};
use rusqlite::{params, Connection, OptionalExtension};
use sprig_value::BlockPtr;

use super::codec;
use super::layout::Layout;
use crate::{DeploymentStatus, StoredDataSource, SubgraphFailure};

/// The version of the database layout, kept in `PRAGMA user_version`; bump it when the layout
/// changes incompatibly.
const FORMAT_VERSION: i64 = 1;

/// Creates the metadata table in a new database, or checks that an existing database has a
/// layout this version understands.
pub(crate) fn init(conn: &Connection) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    match version {
        0 => {
            conn.execute_batch(
                "CREATE TABLE IF NOT EXISTS deployments (
                   id INTEGER PRIMARY KEY,
                   name TEXT NOT NULL UNIQUE,
                   schema TEXT NOT NULL,
                   schema_sdl TEXT NOT NULL,
                   head_number INTEGER,
                   head_hash BLOB,
                   head_timestamp INTEGER,
                   failure_block_number INTEGER,
                   failure_block_hash BLOB,
                   failure_handler TEXT,
                   failure_message TEXT,
                   failure_fatal INTEGER
                 )",
            )?;
            conn.pragma_update(None, "user_version", FORMAT_VERSION)?;
        }
        FORMAT_VERSION => {}
        other => bail!(
            "the database has layout version {other}, but this version of Sprig understands only version {FORMAT_VERSION}; use a matching Sprig or another database file"
        ),
    }
    Ok(())
}

/// The row of deployment `name`: its id and stored schema description, if it exists.
pub(crate) fn find(conn: &Connection, name: &str) -> Result<Option<(i64, String)>> {
    Ok(conn
        .query_row(
            "SELECT id, schema FROM deployments WHERE name = ?1",
            [name],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?)
}

/// Adds deployment `name`; returns its id. `schema` is the canonical description compared on
/// reopening, `sdl` the schema's source text, from which `serve` rebuilds it.
pub(crate) fn create(conn: &Connection, name: &str, schema: &str, sdl: &str) -> Result<i64> {
    conn.execute(
        "INSERT INTO deployments (name, schema, schema_sdl) VALUES (?1, ?2, ?3)",
        params![name, schema, sdl],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The schema source text of deployment `name`, if it exists.
pub(crate) fn schema_sdl(conn: &Connection, name: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT schema_sdl FROM deployments WHERE name = ?1",
            [name],
            |row| row.get(0),
        )
        .optional()?)
}

/// The names of all deployments, sorted.
pub(crate) fn names(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT name FROM deployments ORDER BY name")?;
    let names = stmt.query_map([], |row| row.get(0))?;
    Ok(names.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn status(conn: &Connection, deployment: i64) -> Result<DeploymentStatus> {
    let mut stmt = conn.prepare_cached(
        "SELECT head_number, head_hash, head_timestamp,
                failure_block_number, failure_block_hash, failure_handler, failure_message,
                failure_fatal
           FROM deployments WHERE id = ?1",
    )?;
    let mut rows = stmt.query([deployment])?;
    let row = rows
        .next()?
        .ok_or_else(|| anyhow!("deployment #{deployment} is missing from the database"))?;
    let head = block_ptr(row.get(0)?, row.get(1)?).context("invalid head block")?;
    let head_timestamp = row
        .get::<_, Option<i64>>(2)?
        .map(u64::try_from)
        .transpose()
        .context("invalid head timestamp")?;
    let failure = match block_ptr(row.get(3)?, row.get(4)?).context("invalid failure block")? {
        None => None,
        Some(block) => Some(SubgraphFailure {
            block,
            handler: row.get(5)?,
            message: row.get::<_, Option<String>>(6)?.unwrap_or_default(),
            fatal: row.get::<_, Option<bool>>(7)?.unwrap_or(true),
        }),
    };
    Ok(DeploymentStatus {
        head,
        head_timestamp,
        failure,
    })
}

fn block_ptr(number: Option<i64>, hash: Option<Vec<u8>>) -> Result<Option<BlockPtr>> {
    let (Some(number), Some(hash)) = (number, hash) else {
        return Ok(None);
    };
    Ok(Some(BlockPtr {
        number: u64::try_from(number)?,
        hash: hash
            .try_into()
            .map_err(|hash: Vec<u8>| anyhow!("block hash has {} bytes, not 32", hash.len()))?,
    }))
}

/// A block number as stored (SQLite integers are signed).
pub(crate) fn block_number(number: u64) -> Result<i64> {
    i64::try_from(number).map_err(|_| anyhow!("block number {number} is too large to store"))
}

pub(crate) fn set_head(
    conn: &Connection,
    deployment: i64,
    block: &BlockPtr,
    timestamp: u64,
) -> Result<()> {
    let timestamp = i64::try_from(timestamp)
        .map_err(|_| anyhow!("block timestamp {timestamp} is too large to store"))?;
    conn.prepare_cached(
        "UPDATE deployments SET head_number = ?2, head_hash = ?3, head_timestamp = ?4 WHERE id = ?1",
    )?
    .execute(params![deployment, block_number(block.number)?, &block.hash[..], timestamp])?;
    Ok(())
}

pub(crate) fn set_failure(
    conn: &Connection,
    deployment: i64,
    failure: &SubgraphFailure,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE deployments SET failure_block_number = ?2, failure_block_hash = ?3,
                failure_handler = ?4, failure_message = ?5, failure_fatal = ?6 WHERE id = ?1",
    )?
    .execute(params![
        deployment,
        block_number(failure.block.number)?,
        &failure.block.hash[..],
        failure.handler,
        failure.message,
        failure.fatal
    ])?;
    Ok(())
}

/// Forgets a failure recorded at a block after `block` (graph-node removes errors on revert).
pub(crate) fn clear_failure_after(conn: &Connection, deployment: i64, block: u64) -> Result<()> {
    conn.execute(
        "UPDATE deployments SET failure_block_number = NULL, failure_block_hash = NULL,
                failure_handler = NULL, failure_message = NULL, failure_fatal = NULL
          WHERE id = ?1 AND failure_block_number > ?2",
        params![deployment, block_number(block)?],
    )?;
    Ok(())
}

pub(crate) fn insert_data_source(
    conn: &Connection,
    layout: &Layout,
    data_source: &StoredDataSource,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO {} (template, params, context, creation_block) VALUES (?1, ?2, ?3, ?4)",
        layout.data_sources
    );
    conn.prepare_cached(&sql)?.execute(params![
        data_source.template,
        codec::params_to_json(&data_source.params),
        data_source.context.as_ref().map(codec::context_to_json),
        block_number(data_source.creation_block)?,
    ])?;
    Ok(())
}

/// All data sources, in creation order.
pub(crate) fn data_sources(conn: &Connection, layout: &Layout) -> Result<Vec<StoredDataSource>> {
    let sql = format!(
        "SELECT template, params, context, creation_block FROM {} ORDER BY vid",
        layout.data_sources
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([])?;
    let mut data_sources = Vec::new();
    while let Some(row) = rows.next()? {
        let template: String = row.get(0)?;
        let read = || -> Result<StoredDataSource> {
            Ok(StoredDataSource {
                template: template.clone(),
                params: codec::params_from_json(&row.get::<_, String>(1)?)?,
                context: row
                    .get::<_, Option<String>>(2)?
                    .map(|text| codec::context_from_json(&text))
                    .transpose()?,
                creation_block: u64::try_from(row.get::<_, i64>(3)?)?,
            })
        };
        data_sources.push(
            read()
                .with_context(|| format!("invalid stored data source of template `{template}`"))?,
        );
    }
    Ok(data_sources)
}

/// Drops data sources created after `block`.
pub(crate) fn delete_data_sources_after(
    conn: &Connection,
    layout: &Layout,
    block: u64,
) -> Result<()> {
    let sql = format!(
        "DELETE FROM {} WHERE creation_block > ?1",
        layout.data_sources
    );
    conn.execute(&sql, [block_number(block)?])?;
    Ok(())
}

/// How many block numbers back committed block hashes are kept: far more than any reorg Sprig
/// follows, few enough to keep the table small.
const BLOCK_RETENTION: i64 = 10_000;

/// Records a committed block and forgets blocks older than [`BLOCK_RETENTION`].
pub(crate) fn insert_block(
    conn: &Connection,
    layout: &Layout,
    block: &BlockPtr,
    timestamp: u64,
) -> Result<()> {
    let number = block_number(block.number)?;
    conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO {} (number, hash, timestamp) VALUES (?1, ?2, ?3)",
        layout.blocks
    ))?
    .execute(params![
        number,
        block.hash.as_slice(),
        i64::try_from(timestamp)?
    ])?;
    conn.prepare_cached(&format!("DELETE FROM {} WHERE number < ?1", layout.blocks))?
        .execute([number - BLOCK_RETENTION])?;
    Ok(())
}

/// Forgets blocks after `block`.
pub(crate) fn delete_blocks_after(conn: &Connection, layout: &Layout, block: u64) -> Result<()> {
    conn.execute(
        &format!("DELETE FROM {} WHERE number > ?1", layout.blocks),
        [block_number(block)?],
    )?;
    Ok(())
}

/// Committed blocks, newest first, at most `limit`.
pub(crate) fn recent_blocks(
    conn: &Connection,
    layout: &Layout,
    limit: usize,
) -> Result<Vec<(BlockPtr, u64)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT number, hash, timestamp FROM {} ORDER BY number DESC LIMIT ?1",
        layout.blocks
    ))?;
    let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, Vec<u8>>(1)?,
            row.get::<_, i64>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (number, hash, timestamp) = row?;
        let ptr = block_ptr(Some(number), Some(hash))?
            .ok_or_else(|| anyhow!("block row without a hash"))?;
        out.push((ptr, u64::try_from(timestamp)?));
    }
    Ok(out)
}

/// Records this block's proof-of-indexing digests.
pub(crate) fn insert_poi(
    conn: &Connection,
    layout: &Layout,
    block: u64,
    digests: &[(String, Vec<u8>)],
) -> Result<()> {
    let mut stmt = conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO {} (region, block, digest) VALUES (?1, ?2, ?3)",
        layout.poi
    ))?;
    for (region, digest) in digests {
        stmt.execute(params![region, block_number(block)?, digest])?;
    }
    Ok(())
}

/// The newest digest of each region at or before `block`.
pub(crate) fn poi_digests(
    conn: &Connection,
    layout: &Layout,
    block: u64,
) -> Result<Vec<(String, Vec<u8>)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT p.region, p.digest FROM {poi} p
          WHERE p.block = (SELECT MAX(block) FROM {poi} q WHERE q.region = p.region AND q.block <= ?1)
          ORDER BY p.region",
        poi = layout.poi
    ))?;
    let rows = stmt.query_map([block_number(block)?], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Forgets digests written after `block`.
pub(crate) fn delete_poi_after(conn: &Connection, layout: &Layout, block: u64) -> Result<()> {
    conn.execute(
        &format!("DELETE FROM {} WHERE block > ?1", layout.poi),
        [block_number(block)?],
    )?;
    Ok(())
}
