//! `ArweaveClient` against a real Arweave gateway (arlocal on loopback): transactions and paths
//! through manifests are fetched whole, a transaction not posted yet is a non-deterministic
//! "not found" until it is, data over the limit is a deterministic error, and an unreachable or
//! silent gateway, or another status than success, is a non-deterministic one; a body without a
//! `Content-Length` is counted against the limit as it comes.

use std::time::Duration;

use sprig_arweave::testing::Gateway;
use sprig_arweave::{ArweaveClient, ArweaveError};

/// A transaction id no gateway here has.
const TX: &str = "sa9H1CB2K2wPVZSAb1-yRfWDqbURoiUsqzHysYwKiE8";

fn client(gateway: &str, max_file_bytes: u64) -> ArweaveClient {
    ArweaveClient::new(gateway, Duration::from_secs(10), max_file_bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn files_come_from_a_real_gateway() {
    let gateway = Gateway::spawn().unwrap();
    let arweave = client(gateway.url(), 1000);

    let text = gateway.add(b"hello from arweave").await.unwrap();
    assert_eq!(text.len(), 43, "a transaction id: {text}");
    assert_eq!(
        &arweave.get(&text).await.unwrap()[..],
        b"hello from arweave"
    );

    // Bytes, not text: every byte value comes back as it was.
    let binary: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let id = gateway.add(&binary).await.unwrap();
    assert_eq!(arweave.get(&id).await.unwrap().to_vec(), binary);

    // `<txid>/<path>` through a path manifest.
    let manifest = gateway
        .add_manifest(&[("meta/1.json", &text), ("bin", &id)])
        .await
        .unwrap();
    assert_eq!(
        &arweave
            .get(&format!("{manifest}/meta/1.json"))
            .await
            .unwrap()[..],
        b"hello from arweave"
    );
    assert_eq!(
        arweave
            .get(&format!("{manifest}/bin"))
            .await
            .unwrap()
            .to_vec(),
        binary
    );
    let missing = arweave
        .get(&format!("{manifest}/nothing"))
        .await
        .unwrap_err();
    assert!(
        matches!(missing, ArweaveError::NotFound { .. }),
        "{missing}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_not_posted_yet_is_not_found_until_it_is() {
    let gateway = Gateway::spawn().unwrap();
    let arweave = client(gateway.url(), 1000);
    let id = gateway.sign(b"late").await.unwrap();
    let err = arweave.get(&id).await.unwrap_err();
    assert!(matches!(err, ArweaveError::NotFound { .. }), "{err}");
    assert!(!err.is_deterministic());
    gateway.post(&id).await.unwrap();
    assert_eq!(&arweave.get(&id).await.unwrap()[..], b"late");
}

#[tokio::test(flavor = "multi_thread")]
async fn data_over_the_limit_is_a_deterministic_error() {
    let gateway = Gateway::spawn().unwrap();
    let data = vec![7u8; 101];
    let id = gateway.add(&data).await.unwrap();
    let err = client(gateway.url(), 100).get(&id).await.unwrap_err();
    assert!(
        matches!(err, ArweaveError::TooLarge { limit: 100, .. }),
        "{err}"
    );
    assert!(err.is_deterministic());
    // Exactly at the limit is fine.
    assert_eq!(
        client(gateway.url(), 101).get(&id).await.unwrap().len(),
        101
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn gateway_failures_are_not_deterministic() {
    // Nothing listens on a port just freed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let arweave = client(&format!("http://127.0.0.1:{port}"), 100);
    let err = arweave.get(TX).await.unwrap_err();
    assert!(matches!(err, ArweaveError::Fetch { .. }), "{err}");
    assert!(!err.is_deterministic());

    // A gateway that accepts the connection and never answers: the timeout ends the request.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let arweave = ArweaveClient::new(&url, Duration::from_millis(300), 100).unwrap();
    let started = std::time::Instant::now();
    let err = arweave.get(TX).await.unwrap_err();
    assert!(matches!(err, ArweaveError::Fetch { .. }), "{err}");
    assert!(format!("{:#}", anyhow::Error::new(err)).contains("took longer than"));
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(silent);
}

/// A server on loopback answering every request with `response` (raw HTTP): answers arlocal
/// does not give but gateways do (arweave.net under load, a proxy that streams).
async fn answering(response: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn other_statuses_are_retried_and_bodies_without_a_length_are_counted() {
    let busy = answering(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\nconnection: close\r\n\r\nbusy",
    )
    .await;
    let err = client(&busy, 100).get(TX).await.unwrap_err();
    assert!(
        matches!(err, ArweaveError::Status { status, .. } if status.as_u16() == 503),
        "{err}"
    );
    assert!(!err.is_deterministic());

    // Chunked: no Content-Length, so the limit is checked as the body comes.
    let chunked = answering(
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n\
         5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(
        &client(&chunked, 11).get(TX).await.unwrap()[..],
        b"hello world"
    );
    let err = client(&chunked, 10).get(TX).await.unwrap_err();
    assert!(
        matches!(err, ArweaveError::TooLarge { limit: 10, .. }),
        "{err}"
    );
}
