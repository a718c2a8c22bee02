//! graph-ts `JSONValue`, and the `Result<JSONValue, bool>` of `json.try_fromBytes`.
//!
//! `JSONValue` is `{ kind, payload }`: 0 null, 1 bool (0/1), 2 number (a `String` holding the
//! number's text exactly as written), 3 string, 4 array (`Array<JSONValue>`), 5 object
//! (`TypedMap<string, JSONValue>`).
//!
//! Object entries are written sorted by key (later duplicates win). That is graph-node's order
//! with serde_json's default map, and sorting here keeps it even if some dependency turns on
//! serde_json's `preserve_order`, which would otherwise change results silently.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::value::{write_map, Payload};
use super::write::{Fields, ObjPtr, Objects, ToAsc};
use super::TypeIndex;

impl ToAsc for Json {
    fn to_asc(&self, objects: &mut Objects) -> ObjPtr {
        let (kind, payload) = match self {
            Json::Null => (0, Payload::Bits(0)),
            Json::Bool(b) => (1, Payload::Bits(u64::from(*b))),
            // With `arbitrary_precision`, a number's string form is its original text.
            Json::Number(n) => (2, Payload::Ptr(objects.string(&n.to_string()))),
            Json::String(s) => (3, Payload::Ptr(objects.string(s))),
            Json::Array(items) => {
                let items: Vec<ObjPtr> = items.iter().map(|v| v.to_asc(objects)).collect();
                (
                    4,
                    Payload::Ptr(objects.array_of(TypeIndex::ArrayJsonValue, &items)),
                )
            }
            Json::Object(map) => {
                let sorted: BTreeMap<&String, &Json> = map.iter().collect();
                let entries = sorted
                    .into_iter()
                    .map(|(key, value)| (objects.string(key), value.to_asc(objects)))
                    .collect();
                let map = write_map(
                    objects,
                    entries,
                    [
                        TypeIndex::TypedMapEntryStringJsonValue,
                        TypeIndex::ArrayTypedMapEntryStringJsonValue,
                        TypeIndex::TypedMapStringJsonValue,
                    ],
                );
                (5, Payload::Ptr(map))
            }
        };
        objects.class(TypeIndex::JsonValue, payload.fields(kind))
    }
}

/// `Result<JSONValue, bool>`: `{ value: Wrapped<JSONValue> | null, error: Wrapped<bool> | null }`;
/// a failure is `error = Wrapped(true)`.
pub(crate) struct JsonResult(pub Option<Json>);

impl ToAsc for JsonResult {
    fn to_asc(&self, objects: &mut Objects) -> ObjPtr {
        let (value, error) = match &self.0 {
            Some(json) => {
                let inner = json.to_asc(objects);
                let wrapped =
                    objects.class(TypeIndex::WrappedJsonValue, Fields::new().ptr(Some(inner)));
                (Some(wrapped), None)
            }
            None => {
                let wrapped = objects.class(TypeIndex::WrappedBool, Fields::new().u8(1));
                (None, Some(wrapped))
            }
        };
        objects.class(
            TypeIndex::ResultJsonValueBool,
            Fields::new().ptr(value).ptr(error),
        )
    }
}
