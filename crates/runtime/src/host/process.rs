//! `abort` (AssemblyScript's `assert`/`throw`) and `log.log`.

use wasmtime::{AsContextMut, Caller};

use crate::asc::Reader;
use crate::error::{deterministic, HostError};
use crate::gas;
use crate::state::HostState;

/// `abort(message, file, line, column)`: always fails deterministically with
/// "Mapping aborted at <file>, line <l>, column <c>, with message: <message>" (parts that are
/// absent are left out, as graph-node does).
pub(crate) fn abort(
    mut caller: Caller<'_, HostState>,
    message: u32,
    file: u32,
    line: u32,
    column: u32,
) -> wasmtime::Result<()> {
    let mut cx = caller.as_context_mut();
    gas::charge(&mut cx, gas::HOST_CALL)?;
    let mut reader = Reader::new(&mut cx)?;
    let message: Option<String> = reader.read_opt(message)?;
    let file: Option<String> = reader.read_opt(file)?;
    let location = match (file, line, column) {
        (None, _, _) => "an unknown location".to_string(),
        (Some(file), 0, _) => file,
        (Some(file), line, 0) => format!("{file}, line {line}"),
        (Some(file), line, column) => format!("{file}, line {line}, column {column}"),
    };
    let message = match message {
        Some(message) => format!("message: {message}"),
        None => "no message".to_string(),
    };
    Err(deterministic!("Mapping aborted at {location}, with {message}").into())
}

/// `log.log(level, message)`: 0 critical (fails the handler deterministically), 1 error,
/// 2 warning, 3 info, anything else debug. Logged with the data source's name.
pub(crate) fn log(
    mut caller: Caller<'_, HostState>,
    level: u32,
    message: u32,
) -> wasmtime::Result<()> {
    let mut cx = caller.as_context_mut();
    gas::charge(&mut cx, gas::LOG)?;
    let message: String = Reader::new(&mut cx)?.read(message)?;
    let ctx = &cx.data().ctx;
    let (data_source, handler) = (ctx.data_source.name.as_str(), ctx.handler.as_str());
    match level {
        0 => {
            tracing::error!(target: "sprig::mapping", data_source, handler, "{message}");
            return Err(HostError::deterministic(anyhow::anyhow!(
                "Critical error logged in mapping with log message: {message}"
            ))
            .into());
        }
        1 => tracing::error!(target: "sprig::mapping", data_source, handler, "{message}"),
        2 => tracing::warn!(target: "sprig::mapping", data_source, handler, "{message}"),
        3 => tracing::info!(target: "sprig::mapping", data_source, handler, "{message}"),
        _ => tracing::debug!(target: "sprig::mapping", data_source, handler, "{message}"),
    }
    Ok(())
}
