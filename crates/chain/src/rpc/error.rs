//! What can go wrong talking to a node, and how each failure is treated: retried (the transport
//! failed), or final (the node answered).
//!
//! The fingerprint lists here decide results: an `eth_call` error that matches
//! [`REVERT_FINGERPRINTS`] becomes a revert the mapping sees, anything else halts indexing of the
//! block. They follow graph-node (`chain/ethereum/src/ethereum_adapter.rs`), plus the revm halt
//! names anvil reports (`EVM error InvalidFEOpcode`), which graph-node's geth strings miss.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use alloy::transports::http::reqwest;
use alloy::transports::{TransportError, TransportErrorKind};

/// A failed request to an Ethereum node.
///
/// Every variant is non-deterministic: the same request may succeed later or against another
/// node. A revert is not an error (see [`CallOutcome`](super::CallOutcome)).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RpcError {
    /// The URL given to [`RpcClient::connect`](super::RpcClient::connect) is unusable.
    #[error("invalid Ethereum RPC URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The node could not be reached, or kept failing at the transport level (connection
    /// refused or reset, timeout, HTTP 5xx or 429, rate limiting) for every attempt.
    #[error(
        "Ethereum node {url} is unreachable: {method} failed {attempts} times, last with: {cause}. \
         Check that the node is running and the URL is right"
    )]
    Unreachable {
        /// The endpoint, API keys masked.
        url: Arc<str>,
        /// The JSON-RPC method that failed.
        method: &'static str,
        /// How many times the request was sent.
        attempts: u32,
        /// The last failure, with its chain of causes.
        cause: String,
    },

    /// The node answered with a JSON-RPC error.
    #[error("Ethereum node {url} answered {method} with error {code}: {message}{}", data_suffix(.data))]
    Rpc {
        /// The endpoint, API keys masked.
        url: Arc<str>,
        /// The JSON-RPC method asked.
        method: &'static str,
        /// The error's `code`.
        code: i64,
        /// The error's `message`.
        message: String,
        /// The error's `data` member as raw JSON, when present.
        data: Option<String>,
    },

    /// The server refused the request at the HTTP level with a status that retrying won't fix
    /// (wrong path, missing or invalid API key, request too large).
    #[error("Ethereum node {url} refused {method} with HTTP {status}{}: {body}", http_hint(*.status))]
    Http {
        /// The endpoint, API keys masked.
        url: Arc<str>,
        /// The JSON-RPC method asked.
        method: &'static str,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },

    /// The node answered, but not with what the method promises (malformed JSON, missing
    /// fields, data of another block).
    #[error("Ethereum node {url} sent a bad answer to {method}: {reason}")]
    BadResponse {
        /// The endpoint, API keys masked.
        url: Arc<str>,
        /// The JSON-RPC method asked.
        method: &'static str,
        /// What is wrong with the answer.
        reason: String,
    },

    /// The node does not know the block, transaction or receipt asked for (not mined yet,
    /// reorganized away, or pruned).
    #[error("Ethereum node {url} does not have {what}")]
    NotFound {
        /// The endpoint, API keys masked.
        url: Arc<str>,
        /// What was asked for, e.g. `block #123`.
        what: String,
    },
}

impl RpcError {
    /// Whether the node could not be reached at all (as opposed to answering badly).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Unreachable { .. })
    }

    /// Whether the node answered that it does not have what was asked for.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}

fn data_suffix(data: &Option<String>) -> String {
    data.as_deref()
        .map(|d| format!(" (data: {})", truncate(d, 200)))
        .unwrap_or_default()
}

fn http_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => " (check the API key in the URL)",
        404 => " (check the URL's path)",
        413 => " (request too large for this provider)",
        _ => "",
    }
}

/// Cuts `s` to at most `max` bytes (on a char boundary) so that error messages stay readable
/// when a node answers with a whole HTML page.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}

/// How one failed attempt is handled.
pub(crate) enum Failure {
    /// Worth retrying: the transport failed or the node asked us to slow down. Carries a
    /// description of the failure and the server's requested delay, if any.
    Transient {
        cause: String,
        retry_after: Option<Duration>,
    },
    /// Retrying won't help (or must not happen, as for a revert).
    Final(RpcError),
}

/// Where a request went, for error messages.
pub(crate) struct RequestContext<'a> {
    pub url: &'a Arc<str>,
    pub method: &'static str,
}

/// Sorts an alloy error into [`Failure`]. `is_final_answer` marks JSON-RPC error answers the
/// caller handles itself, which must not be retried even if they look like rate limiting (a
/// contract may well revert with "rate limit exceeded").
pub(crate) fn classify(
    err: TransportError,
    ctx: &RequestContext<'_>,
    is_final_answer: fn(i64, &str, Option<&str>) -> bool,
) -> Failure {
    let url = ctx.url.clone();
    let method = ctx.method;
    match err {
        TransportError::ErrorResp(payload) => {
            let data = payload.data.as_ref().map(|d| d.get());
            if !is_final_answer(payload.code, &payload.message, data)
                && is_rate_limited(payload.code, &payload.message)
            {
                return Failure::Transient {
                    cause: format!("error {}: {}", payload.code, payload.message),
                    retry_after: infura_backoff(data),
                };
            }
            Failure::Final(RpcError::Rpc {
                url,
                method,
                code: payload.code,
                data: data.map(str::to_owned),
                message: payload.message.into_owned(),
            })
        }
        TransportError::Transport(kind) => classify_transport(kind, url, method),
        TransportError::DeserError { err, text } => Failure::Final(RpcError::BadResponse {
            url,
            method,
            reason: format!("{err}; the answer was: {}", truncate(&text, 300)),
        }),
        TransportError::NullResp => Failure::Final(RpcError::BadResponse {
            url,
            method,
            reason: "null result".to_owned(),
        }),
        // Serialization and local-usage errors are bugs on our side, not the node's; they are
        // reported as final so they surface instead of being retried for a minute.
        other => Failure::Final(RpcError::BadResponse {
            url,
            method,
            reason: format!("request could not be sent: {other}"),
        }),
    }
}

fn classify_transport(kind: TransportErrorKind, url: Arc<str>, method: &'static str) -> Failure {
    if let Some(http) = kind.as_http_error() {
        let status = http.status;
        // 408 Request Timeout, 425 Too Early and 429 Too Many Requests are explicitly temporary;
        // 5xx come from overloaded nodes and load balancers.
        if matches!(status, 408 | 425 | 429) || (500..600).contains(&status) {
            return Failure::Transient {
                cause: format!("HTTP {status}: {}", truncate(&http.body, 200)),
                retry_after: kind.retry_after(),
            };
        }
        return Failure::Final(RpcError::Http {
            url,
            method,
            status,
            body: truncate(&http.body, 300),
        });
    }
    if kind.is_non_retryable() || kind.is_pubsub_unavailable() {
        return Failure::Final(RpcError::BadResponse {
            url,
            method,
            reason: error_chain(&kind),
        });
    }
    let cause = match kind {
        // reqwest names the full URL in its errors; it may hold an API key, and the message
        // around it already names the (masked) endpoint.
        TransportErrorKind::Custom(err) => match err.downcast::<reqwest::Error>() {
            Ok(err) => error_chain(&err.without_url()),
            Err(err) => error_chain(err.as_ref()),
        },
        other => error_chain(&other),
    };
    // Connection refused or reset, timeouts, truncated bodies, missing batch responses.
    Failure::Transient {
        cause,
        retry_after: None,
    }
}

/// `err` and its sources joined with ": ", because reqwest's own message ("error sending request
/// for url") hides the part a user needs ("Connection refused").
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            let _ = write!(out, ": {text}");
        }
        source = cause.source();
    }
    out
}

/// Whether a JSON-RPC error answer means "slow down" rather than "no". Provider texts as
/// collected by alloy's `ErrorPayload::is_retry_err`, minus "header not found", which on a
/// healthy node means the block is unknown (a reorg) and is the caller's to handle.
pub(crate) fn is_rate_limited(code: i64, message: &str) -> bool {
    if code == 429 {
        return true;
    }
    let message = message.to_ascii_lowercase();
    const RATE_LIMIT_FINGERPRINTS: &[&str] = &[
        "rate limit",
        "rate exceeded",
        "too many requests",
        "request limit",
        "credits limited",
        "daily request count exceeded",
        "maximum number of concurrent requests",
        "capacity exceeded",
    ];
    RATE_LIMIT_FINGERPRINTS.iter().any(|f| message.contains(f))
}

/// Infura puts the delay it wants into `data.rate.backoff_seconds`.
fn infura_backoff(data: Option<&str>) -> Option<Duration> {
    let data: serde_json::Value = serde_json::from_str(data?).ok()?;
    let seconds = data.get("rate")?.get("backoff_seconds")?.as_f64()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

/// Lower-case substrings of `eth_call` error messages that mean the EVM itself stopped the call:
/// the same call at the same block fails the same way on every node, so the mapping sees a
/// revert instead of indexing halting.
pub(crate) const REVERT_FINGERPRINTS: &[&str] = &[
    // graph-node's list. "revert" covers geth's "execution reverted", Hardhat's "transaction
    // reverted", Ganache's and Moonbeam's "VM Exception while processing transaction: revert".
    "revert",
    "invalid jump destination",
    "invalid opcode",
    "stack limit reached 1024",
    "out of gas",
    "stack underflow",
    // OpenEthereum/Nethermind -32015 and Erigon.
    "vm execution error",
    // revm halt reasons as anvil words them ("EVM error InvalidFEOpcode", code -32603).
    "invalidfeopcode",
    "opcodenotfound",
    "invalidjump",
    "stackunderflow",
    "stackoverflow",
    "outofgas",
    "outofoffset",
    "calltoodeep",
];

/// Whether an `eth_call` error answer is a revert (see [`REVERT_FINGERPRINTS`]).
pub(crate) fn is_revert(_code: i64, message: &str, data: Option<&str>) -> bool {
    let message = message.to_ascii_lowercase();
    if REVERT_FINGERPRINTS.iter().any(|f| message.contains(f)) {
        return true;
    }
    // OpenEthereum/Parity put the reason in `data` as a string ("Reverted 0x…", "Bad jump…").
    const PARITY_DATA_PREFIXES: &[&str] = &[
        "\"revert",
        "\"reverted",
        "\"bad jump",
        "\"out of stack",
        "\"bad instruction",
        "\"out of gas",
    ];
    data.map(str::to_ascii_lowercase)
        .is_some_and(|d| PARITY_DATA_PREFIXES.iter().any(|p| d.starts_with(p)))
}

/// Lower-case substrings of `eth_getLogs` errors meaning "this range returns too much, ask for
/// less": Infura's -32005 "query returned more than 10000 results", Alchemy's "Log response size
/// exceeded", QuickNode's "eth_getLogs is limited to a 10000 range", and other providers' range
/// limits.
const LOG_RANGE_FINGERPRINTS: &[&str] = &[
    "query returned more than",
    "more than 10000 results",
    "response size exceeded",
    "response size should not",
    "block range",
    "blocks range",
    "range too large",
    "range is too large",
    "range is too wide",
    "range exceeds",
    "range limit",
    "exceed max",
    "exceeds max",
    "exceeds the max",
    "max range",
    "maximum range",
    "too many blocks",
    "too many logs",
    "too many results",
    "logs matched by query exceeds",
    "query exceeds",
    "try with this block range",
    "is limited to a",
    "query timeout exceeded",
];

/// Whether an `eth_getLogs` error answer asks for a smaller block range. Rate limiting is
/// excluded first: Infura uses -32005 for both.
pub(crate) fn is_log_range_too_large(code: i64, message: &str, _data: Option<&str>) -> bool {
    if is_rate_limited(code, message) {
        return false;
    }
    let message = message.to_ascii_lowercase();
    code == -32005 || LOG_RANGE_FINGERPRINTS.iter().any(|f| message.contains(f))
}

/// Whether an error answer to `eth_getBlockReceipts` says the node lacks the method, so receipts
/// have to be fetched one transaction at a time.
pub(crate) fn is_method_unsupported(code: i64, message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    code == -32601
        || message.contains("method not found")
        || message.contains("not supported")
        || message.contains("unsupported method")
        || message.contains("does not exist/is not available")
        || message.contains("method not available")
}

/// No JSON-RPC answer is handled by the caller: only rate limiting is retried.
pub(crate) fn no_final_answers(_: i64, _: &str, _: Option<&str>) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverts_are_recognized_across_clients() {
        for message in [
            "execution reverted",
            "execution reverted: Ownable: caller is not the owner",
            "VM Exception while processing transaction: revert",
            "invalid opcode: INVALID",
            "invalid jump destination",
            "out of gas",
            "stack limit reached 1024 (1023)",
            "EVM error InvalidFEOpcode",
            "EVM error InvalidJump",
            "EVM error StackUnderflow",
            "EVM error OutOfGas",
            "VM execution error.",
        ] {
            assert!(is_revert(-32000, message, None), "{message}");
        }
        assert!(is_revert(
            -32015,
            "VM execution error.",
            Some("\"Reverted 0x08c3\"")
        ));
        assert!(is_revert(
            -32015,
            "something",
            Some("\"Bad jump destination 1\"")
        ));
    }

    #[test]
    fn node_trouble_is_not_a_revert() {
        for message in [
            "header not found",
            "missing trie node 4f1c… (path ) state 0x… is not available",
            "request timed out",
            "BlockOutOfRangeError: block height is 6 but requested was 2457",
            "Resource not found",
        ] {
            assert!(!is_revert(-32000, message, None), "{message}");
        }
    }

    #[test]
    fn log_range_limits_are_recognized() {
        assert!(is_log_range_too_large(
            -32005,
            "query returned more than 10000 results. Try with this block range [0x1, 0x2].",
            None
        ));
        assert!(is_log_range_too_large(
            -32602,
            "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range",
            None
        ));
        assert!(is_log_range_too_large(
            -32614,
            "eth_getLogs is limited to a 10000 range",
            None
        ));
        assert!(is_log_range_too_large(
            -32000,
            "block range is too wide",
            None
        ));
        // Infura's rate limit shares the code but must be retried, not split.
        assert!(!is_log_range_too_large(
            -32005,
            "daily request count exceeded, request rate limited",
            None
        ));
        assert!(!is_log_range_too_large(-32000, "header not found", None));
    }

    #[test]
    fn rate_limits_are_recognized() {
        assert!(is_rate_limited(429, "Too Many Requests"));
        assert!(is_rate_limited(-32005, "project ID request rate exceeded"));
        assert!(is_rate_limited(-32007, "100/second request limit reached"));
        assert!(!is_rate_limited(-32000, "execution reverted"));
        assert!(!is_rate_limited(-32000, "header not found"));
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("short", 10), "short");
        let long = "é".repeat(10);
        let cut = truncate(&long, 5);
        assert!(cut.starts_with("éé…"), "{cut}");
    }
}
