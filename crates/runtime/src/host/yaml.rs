//! `yaml.fromBytes` and `yaml.try_fromBytes`: parsing YAML as graph-node does.
//!
//! graph-node parses with serde_yaml 0.9 (libyaml underneath) into a `serde_yaml::Value`, so
//! Sprig uses the same crate and version: which documents parse, what numbers and tags look like
//! and the order of mapping entries all end up in entities. (serde_yaml is no longer maintained,
//! but a different parser would accept and read documents differently.)
//!
//! One deliberate difference: aliases (`*name`) are expanded while parsing, so a small document
//! can describe a huge value (a "billion laughs" document). graph-node charges gas by input size
//! only and would try to build such a value, exhausting memory. Sprig builds the value with a
//! budget of [`EXPANSION_FACTOR`] × the input's size plus [`EXPANSION_ALLOWANCE`] (each value
//! costs 1, plus the bytes of its string or tag); a document needing more is refused like an
//! invalid one. Without aliases a document never comes close: every value and every string byte
//! takes at least one byte of input.

use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess};
use serde_yaml::value::{Tag, TaggedValue};
use serde_yaml::{Mapping, Value as Yaml};
use wasmtime::Caller;

use super::{compute, HostFuture};
use crate::asc::yaml::YamlResult;
use crate::error::{deterministic, HostError};
use crate::gas;
use crate::state::HostState;

/// Largest YAML document a mapping may parse (graph-node's limit).
const MAX_YAML_BYTES: usize = 10_000_000;

/// How many budget units each input byte buys (see the module docs).
const EXPANSION_FACTOR: usize = 4;

/// Budget units every document gets on top of its size, so that small documents may use
/// aliases freely.
const EXPANSION_ALLOWANCE: usize = 100_000;

/// Parses a YAML document; an oversized, invalid or over-expanding document is a deterministic
/// error.
fn parse(bytes: &[u8]) -> Result<Yaml, HostError> {
    if bytes.len() > MAX_YAML_BYTES {
        return Err(deterministic!(
            "YAML size exceeds max size of {MAX_YAML_BYTES} bytes"
        ));
    }
    let budget = Budget(Cell::new(
        EXPANSION_FACTOR
            .saturating_mul(bytes.len())
            .saturating_add(EXPANSION_ALLOWANCE),
    ));
    ValueSeed(&budget)
        .deserialize(serde_yaml::Deserializer::from_slice(bytes))
        .map_err(|e| deterministic!("failed to parse YAML from bytes: {e}"))
}

/// Logs a document that failed to parse, without flooding the log with a huge one.
fn log_failure(bytes: &[u8], error: &HostError) {
    let shown = &bytes[..bytes.len().min(1024)];
    let truncated = if shown.len() < bytes.len() {
        "(truncated) "
    } else {
        ""
    };
    tracing::warn!(
        target: "sprig::mapping",
        "Failed to parse YAML from byte array {truncated}{}: {:#}",
        sprig_value::to_hex(shown),
        error.error
    );
}

/// `yaml.fromBytes(bytes): YAMLValue`; invalid or oversized YAML is a deterministic error.
pub(crate) fn from_bytes(caller: Caller<'_, HostState>, (bytes,): (u32,)) -> HostFuture<'_, u32> {
    compute(
        caller,
        move |r| r.read::<Vec<u8>>(bytes),
        |b| gas::PER_BYTE_PARSED * b.len() as u64,
        |b| parse(&b).inspect_err(|e| log_failure(&b, e)),
    )
}

/// `yaml.try_fromBytes(bytes): Result<YAMLValue, bool>`; invalid or oversized YAML is an error
/// result. Gas is charged (and can run out) either way.
pub(crate) fn try_from_bytes(
    caller: Caller<'_, HostState>,
    (bytes,): (u32,),
) -> HostFuture<'_, u32> {
    compute(
        caller,
        move |r| r.read::<Vec<u8>>(bytes),
        |b| gas::PER_BYTE_PARSED * b.len() as u64,
        |b| {
            let parsed = parse(&b).inspect_err(|e| log_failure(&b, e));
            Ok(YamlResult(parsed.ok()))
        },
    )
}

/// What is left of a document's expansion budget.
struct Budget(Cell<usize>);

impl Budget {
    /// Takes `units`, or fails once the budget is spent.
    fn spend<E: serde::de::Error>(&self, units: usize) -> Result<(), E> {
        match self.0.get().checked_sub(units) {
            Some(rest) => {
                self.0.set(rest);
                Ok(())
            }
            None => Err(E::custom(
                "the document is too large once its aliases are expanded",
            )),
        }
    }
}

/// Builds a `serde_yaml::Value` exactly as its own `Deserialize` does (same variants, same
/// duplicate-key and empty-tag errors), spending the budget on the way.
#[derive(Clone, Copy)]
struct ValueSeed<'b>(&'b Budget);

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Yaml;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Yaml, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ValueSeed<'_> {
    type Value = Yaml;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any YAML value")
    }

    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Yaml, E> {
        self.0.spend(1)?;
        Ok(Yaml::Bool(b))
    }

    fn visit_i64<E: serde::de::Error>(self, i: i64) -> Result<Yaml, E> {
        self.0.spend(1)?;
        Ok(Yaml::Number(i.into()))
    }

    fn visit_u64<E: serde::de::Error>(self, u: u64) -> Result<Yaml, E> {
        self.0.spend(1)?;
        Ok(Yaml::Number(u.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<Yaml, E> {
        self.0.spend(1)?;
        Ok(Yaml::Number(f.into()))
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Yaml, E> {
        // Spent before the string is copied: an alias of a long string costs its length.
        self.0.spend(1 + s.len())?;
        Ok(Yaml::String(s.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Yaml, E> {
        self.0.spend(1 + s.len())?;
        Ok(Yaml::String(s))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Yaml, E> {
        self.0.spend(1)?;
        Ok(Yaml::Null)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Yaml, E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Yaml, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Yaml, A::Error> {
        self.0.spend(1)?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Yaml::Sequence(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Yaml, A::Error> {
        self.0.spend(1)?;
        let mut mapping = Mapping::new();
        while let Some(key) = map.next_key_seed(self)? {
            if mapping.contains_key(&key) {
                return Err(serde::de::Error::custom(duplicate_key(&key)));
            }
            let value = map.next_value_seed(self)?;
            mapping.insert(key, value);
        }
        Ok(Yaml::Mapping(mapping))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Yaml, A::Error> {
        let (tag, contents) = data.variant_seed(TagSeed(self.0))?;
        let value = contents.newtype_variant_seed(self)?;
        Ok(Yaml::Tagged(Box::new(TaggedValue { tag, value })))
    }
}

/// serde_yaml's message for a key that occurs twice in a mapping.
fn duplicate_key(key: &Yaml) -> String {
    match key {
        Yaml::Null => "duplicate entry with null key".to_string(),
        Yaml::Bool(b) => format!("duplicate entry with key `{b}`"),
        Yaml::Number(n) => format!("duplicate entry with key {n}"),
        Yaml::String(s) => format!("duplicate entry with key {s:?}"),
        Yaml::Sequence(_) | Yaml::Mapping(_) | Yaml::Tagged(_) => {
            "duplicate entry in YAML map".to_string()
        }
    }
}

/// The tag of a tagged value (a custom tag such as `!Ref`; core tags like `!!str` are resolved
/// by the parser).
struct TagSeed<'b>(&'b Budget);

impl<'de> DeserializeSeed<'de> for TagSeed<'_> {
    type Value = Tag;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Tag, D::Error> {
        deserializer.deserialize_string(self)
    }
}

impl<'de> serde::de::Visitor<'de> for TagSeed<'_> {
    type Value = Tag;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a YAML tag string")
    }

    fn visit_str<E: serde::de::Error>(self, tag: &str) -> Result<Tag, E> {
        if tag.is_empty() {
            return Err(E::custom("empty YAML tag is not allowed"));
        }
        self.0.spend(1 + tag.len())?;
        Ok(Tag::new(tag))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The budgeted parser reads every document as `serde_yaml::from_slice` does, errors
    /// included.
    #[test]
    fn parses_like_serde_yaml() {
        let documents = [
            "",
            "~",
            "null",
            "true",
            "False",
            "12345",
            "-12345",
            "18446744073709551615",
            "18446744073709551616",
            "340282366920938463463374607431768211456",
            "-170141183460469231731687303715884105729",
            "12345.6789",
            "1e3",
            "0x1f",
            "0o17",
            ".nan",
            "-.inf",
            "aa bb cc",
            "'aa bb cc'",
            "\"a\\u263a\"",
            "[1, 2, 3, 4]",
            "- 1\n- 2\n",
            "{c: 1, a: 2, b: 3}",
            "c: 1\na: 2\nb: 3\n",
            "!AA bb cc",
            "!!str 12",
            "!Tag [1, !Inner {a: b}]",
            "? [1, 2]\n: seq key\n1: int key\ntrue: bool key\n~: null key\n",
            "a: &x [1, 2]\nb: *x\n",
            "a: 1\na: 2\n",
            "1: x\n1: y\n",
            "[1, 2",
            "a: b: c",
            "--- 1\n--- 2\n",
            "*unknown",
            "! a",
            "key: |\n  literal\n  text\n",
        ];
        for document in documents {
            let expected = serde_yaml::from_slice::<Yaml>(document.as_bytes());
            let budget = Budget(Cell::new(usize::MAX));
            let actual = ValueSeed(&budget)
                .deserialize(serde_yaml::Deserializer::from_slice(document.as_bytes()));
            match (expected, actual) {
                (Ok(expected), Ok(actual)) => assert_eq!(actual, expected, "{document:?}"),
                (Err(expected), Err(actual)) => {
                    assert_eq!(actual.to_string(), expected.to_string(), "{document:?}")
                }
                (expected, actual) => {
                    panic!("{document:?}: serde_yaml gives {expected:?}, Sprig {actual:?}")
                }
            }
        }
    }

    #[test]
    fn alias_bombs_are_refused() {
        // Ten levels of ten aliases each: 10^10 values once expanded.
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let error = parse(bomb.as_bytes()).unwrap_err();
        assert!(
            error
                .error
                .to_string()
                .contains("too large once its aliases are expanded"),
            "{:#}",
            error.error
        );
        // A long string repeated through aliases counts its bytes.
        let long = "y".repeat(100_000);
        let repeated = format!("s: &s {long}\nl: [{}]\n", ["*s"; 10].join(", "));
        assert!(parse(repeated.as_bytes()).is_err());
        // Moderate use of aliases is fine.
        let fine = format!("s: &s {long}\nl: [*s, *s]\n");
        assert!(parse(fine.as_bytes()).is_ok());
    }

    #[test]
    fn oversized_documents_are_refused() {
        let error = parse(&vec![b' '; MAX_YAML_BYTES + 1]).unwrap_err();
        assert_eq!(
            error.error.to_string(),
            "YAML size exceeds max size of 10000000 bytes"
        );
    }
}
