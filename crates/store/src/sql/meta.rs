//! The `deployments` table (one row per deployment: name, schema, head, failure; each backend
//! creates it) and the per-deployment tables of data sources, recent blocks and proof-of-indexing
//! digests.

use anyhow::{anyhow, bail, ensure, Context, Result};
use sprig_manifest::Schema;
use sprig_value::BlockPtr;

use super::graft;
use super::layout::{self, Layout};
use super::{blob, codec, int, nullable, text, Db, Dialect, Row};
use crate::{DeploymentOrigin, DeploymentStatus, StoredDataSource, SubgraphFailure};

/// Finds deployment `name`, which must have been created with `schema`, or creates it with its
/// tables (and, for a graft, the copy of its base's data: `origin.graft` matters only here);
/// runs inside the caller's transaction. `origin.id`, if given, is recorded either way.
/// `location` names the database and `remedy` says what to do, in the error for a different
/// schema.
pub(crate) fn find_or_create(
    db: &mut impl Db,
    dialect: Dialect,
    name: &str,
    schema: &Schema,
    origin: &DeploymentOrigin,
    location: &str,
    remedy: &str,
) -> Result<(i64, Layout)> {
    let description = layout::describe(schema);
    let (id, layout) = match find(db, name)? {
        Some((id, stored))
            if stored != description
                && !schema.fulltexts.is_empty()
                && stored == layout::describe_without_fulltexts(schema) =>
        {
            // Created before Sprig kept `@fulltext` searches: add them, with the documents of
            // the rows already stored.
            let layout = Layout::new(dialect, id, schema)?;
            for statement in layout.add_fulltexts() {
                db.batch(&statement).with_context(|| {
                    format!("cannot add the @fulltext searches of deployment `{name}`: {statement}")
                })?;
            }
            db.execute(
                "UPDATE deployments SET schema = ?1 WHERE id = ?2",
                &[text(&description), int(id)],
            )?;
            (id, layout)
        }
        Some((id, stored)) => {
            if stored != description {
                bail!(
                    "deployment `{name}` in {location} was created with a different schema ({}); {remedy}",
                    layout::first_difference(&stored, &description)
                );
            }
            (id, Layout::new(dialect, id, schema)?)
        }
        None => {
            let id = create(db, name, &description, &schema.sdl)?;
            let layout = Layout::new(dialect, id, schema)?;
            for statement in layout.ddl() {
                db.batch(&statement).with_context(|| {
                    format!("cannot create the tables of deployment `{name}`: {statement}")
                })?;
            }
            if let Some(graft) = &origin.graft {
                graft::copy(db, dialect, id, &layout, schema, graft).with_context(|| {
                    format!(
                        "cannot graft `{name}` onto `{}` at block {} in {location}",
                        graft.base, graft.block.number
                    )
                })?;
            }
            (id, layout)
        }
    };
    if let Some(hash) = &origin.id {
        graft::set_hash(db, id, hash)?;
    }
    Ok((id, layout))
}

/// Brings every deployment's tables from format version 2 to 3 (see
/// [`Layout::upgrade_to_v3`]); runs inside the caller's transaction.
pub(crate) fn upgrade_deployments_to_v3(db: &mut impl Db, dialect: Dialect) -> Result<()> {
    let rows = db.rows("SELECT id, name, schema_sdl FROM deployments", &[])?;
    for row in rows {
        let row = Row(&row);
        let (id, name) = (row.int(0)?, row.text(1)?);
        let mut upgrade = || -> Result<()> {
            let schema = Schema::parse(&row.text(2)?)?;
            for statement in Layout::new(dialect, id, &schema)?.upgrade_to_v3() {
                db.batch(&statement)
                    .with_context(|| format!("cannot run `{statement}`"))?;
            }
            Ok(())
        };
        upgrade()
            .with_context(|| format!("cannot upgrade deployment `{name}` to layout version 3"))?;
    }
    Ok(())
}

/// The row of deployment `name`: its id and stored schema description, if it exists.
pub(crate) fn find(db: &mut impl Db, name: &str) -> Result<Option<(i64, String)>> {
    db.first(
        "SELECT id, schema FROM deployments WHERE name = ?1",
        &[text(name)],
    )?
    .map(|row| Ok((Row(&row).int(0)?, Row(&row).text(1)?)))
    .transpose()
}

/// Adds deployment `name`; returns its id. `schema` is the canonical description compared on
/// reopening, `sdl` the schema's source text, from which `serve` rebuilds it.
pub(crate) fn create(db: &mut impl Db, name: &str, schema: &str, sdl: &str) -> Result<i64> {
    let row = db
        .first(
            "INSERT INTO deployments (name, schema, schema_sdl) VALUES (?1, ?2, ?3) RETURNING id",
            &[text(name), text(schema), text(sdl)],
        )?
        .ok_or_else(|| anyhow!("the new deployment has no id"))?;
    Row(&row).int(0)
}

/// The schema source text of deployment `name`, if it exists.
pub(crate) fn schema_sdl(db: &mut impl Db, name: &str) -> Result<Option<String>> {
    db.first(
        "SELECT schema_sdl FROM deployments WHERE name = ?1",
        &[text(name)],
    )?
    .map(|row| Row(&row).text(0))
    .transpose()
}

/// The names of all deployments, sorted.
pub(crate) fn names(db: &mut impl Db) -> Result<Vec<String>> {
    db.rows("SELECT name FROM deployments ORDER BY name", &[])?
        .iter()
        .map(|row| Row(row).text(0))
        .collect()
}

pub(crate) fn status(db: &mut impl Db, deployment: i64) -> Result<DeploymentStatus> {
    let row = db
        .first(
            "SELECT head_number, head_hash, head_timestamp,
                    failure_block_number, failure_block_hash, failure_handler, failure_message,
                    failure_fatal, earliest_block
               FROM deployments WHERE id = ?1",
            &[int(deployment)],
        )?
        .ok_or_else(|| anyhow!("deployment #{deployment} is missing from the database"))?;
    let row = Row(&row);
    let head = block_ptr(row.opt_int(0)?, row.opt_blob(1)?).context("invalid head block")?;
    let head_timestamp = row
        .opt_int(2)?
        .map(u64::try_from)
        .transpose()
        .context("invalid head timestamp")?;
    let failure =
        match block_ptr(row.opt_int(3)?, row.opt_blob(4)?).context("invalid failure block")? {
            None => None,
            Some(block) => Some(SubgraphFailure {
                block,
                handler: row.opt_text(5)?,
                message: row.opt_text(6)?.unwrap_or_default(),
                fatal: row.opt_int(7)?.is_none_or(|fatal| fatal != 0),
            }),
        };
    let earliest_block = u64::try_from(row.int(8)?).context("invalid earliest block")?;
    Ok(DeploymentStatus {
        head,
        head_timestamp,
        failure,
        earliest_block,
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

/// A block number as stored (SQL integers are signed).
pub(crate) fn block_number(number: u64) -> Result<i64> {
    i64::try_from(number).map_err(|_| anyhow!("block number {number} is too large to store"))
}

fn timestamp(timestamp: u64) -> Result<i64> {
    i64::try_from(timestamp)
        .map_err(|_| anyhow!("block timestamp {timestamp} is too large to store"))
}

pub(crate) fn set_head(
    db: &mut impl Db,
    deployment: i64,
    block: &BlockPtr,
    block_timestamp: u64,
) -> Result<()> {
    db.execute(
        "UPDATE deployments SET head_number = ?2, head_hash = ?3, head_timestamp = ?4 WHERE id = ?1",
        &[
            int(deployment),
            int(block_number(block.number)?),
            blob(&block.hash),
            int(timestamp(block_timestamp)?),
        ],
    )?;
    Ok(())
}

pub(crate) fn set_failure(
    db: &mut impl Db,
    deployment: i64,
    failure: &SubgraphFailure,
) -> Result<()> {
    db.execute(
        "UPDATE deployments SET failure_block_number = ?2, failure_block_hash = ?3,
                failure_handler = ?4, failure_message = ?5, failure_fatal = ?6 WHERE id = ?1",
        &[
            int(deployment),
            int(block_number(failure.block.number)?),
            blob(&failure.block.hash),
            nullable(failure.handler.as_deref(), text),
            text(&failure.message),
            int(i64::from(failure.fatal)),
        ],
    )?;
    Ok(())
}

/// Forgets a failure recorded at a block after `block` (graph-node removes errors on revert).
pub(crate) fn clear_failure_after(db: &mut impl Db, deployment: i64, block: u64) -> Result<()> {
    db.execute(
        "UPDATE deployments SET failure_block_number = NULL, failure_block_hash = NULL,
                failure_handler = NULL, failure_message = NULL, failure_fatal = NULL
          WHERE id = ?1 AND failure_block_number > ?2",
        &[int(deployment), int(block_number(block)?)],
    )?;
    Ok(())
}

pub(crate) fn insert_data_source(
    db: &mut impl Db,
    layout: &Layout,
    data_source: &StoredDataSource,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO {} (template, params, context, creation_block, causality_region, done_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        layout.data_sources
    );
    let params = codec::params_to_json(&data_source.params);
    let context = data_source.context.as_ref().map(codec::context_to_json);
    db.execute(
        &sql,
        &[
            text(&data_source.template),
            text(&params),
            nullable(context.as_deref(), text),
            int(block_number(data_source.creation_block)?),
            int(data_source.causality_region),
            match data_source.done_at {
                Some(block) => int(block_number(block)?),
                None => nullable(None::<&i64>, |v| int(*v)),
            },
        ],
    )?;
    Ok(())
}

/// Marks the file data source of `region` done at `block`.
pub(crate) fn set_done(db: &mut impl Db, layout: &Layout, region: i64, block: u64) -> Result<()> {
    let sql = format!(
        "UPDATE {} SET done_at = ?1 WHERE causality_region = ?2 AND done_at IS NULL",
        layout.data_sources
    );
    let changed = db.execute(&sql, &[int(block_number(block)?), int(region)])?;
    ensure!(
        changed == 1,
        "no waiting file data source has causality region {region}"
    );
    Ok(())
}

/// All data sources, in creation order.
pub(crate) fn data_sources(db: &mut impl Db, layout: &Layout) -> Result<Vec<StoredDataSource>> {
    let sql = format!(
        "SELECT template, params, context, creation_block, causality_region, done_at FROM {} \
         ORDER BY vid",
        layout.data_sources
    );
    let mut data_sources = Vec::new();
    for row in db.rows(&sql, &[])? {
        let row = Row(&row);
        let template = row.text(0)?;
        let read = || -> Result<StoredDataSource> {
            Ok(StoredDataSource {
                template: template.clone(),
                params: codec::params_from_json(&row.text(1)?)?,
                context: row
                    .opt_text(2)?
                    .map(|text| codec::context_from_json(&text))
                    .transpose()?,
                creation_block: u64::try_from(row.int(3)?)?,
                causality_region: row.int(4)?,
                done_at: row.opt_int(5)?.map(u64::try_from).transpose()?,
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
    db: &mut impl Db,
    layout: &Layout,
    block: u64,
) -> Result<()> {
    let sql = format!(
        "DELETE FROM {} WHERE creation_block > ?1",
        layout.data_sources
    );
    db.execute(&sql, &[int(block_number(block)?)])?;
    // graph-node resets `done_at` on revert: the file is processed again on the new branch.
    let sql = format!(
        "UPDATE {} SET done_at = NULL WHERE done_at > ?1",
        layout.data_sources
    );
    db.execute(&sql, &[int(block_number(block)?)])?;
    Ok(())
}

/// How many block numbers back committed block hashes are kept: far more than any reorg Sprig
/// follows, few enough to keep the table small.
const BLOCK_RETENTION: i64 = 10_000;

/// Records a committed block and forgets blocks older than [`BLOCK_RETENTION`].
pub(crate) fn insert_block(
    db: &mut impl Db,
    layout: &Layout,
    block: &BlockPtr,
    block_timestamp: u64,
) -> Result<()> {
    let number = block_number(block.number)?;
    db.execute(
        &format!(
            "INSERT INTO {} (number, hash, timestamp) VALUES (?1, ?2, ?3)
               ON CONFLICT (number) DO UPDATE SET hash = excluded.hash, timestamp = excluded.timestamp",
            layout.blocks
        ),
        &[
            int(number),
            blob(&block.hash),
            int(timestamp(block_timestamp)?),
        ],
    )?;
    db.execute(
        &format!("DELETE FROM {} WHERE number < ?1", layout.blocks),
        &[int(number - BLOCK_RETENTION)],
    )?;
    Ok(())
}

/// Forgets blocks after `block`.
pub(crate) fn delete_blocks_after(db: &mut impl Db, layout: &Layout, block: u64) -> Result<()> {
    db.execute(
        &format!("DELETE FROM {} WHERE number > ?1", layout.blocks),
        &[int(block_number(block)?)],
    )?;
    Ok(())
}

/// Committed blocks, newest first, at most `limit`.
pub(crate) fn recent_blocks(
    db: &mut impl Db,
    layout: &Layout,
    limit: usize,
) -> Result<Vec<(BlockPtr, u64)>> {
    let rows = db.rows(
        &format!(
            "SELECT number, hash, timestamp FROM {} ORDER BY number DESC LIMIT ?1",
            layout.blocks
        ),
        &[int(i64::try_from(limit).unwrap_or(i64::MAX))],
    )?;
    rows.iter().map(|row| block_row(Row(row))).collect()
}

/// The committed block with this hash, if recorded.
pub(crate) fn block_by_hash(
    db: &mut impl Db,
    layout: &Layout,
    hash: &[u8; 32],
) -> Result<Option<(BlockPtr, u64)>> {
    db.first(
        &format!(
            "SELECT number, hash, timestamp FROM {} WHERE hash = ?1",
            layout.blocks
        ),
        &[blob(hash)],
    )?
    .map(|row| block_row(Row(&row)))
    .transpose()
}

/// A `number, hash, timestamp` row of the blocks table.
fn block_row(row: Row<'_>) -> Result<(BlockPtr, u64)> {
    let ptr = block_ptr(Some(row.int(0)?), Some(row.blob(1)?))?
        .ok_or_else(|| anyhow!("block row without a hash"))?;
    Ok((ptr, u64::try_from(row.int(2)?)?))
}

/// Records this block's proof-of-indexing digests.
pub(crate) fn insert_poi(
    db: &mut impl Db,
    layout: &Layout,
    block: u64,
    digests: &[(String, Vec<u8>)],
) -> Result<()> {
    let sql = format!(
        "INSERT INTO {} (region, block, digest) VALUES (?1, ?2, ?3)
           ON CONFLICT (region, block) DO UPDATE SET digest = excluded.digest",
        layout.poi
    );
    for (region, digest) in digests {
        db.execute(
            &sql,
            &[text(region), int(block_number(block)?), blob(digest)],
        )?;
    }
    Ok(())
}

/// The newest digest of each region at or before `block`.
pub(crate) fn poi_digests(
    db: &mut impl Db,
    layout: &Layout,
    block: u64,
) -> Result<Vec<(String, Vec<u8>)>> {
    let rows = db.rows(
        &format!(
            "SELECT p.region, p.digest FROM {poi} p
              WHERE p.block = (SELECT MAX(block) FROM {poi} q WHERE q.region = p.region AND q.block <= ?1)
              ORDER BY p.region",
            poi = layout.poi
        ),
        &[int(block_number(block)?)],
    )?;
    rows.iter()
        .map(|row| Ok((Row(row).text(0)?, Row(row).blob(1)?)))
        .collect()
}

/// Forgets digests written after `block`.
/// Deletes the digests no block from `block` on can see: all but each region's newest digest
/// at or before `block`.
pub(crate) fn delete_poi_before(db: &mut impl Db, layout: &Layout, block: u64) -> Result<u64> {
    let poi = &layout.poi;
    db.execute(
        &format!(
            "DELETE FROM {poi} WHERE block < (SELECT MAX(q.block) FROM {poi} q
                WHERE q.region = {poi}.region AND q.block <= ?1)"
        ),
        &[int(block_number(block)?)],
    )
}

/// Deletes the records of blocks before `block`.
pub(crate) fn delete_blocks_before(db: &mut impl Db, layout: &Layout, block: u64) -> Result<u64> {
    db.execute(
        &format!("DELETE FROM {} WHERE number < ?1", layout.blocks),
        &[int(block_number(block)?)],
    )
}

/// Records that history before `block` is gone.
pub(crate) fn set_earliest_block(db: &mut impl Db, deployment: i64, block: u64) -> Result<()> {
    db.execute(
        "UPDATE deployments SET earliest_block = ?1 WHERE id = ?2",
        &[int(block_number(block)?), int(deployment)],
    )?;
    Ok(())
}

pub(crate) fn delete_poi_after(db: &mut impl Db, layout: &Layout, block: u64) -> Result<()> {
    db.execute(
        &format!("DELETE FROM {} WHERE block > ?1", layout.poi),
        &[int(block_number(block)?)],
    )?;
    Ok(())
}
