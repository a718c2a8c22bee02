//! `dataSource.*`: the running data source's properties, and creating data sources from
//! templates.

use sprig_store::StoredDataSource;
use sprig_value::Entity;
use wasmtime::{AsContextMut, Caller};

use super::HostFuture;
use crate::asc::value::AscEntity;
use crate::asc::{write_value, Reader};
use crate::error::deterministic;
use crate::gas;
use crate::state::HostState;

/// `dataSource.create(name, params)`.
pub(crate) fn create(
    caller: Caller<'_, HostState>,
    name: u32,
    params: u32,
) -> wasmtime::Result<()> {
    create_data_source(caller, name, params, 0)
}

/// `dataSource.createWithContext(name, params, context)`.
pub(crate) fn create_with_context(
    caller: Caller<'_, HostState>,
    name: u32,
    params: u32,
    context: u32,
) -> wasmtime::Result<()> {
    if context == 0 {
        return Err(deterministic!("dataSource.createWithContext: the context is null").into());
    }
    create_data_source(caller, name, params, context)
}

/// Records a new data source from the template `name`; it is kept only if the handler
/// succeeds. `context` 0 means none.
fn create_data_source(
    mut caller: Caller<'_, HostState>,
    name: u32,
    params: u32,
    context: u32,
) -> wasmtime::Result<()> {
    let mut cx = caller.as_context_mut();
    gas::charge(&mut cx, gas::HOST_CALL + gas::DATA_SOURCE_CREATE)?;
    let mut reader = Reader::new(&mut cx)?;
    let template: String = reader.read(name)?;
    let params: Vec<String> = reader.array(params)?;
    let context: Option<AscEntity> = reader.read_opt(context)?;
    let ctx = &mut cx.data_mut().ctx;
    if !ctx.data_source.templates.contains(&template) {
        return Err(deterministic!(
            "Failed to create data source from name `{template}`: No template with this name in \
             parent data source `{}`. Available names: {}.",
            ctx.data_source.name,
            ctx.data_source.templates.join(", ")
        )
        .into());
    }
    ctx.state.created_data_sources.push(StoredDataSource {
        template,
        params,
        context: context.map(|AscEntity(entity)| entity),
        creation_block: ctx.block.number,
        // The indexer gives a file data source its region.
        causality_region: 0,
        done_at: None,
    });
    Ok(())
}

/// `dataSource.address(): Address`: the data source's address, empty if it has none.
pub(crate) fn address(mut caller: Caller<'_, HostState>, (): ()) -> HostFuture<'_, u32> {
    Box::new(async move {
        let mut cx = caller.as_context_mut();
        gas::charge(&mut cx, gas::HOST_CALL)?;
        let address = cx
            .data()
            .ctx
            .data_source
            .address
            .clone()
            .unwrap_or_default();
        write_value(&mut cx, &address).await
    })
}

/// `dataSource.network(): string`.
pub(crate) fn network(mut caller: Caller<'_, HostState>, (): ()) -> HostFuture<'_, u32> {
    Box::new(async move {
        let mut cx = caller.as_context_mut();
        gas::charge(&mut cx, gas::HOST_CALL)?;
        let network = cx.data().ctx.data_source.network.clone();
        write_value(&mut cx, &network).await
    })
}

/// `dataSource.context(): DataSourceContext`: the context map, empty if there is none.
pub(crate) fn context(mut caller: Caller<'_, HostState>, (): ()) -> HostFuture<'_, u32> {
    Box::new(async move {
        let mut cx = caller.as_context_mut();
        gas::charge(&mut cx, gas::HOST_CALL)?;
        let context: Entity = cx
            .data()
            .ctx
            .data_source
            .context
            .clone()
            .unwrap_or_default();
        write_value(&mut cx, &context).await
    })
}
