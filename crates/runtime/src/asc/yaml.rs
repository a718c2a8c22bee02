//! graph-ts `YAMLValue`, and the `Result<YAMLValue, bool>` of `yaml.try_fromBytes`.
//!
//! `YAMLValue` is `{ kind, payload }` like `JSONValue`: 0 null, 1 bool (0/1), 2 number (a
//! `String` holding serde_yaml's text of the number: integers in decimal, floats in ryu's
//! shortest form such as `1000.0` or `1e+30`, and `.nan`, `.inf`, `-.inf`), 3 string,
//! 4 array (`Array<YAMLValue>`), 5 object (`TypedMap<YAMLValue, YAMLValue>`: keys are values
//! too, in document order), 6 tagged (`YAMLTaggedValue { tag: string, value: YAMLValue }`,
//! the tag written with its `!`, e.g. `!Ref`).

use serde_yaml::Value as Yaml;

use super::value::{write_map, Payload};
use super::write::{Fields, ObjPtr, Objects, ToAsc};
use super::TypeIndex;

impl ToAsc for Yaml {
    fn to_asc(&self, objects: &mut Objects) -> ObjPtr {
        let (kind, payload) = match self {
            Yaml::Null => (0, Payload::Bits(0)),
            Yaml::Bool(b) => (1, Payload::Bits(u64::from(*b))),
            Yaml::Number(n) => (2, Payload::Ptr(objects.string(&n.to_string()))),
            Yaml::String(s) => (3, Payload::Ptr(objects.string(s))),
            Yaml::Sequence(items) => {
                let items: Vec<ObjPtr> = items.iter().map(|v| v.to_asc(objects)).collect();
                (
                    4,
                    Payload::Ptr(objects.array_of(TypeIndex::YamlArrayValue, &items)),
                )
            }
            Yaml::Mapping(map) => {
                // Unlike JSON objects, mappings keep their document order, as graph-node's
                // (serde_yaml's `Mapping` is an ordered map).
                let entries = map
                    .iter()
                    .map(|(key, value)| (key.to_asc(objects), value.to_asc(objects)))
                    .collect();
                let map = write_map(
                    objects,
                    entries,
                    [
                        TypeIndex::YamlTypedMapEntryValueValue,
                        TypeIndex::YamlArrayTypedMapEntryValueValue,
                        TypeIndex::YamlTypedMapValueValue,
                    ],
                );
                (5, Payload::Ptr(map))
            }
            Yaml::Tagged(tagged) => {
                let tag = objects.string(&tagged.tag.to_string());
                let value = tagged.value.to_asc(objects);
                let tagged = objects.class(
                    TypeIndex::YamlTaggedValue,
                    Fields::new().ptr(Some(tag)).ptr(Some(value)),
                );
                (6, Payload::Ptr(tagged))
            }
        };
        objects.class(TypeIndex::YamlValue, payload.fields(kind))
    }
}

/// `Result<YAMLValue, bool>`: `{ value: Wrapped<YAMLValue> | null, error: Wrapped<bool> | null }`;
/// a failure is `error = Wrapped(true)`.
pub(crate) struct YamlResult(pub Option<Yaml>);

impl ToAsc for YamlResult {
    fn to_asc(&self, objects: &mut Objects) -> ObjPtr {
        let (value, error) = match &self.0 {
            Some(yaml) => {
                let inner = yaml.to_asc(objects);
                let wrapped =
                    objects.class(TypeIndex::YamlWrappedValue, Fields::new().ptr(Some(inner)));
                (Some(wrapped), None)
            }
            None => {
                let wrapped = objects.class(TypeIndex::WrappedBool, Fields::new().u8(1));
                (None, Some(wrapped))
            }
        };
        objects.class(
            TypeIndex::YamlResultValueBool,
            Fields::new().ptr(value).ptr(error),
        )
    }
}
