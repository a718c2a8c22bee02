//! The two classes of handler failure, and how every error is put in one of them.
//!
//! The class is decided where an error is made: host code wraps its errors in [`HostError`]
//! with an explicit [`Determinism`]; wasm traps are classified by kind in [`classify`]. Anything
//! unrecognised is non-deterministic, so that an unexpected failure is retried rather than
//! recorded as the subgraph's fault.

use std::fmt;

use sprig_value::BlockPtr;
use wasmtime::{Trap, WasmBacktrace};

use crate::source_map::SourceMap;

/// Why a handler failed.
///
/// The message (use `{:#}` or [`Display`](fmt::Display), which includes the whole chain of
/// causes) names the handler and the block, and for traps ends with the wasm backtrace.
#[derive(Debug)]
pub enum MappingError {
    /// The mapping's own fault, the same on every indexer: a trap, `abort`, running out of gas,
    /// a limit, an invalid entity. The handler's writes have been discarded; the subgraph fails
    /// at this block (or, with `nonFatalErrors`, goes on without them).
    Deterministic(anyhow::Error),
    /// The environment's fault: an RPC failure, a timeout, an instance that could not be
    /// created. Retry the block; never store anything derived from this attempt.
    NonDeterministic(anyhow::Error),
}

impl MappingError {
    /// Whether the failure would happen on any other indexer too.
    pub fn is_deterministic(&self) -> bool {
        matches!(self, MappingError::Deterministic(_))
    }

    /// The underlying error, with its chain of causes.
    pub fn error(&self) -> &anyhow::Error {
        match self {
            MappingError::Deterministic(e) | MappingError::NonDeterministic(e) => e,
        }
    }
}

impl fmt::Display for MappingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.error())
    }
}

impl std::error::Error for MappingError {}

/// Whether an error would happen again, identically, on another machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Determinism {
    Deterministic,
    NonDeterministic,
}

/// An error raised by host code on the mapping's behalf, with its class.
///
/// Host functions return it through wasmtime (it unwinds the wasm stack like a trap), and
/// [`classify`] finds it again.
#[derive(Debug)]
pub(crate) struct HostError {
    pub determinism: Determinism,
    pub error: anyhow::Error,
}

impl HostError {
    /// The mapping's fault.
    pub fn deterministic(error: impl Into<anyhow::Error>) -> HostError {
        HostError {
            determinism: Determinism::Deterministic,
            error: error.into(),
        }
    }

    /// The environment's fault.
    pub fn non_deterministic(error: impl Into<anyhow::Error>) -> HostError {
        HostError {
            determinism: Determinism::NonDeterministic,
            error: error.into(),
        }
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only the outermost message: the causes follow through `source`, so `{:#}` of an error
        // wrapping this one prints each once.
        fmt::Display::fmt(&*self.error, f)
    }
}

impl std::error::Error for HostError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// Shorthand for a deterministic [`HostError`] with a formatted message.
macro_rules! deterministic {
    ($($arg:tt)*) => {
        $crate::error::HostError::deterministic(anyhow::anyhow!($($arg)*))
    };
}
pub(crate) use deterministic;

/// The handler (or a host function) used up its gas. Always deterministic.
#[derive(Debug, thiserror::Error)]
#[error("out of gas: the gas limit of {limit} was exceeded")]
pub(crate) struct OutOfGas {
    pub limit: u64,
}

/// What [`classify`] needs to know about the failed run to word its message.
pub(crate) struct FailedRun<'a> {
    pub handler: &'a str,
    pub block: BlockPtr,
    pub gas_limit: u64,
    pub timeout: Option<std::time::Duration>,
    /// Translates backtrace offsets into AssemblyScript source positions.
    pub source_map: Option<&'a SourceMap>,
}

/// Turns an error from instantiating or running a mapping into a [`MappingError`].
pub(crate) fn classify(error: wasmtime::Error, run: &FailedRun<'_>) -> MappingError {
    let (determinism, message) = describe_failure(error, run);
    // The cause (with the backtrace) is the root; the handler and block are context, so a caller
    // that knows more (data source, transaction) can word its own and keep the root.
    let error = anyhow::Error::msg(message).context(format!(
        "handler `{}` failed at block {}",
        run.handler, run.block
    ));
    match determinism {
        Determinism::Deterministic => MappingError::Deterministic(error),
        Determinism::NonDeterministic => MappingError::NonDeterministic(error),
    }
}

/// The class of an error from instantiating or running a mapping, and its cause as a message
/// ending with the wasm backtrace: [`classify`] without naming the handler and block (an
/// `ipfs.map` callback's failure is worded by the host function that ran it).
pub(crate) fn describe_failure(
    error: wasmtime::Error,
    run: &FailedRun<'_>,
) -> (Determinism, String) {
    let determinism = if let Some(host) = error.downcast_ref::<HostError>() {
        host.determinism
    } else if let Some(trap) = error.downcast_ref::<Trap>() {
        trap_determinism(*trap)
    } else {
        // Instantiation failures (pool exhausted, mmap failed) and anything unexpected.
        Determinism::NonDeterministic
    };
    let cause = if error
        .downcast_ref::<Trap>()
        .is_some_and(|t| *t == Trap::OutOfFuel)
    {
        OutOfGas {
            limit: run.gas_limit,
        }
        .to_string()
    } else if error
        .downcast_ref::<Trap>()
        .is_some_and(|t| *t == Trap::Interrupt)
    {
        match run.timeout {
            Some(t) => format!("the handler hit the timeout of {t:?}"),
            None => "the handler was interrupted".to_string(),
        }
    } else {
        describe_chain(&error)
    };
    let mut message = cause;
    if let Some(backtrace) = error.downcast_ref::<WasmBacktrace>() {
        message.push_str(&format_backtrace(backtrace, run.source_map));
    }
    (determinism, message)
}

/// Traps that depend only on the mapping. A stack overflow is deterministic here because the
/// stack limit, the wasmtime version and the optimisation level are pinned (runtime.md);
/// an interrupt would be a timeout, which never is.
fn trap_determinism(trap: Trap) -> Determinism {
    match trap {
        Trap::StackOverflow
        | Trap::MemoryOutOfBounds
        | Trap::HeapMisaligned
        | Trap::TableOutOfBounds
        | Trap::IndirectCallToNull
        | Trap::BadSignature
        | Trap::IntegerOverflow
        | Trap::IntegerDivisionByZero
        | Trap::BadConversionToInteger
        | Trap::UnreachableCodeReached
        | Trap::OutOfFuel => Determinism::Deterministic,
        _ => Determinism::NonDeterministic,
    }
}

/// The chain of causes as `a: b: c`, without the backtrace wasmtime attaches as context (it is
/// rendered separately, frame by frame).
fn describe_chain(error: &wasmtime::Error) -> String {
    let backtrace = error.downcast_ref::<WasmBacktrace>().map(|b| b.to_string());
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if Some(&text) == backtrace.as_ref() || parts.last() == Some(&text) {
            continue;
        }
        parts.push(text);
    }
    parts.join(": ")
}

/// One line per frame, innermost first, each the function's name and where in the source (with
/// a source map) or in the module it was; a run of identical frames (deep recursion) is one
/// line with a count.
fn format_backtrace(backtrace: &WasmBacktrace, source_map: Option<&SourceMap>) -> String {
    let frames: Vec<String> = backtrace
        .frames()
        .iter()
        .map(|frame| {
            let name = frame.func_name().unwrap_or("<unknown>");
            let offset = frame.module_offset();
            match offset.and_then(|o| source_map.and_then(|map| map.locate(o))) {
                Some(position) => format!("{name} ({position})"),
                None => match offset {
                    Some(offset) => format!("{name} (0x{offset:x})"),
                    None => name.to_string(),
                },
            }
        })
        .collect();
    let mut out = String::from("\nwasm backtrace:");
    let mut i = 0;
    while i < frames.len() {
        let run = frames[i..].iter().take_while(|f| **f == frames[i]).count();
        if run == 1 {
            out.push_str(&format!("\n    {i}: {}", frames[i]));
        } else {
            out.push_str(&format!(
                "\n    {i}-{}: {} ({run} times)",
                i + run - 1,
                frames[i]
            ));
        }
        i += run;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_errors_keep_their_class_and_chain() {
        let inner = anyhow::anyhow!("root cause")
            .context("middle")
            .context("top");
        let error = wasmtime::Error::new(HostError::deterministic(inner));
        let run = FailedRun {
            handler: "handleThing",
            block: BlockPtr {
                number: 7,
                hash: [0; 32],
            },
            gas_limit: 1,
            timeout: None,
            source_map: None,
        };
        let mapped = classify(error, &run);
        assert!(mapped.is_deterministic());
        let text = mapped.to_string();
        assert!(
            text.starts_with("handler `handleThing` failed at block #7"),
            "{text}"
        );
        assert!(text.ends_with("top: middle: root cause"), "{text}");
    }

    #[test]
    fn unknown_errors_are_non_deterministic() {
        let run = FailedRun {
            handler: "h",
            block: BlockPtr {
                number: 1,
                hash: [0; 32],
            },
            gas_limit: 1,
            timeout: None,
            source_map: None,
        };
        let mapped = classify(wasmtime::Error::msg("pool exhausted"), &run);
        assert!(!mapped.is_deterministic());
        assert!(mapped.to_string().ends_with("pool exhausted"));
    }
}
