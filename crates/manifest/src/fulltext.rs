//! Full-text search fields: `type _Schema_ @fulltext(name: ..., language: ..., algorithm: ...,
//! include: [{ entity: ..., fields: [{ name: ... }] }])`, checked with graph-node's rules
//! (`graph/src/schema/input/mod.rs`, `validate_fulltext_directives`).
//!
//! Each directive becomes a query field `<name>(text: String!, ...)` over one entity type; the
//! store keeps a search document per entity version built from the included String fields.

use anyhow::{anyhow, bail, Result};
use async_graphql_parser::types as ast;
use async_graphql_parser::Positioned;
use async_graphql_value::ConstValue;

use crate::schema::{BaseType, EntityType, ScalarType};

/// The languages graph-node accepts in `@fulltext(language: ...)`: each selects PostgreSQL's
/// text search configuration of that name (stemming and stop words).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FulltextLanguage {
    Simple,
    Danish,
    Dutch,
    English,
    Finnish,
    French,
    German,
    Hungarian,
    Italian,
    Norwegian,
    Portuguese,
    Romanian,
    Russian,
    Spanish,
    Swedish,
    Turkish,
}

/// Every language with its code in `@fulltext` and its PostgreSQL configuration.
const LANGUAGES: [(FulltextLanguage, &str, &str); 16] = [
    (FulltextLanguage::Simple, "simple", "simple"),
    (FulltextLanguage::Danish, "da", "danish"),
    (FulltextLanguage::Dutch, "nl", "dutch"),
    (FulltextLanguage::English, "en", "english"),
    (FulltextLanguage::Finnish, "fi", "finnish"),
    (FulltextLanguage::French, "fr", "french"),
    (FulltextLanguage::German, "de", "german"),
    (FulltextLanguage::Hungarian, "hu", "hungarian"),
    (FulltextLanguage::Italian, "it", "italian"),
    (FulltextLanguage::Norwegian, "no", "norwegian"),
    // graph-node spells this configuration `portugese`, which PostgreSQL does not have, so its
    // inserts fail; Sprig uses PostgreSQL's real name.
    (FulltextLanguage::Portuguese, "pt", "portuguese"),
    (FulltextLanguage::Romanian, "ro", "romanian"),
    (FulltextLanguage::Russian, "ru", "russian"),
    (FulltextLanguage::Spanish, "es", "spanish"),
    (FulltextLanguage::Swedish, "sv", "swedish"),
    (FulltextLanguage::Turkish, "tr", "turkish"),
];

impl FulltextLanguage {
    /// The language of a code in `@fulltext(language: ...)` (`en`, `simple`, ...).
    pub fn from_code(code: &str) -> Option<FulltextLanguage> {
        LANGUAGES
            .iter()
            .find(|(_, c, _)| *c == code)
            .map(|(language, _, _)| *language)
    }

    /// The code used in `@fulltext(language: ...)`.
    pub fn code(self) -> &'static str {
        LANGUAGES.iter().find(|(l, _, _)| *l == self).unwrap().1
    }

    /// The name of PostgreSQL's text search configuration for the language (`english`).
    pub fn pg_config(self) -> &'static str {
        LANGUAGES.iter().find(|(l, _, _)| *l == self).unwrap().2
    }
}

/// How matches are ranked: PostgreSQL's `ts_rank` (`rank`) or `ts_rank_cd` (`proximityRank`,
/// cover density: matched terms close together rank higher).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FulltextAlgorithm {
    Rank,
    ProximityRank,
}

impl FulltextAlgorithm {
    fn from_name(name: &str) -> Option<FulltextAlgorithm> {
        match name {
            "rank" => Some(FulltextAlgorithm::Rank),
            "proximityRank" => Some(FulltextAlgorithm::ProximityRank),
            _ => None,
        }
    }

    /// The name used in `@fulltext(algorithm: ...)`.
    pub fn name(self) -> &'static str {
        match self {
            FulltextAlgorithm::Rank => "rank",
            FulltextAlgorithm::ProximityRank => "proximityRank",
        }
    }
}

/// One `@fulltext` directive of `_Schema_`: a search over some String fields of one entity type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fulltext {
    /// The query field's name, e.g. `tokenSearch`.
    pub name: String,
    /// How documents and query text are split into lexemes (stemming, stop words).
    pub language: FulltextLanguage,
    /// How matches are ranked.
    pub algorithm: FulltextAlgorithm,
    /// The entity type searched.
    pub entity: String,
    /// The included fields, in the order given; each is a String field of `entity`.
    pub fields: Vec<String>,
}

/// The `@fulltext` directives of a `_Schema_` type, checked against the entity types (`types`,
/// already converted). `line` is the `_Schema_` type's line, for errors.
pub(crate) fn convert_schema_type(
    ty: &ast::TypeDefinition,
    line: usize,
    types: &[EntityType],
) -> Result<Vec<Fulltext>> {
    if let ast::TypeKind::Object(object) = &ty.kind {
        if !object.fields.is_empty() {
            bail!("line {line}: _Schema_ type is only for @fulltext and must not have any fields");
        }
    }
    if let Some(other) = ty
        .directives
        .iter()
        .find(|d| d.node.name.node != "fulltext")
    {
        bail!(
            "line {}: The _Schema_ type only allows @fulltext directives, not @{}",
            other.pos.line,
            other.node.name.node
        );
    }
    let mut fulltexts: Vec<Fulltext> = Vec::new();
    for directive in &ty.directives {
        let fulltext = convert_directive(directive, types)?;
        if fulltexts.iter().any(|f| f.name == fulltext.name) {
            bail!(
                "line {}: Fulltext directive name overlaps with type: `{}` is the name of two @fulltext directives; each needs its own name",
                directive.pos.line,
                fulltext.name
            );
        }
        fulltexts.push(fulltext);
    }
    Ok(fulltexts)
}

fn convert_directive(
    directive: &Positioned<ast::ConstDirective>,
    types: &[EntityType],
) -> Result<Fulltext> {
    let line = directive.pos.line;
    let arg = |name: &str| directive.node.get_argument(name).map(|v| &v.node);
    let name = match arg("name") {
        Some(ConstValue::String(name)) => name.clone(),
        _ => bail!("line {line}: Fulltext directive name undefined: @fulltext needs `name: \"...\"`, the name of its query field"),
    };
    let at = format!("line {line}: @fulltext `{name}`");
    // graph-node's rule: the name may not be the name of an entity field (or its camel-cased
    // form); a clash with a generated query field is refused when the query API is built.
    if let Some((ty, field)) = types.iter().find_map(|t| {
        t.fields
            .iter()
            .find(|f| f.name == name || lower_first(&f.name) == name)
            .map(|f| (t, f))
    }) {
        bail!(
            "{at}: Fulltext directive name overlaps with an existing entity field or a top-level query field: `{}.{}`",
            ty.name,
            field.name
        );
    }
    let language = match arg("language") {
        Some(ConstValue::Enum(code)) => FulltextLanguage::from_code(code).ok_or_else(|| {
            anyhow!(
                "{at}: Fulltext language is invalid: {code} (one of: {})",
                LANGUAGES.map(|(_, c, _)| c).join(", ")
            )
        })?,
        Some(other) => bail!(
            "{at}: Fulltext language is invalid: {other} (a bare code such as `en`, not a string)"
        ),
        None => bail!("{at}: Fulltext language is undefined (`language: en`, for example)"),
    };
    let algorithm = match arg("algorithm") {
        Some(ConstValue::Enum(a)) => FulltextAlgorithm::from_name(a).ok_or_else(|| {
            anyhow!("{at}: Fulltext algorithm is invalid: {a} (one of: rank, proximityRank)")
        })?,
        Some(other) => bail!(
            "{at}: Fulltext algorithm is invalid: {other} (`rank` or `proximityRank`, not a string)"
        ),
        None => bail!("{at}: Fulltext algorithm is undefined (`algorithm: rank` or `algorithm: proximityRank`)"),
    };
    let includes = match arg("include") {
        Some(ConstValue::List(includes)) if !includes.is_empty() => includes,
        _ => bail!("{at}: Fulltext directive requires an 'include' list: `include: [{{ entity: \"...\", fields: [{{ name: \"...\" }}] }}]`"),
    };
    // graph-node builds the query field from the first entry only (and its store one search
    // column per listed entity); a second entity would be indexed but never searchable.
    if includes.len() > 1 {
        bail!(
            "{at}: a fulltext field searches one entity type, but `include` lists {}; use one @fulltext directive per entity type",
            includes.len()
        );
    }
    let ConstValue::Object(include) = &includes[0] else {
        bail!("{at}: Fulltext 'include' list must contain an object");
    };
    let (entity, fields) = match (include.get("entity"), include.get("fields")) {
        (Some(ConstValue::String(entity)), Some(ConstValue::List(fields))) => (entity, fields),
        _ => bail!(
            "{at}: Fulltext 'include' object must contain 'entity' (String) and 'fields' (List) attributes"
        ),
    };
    let ty = types
        .iter()
        .find(|t| &t.name == entity && !t.is_interface)
        .ok_or_else(|| {
            anyhow!("{at}: Fulltext directive includes an entity not found on the subgraph schema: `{entity}` is not an entity type")
        })?;
    let mut names = Vec::with_capacity(fields.len());
    for field in fields {
        let field_name = match field {
            ConstValue::Object(f) => match f.get("name") {
                Some(ConstValue::String(n)) => n.clone(),
                _ => bail!("{at}: Fulltext include field must have a 'name' attribute"),
            },
            _ => bail!(
                "{at}: Fulltext 'include' object must contain 'entity' (String) and 'fields' (List) attributes; each field is `{{ name: \"...\" }}`"
            ),
        };
        let is_string = ty.field(&field_name).is_some_and(|f| {
            f.is_stored() && f.field_type.base == BaseType::Scalar(ScalarType::String)
        });
        if !is_string {
            bail!(
                "{at}: Fulltext entity field, {field_name}, not found or not a string: `{entity}` needs a stored String field `{field_name}`"
            );
        }
        // graph-node accepts `[String]` here, then fails every insert of the entity.
        if ty.field(&field_name).is_some_and(|f| f.field_type.list) {
            bail!(
                "{at}: Fulltext entity field, {field_name}, is a list; only String fields can be searched"
            );
        }
        if !names.contains(&field_name) {
            names.push(field_name);
        }
    }
    Ok(Fulltext {
        name,
        language,
        algorithm,
        entity: entity.clone(),
        fields: names,
    })
}

/// `Name` → `name`: the camel-cased form of a field name that starts a word.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
