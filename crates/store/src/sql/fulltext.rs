//! Full-text search (`_Schema_ @fulltext`): the search document kept per entity version, and the
//! translation of graph-node's query text (PostgreSQL's `to_tsquery` syntax) to each backend.
//!
//! PostgreSQL does what graph-node does: a `tsvector` column on the entity table (here a stored
//! generated column, `to_tsvector(<language>, field)` of each included field concatenated, so
//! every insert fills it whatever writes the row), a GIN index on it, matches by
//! `@@ to_tsquery(<language>, text)`, ranked by `ts_rank` (`rank`) or `ts_rank_cd`
//! (`proximityRank`).
//!
//! SQLite keeps the documents in an FTS5 table per search, contentless, keyed by the version's
//! `vid` and kept by triggers on the entity table: an insert adds the version's document, a
//! delete (revert, prune) removes it. Closing a version (`block_to`) leaves the document, so
//! time travel searches the versions visible at the block, as in PostgreSQL. English uses FTS5's
//! `porter` stemmer; the other languages only fold case (FTS5 has no stemmers for them). The
//! query text is parsed here and each term becomes an FTS5 phrase; `&`, `|` and `!` become SQL
//! `AND`, `OR` and `NOT` over the sets of matching versions, so boolean results are exact.
//! Ranking uses FTS5's `bm25` over the query's terms, which orders like `ts_rank` where
//! documents differ in how often they contain the terms, but, unlike it, also prefers shorter
//! documents. README and NOTES list the differences.

use std::fmt::Write as _;

use anyhow::{bail, Result};
use sprig_manifest::{Fulltext, FulltextAlgorithm, FulltextLanguage};

use super::layout::{quote, snake_case, Column};
use super::Dialect;

/// One `@fulltext` search over a table.
#[derive(Clone, Debug)]
pub(crate) struct FulltextIndex {
    /// The query field's name (`tokenSearch`).
    pub name: String,
    pub language: FulltextLanguage,
    pub algorithm: FulltextAlgorithm,
    /// The quoted columns of the included fields, in the directive's order.
    pub columns: Vec<String>,
    /// PostgreSQL: the quoted `tsvector` column (`"token_search$"`). SQLite: the quoted FTS5
    /// table (`"sgd1_token$token_search"`).
    pub sql: String,
    /// The unquoted name the index and triggers are named after.
    base: String,
}

impl FulltextIndex {
    /// The search `fulltext` over the table `table_sql` (quoted) with its `columns`.
    pub(crate) fn new(
        dialect: Dialect,
        fulltext: &Fulltext,
        table_sql: &str,
        columns: &[Column],
    ) -> Result<FulltextIndex> {
        let columns = fulltext
            .fields
            .iter()
            .map(|field| match columns.iter().find(|c| &c.field == field) {
                Some(column) => Ok(column.sql.clone()),
                None => bail!(
                    "internal error: @fulltext `{}` includes `{field}`, which has no column",
                    fulltext.name
                ),
            })
            .collect::<Result<Vec<_>>>()?;
        let snake = snake_case(&fulltext.name);
        let (sql, base) = match dialect {
            // The index `i<table>_ft_<name>`: `ft_` keeps it apart from the columns' indexes.
            Dialect::Postgres => (quote(&format!("{snake}$")), format!("ft_{snake}")),
            Dialect::Sqlite => {
                let base = format!("{}${snake}", table_sql.trim_matches('"'));
                (quote(&base), base)
            }
        };
        Ok(FulltextIndex {
            name: fulltext.name.clone(),
            language: fulltext.language,
            algorithm: fulltext.algorithm,
            columns,
            sql,
            base,
        })
    }

    /// The PostgreSQL text search configuration, as an SQL literal.
    fn config(&self) -> String {
        format!("'{}'::regconfig", self.language.pg_config())
    }

    /// The statements creating the search's column or table, index and triggers (idempotent)
    /// on the table `table` (quoted); `index_name` makes a PostgreSQL index name from a suffix.
    pub(crate) fn ddl(
        &self,
        dialect: Dialect,
        table: &str,
        index_name: impl Fn(&str) -> String,
    ) -> Vec<String> {
        match dialect {
            Dialect::Postgres => {
                // graph-node's document: each non-null field's tsvector, concatenated.
                let document = if self.columns.is_empty() {
                    "''::tsvector".to_string()
                } else {
                    self.columns
                        .iter()
                        .map(|c| format!("to_tsvector({}, coalesce({c}, ''))", self.config()))
                        .collect::<Vec<_>>()
                        .join(" || ")
                };
                vec![
                    format!(
                        "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {} tsvector GENERATED ALWAYS AS ({document}) STORED",
                        self.sql
                    ),
                    format!(
                        "CREATE INDEX IF NOT EXISTS {} ON {table} USING gin({})",
                        index_name(&self.base),
                        self.sql
                    ),
                ]
            }
            Dialect::Sqlite => {
                let tokenizer = match self.language {
                    FulltextLanguage::English => "porter unicode61 remove_diacritics 0",
                    _ => "unicode61 remove_diacritics 0",
                };
                // FTS5 columns c0, c1, ...: field names could be FTS5's reserved `rank`.
                let fts_columns: Vec<String> = (0..self.columns.len().max(1))
                    .map(|i| format!("c{i}"))
                    .collect();
                let values = |row: &str| -> String {
                    if self.columns.is_empty() {
                        "NULL".to_string()
                    } else {
                        self.columns
                            .iter()
                            .map(|c| format!("{row}.{c}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                };
                let fts = &self.sql;
                let cols = fts_columns.join(", ");
                let trigger = |event: &str| quote(&format!("{}${event}", self.base));
                let insert = format!(
                    "INSERT INTO {fts}(rowid, {cols}) VALUES (new.vid, {});",
                    values("new")
                );
                let delete = format!(
                    "INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.vid, {});",
                    values("old")
                );
                let mut ddl = vec![
                    format!(
                        "CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({cols}, content='', tokenize='{tokenizer}')"
                    ),
                    format!(
                        "CREATE TRIGGER IF NOT EXISTS {} AFTER INSERT ON {table} BEGIN {insert} END",
                        trigger("insert")
                    ),
                    format!(
                        "CREATE TRIGGER IF NOT EXISTS {} AFTER DELETE ON {table} BEGIN {delete} END",
                        trigger("delete")
                    ),
                ];
                // Sprig never rewrites a version's fields, but a document must never go stale.
                if !self.columns.is_empty() {
                    ddl.push(format!(
                        "CREATE TRIGGER IF NOT EXISTS {} AFTER UPDATE OF {} ON {table} BEGIN {delete} {insert} END",
                        trigger("update"),
                        self.columns.join(", ")
                    ));
                }
                ddl
            }
        }
    }

    /// After [`FulltextIndex::ddl`] on a table that already has rows: the statement that adds
    /// their documents (PostgreSQL computes a new generated column for existing rows itself).
    pub(crate) fn backfill(&self, dialect: Dialect, table: &str) -> Option<String> {
        match dialect {
            Dialect::Postgres => None,
            Dialect::Sqlite => {
                let n = self.columns.len().max(1);
                let cols: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
                let values = if self.columns.is_empty() {
                    "NULL".to_string()
                } else {
                    self.columns.join(", ")
                };
                Some(format!(
                    "INSERT INTO {}(rowid, {}) SELECT vid, {values} FROM {table}",
                    self.sql,
                    cols.join(", ")
                ))
            }
        }
    }

    /// The condition selecting the versions (table alias `e`) whose document matches `text`;
    /// `param` adds a bound parameter and returns its number.
    pub(crate) fn condition(
        &self,
        dialect: Dialect,
        text: &str,
        param: &mut impl FnMut(String) -> usize,
    ) -> Result<String> {
        let query = TsQuery::parse(text)?;
        match dialect {
            Dialect::Postgres => {
                let n = param(text.to_string());
                Ok(format!(
                    "e.{} @@ to_tsquery({}, ?{n})",
                    self.sql,
                    self.config()
                ))
            }
            Dialect::Sqlite => match query {
                // PostgreSQL ignores a query without lexemes and matches nothing.
                None => Ok("FALSE".to_string()),
                Some(query) => self.sqlite_condition(&query, param),
            },
        }
    }

    fn sqlite_condition(
        &self,
        query: &TsQuery,
        param: &mut impl FnMut(String) -> usize,
    ) -> Result<String> {
        Ok(match query {
            TsQuery::And(a, b) => format!(
                "({} AND {})",
                self.sqlite_condition(a, param)?,
                self.sqlite_condition(b, param)?
            ),
            TsQuery::Or(a, b) => format!(
                "({} OR {})",
                self.sqlite_condition(a, param)?,
                self.sqlite_condition(b, param)?
            ),
            TsQuery::Not(a) => format!("(NOT {})", self.sqlite_condition(a, param)?),
            phrase => {
                let n = param(fts5_phrase(phrase)?);
                format!(
                    "e.vid IN (SELECT rowid FROM {0} WHERE {0} MATCH ?{n})",
                    self.sql
                )
            }
        })
    }

    /// The ORDER BY terms of a search for `text`: graph-node's `ORDER BY ts_rank(...), id`,
    /// ascending (it builds the order from the search with the default direction), so the best
    /// matches come last. Also a join the terms need (SQLite: the ranks, computed once).
    pub(crate) fn order_by(
        &self,
        dialect: Dialect,
        text: &str,
        param: &mut impl FnMut(String) -> usize,
    ) -> Result<(String, Option<RankJoin>)> {
        match dialect {
            Dialect::Postgres => {
                let function = match self.algorithm {
                    FulltextAlgorithm::Rank => "ts_rank",
                    FulltextAlgorithm::ProximityRank => "ts_rank_cd",
                };
                let n = param(text.to_string());
                let order = format!(
                    "{function}(e.{}, to_tsquery({}, ?{n})) ASC, e.id ASC",
                    self.sql,
                    self.config()
                );
                Ok((order, None))
            }
            Dialect::Sqlite => {
                let query = TsQuery::parse(text)?;
                let mut phrases = Vec::new();
                if let Some(query) = &query {
                    query.positive_phrases(&mut phrases);
                }
                if phrases.is_empty() {
                    return Ok(("e.id ASC".to_string(), None));
                }
                let terms = phrases
                    .iter()
                    .map(|p| fts5_phrase(p))
                    .collect::<Result<Vec<_>>>()?
                    .join(" OR ");
                let n = param(terms);
                // The ranks of all matching versions from one FTS5 query, materialized and
                // joined: SQLite would otherwise flatten the subquery into the join and run
                // the FTS5 query once per row. bm25 is lower for better matches: descending
                // puts the best last, as ascending `ts_rank` does. A version without any of
                // the terms ranks 0.
                let join = RankJoin {
                    cte: format!(
                        "\"ft$\" AS MATERIALIZED (SELECT rowid AS \"ft$vid\", bm25({0}) AS \"ft$rank\" FROM {0} WHERE {0} MATCH ?{n})",
                        self.sql
                    ),
                    join: "LEFT JOIN \"ft$\" ON \"ft$\".\"ft$vid\" = e.vid".to_string(),
                };
                let order = "coalesce(\"ft$\".\"ft$rank\", 0) DESC, e.id ASC".to_string();
                Ok((order, Some(join)))
            }
        }
    }
}

/// What a collection query adds to rank a search's matches on SQLite: a common table
/// expression (`WITH ...`) and a join with it.
pub(crate) struct RankJoin {
    pub cte: String,
    pub join: String,
}

/// A query in PostgreSQL's `to_tsquery` syntax.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum TsQuery {
    /// A word (which the language's parser may split into several tokens), `:*` for a prefix.
    Word {
        word: String,
        prefix: bool,
    },
    /// `a <N> b`: `b` exactly N positions after `a` (`<->` is `<1>`).
    Follow(Box<TsQuery>, Box<TsQuery>, u32),
    Not(Box<TsQuery>),
    And(Box<TsQuery>, Box<TsQuery>),
    Or(Box<TsQuery>, Box<TsQuery>),
}

/// graph-node's error for a query PostgreSQL cannot parse.
fn syntax_error(text: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "Invalid fulltext search query syntax. Error: syntax error in tsquery: \"{text}\". Hint: Search terms with spaces need to be enclosed in single quotes"
    )
}

impl TsQuery {
    /// Parses `text`; `None` for a query without any word (PostgreSQL: "doesn't contain
    /// lexemes", which matches nothing). Operators bind as in PostgreSQL: `!`, then `<->`,
    /// then `&`, then `|`.
    pub(crate) fn parse(text: &str) -> Result<Option<TsQuery>> {
        let tokens = tokenize(text).ok_or_else(|| syntax_error(text))?;
        if tokens.is_empty() {
            return Ok(None);
        }
        let mut parser = Parser {
            tokens: &tokens,
            at: 0,
        };
        let query = parser.or().ok_or_else(|| syntax_error(text))?;
        if parser.at != tokens.len() {
            return Err(syntax_error(text));
        }
        Ok(Some(query))
    }

    /// The phrases that are not under a `!`, for ranking.
    fn positive_phrases<'a>(&'a self, out: &mut Vec<&'a TsQuery>) {
        match self {
            TsQuery::And(a, b) | TsQuery::Or(a, b) => {
                a.positive_phrases(out);
                b.positive_phrases(out);
            }
            TsQuery::Not(_) => {}
            phrase => out.push(phrase),
        }
    }
}

/// `a <-> b <-> c*` as an FTS5 phrase (`"a" + "b" + "c" *`); a word of several tokens is a
/// phrase of its own in FTS5, as PostgreSQL makes it one (`foo-bar`).
fn fts5_phrase(query: &TsQuery) -> Result<String> {
    match query {
        TsQuery::Word { word, prefix } => Ok(format!(
            "\"{}\"{}",
            word.replace('"', "\"\""),
            if *prefix { " *" } else { "" }
        )),
        TsQuery::Follow(a, b, 1) => Ok(format!("{} + {}", fts5_phrase(a)?, fts5_phrase(b)?)),
        TsQuery::Follow(_, _, n) => bail!(
            "the SQLite store supports only `<->` between search terms, not `<{n}>` (PostgreSQL supports both)"
        ),
        _ => bail!(
            "the SQLite store supports `<->` only between words, not around `&`, `|` or `!` (PostgreSQL supports both)"
        ),
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String, bool),
    And,
    Or,
    Not,
    Open,
    Close,
    Follow(u32),
}

/// Splits `to_tsquery` text into tokens; `None` on a malformed operator or quote.
fn tokenize(text: &str) -> Option<Vec<Token>> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let is_word_char = |c: char| !c.is_whitespace() && !"&|!()<:'".contains(c);
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '&' => {
                tokens.push(Token::And);
                i += 1;
            }
            '|' => {
                tokens.push(Token::Or);
                i += 1;
            }
            '!' => {
                tokens.push(Token::Not);
                i += 1;
            }
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            '<' => {
                let end = chars[i..].iter().position(|&c| c == '>')? + i;
                let inner: String = chars[i + 1..end].iter().collect();
                let distance = if inner == "-" { 1 } else { inner.parse().ok()? };
                tokens.push(Token::Follow(distance));
                i = end + 1;
            }
            '\'' => {
                // A quoted phrase; `''` or `\'` is a quote inside it.
                let mut word = String::new();
                i += 1;
                loop {
                    match chars.get(i)? {
                        '\'' if chars.get(i + 1) == Some(&'\'') => {
                            word.push('\'');
                            i += 2;
                        }
                        '\\' if i + 1 < chars.len() => {
                            word.push(chars[i + 1]);
                            i += 2;
                        }
                        '\'' => {
                            i += 1;
                            break;
                        }
                        &c => {
                            word.push(c);
                            i += 1;
                        }
                    }
                }
                let prefix = weights(&chars, &mut i)?;
                tokens.push(Token::Word(word, prefix));
            }
            ':' => return None,
            _ => {
                let start = i;
                while i < chars.len() && is_word_char(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let prefix = weights(&chars, &mut i)?;
                tokens.push(Token::Word(word, prefix));
            }
        }
    }
    Some(tokens)
}

/// After a word: `:` and weights (`A`-`D`) and `*` for a prefix. Weights are accepted and
/// ignored: documents have no weights, so every lexeme has the default one.
fn weights(chars: &[char], i: &mut usize) -> Option<bool> {
    if chars.get(*i) != Some(&':') {
        return Some(false);
    }
    *i += 1;
    let mut prefix = false;
    while let Some(&c) = chars.get(*i) {
        match c.to_ascii_uppercase() {
            '*' => prefix = true,
            'A' | 'B' | 'C' | 'D' => {}
            _ => break,
        }
        *i += 1;
    }
    Some(prefix)
}

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
}

impl Parser<'_> {
    fn next_is(&mut self, token: &Token) -> bool {
        if self.tokens.get(self.at) == Some(token) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Option<TsQuery> {
        let mut left = self.and()?;
        while self.next_is(&Token::Or) {
            left = TsQuery::Or(Box::new(left), Box::new(self.and()?));
        }
        Some(left)
    }

    fn and(&mut self) -> Option<TsQuery> {
        let mut left = self.follow()?;
        while self.next_is(&Token::And) {
            left = TsQuery::And(Box::new(left), Box::new(self.follow()?));
        }
        Some(left)
    }

    fn follow(&mut self) -> Option<TsQuery> {
        let mut left = self.unary()?;
        while let Some(Token::Follow(n)) = self.tokens.get(self.at) {
            self.at += 1;
            left = TsQuery::Follow(Box::new(left), Box::new(self.unary()?), *n);
        }
        Some(left)
    }

    fn unary(&mut self) -> Option<TsQuery> {
        match self.tokens.get(self.at)? {
            Token::Not => {
                self.at += 1;
                Some(TsQuery::Not(Box::new(self.unary()?)))
            }
            Token::Open => {
                self.at += 1;
                let inner = self.or()?;
                self.next_is(&Token::Close).then_some(inner)
            }
            Token::Word(word, prefix) => {
                self.at += 1;
                Some(TsQuery::Word {
                    word: word.clone(),
                    prefix: *prefix,
                })
            }
            _ => None,
        }
    }
}

/// A description line of the search, for the deployment's stored schema description.
pub(crate) fn describe(fulltext: &Fulltext, out: &mut String) {
    let _ = writeln!(
        out,
        "fulltext {} @{}({}, {}) {{ {} }}",
        fulltext.name,
        fulltext.entity,
        fulltext.language.code(),
        fulltext.algorithm.name(),
        fulltext.fields.join(" ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(w: &str) -> TsQuery {
        TsQuery::Word {
            word: w.into(),
            prefix: false,
        }
    }

    #[test]
    fn parses_to_tsquery_syntax_with_postgres_precedence() {
        let q = TsQuery::parse("a | b & !c <-> d:*").unwrap().unwrap();
        assert_eq!(
            q,
            TsQuery::Or(
                Box::new(word("a")),
                Box::new(TsQuery::And(
                    Box::new(word("b")),
                    Box::new(TsQuery::Follow(
                        Box::new(TsQuery::Not(Box::new(word("c")))),
                        Box::new(TsQuery::Word {
                            word: "d".into(),
                            prefix: true
                        }),
                        1
                    ))
                ))
            )
        );
        assert_eq!(
            TsQuery::parse("'new york' & (x | y)").unwrap().unwrap(),
            TsQuery::And(
                Box::new(word("new york")),
                Box::new(TsQuery::Or(Box::new(word("x")), Box::new(word("y"))))
            )
        );
        assert_eq!(TsQuery::parse("  ").unwrap(), None);
        assert_eq!(
            TsQuery::parse("a <2> b").unwrap().unwrap(),
            TsQuery::Follow(Box::new(word("a")), Box::new(word("b")), 2)
        );
        assert_eq!(TsQuery::parse("Uni:A").unwrap().unwrap(), word("Uni"));
    }

    #[test]
    fn refuses_what_postgres_refuses() {
        for text in [
            "Jono 'a",
            "two words",
            "a &",
            "& a",
            "(a | b",
            "a)",
            "a <x> b",
            ":*",
        ] {
            let err = TsQuery::parse(text).unwrap_err().to_string();
            assert!(
                err.starts_with(
                    "Invalid fulltext search query syntax. Error: syntax error in tsquery"
                ) && err.contains(
                    "Hint: Search terms with spaces need to be enclosed in single quotes"
                ),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn phrases_become_fts5_phrases() {
        let q = TsQuery::parse("new <-> \"york\" <-> cit:*")
            .unwrap()
            .unwrap();
        assert_eq!(fts5_phrase(&q).unwrap(), r#""new" + """york""" + "cit" *"#);
        let q = TsQuery::parse("a <3> b").unwrap().unwrap();
        assert!(fts5_phrase(&q).unwrap_err().to_string().contains("<3>"));
    }
}
