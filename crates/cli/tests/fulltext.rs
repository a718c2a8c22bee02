//! Full-text search end to end (`examples/fulltext`, built by graph-cli): a registry lists eight
//! tokens on anvil and renames one; `sprig index` stores them with their search documents, and
//! `tokenSearch(text: ...)` answers over HTTP: English stemming, prefixes, `&`, `|`, `!`,
//! phrases, the rank order graph-node gives (ascending `ts_rank`, then id), `where`, paging and
//! time travel, with the same answers from SQLite and PostgreSQL.

mod support;

use serde_json::{json, Value};
use support::*;

#[tokio::test(flavor = "multi_thread")]
async fn token_search_sqlite() {
    token_search(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread")]
async fn token_search_postgres() {
    token_search(Backend::Postgres).await
}

async fn token_search(backend: Backend) {
    let anvil = anvil();
    let url = anvil.url().to_string();
    let summary = emit_with("fulltext", &url, &[] as &[&str]);
    let rename_block = summary["renameBlock"].as_u64().unwrap();
    let head = summary["head"].as_u64().unwrap();

    let databases = Databases::new(backend);
    let db = databases.create("fulltext.sqlite");
    assert_ok(&index("fulltext", &url, &db, head));
    let server = serve(&db);
    let ids = |data: &Value, key: &str| -> Vec<String> {
        data[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key}: {data}"))
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect()
    };
    let data = server
        .query(
            "fulltext",
            &format!(
                r#"{{
                  stem: tokenSearch(text: "runs") {{ id }}
                  runner: tokenSearch(text: "runner") {{ id }}
                  prefix: tokenSearch(text: "uni:*") {{ id }}
                  both: tokenSearch(text: "wrap & ether") {{ id }}
                  symbol: tokenSearch(text: "WETH") {{ id name symbol }}
                  either: tokenSearch(text: "kiwi | banana") {{ id }}
                  without: tokenSearch(text: "cherry & !banana") {{ id }}
                  phrase: tokenSearch(text: "apple <-> cherry") {{ id }}
                  ranked: tokenSearch(text: "apple") {{ id }}
                  before: tokenSearch(text: "apple", block: {{ number: {} }}) {{ id name }}
                  renamed: tokenSearch(text: "durian") {{ id name renamedAt }}
                  oldName: tokenSearch(text: "banana", block: {{ number: {} }}) {{ id }}
                  filtered: tokenSearch(text: "apple | run", where: {{ symbol_starts_with: "FRT" }}) {{ id }}
                  all: tokenSearch(text: "uni:* | apple") {{ id }}
                  page: tokenSearch(text: "uni:* | apple", first: 2, skip: 1) {{ id }}
                }}"#,
                rename_block - 1,
                rename_block - 1
            ),
        )
        .await
        .unwrap();
    // English stems `runs` and `Running` to `run`; `Runner` stays `runner`.
    assert_eq!(ids(&data, "stem"), ["1"]);
    assert_eq!(ids(&data, "runner"), ["2"]);
    // `Uniswap`/`UNI` match twice, `Unicorn` once: the better match comes last.
    assert_eq!(ids(&data, "prefix"), ["5", "4"]);
    assert_eq!(ids(&data, "both"), ["3"]);
    assert_eq!(
        data["symbol"],
        json!([{ "id": "3", "name": "Wrapped Ether", "symbol": "WETH" }])
    );
    // Token 6 is `durian` now, so `banana` is gone from the latest state.
    assert_eq!(ids(&data, "either"), ["8"]);
    assert_eq!(ids(&data, "without"), ["7"]);
    assert_eq!(ids(&data, "phrase"), ["7"]);
    // One `apple` ranks below two; ties by id.
    assert_eq!(ids(&data, "ranked"), ["8", "7"]);
    assert_eq!(
        data["before"],
        json!([
            { "id": "6", "name": "apple banana cherry" },
            { "id": "8", "name": "apple kiwi mango" },
            { "id": "7", "name": "apple apple cherry" },
        ])
    );
    assert_eq!(
        data["renamed"],
        json!([{ "id": "6", "name": "durian", "renamedAt": rename_block.to_string() }])
    );
    assert_eq!(ids(&data, "oldName"), ["6"]);
    assert_eq!(ids(&data, "filtered"), ["8", "7"]);
    let all = ids(&data, "all");
    assert_eq!(all.len(), 4);
    assert_eq!(ids(&data, "page"), all[1..3]);

    // graph-node's answer to text PostgreSQL cannot parse.
    let refused = server
        .query_raw("fulltext", r#"{ tokenSearch(text: "two words") { id } }"#)
        .await
        .unwrap();
    let message = refused["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Invalid fulltext search query syntax")
            && message.contains("Search terms with spaces need to be enclosed in single quotes"),
        "{refused}"
    );
}
