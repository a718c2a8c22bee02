//! Checks an entity against its type in the schema, as graph-node does before it accepts a
//! `store.set`. Error messages follow graph-node's wording, since mappings' users see them.

use anyhow::{bail, Result};
use sprig_manifest::{BaseType, EntityType, FieldType, ScalarType, Schema};
use sprig_value::{Entity, EntityKey, IdType, Value};

/// Checks a complete entity (nulls already removed) of `entity_type`: every field is known and
/// stored (not derived), every value has the field's type, and no non-nullable field is missing.
pub(crate) fn validate_entity(
    schema: &Schema,
    entity_type: &EntityType,
    key: &EntityKey,
    entity: &Entity,
) -> Result<()> {
    for (name, value) in entity {
        let Some(field) = entity_type.field(name) else {
            bail!("Entity {key}: unknown field `{name}`; it is not part of the schema");
        };
        if !field.is_stored() {
            bail!("Entity {key}: field `{name}` is derived and cannot be set");
        }
        check_value(schema, key, name, &field.field_type, value)?;
    }
    for field in entity_type.stored_fields() {
        let present = entity.get(&field.name).is_some_and(|v| !v.is_null());
        if !present && !field.field_type.nullable {
            bail!(
                "Entity {key}: missing value for non-nullable field `{}`",
                field.name
            );
        }
    }
    Ok(())
}

fn check_value(
    schema: &Schema,
    key: &EntityKey,
    field: &str,
    field_type: &FieldType,
    value: &Value,
) -> Result<()> {
    let element = element_kind(schema, &field_type.base);
    let fits = match value {
        Value::Null => true,
        Value::List(items) if field_type.list => {
            for (index, item) in items.iter().enumerate() {
                if !item.is_null() && !element.accepts(item) {
                    bail!(
                        "Entity {key}: field `{field}` is of type {}, but the value `{value}` contains a {} at index {index}",
                        type_name(field_type),
                        item.type_name()
                    );
                }
            }
            true
        }
        _ => !field_type.list && element.accepts(value),
    };
    if !fits {
        bail!(
            "Entity {key}: the value `{value}` for field `{field}` must have type {} but has type {}",
            type_name(field_type),
            value.type_name()
        );
    }
    Ok(())
}

/// The kind of `Value` a field's elements must have.
#[derive(Clone, Copy)]
enum ValueKind {
    String,
    Bytes,
    BigInt,
    BigDecimal,
    Int,
    Int8,
    Boolean,
    Timestamp,
}

impl ValueKind {
    fn accepts(self, value: &Value) -> bool {
        matches!(
            (self, value),
            (ValueKind::String, Value::String(_))
                | (ValueKind::Bytes, Value::Bytes(_))
                | (ValueKind::BigInt, Value::BigInt(_))
                | (ValueKind::BigDecimal, Value::BigDecimal(_))
                | (ValueKind::Int, Value::Int(_))
                | (ValueKind::Int8, Value::Int8(_))
                | (ValueKind::Boolean, Value::Bool(_))
                | (ValueKind::Timestamp, Value::Timestamp(_))
        )
    }
}

fn element_kind(schema: &Schema, base: &BaseType) -> ValueKind {
    match base {
        BaseType::Scalar(scalar) => match scalar {
            ScalarType::Id | ScalarType::String => ValueKind::String,
            ScalarType::Bytes => ValueKind::Bytes,
            ScalarType::BigInt => ValueKind::BigInt,
            ScalarType::BigDecimal => ValueKind::BigDecimal,
            ScalarType::Int => ValueKind::Int,
            ScalarType::Int8 => ValueKind::Int8,
            ScalarType::Boolean => ValueKind::Boolean,
            ScalarType::Timestamp => ValueKind::Timestamp,
        },
        // Enum values are stored as their names.
        BaseType::Enum(_) => ValueKind::String,
        // A reference holds the referenced entity's id. The schema was validated, so the target
        // exists; should it not, String is graph-node's default id type.
        BaseType::Reference(target) => {
            match schema.object_or_interface(target).map(|t| t.id_type) {
                Some(IdType::Bytes) => ValueKind::Bytes,
                Some(IdType::Int8) => ValueKind::Int8,
                Some(IdType::String) | None => ValueKind::String,
            }
        }
    }
}

/// The field's type as written in the schema, e.g. `BigInt!` or `[Token]!` (the schema model
/// does not record whether list elements are nullable).
pub(crate) fn type_name(field_type: &FieldType) -> String {
    let base = match &field_type.base {
        BaseType::Scalar(scalar) => scalar.name(),
        BaseType::Enum(name) | BaseType::Reference(name) => name.as_str(),
    };
    let mut name = if field_type.list {
        format!("[{base}]")
    } else {
        base.to_string()
    };
    if !field_type.nullable {
        name.push('!');
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use sprig_value::{BigInt, Id};

    const SDL: &str = r#"
        enum Kind { A, B }
        type Account @entity(immutable: false) {
          id: Bytes!
          balance: BigInt!
          kind: Kind
          tags: [String!]
          token: Token
          transfers: [Transfer!]! @derivedFrom(field: "from")
        }
        type Token @entity(immutable: false) { id: ID! }
        type Transfer @entity(immutable: true) { id: ID! from: Account! }
    "#;

    fn check(entity: Entity) -> Result<()> {
        let schema = Schema::parse(SDL).unwrap();
        let key = EntityKey {
            entity_type: "Account".into(),
            id: Id::Bytes(vec![0xab]),
        };
        validate_entity(
            &schema,
            schema.entity_type("Account").unwrap(),
            &key,
            &entity,
        )
    }

    fn account(extra: &[(&str, Value)]) -> Entity {
        let mut e = Entity::from([
            ("id".to_string(), Value::Bytes(vec![0xab])),
            ("balance".to_string(), Value::BigInt(BigInt::from(1))),
        ]);
        for (k, v) in extra {
            e.insert(k.to_string(), v.clone());
        }
        e
    }

    #[test]
    fn accepts_valid_entities() {
        check(account(&[])).unwrap();
        check(account(&[
            ("kind", Value::String("A".into())),
            ("tags", Value::List(vec![Value::String("x".into())])),
            ("token", Value::String("t1".into())),
        ]))
        .unwrap();
    }

    #[test]
    fn names_missing_non_nullable_fields() {
        let mut e = account(&[]);
        e.remove("balance");
        let err = check(e).unwrap_err().to_string();
        assert_eq!(
            err,
            "Entity Account[0xab]: missing value for non-nullable field `balance`"
        );
    }

    #[test]
    fn rejects_wrong_kinds_derived_and_unknown_fields() {
        let err = check(account(&[("balance", Value::String("1".into()))]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "Entity Account[0xab]: the value `1` for field `balance` must have type BigInt! but has type String"
        );
        let err = check(account(&[("tags", Value::List(vec![Value::Int(1)]))]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("contains a Int at index 0"), "{err}");
        let err = check(account(&[("token", Value::Bytes(vec![1]))]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("must have type Token"), "{err}");
        let err = check(account(&[("transfers", Value::List(vec![]))]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("derived and cannot be set"), "{err}");
        let err = check(account(&[("nope", Value::Int(1))]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `nope`"), "{err}");
    }
}
