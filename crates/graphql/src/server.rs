//! The HTTP server: graph-node's query endpoints for any number of subgraphs.
//!
//! - `POST /subgraphs/name/<name>` with `{"query", "variables", "operationName"}` answers in
//!   graph-node's shape (`{"data"}` or `{"errors"}`); `<name>` may contain `/`.
//! - `GET /subgraphs/name/<name>` (and `…/graphql`, graph-node's GraphiQL path) serves GraphiQL
//!   for that endpoint.
//! - `/subgraphs/id/<deployment>` does the same by deployment id.
//! - `GET /` lists the served subgraphs: HTML for browsers, JSON otherwise.
//!
//! Every response allows any origin, and `OPTIONS` answers CORS preflights, because front-ends
//! query from browsers on other origins. The few headers are set by hand rather than with
//! tower-http, which the workspace does not depend on.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use anyhow::bail;
use async_graphql::http::GraphiQLSource;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use sprig_manifest::Schema;
use sprig_store::QueryStore;

use crate::api::{QueryRequest, SubgraphApi};
use crate::response::QueryResponse;

/// The subgraphs served over HTTP, by name. Cheap to clone; clones share the same set, so the
/// CLI can add subgraphs after the server started.
#[derive(Clone, Default)]
pub struct QueryServer {
    subgraphs: Arc<RwLock<BTreeMap<String, SubgraphApi>>>,
    /// Renders `/metrics` (Prometheus text), when the process has something to report.
    metrics: Arc<OnceLock<MetricsSource>>,
}

/// Renders the process's metrics in Prometheus' text format.
pub type MetricsSource = Arc<dyn Fn() -> String + Send + Sync>;

impl std::fmt::Debug for QueryServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryServer")
            .field("subgraphs", &self.names())
            .finish()
    }
}

impl QueryServer {
    /// A server with no subgraphs.
    pub fn new() -> QueryServer {
        QueryServer::default()
    }

    /// Serves `schema` from `store` at `/subgraphs/name/<name>`, replacing a subgraph of that
    /// name. `deployment` is the id `_meta.deployment` reports. Fails for names graph-node
    /// would refuse and for schemas whose derived API has colliding names.
    pub fn add_subgraph(
        &self,
        name: &str,
        deployment: impl Into<String>,
        schema: Arc<Schema>,
        store: Arc<dyn QueryStore>,
    ) -> anyhow::Result<()> {
        check_name(name)?;
        let api = SubgraphApi::new(deployment, schema, store)?;
        self.subgraphs
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_string(), api);
        Ok(())
    }

    /// Stops serving a subgraph; whether it was served.
    pub fn remove_subgraph(&self, name: &str) -> bool {
        self.subgraphs
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name)
            .is_some()
    }

    /// Serves `source`'s text at `/metrics` (the first source set wins; without one,
    /// `/metrics` is not found).
    pub fn set_metrics(&self, source: MetricsSource) {
        let _ = self.metrics.set(source);
    }

    /// The names served, sorted.
    pub fn names(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    /// The API of a served subgraph.
    pub fn subgraph(&self, name: &str) -> Option<SubgraphApi> {
        self.read().get(name).cloned()
    }

    /// The HTTP routes; see the module documentation.
    pub fn router(&self) -> Router {
        router(self.clone())
    }

    /// Serves HTTP on `listener` until `shutdown` completes.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, SubgraphApi>> {
        self.subgraphs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The subgraph a `/subgraphs/name/…` path names: the exact name, or the name before
    /// graph-node's `/graphql` suffix.
    fn by_name(&self, path: &str) -> Option<Served> {
        let subgraphs = self.read();
        without_graphiql_suffix(path).find_map(|name| {
            Some(Served {
                endpoint: format!("/subgraphs/name/{name}"),
                label: name.to_string(),
                api: subgraphs.get(name)?.clone(),
            })
        })
    }

    /// The subgraph a `/subgraphs/id/…` path names by deployment id.
    fn by_id(&self, path: &str) -> Option<Served> {
        let subgraphs = self.read();
        without_graphiql_suffix(path).find_map(|id| {
            let api = subgraphs.values().find(|api| api.deployment() == id)?;
            Some(Served {
                endpoint: format!("/subgraphs/id/{id}"),
                label: id.to_string(),
                api: api.clone(),
            })
        })
    }
}

/// A subgraph a request addresses.
struct Served {
    /// The path its queries are posted to.
    endpoint: String,
    /// Its name or deployment id, for people.
    label: String,
    api: SubgraphApi,
}

/// A path as given, then without a trailing `/graphql` (graph-node's GraphiQL path).
fn without_graphiql_suffix(path: &str) -> impl Iterator<Item = &str> {
    [Some(path), path.strip_suffix("/graphql")]
        .into_iter()
        .flatten()
}

/// The HTTP routes serving `server`'s subgraphs.
pub fn router(server: QueryServer) -> Router {
    Router::new()
        .route("/", get(index))
        .route(
            "/subgraphs/name/{*name}",
            get(graphiql_by_name).post(query_by_name),
        )
        .route("/subgraphs/id/{*id}", get(graphiql_by_id).post(query_by_id))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(middleware::from_fn(cors))
        .with_state(server)
}

async fn query_by_name(
    State(server): State<QueryServer>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    query(server.by_name(&name), &name, body).await
}

async fn query_by_id(
    State(server): State<QueryServer>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    query(server.by_id(&id), &id, body).await
}

async fn metrics(State(server): State<QueryServer>) -> Response {
    match server.metrics.get() {
        Some(source) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            source(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no metrics in this process\n").into_response(),
    }
}

async fn graphiql_by_name(State(server): State<QueryServer>, Path(name): Path<String>) -> Response {
    graphiql(server.by_name(&name))
}

async fn graphiql_by_id(State(server): State<QueryServer>, Path(id): Path<String>) -> Response {
    graphiql(server.by_id(&id))
}

/// graph-node's subgraph name rule: `/`-separated segments of ASCII letters, digits, `-`, `_`.
/// The server refuses to serve other names, so `sprig index` refuses to create them.
pub fn check_name(name: &str) -> anyhow::Result<()> {
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if !name.split('/').all(segment_ok) {
        bail!(
            "invalid subgraph name `{name}`: use `/`-separated parts made of letters, digits, `-` \
             and `_`, such as `uniswap/v2`"
        );
    }
    Ok(())
}

/// Answers a query posted to `path`, which addressed `served`.
async fn query(served: Option<Served>, path: &str, body: Bytes) -> Response {
    let Some(served) = served else {
        return json(
            StatusCode::NOT_FOUND,
            &QueryResponse::from_errors([format!(
                "Subgraph `{path}` is not served here; GET / lists the subgraphs that are"
            )]),
        );
    };
    let request: QueryRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return json(
                StatusCode::BAD_REQUEST,
                &QueryResponse::from_errors([format!(
                    "The request body must be JSON like {{\"query\": \"…\", \"variables\": {{…}}}}: {e}"
                )]),
            )
        }
    };
    let started = std::time::Instant::now();
    let response = served.api.execute(request).await;
    tracing::debug!(
        subgraph = %served.label,
        elapsed_ms = started.elapsed().as_millis() as u64,
        errors = response.errors.len(),
        "query"
    );
    json(StatusCode::OK, &response)
}

/// GraphiQL, pointed at the subgraph's endpoint.
fn graphiql(served: Option<Served>) -> Response {
    let Some(served) = served else {
        return not_found_response();
    };
    let title = format!("{} · Sprig", served.label);
    Html(
        GraphiQLSource::build()
            .endpoint(&served.endpoint)
            .title(&title)
            .finish(),
    )
    .into_response()
}

/// One served subgraph in the index.
#[derive(Serialize)]
struct IndexEntry {
    name: String,
    deployment: String,
    url: String,
}

async fn index(State(server): State<QueryServer>, headers: HeaderMap) -> Response {
    // Absolute URLs are what people copy into front-end configuration.
    let base = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .map(|host| format!("http://{host}"))
        .unwrap_or_default();
    let entries: Vec<IndexEntry> = server
        .read()
        .iter()
        .map(|(name, api)| IndexEntry {
            name: name.clone(),
            deployment: api.deployment().to_string(),
            url: format!("{base}/subgraphs/name/{name}"),
        })
        .collect();
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html {
        return Html(index_html(&entries)).into_response();
    }
    json(
        StatusCode::OK,
        &serde_json::json!({
            "message": "Query subgraphs by name at /subgraphs/name/<NAME>",
            "subgraphs": entries,
        }),
    )
}

fn index_html(entries: &[IndexEntry]) -> String {
    // Names and deployment ids are escaped: deployment ids are free-form.
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let items: String = entries
        .iter()
        .map(|e| {
            format!(
                "<li><a href=\"{url}\">{name}</a> <code>{deployment}</code><br><code>{url}</code></li>\n",
                url = escape(&e.url),
                name = escape(&e.name),
                deployment = escape(&e.deployment),
            )
        })
        .collect();
    let body = if items.is_empty() {
        "<p>No subgraphs are served yet.</p>".to_string()
    } else {
        format!("<ul>\n{items}</ul>")
    };
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Sprig</title></head>\n\
         <body><h1>Subgraphs</h1>\n{body}\n<p>POST GraphQL queries to a subgraph's URL; open it \
         in a browser for GraphiQL.</p></body></html>\n"
    )
}

async fn not_found() -> Response {
    not_found_response()
}

fn not_found_response() -> Response {
    json(
        StatusCode::NOT_FOUND,
        &serde_json::json!({ "message": "Not found" }),
    )
}

fn json(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => {
            tracing::error!("cannot serialize a response: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot serialize the response",
            )
                .into_response()
        }
    }
}

/// Allows any origin on every response and answers preflight requests, as graph-node does.
async fn cors(request: Request, next: Next) -> Response {
    let any_origin = HeaderValue::from_static("*");
    if request.method() == Method::OPTIONS {
        // Echo the headers the browser asks for: clients add their own (e.g. Apollo's).
        let allow_headers = request
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("Content-Type, User-Agent"));
        let mut response = Response::new(Body::empty());
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, any_origin);
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, OPTIONS, POST"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("86400"),
        );
        return response;
    }
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, any_origin);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_graph_node_rules() {
        for ok in ["a", "uniswap/v2", "my-org/sub_graph/1"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "/a", "a/", "a//b", "a b", "a?b", "ü"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
