//! The HTTP surface: routes, GraphiQL, the index, CORS, and adding subgraphs while serving.

use serde_json::json;

use super::fixture::{self, status};
use super::http::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_lists_served_subgraphs() {
    let server = TestServer::fixture(status()).await;
    let response = server.request("GET", "/", &[], "").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(
        response.json(),
        json!({
            "message": "Query subgraphs by name at /subgraphs/name/<NAME>",
            "subgraphs": [{
                "name": "test/subgraph",
                "deployment": "QmTestDeployment",
                "url": format!("http://{}/subgraphs/name/test/subgraph", server.addr)
            }]
        })
    );
    let html = server
        .request(
            "GET",
            "/",
            &[("Accept", "text/html,application/xhtml+xml")],
            "",
        )
        .await;
    assert_eq!(html.status, 200);
    assert!(html.body.contains("<a href=\"http://"), "{}", html.body);
    assert!(html.body.contains(">test/subgraph</a>"), "{}", html.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_is_served_on_get() {
    let server = TestServer::fixture(status()).await;
    for path in [
        "/subgraphs/name/test/subgraph",
        "/subgraphs/name/test/subgraph/graphql",
    ] {
        let response = server.request("GET", path, &[], "").await;
        assert_eq!(response.status, 200, "{path}");
        assert!(response
            .header("content-type")
            .unwrap()
            .starts_with("text/html"));
        assert!(response.body.contains("graphiql"), "{path}");
        assert!(
            response.body.contains("/subgraphs/name/test/subgraph"),
            "{}",
            response.body
        );
    }
    let by_id = server
        .request("GET", "/subgraphs/id/QmTestDeployment", &[], "")
        .await;
    assert!(by_id.body.contains("/subgraphs/id/QmTestDeployment"));
    let missing = server.request("GET", "/subgraphs/name/nope", &[], "").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json(), json!({ "message": "Not found" }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_preflight_and_headers() {
    let server = TestServer::fixture(status()).await;
    let preflight = server
        .request(
            "OPTIONS",
            "/subgraphs/name/test/subgraph",
            &[
                ("Origin", "https://app.example"),
                ("Access-Control-Request-Method", "POST"),
                (
                    "Access-Control-Request-Headers",
                    "content-type,apollographql-client-name",
                ),
            ],
            "",
        )
        .await;
    assert_eq!(preflight.status, 200);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        Some("content-type,apollographql-client-name")
    );
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("GET, OPTIONS, POST")
    );
    let not_found = server.request("GET", "/elsewhere", &[], "").await;
    assert_eq!(not_found.status, 404);
    assert_eq!(not_found.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests() {
    let server = TestServer::fixture(status()).await;
    let unknown = server
        .request(
            "POST",
            "/subgraphs/name/nope",
            &[],
            r#"{"query": "{ tokens { id } }"}"#,
        )
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.json(),
        json!({ "errors": [{
            "message": "Subgraph `nope` is not served here; GET / lists the subgraphs that are"
        }] })
    );
    let garbage = server
        .request(
            "POST",
            "/subgraphs/name/test/subgraph",
            &[],
            "{ tokens { id } }",
        )
        .await;
    assert_eq!(garbage.status, 400);
    let message = garbage.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.starts_with("The request body must be JSON"),
        "{message}"
    );
    let bad_variables = server
        .post(json!({ "query": "{ tokens { id } }", "variables": [1] }))
        .await;
    assert_eq!(
        bad_variables,
        json!({ "errors": [{ "message": "`variables` must be an object, not `[1]`" }] })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subgraphs_can_be_added_and_removed_while_serving() {
    let server = TestServer::fixture(status()).await;
    let store = fixture::store(status());
    server
        .server
        .add_subgraph("late/one", "QmLate", fixture::schema(), store)
        .unwrap();
    let body = r#"{"query": "{ _meta { deployment } }"}"#;
    let late = server
        .request("POST", "/subgraphs/name/late/one/graphql", &[], body)
        .await;
    assert_eq!(late.status, 200);
    assert_eq!(
        late.json(),
        json!({ "data": { "_meta": { "deployment": "QmLate" } } })
    );
    assert_eq!(server.server.names(), ["late/one", "test/subgraph"]);
    let by_id = server
        .request("POST", "/subgraphs/id/QmLate", &[], body)
        .await;
    assert_eq!(by_id.json(), late.json());
    assert!(server.server.remove_subgraph("late/one"));
    let gone = server
        .request("POST", "/subgraphs/name/late/one", &[], body)
        .await;
    assert_eq!(gone.status, 404);
    let err = server
        .server
        .add_subgraph(
            "bad name",
            "Qm",
            fixture::schema(),
            fixture::store(status()),
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid subgraph name `bad name`"),
        "{err}"
    );
}
