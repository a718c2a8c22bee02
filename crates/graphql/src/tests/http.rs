//! The server on a real loopback socket, and a minimal HTTP/1.1 client for it (the workspace
//! has no HTTP client crate; this speaks just enough: one request per connection).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use tokio::sync::oneshot;

use super::fixture;
use crate::QueryServer;

/// A response as received.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    /// A header's value (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A server listening on 127.0.0.1 until dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub server: QueryServer,
    _shutdown: oneshot::Sender<()>,
}

impl TestServer {
    pub async fn start(server: QueryServer) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (shutdown, stopped) = oneshot::channel::<()>();
        let serving = server.clone();
        tokio::spawn(async move {
            let stop = async {
                let _ = stopped.await;
            };
            serving.serve(listener, stop).await.unwrap();
        });
        TestServer {
            addr,
            server,
            _shutdown: shutdown,
        }
    }

    /// The test subgraph over the fixture entities, at the given status.
    pub async fn fixture(status: sprig_store::DeploymentStatus) -> TestServer {
        TestServer::start(fixture::server(fixture::store(status))).await
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> HttpResponse {
        let (addr, method, path, body) = (
            self.addr,
            method.to_string(),
            path.to_string(),
            body.to_string(),
        );
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        tokio::task::spawn_blocking(move || send(addr, &method, &path, &headers, &body))
            .await
            .unwrap()
    }

    /// POSTs a JSON body to the test subgraph; the response must be 200 and JSON.
    pub async fn post(&self, body: serde_json::Value) -> serde_json::Value {
        let path = format!("/subgraphs/name/{}", fixture::NAME);
        let response = self
            .request(
                "POST",
                &path,
                &[("Content-Type", "application/json")],
                &body.to_string(),
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(response.header("access-control-allow-origin"), Some("*"));
        response.json()
    }

    /// Runs a query against the test subgraph.
    pub async fn query(&self, query: &str) -> serde_json::Value {
        self.post(serde_json::json!({ "query": query })).await
    }
}

fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &str,
) -> HttpResponse {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.trim().to_string(), value.trim().to_string())
        })
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    HttpResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n").unwrap();
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            return body;
        }
        body.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
}
