//! [`SubgraphApi`]: the GraphQL API of one deployment, and how one request is executed.
//!
//! Store calls are synchronous (SQLite), so a whole request is executed on a thread that may
//! block: [`SubgraphApi::execute`] moves it to Tokio's blocking pool with one `spawn_blocking`,
//! and the resolvers call the store directly. One hop per request rather than one per field
//! keeps nested selections (100 tokens × their owner) cheap, and no async worker thread ever
//! waits on the disk. `block_in_place` was not chosen: it panics on a current-thread runtime
//! and stalls the other tasks queued on that worker.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use async_graphql::dynamic::{ResolverContext, Schema as DynamicSchema};
use async_graphql::Variables;
use serde::Deserialize;
use sprig_manifest::{EntityType, Schema};
use sprig_store::{DeploymentStatus, QueryStore};

use crate::error::{QueryError, QueryResult};
use crate::filter::FilterTable;
use crate::response::{finish, QueryResponse, TopLevelField};
use crate::schema::build_schema;

/// A GraphQL request body: `{"query", "variables", "operationName"}`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct QueryRequest {
    /// The GraphQL document.
    pub query: String,
    /// Values of the document's variables: a JSON object, or absent/null.
    #[serde(default)]
    pub variables: Option<serde_json::Value>,
    /// Which operation to run when the document has several.
    #[serde(default, rename = "operationName")]
    pub operation_name: Option<String>,
}

impl QueryRequest {
    /// A request for `query` without variables.
    pub fn new(query: impl Into<String>) -> QueryRequest {
        QueryRequest {
            query: query.into(),
            ..QueryRequest::default()
        }
    }
}

/// What the resolvers of one deployment share.
pub(crate) struct Deployment {
    /// The id `_meta.deployment` reports and errors name.
    pub id: String,
    pub schema: Arc<Schema>,
    pub store: Arc<dyn QueryStore>,
    /// The `T_filter` inputs of every entity type, interface and aggregation, by type name.
    pub filters: HashMap<String, FilterTable>,
    /// Aggregations as entity types: the type queries show (named after the aggregation) and the
    /// types the store keeps per interval (`Aggregation_interval`).
    pub aggregation_types: Vec<EntityType>,
}

/// The GraphQL API of one subgraph deployment: a schema derived from the subgraph's, answering
/// from its store. Cheap to clone.
#[derive(Clone)]
pub struct SubgraphApi {
    schema: DynamicSchema,
    deployment: Arc<Deployment>,
}

impl std::fmt::Debug for SubgraphApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubgraphApi")
            .field("deployment", &self.deployment.id)
            .finish_non_exhaustive()
    }
}

impl SubgraphApi {
    /// Derives the API of `schema`, served from `store`. `deployment` is the id `_meta`
    /// reports (graph-node reports the deployment hash). Fails if the schema's names collide
    /// with each other or with the built-in types of the query API.
    pub fn new(
        deployment: impl Into<String>,
        schema: Arc<Schema>,
        store: Arc<dyn QueryStore>,
    ) -> anyhow::Result<SubgraphApi> {
        let aggregation_types: Vec<EntityType> = schema
            .aggregations
            .iter()
            .flat_map(|a| {
                std::iter::once(a.entity_type(None))
                    .chain(a.intervals.iter().map(|&i| a.entity_type(Some(i))))
            })
            .collect();
        let filters = schema
            .entity_types
            .iter()
            .chain(&schema.interfaces)
            .map(|ty| (ty.name.clone(), FilterTable::new(ty, &schema)))
            .chain(
                schema
                    .aggregations
                    .iter()
                    .map(|a| (a.name.clone(), FilterTable::for_aggregation(a, &schema))),
            )
            .collect();
        let deployment = Arc::new(Deployment {
            id: deployment.into(),
            schema,
            store,
            filters,
            aggregation_types,
        });
        Ok(SubgraphApi {
            schema: build_schema(&deployment)?,
            deployment,
        })
    }

    /// The deployment id given at construction.
    pub fn deployment(&self) -> &str {
        &self.deployment.id
    }

    /// The generated schema in SDL.
    pub fn sdl(&self) -> String {
        self.schema.sdl()
    }

    /// Executes a request on the blocking thread pool (see the module documentation).
    pub async fn execute(&self, request: QueryRequest) -> QueryResponse {
        let api = self.clone();
        match tokio::task::spawn_blocking(move || api.execute_blocking(request)).await {
            Ok(response) => response,
            Err(e) => {
                tracing::error!(deployment = %self.deployment.id, "query execution failed: {e}");
                QueryResponse::from_errors([format!("internal error executing the query: {e}")])
            }
        }
    }

    /// Executes a request on the current thread, blocking it on the store.
    pub fn execute_blocking(&self, request: QueryRequest) -> QueryResponse {
        let variables = match request.variables {
            None | Some(serde_json::Value::Null) => Variables::default(),
            Some(object @ serde_json::Value::Object(_)) => Variables::from_json(object),
            Some(other) => {
                return QueryResponse::from_errors([format!(
                    "`variables` must be an object, not `{other}`"
                )])
            }
        };
        let state = Arc::new(RequestState::default());
        let mut gql_request = async_graphql::Request::new(request.query)
            .variables(variables)
            .data(Arc::clone(&state));
        if let Some(name) = request.operation_name.filter(|name| !name.is_empty()) {
            gql_request = gql_request.operation_name(name);
        }
        let response = block_on(self.schema.execute(gql_request));
        let fields = state
            .top_level
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        finish(response, &fields)
    }
}

/// Per-request state: one consistent view of the deployment's progress, and what the
/// top-level fields recorded for the error policy.
#[derive(Default)]
pub(crate) struct RequestState {
    status: OnceLock<QueryResult<DeploymentStatus>>,
    top_level: Mutex<Vec<TopLevelField>>,
}

impl RequestState {
    /// The request's state, put there by [`SubgraphApi::execute_blocking`].
    pub fn of<'a>(ctx: &ResolverContext<'a>) -> QueryResult<&'a RequestState> {
        ctx.ctx
            .data::<Arc<RequestState>>()
            .map(|state| state.as_ref())
            .map_err(|_| QueryError::new("internal error: request state missing"))
    }

    /// The deployment's status, read once per request so that all top-level fields agree on
    /// the head even while the indexer writes.
    pub fn status(&self, deployment: &Deployment) -> QueryResult<&DeploymentStatus> {
        self.status
            .get_or_init(|| deployment.store.status().map_err(QueryError::store))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Records a top-level field for [`finish`].
    pub fn record(&self, field: TopLevelField) {
        self.top_level
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(field);
    }
}

/// Drives a future to completion on the current thread. async-graphql's execution is
/// runtime-agnostic and the resolvers never wait on I/O, so this needs no reactor.
fn block_on<F: Future>(future: F) -> F::Output {
    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}
