//! An HTTP proxy in front of a real node that answers chosen requests itself: the way to test
//! what the client does when a provider limits ranges, rate-limits, fails or lacks a method.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alloy::transports::http::reqwest;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

/// What the proxy does with one request.
pub enum Reply {
    /// Forward it to the node.
    Forward,
    /// Wait, then forward it (to trip the client's timeout).
    ForwardAfter(Duration),
    /// Answer with this JSON-RPC error object (HTTP 200), as providers do.
    RpcError(Value),
    /// Answer with this HTTP status and body.
    Http(u16, &'static str),
    /// Answer with this raw JSON as the result, without asking the node.
    Result(Arc<str>),
}

/// Decides a [`Reply`] from the JSON-RPC request and how many requests for the same method
/// came before it.
pub type Rule = dyn Fn(&Value, usize) -> Reply + Send + Sync;

pub struct Proxy {
    pub url: String,
    seen: Arc<Mutex<Seen>>,
    server: tokio::task::JoinHandle<()>,
}

/// The requests that arrived: counts per method, the params of each, and how many were
/// handled at once.
#[derive(Default)]
struct Seen {
    counts: HashMap<String, usize>,
    params: Vec<(String, Value)>,
    in_flight: usize,
    max_in_flight: usize,
}

#[derive(Clone)]
struct ProxyState {
    upstream: String,
    http: reqwest::Client,
    rule: Arc<Rule>,
    seen: Arc<Mutex<Seen>>,
}

impl Proxy {
    /// Starts a proxy for `upstream` on a free loopback port.
    pub async fn start(
        upstream: &str,
        rule: impl Fn(&Value, usize) -> Reply + Send + Sync + 'static,
    ) -> Proxy {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let state = ProxyState {
            upstream: upstream.to_owned(),
            http: reqwest::Client::new(),
            rule: Arc::new(rule),
            seen: seen.clone(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = Router::new().route("/", post(handle)).with_state(state);
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Proxy { url, seen, server }
    }

    /// How many requests for `method` arrived.
    pub fn count(&self, method: &str) -> usize {
        self.seen
            .lock()
            .unwrap()
            .counts
            .get(method)
            .copied()
            .unwrap_or(0)
    }

    /// The most requests that were in the proxy at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.seen.lock().unwrap().max_in_flight
    }

    /// The params of every request for `method`.
    pub fn params(&self, method: &str) -> Vec<Value> {
        self.seen
            .lock()
            .unwrap()
            .params
            .iter()
            .filter(|(m, _)| m == method)
            .map(|(_, p)| p.clone())
            .collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn handle(State(state): State<ProxyState>, body: Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body).expect("the client sends JSON");
    let method = request["method"].as_str().unwrap_or_default().to_owned();
    let earlier = {
        let mut seen = state.seen.lock().unwrap();
        let count = seen.counts.entry(method.clone()).or_default();
        let earlier = *count;
        *count += 1;
        seen.params.push((method, request["params"].clone()));
        seen.in_flight += 1;
        seen.max_in_flight = seen.max_in_flight.max(seen.in_flight);
        earlier
    };
    let reply = answer(&state, &request, earlier, body).await;
    state.seen.lock().unwrap().in_flight -= 1;
    reply
}

async fn answer(state: &ProxyState, request: &Value, earlier: usize, body: Bytes) -> Response {
    match (state.rule)(request, earlier) {
        Reply::Forward => forward(state, body).await,
        Reply::ForwardAfter(delay) => {
            tokio::time::sleep(delay).await;
            forward(state, body).await
        }
        Reply::RpcError(error) => {
            let answer = json!({ "jsonrpc": "2.0", "id": request["id"], "error": error });
            (
                [(header::CONTENT_TYPE, "application/json")],
                answer.to_string(),
            )
                .into_response()
        }
        Reply::Http(status, text) => (StatusCode::from_u16(status).unwrap(), text).into_response(),
        Reply::Result(raw) => {
            let answer = format!(
                r#"{{"jsonrpc":"2.0","id":{},"result":{raw}}}"#,
                request["id"]
            );
            ([(header::CONTENT_TYPE, "application/json")], answer).into_response()
        }
    }
}

async fn forward(state: &ProxyState, body: Bytes) -> Response {
    let answer = state
        .http
        .post(&state.upstream)
        .header(header::CONTENT_TYPE.as_str(), "application/json")
        .body(body.to_vec())
        .send()
        .await
        .expect("the node behind the proxy answers");
    let status = answer.status().as_u16();
    let bytes = answer.bytes().await.expect("the node's answer arrives");
    (
        StatusCode::from_u16(status).unwrap(),
        [(header::CONTENT_TYPE, "application/json")],
        bytes.to_vec(),
    )
        .into_response()
}

/// The block range of an `eth_getLogs` request, as numbers.
pub fn log_range(params: &Value) -> (u64, u64) {
    let number = |key: &str| {
        let hex = params[0][key].as_str().expect("hex block number");
        u64::from_str_radix(hex.trim_start_matches("0x"), 16).unwrap()
    };
    (number("fromBlock"), number("toBlock"))
}
