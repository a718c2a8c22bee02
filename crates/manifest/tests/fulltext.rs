//! `_Schema_ @fulltext` directives: parsed into [`Fulltext`]s and checked with graph-node's rules
//! (`validate_fulltext_directives`), and the `fullTextSearch` feature they need.

mod support;

use sprig_manifest::{FulltextAlgorithm, FulltextLanguage, Manifest, Schema};
use support::Subgraph;

const TYPES: &str = r#"
type Token @entity(immutable: false) {
  id: ID!
  name: String!
  symbol: String
  decimals: Int!
  tags: [String!]
  owner: Account
}
type Account @entity(immutable: true) { id: ID! label: String }
interface Named { id: ID! name: String! }
"#;

/// `TYPES` with a `_Schema_` of the given directives.
fn schema(directives: &str) -> anyhow::Result<Schema> {
    Schema::parse(&format!("type _Schema_ {directives}\n{TYPES}"))
}

fn error(directives: &str) -> String {
    format!("{:#}", schema(directives).unwrap_err())
}

const TOKEN_SEARCH: &str = r#"@fulltext(name: "tokenSearch", language: en, algorithm: rank,
  include: [{ entity: "Token", fields: [{ name: "symbol" }, { name: "name" }] }])"#;

#[test]
fn parses_fulltext_directives() {
    let s = schema(&format!(
        r#"{TOKEN_SEARCH} @fulltext(name: "accountSearch", language: simple,
             algorithm: proximityRank, include: [{{ entity: "Account", fields: [{{ name: "label" }}] }}])"#
    ))
    .unwrap();
    assert_eq!(s.fulltexts.len(), 2);
    let t = s.fulltext("tokenSearch").unwrap();
    assert_eq!(t.entity, "Token");
    assert_eq!(t.fields, vec!["symbol", "name"]);
    assert_eq!(t.language, FulltextLanguage::English);
    assert_eq!(t.language.pg_config(), "english");
    assert_eq!(t.algorithm, FulltextAlgorithm::Rank);
    let a = s.fulltext("accountSearch").unwrap();
    assert_eq!(
        (a.language, a.algorithm),
        (FulltextLanguage::Simple, FulltextAlgorithm::ProximityRank)
    );
    assert_eq!(s.fulltexts_of("Token").count(), 1);
    // Without `_Schema_` there are none.
    assert!(Schema::parse(TYPES).unwrap().fulltexts.is_empty());
}

#[test]
fn accepts_every_language_graph_node_accepts() {
    for code in [
        "simple", "da", "nl", "en", "fi", "fr", "de", "hu", "it", "no", "pt", "ro", "ru", "es",
        "sv", "tr",
    ] {
        let s = schema(&format!(
            r#"@fulltext(name: "s", language: {code}, algorithm: rank, include: [{{ entity: "Token", fields: [{{ name: "name" }}] }}])"#
        ))
        .unwrap();
        assert_eq!(s.fulltexts[0].language.code(), code);
    }
    // PostgreSQL's configuration is `portuguese` (graph-node's `portugese` does not exist).
    assert_eq!(
        FulltextLanguage::from_code("pt").unwrap().pg_config(),
        "portuguese"
    );
}

#[test]
fn refuses_invalid_fulltext_directives() {
    let with = |name: &str, language: &str, algorithm: &str, include: &str| {
        format!(
            "@fulltext({name} {language} {algorithm} {include})",
            name = name,
            language = language,
            algorithm = algorithm,
            include = include
        )
    };
    let include = r#"include: [{ entity: "Token", fields: [{ name: "name" }] }]"#;
    let cases: Vec<(String, &str)> = vec![
        (
            with("", "language: en,", "algorithm: rank,", include),
            "Fulltext directive name undefined",
        ),
        (
            with(
                "name: search,",
                "language: en,",
                "algorithm: rank,",
                include,
            ),
            "Fulltext directive name undefined",
        ),
        (
            format!(
                "{} {}",
                with("name: \"s\",", "language: en,", "algorithm: rank,", include),
                with("name: \"s\",", "language: fr,", "algorithm: rank,", include)
            ),
            "`s` is the name of two @fulltext directives",
        ),
        (
            with(
                "name: \"symbol\",",
                "language: en,",
                "algorithm: rank,",
                include,
            ),
            "overlaps with an existing entity field or a top-level query field: `Token.symbol`",
        ),
        (
            with("name: \"s\",", "", "algorithm: rank,", include),
            "Fulltext language is undefined",
        ),
        (
            with(
                "name: \"s\",",
                "language: english,",
                "algorithm: rank,",
                include,
            ),
            "Fulltext language is invalid: english",
        ),
        (
            with(
                "name: \"s\",",
                "language: \"en\",",
                "algorithm: rank,",
                include,
            ),
            "Fulltext language is invalid",
        ),
        (
            with("name: \"s\",", "language: en,", "", include),
            "Fulltext algorithm is undefined",
        ),
        (
            with("name: \"s\",", "language: en,", "algorithm: bm25,", include),
            "Fulltext algorithm is invalid: bm25",
        ),
        (
            with("name: \"s\",", "language: en,", "algorithm: rank,", ""),
            "Fulltext directive requires an 'include' list",
        ),
        (
            with(
                "name: \"s\",",
                "language: en,",
                "algorithm: rank,",
                "include: []",
            ),
            "Fulltext directive requires an 'include' list",
        ),
        (
            with(
                "name: \"s\",",
                "language: en,",
                "algorithm: rank,",
                "include: [\"Token\"]",
            ),
            "Fulltext 'include' list must contain an object",
        ),
        (
            with(
                "name: \"s\",",
                "language: en,",
                "algorithm: rank,",
                r#"include: [{ entity: "Token" }]"#,
            ),
            "must contain 'entity' (String) and 'fields' (List) attributes",
        ),
        (
            with(
                "name: \"s\",",
                "language: en,",
                "algorithm: rank,",
                r#"include: [{ entity: "Token", fields: [{ name: "name" }] }, { entity: "Account", fields: [{ name: "label" }] }]"#,
            ),
            "a fulltext field searches one entity type, but `include` lists 2",
        ),
        (
            with(
                "name: \"s\",",
                "language: en,",
                "algorithm: rank,",
                r#"include: [{ entity: "Coin", fields: [{ name: "name" }] }]"#,
            ),
            "includes an entity not found on the subgraph schema: `Coin`",
        ),
        (
            with(
                "name: \"s\",",
                "language: en,",
                "algorithm: rank,",
                r#"include: [{ entity: "Named", fields: [{ name: "name" }] }]"#,
            ),
            "includes an entity not found on the subgraph schema: `Named`",
        ),
        (
            with(
                "name: \"s\",",
                "language: en,",
                "algorithm: rank,",
                r#"include: [{ entity: "Token", fields: [{ field: "name" }] }]"#,
            ),
            "Fulltext include field must have a 'name' attribute",
        ),
        (
            with(
                "name: \"s\",",
                "language: en,",
                "algorithm: rank,",
                r#"include: [{ entity: "Token", fields: [{ name: "decimals" }] }]"#,
            ),
            "Fulltext entity field, decimals, not found or not a string",
        ),
        (
            with(
                "name: \"s\",",
                "language: en,",
                "algorithm: rank,",
                r#"include: [{ entity: "Token", fields: [{ name: "nope" }] }]"#,
            ),
            "Fulltext entity field, nope, not found or not a string",
        ),
        (
            with(
                "name: \"s\",",
                "language: en,",
                "algorithm: rank,",
                r#"include: [{ entity: "Token", fields: [{ name: "tags" }] }]"#,
            ),
            "Fulltext entity field, tags, is a list",
        ),
        (
            format!("{TOKEN_SEARCH} @entity(immutable: true)"),
            "The _Schema_ type only allows @fulltext directives, not @entity",
        ),
    ];
    for (directives, expected) in cases {
        let err = error(&directives);
        assert!(
            err.contains(expected) && err.contains("line"),
            "{directives}: {err}"
        );
    }
    let err = format!(
        "{:#}",
        Schema::parse(&format!(
            "type _Schema_ {TOKEN_SEARCH} {{ id: ID! }}\n{TYPES}"
        ))
        .unwrap_err()
    );
    assert!(
        err.contains("_Schema_ type is only for @fulltext and must not have any fields"),
        "{err}"
    );
}

fn load(spec_version: &str, features: &str) -> anyhow::Result<Manifest> {
    Subgraph {
        spec_version: spec_version.into(),
        schema: format!("type _Schema_ {TOKEN_SEARCH}\n{TYPES}"),
        top_level: features.into(),
        ..Subgraph::default()
    }
    .load()
}

#[test]
fn fulltext_needs_the_feature_from_spec_version_0_0_4() {
    let err = format!("{:#}", load("1.2.0", "").unwrap_err());
    assert!(
        err.contains("The feature `fullTextSearch` is used by the subgraph but it is not declared in the manifest")
            && err.contains("schema.graphql")
            && err.contains("tokenSearch"),
        "{err}"
    );
    let m = load("1.2.0", "features: [fullTextSearch]").unwrap();
    assert_eq!(m.schema.fulltexts[0].name, "tokenSearch");
    // graph-node checks features only from specVersion 0.0.4.
    load("0.0.2", "").unwrap();
    load("0.0.4", "features:\n  - fullTextSearch").unwrap();
    assert!(load("0.0.4", "").is_err());
}

#[test]
fn invalid_directives_name_the_schema_file() {
    let err = format!(
        "{:#}",
        Subgraph {
            schema: format!(
                "type _Schema_ @fulltext(name: \"s\", language: xx, algorithm: rank, include: [{{ entity: \"Token\", fields: [] }}])\n{TYPES}"
            ),
            top_level: "features: [fullTextSearch]".into(),
            ..Subgraph::default()
        }
        .load()
        .unwrap_err()
    );
    assert!(
        err.contains("schema.graphql") && err.contains("Fulltext language is invalid: xx"),
        "{err}"
    );
}

/// The search of Uniswap's v3-tokens subgraph (`src/v3-tokens/schema.graphql`): a capitalised
/// name, `proximityRank`, three fields, `_Schema_` between the entity types.
#[test]
fn parses_uniswap_v3_tokens_search() {
    let s = Schema::parse(
        r#"type Token @entity(immutable: false) {
             id: Bytes!
             tokenAddress: String!
             symbol: String!
             name: String!
             decimals: BigInt!
           }
           type _Schema_
             @fulltext(
               name: "TokenSearch"
               language: en
               algorithm: proximityRank
               include: [{ entity: "Token", fields: [{ name: "name" }, { name: "symbol" }, { name: "tokenAddress" }] }]
             )
           type Pool @entity(immutable: false) { id: Bytes! token0: Token! }"#,
    )
    .unwrap();
    let search = s.fulltext("TokenSearch").unwrap();
    assert_eq!(search.fields, vec!["name", "symbol", "tokenAddress"]);
    assert_eq!(search.algorithm, FulltextAlgorithm::ProximityRank);
}
