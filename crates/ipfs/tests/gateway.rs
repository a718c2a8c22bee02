//! The client against a real IPFS (Helia) on loopback: files of every layout come back whole and
//! verified; wrong bytes, missing blocks, oversize files and bad paths are refused as they
//! should be.

use std::time::Duration;

use sprig_ipfs::testing::{Gateway, Layout};
use sprig_ipfs::{IpfsClient, IpfsError};

fn client(gateway: &Gateway) -> IpfsClient {
    IpfsClient::new(gateway.url(), Duration::from_secs(10)).unwrap()
}

/// 1.5 MB of varied bytes: several blocks with any chunk size used here.
fn big_file() -> Vec<u8> {
    (0..1_500_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

#[tokio::test]
async fn files_of_every_layout_come_back_whole() {
    let gateway = Gateway::spawn().unwrap();
    let client = client(&gateway);
    let big = big_file();
    let layouts = [
        Layout::default(),
        Layout {
            cid_version: 0,
            raw_leaves: false,
            chunk_size: 262_144,
        },
        Layout {
            cid_version: 1,
            raw_leaves: false,
            chunk_size: 100_000,
        },
    ];
    for layout in layouts {
        for content in [&b"42"[..], b"", &big] {
            let cid = gateway.add(content, layout).await.unwrap();
            let got = client.cat(&cid, 25 << 20).await.unwrap();
            assert_eq!(got.len(), content.len(), "{cid} {layout:?}");
            assert!(got[..] == content[..], "{cid} {layout:?}");
            let via_prefix = client.cat(&format!("/ipfs/{cid}"), 25 << 20).await.unwrap();
            assert_eq!(via_prefix, got);
        }
    }
    // A CIDv0 small file is one dag-pb block: getBlock gives the block, not the content.
    let cid = gateway
        .add(
            b"42",
            Layout {
                cid_version: 0,
                raw_leaves: false,
                chunk_size: 262_144,
            },
        )
        .await
        .unwrap();
    assert!(cid.starts_with("Qm"));
    let block = client.get_block(&cid).await.unwrap();
    assert_eq!(sprig_hex(&block), "0a080802120234321802");
}

fn sprig_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn wrong_bytes_are_refused() {
    let gateway = Gateway::spawn().unwrap();
    let client = client(&gateway);
    let cid = gateway
        .add(b"the real content", Layout::default())
        .await
        .unwrap();
    gateway.corrupt(&cid).await.unwrap();
    let err = client.cat(&cid, 1 << 20).await.unwrap_err();
    assert!(!err.is_deterministic());
    assert!(err.to_string().contains("do not hash to"), "{err}");

    // A corrupt leaf inside a multi-block file is caught too.
    let big = big_file();
    let root = gateway.add(&big, Layout::default()).await.unwrap();
    let leaf = gateway
        .add(&big[..262_144], Layout::default())
        .await
        .unwrap();
    gateway.corrupt(&leaf).await.unwrap();
    let err = client.cat(&root, 25 << 20).await.unwrap_err();
    assert!(
        err.to_string().contains(&format!("do not hash to {leaf}")),
        "{err}"
    );
}

#[tokio::test]
async fn missing_oversize_and_invalid() {
    let gateway = Gateway::spawn().unwrap();
    let client = client(&gateway);
    let cid = gateway
        .add_hidden(b"later", Layout::default())
        .await
        .unwrap();
    let err = client.cat(&cid, 100).await.unwrap_err();
    assert!(matches!(err, IpfsError::NotFound { .. }), "{err}");
    assert!(!err.is_deterministic());
    gateway.reveal(&cid).await.unwrap();
    assert_eq!(&client.cat(&cid, 100).await.unwrap()[..], b"later");

    // The root block says the file is too large: refused before the leaves are fetched.
    let big = big_file();
    for layout in [
        Layout::default(),
        Layout {
            cid_version: 0,
            raw_leaves: false,
            chunk_size: 262_144,
        },
    ] {
        let cid = gateway.add(&big, layout).await.unwrap();
        let err = client.cat(&cid, 1_000_000).await.unwrap_err();
        assert!(
            matches!(
                err,
                IpfsError::TooLarge {
                    limit: 1_000_000,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.is_deterministic());
    }
    // A single raw block over the limit.
    let cid = gateway.add(&[7u8; 5000], Layout::default()).await.unwrap();
    let err = client.cat(&cid, 4999).await.unwrap_err();
    assert!(matches!(err, IpfsError::TooLarge { .. }), "{err}");

    for bad in ["Qm", "invalid hash", ""] {
        let err = client.cat(bad, 100).await.unwrap_err();
        assert!(matches!(err, IpfsError::InvalidPath { .. }), "{bad}: {err}");
    }
    // A file has no entries.
    let err = client.cat(&format!("{cid}/x"), 100_000).await.unwrap_err();
    assert!(err.is_deterministic(), "{err}");
    assert!(err.to_string().contains("not a directory"), "{err}");
}

#[tokio::test]
async fn an_unreachable_or_slow_gateway_is_a_fetch_error() {
    // Nothing listens on port 9 of loopback.
    let client = IpfsClient::new("http://127.0.0.1:9", Duration::from_secs(5)).unwrap();
    let err = client
        .cat(
            "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",
            100,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, IpfsError::Fetch(_)), "{err}");
    assert!(!err.is_deterministic());

    // A listener that never answers: the client's timeout ends the wait.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let client = IpfsClient::new(&url, Duration::from_millis(300)).unwrap();
    let err = client
        .cat(
            "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",
            100,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    drop(listener);
}
