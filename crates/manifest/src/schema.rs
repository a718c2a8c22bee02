//! The subgraph's `schema.graphql`: entity types, their fields, enums and interfaces.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Context, Result};
use async_graphql_parser::types::{self as ast, TypeKind, TypeSystemDefinition};
use async_graphql_parser::Positioned;
use sprig_value::IdType;

/// A built-in scalar usable as an entity field type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarType {
    /// `ID`, stored like `String`.
    Id,
    String,
    Bytes,
    BigInt,
    BigDecimal,
    /// 32-bit signed integer.
    Int,
    /// 64-bit signed integer.
    Int8,
    Boolean,
    /// Microseconds since the Unix epoch.
    Timestamp,
}

impl ScalarType {
    fn from_name(name: &str) -> Option<ScalarType> {
        Some(match name {
            "ID" => ScalarType::Id,
            "String" => ScalarType::String,
            "Bytes" => ScalarType::Bytes,
            "BigInt" => ScalarType::BigInt,
            "BigDecimal" => ScalarType::BigDecimal,
            "Int" => ScalarType::Int,
            "Int8" => ScalarType::Int8,
            "Boolean" => ScalarType::Boolean,
            "Timestamp" => ScalarType::Timestamp,
            _ => return None,
        })
    }

    /// The GraphQL name of the scalar.
    pub fn name(self) -> &'static str {
        match self {
            ScalarType::Id => "ID",
            ScalarType::String => "String",
            ScalarType::Bytes => "Bytes",
            ScalarType::BigInt => "BigInt",
            ScalarType::BigDecimal => "BigDecimal",
            ScalarType::Int => "Int",
            ScalarType::Int8 => "Int8",
            ScalarType::Boolean => "Boolean",
            ScalarType::Timestamp => "Timestamp",
        }
    }
}

/// What a field holds, without list-ness or nullability.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BaseType {
    Scalar(ScalarType),
    /// A value of the named enum (stored as its string).
    Enum(String),
    /// A reference to an entity or interface, stored as the referenced id.
    Reference(String),
}

/// The full type of a field.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldType {
    pub base: BaseType,
    /// `[T]` (graph-node allows no nested lists).
    pub list: bool,
    /// Whether the field itself may be null.
    pub nullable: bool,
}

/// One field of an entity type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub field_type: FieldType,
    /// `@derivedFrom(field: "...")`: a virtual reverse lookup, never stored.
    pub derived_from: Option<String>,
}

impl Field {
    /// Whether the field has a column in the store.
    pub fn is_stored(&self) -> bool {
        self.derived_from.is_none()
    }
}

/// An `@entity` type (or an interface, whose `is_interface` is true).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityType {
    pub name: String,
    pub immutable: bool,
    pub is_interface: bool,
    pub id_type: IdType,
    /// Fields in declaration order (including `id` and derived fields).
    pub fields: Vec<Field>,
    /// Interfaces this type implements.
    pub implements: Vec<String>,
}

impl EntityType {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The fields that have a column in the store, in declaration order.
    pub fn stored_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.is_stored())
    }
}

/// A parsed and validated `schema.graphql`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    /// Entity types in declaration order.
    pub entity_types: Vec<EntityType>,
    /// Interfaces in declaration order.
    pub interfaces: Vec<EntityType>,
    /// Enum name to its values, in declaration order.
    pub enums: BTreeMap<String, Vec<String>>,
    /// The SDL this schema was parsed from, kept so a store can persist it and serve the
    /// subgraph later without the manifest.
    pub sdl: String,
}

impl Schema {
    /// Parses the SDL and checks graph-node's rules. Errors name the line.
    pub fn parse(sdl: &str) -> Result<Schema> {
        let doc = async_graphql_parser::parse_schema(sdl).map_err(|e| anyhow!("{e}"))?;
        let mut enums = BTreeMap::new();
        let mut objects = Vec::new();
        let mut interfaces = Vec::new();
        for def in doc.definitions {
            let TypeSystemDefinition::Type(ty) = def else {
                continue;
            };
            let ty = ty.node;
            let name = ty.name.node.to_string();
            match &ty.kind {
                TypeKind::Enum(e) => {
                    enums.insert(
                        name,
                        e.values
                            .iter()
                            .map(|v| v.node.value.node.to_string())
                            .collect(),
                    );
                }
                TypeKind::Object(_) if name == "_Schema_" => {}
                TypeKind::Object(_) | TypeKind::Interface(_) => {
                    if matches!(ty.kind, TypeKind::Interface(_)) {
                        interfaces.push(ty);
                    } else {
                        objects.push(ty);
                    }
                }
                TypeKind::Scalar | TypeKind::Union(_) | TypeKind::InputObject(_) => {
                    bail!(
                        "line {}: type `{name}`: only entity types, interfaces and enums may be defined in a subgraph schema",
                        ty.name.pos.line
                    )
                }
            }
        }
        let type_names: Vec<String> = objects
            .iter()
            .chain(interfaces.iter())
            .map(|t| t.name.node.to_string())
            .collect();
        let mut schema = Schema {
            enums,
            sdl: sdl.to_string(),
            ..Schema::default()
        };
        for def in &objects {
            schema
                .entity_types
                .push(convert_type(def, false, &type_names, &schema.enums)?);
        }
        for def in &interfaces {
            schema
                .interfaces
                .push(convert_type(def, true, &type_names, &schema.enums)?);
        }
        schema.validate_derived_fields()?;
        Ok(schema)
    }

    /// An `@entity` type by name (not interfaces).
    pub fn entity_type(&self, name: &str) -> Option<&EntityType> {
        self.entity_types.iter().find(|t| t.name == name)
    }

    /// An interface by name.
    pub fn interface(&self, name: &str) -> Option<&EntityType> {
        self.interfaces.iter().find(|t| t.name == name)
    }

    /// An entity type or interface by name.
    pub fn object_or_interface(&self, name: &str) -> Option<&EntityType> {
        self.entity_type(name).or_else(|| self.interface(name))
    }

    /// The entity types implementing an interface.
    pub fn implementors(&self, interface: &str) -> impl Iterator<Item = &EntityType> {
        let interface = interface.to_string();
        self.entity_types
            .iter()
            .filter(move |t| t.implements.contains(&interface))
    }

    fn validate_derived_fields(&self) -> Result<()> {
        for ty in self.entity_types.iter().chain(&self.interfaces) {
            for field in &ty.fields {
                let Some(target_field) = &field.derived_from else {
                    continue;
                };
                let BaseType::Reference(target) = &field.field_type.base else {
                    bail!(
                        "field `{}.{}`: @derivedFrom is only allowed on fields that reference an entity type",
                        ty.name,
                        field.name
                    );
                };
                let target_type = self.object_or_interface(target).ok_or_else(|| {
                    anyhow!(
                        "field `{}.{}`: unknown type `{target}`",
                        ty.name,
                        field.name
                    )
                })?;
                let back = target_type.field(target_field).ok_or_else(|| {
                    anyhow!(
                        "field `{}.{}`: @derivedFrom(field: \"{target_field}\") names a field that `{target}` does not have",
                        ty.name,
                        field.name
                    )
                })?;
                let points_back = match &back.field_type.base {
                    BaseType::Reference(r) => r == &ty.name || ty.implements.contains(r),
                    _ => back.name == "id",
                };
                if !points_back {
                    bail!(
                        "field `{}.{}`: `{target}.{target_field}` must reference `{}` to be used in @derivedFrom",
                        ty.name,
                        field.name,
                        ty.name
                    );
                }
            }
        }
        Ok(())
    }
}

fn bool_arg(
    directive: &Positioned<ast::ConstDirective>,
    arg: &str,
    type_name: &str,
) -> Result<Option<bool>> {
    match directive.node.get_argument(arg) {
        None => Ok(None),
        Some(v) => match &v.node {
            async_graphql_value::ConstValue::Boolean(b) => Ok(Some(*b)),
            other => bail!(
                "line {}: type `{type_name}`: @entity argument `{arg}` must be a boolean, not `{other}`",
                v.pos.line
            ),
        },
    }
}

fn convert_type(
    def: &ast::TypeDefinition,
    is_interface: bool,
    type_names: &[String],
    enums: &BTreeMap<String, Vec<String>>,
) -> Result<EntityType> {
    let name = def.name.node.to_string();
    let line = def.name.pos.line;
    let (fields, implements) = match &def.kind {
        TypeKind::Object(o) => (&o.fields, &o.implements),
        TypeKind::Interface(i) => (&i.fields, &i.implements),
        _ => unreachable!("only objects and interfaces are converted"),
    };
    let mut immutable = false;
    if !is_interface {
        let entity = def
            .directives
            .iter()
            .find(|d| d.node.name.node == "entity")
            .ok_or_else(|| anyhow!("line {line}: type `{name}` must have an @entity directive"))?;
        immutable = bool_arg(entity, "immutable", &name)?.unwrap_or(false);
        if bool_arg(entity, "timeseries", &name)? == Some(true) {
            bail!("line {line}: type `{name}`: timeseries entities are not supported yet");
        }
    }
    let mut out_fields = Vec::new();
    for f in fields {
        let f = &f.node;
        let fname = f.name.node.to_string();
        let (base_name, list, nullable) = match &f.ty.node.base {
            ast::BaseType::Named(n) => (n.to_string(), false, f.ty.node.nullable),
            ast::BaseType::List(inner) => match &inner.base {
                ast::BaseType::Named(n) => (n.to_string(), true, f.ty.node.nullable),
                ast::BaseType::List(_) => bail!(
                    "line {}: field `{name}.{fname}`: nested lists are not allowed",
                    f.name.pos.line
                ),
            },
        };
        let base = if let Some(s) = ScalarType::from_name(&base_name) {
            BaseType::Scalar(s)
        } else if enums.contains_key(&base_name) {
            BaseType::Enum(base_name)
        } else if type_names.contains(&base_name) {
            BaseType::Reference(base_name)
        } else {
            bail!(
                "line {}: field `{name}.{fname}` has unknown type `{base_name}` (not a scalar, enum, entity or interface of this schema)",
                f.name.pos.line
            );
        };
        let derived_from = match f
            .directives
            .iter()
            .find(|d| d.node.name.node == "derivedFrom")
        {
            None => None,
            Some(d) => match d.node.get_argument("field").map(|v| &v.node) {
                Some(async_graphql_value::ConstValue::String(s)) => Some(s.clone()),
                _ => bail!(
                    "line {}: field `{name}.{fname}`: @derivedFrom needs a string argument `field`",
                    d.pos.line
                ),
            },
        };
        out_fields.push(Field {
            name: fname,
            field_type: FieldType {
                base,
                list,
                nullable,
            },
            derived_from,
        });
    }
    let id = out_fields
        .iter()
        .find(|f| f.name == "id")
        .ok_or_else(|| anyhow!("line {line}: type `{name}` has no `id` field"))?;
    let id_type = match (&id.field_type.base, id.field_type.list) {
        (BaseType::Scalar(ScalarType::Id | ScalarType::String), false) => IdType::String,
        (BaseType::Scalar(ScalarType::Bytes), false) => IdType::Bytes,
        (BaseType::Scalar(ScalarType::Int8), false) => IdType::Int8,
        _ => bail!(
            "line {line}: type `{name}`: the `id` field must be of type ID!, String!, Bytes! or Int8!"
        ),
    };
    Ok(EntityType {
        name,
        immutable,
        is_interface,
        id_type,
        fields: out_fields,
        implements: implements.iter().map(|i| i.node.to_string()).collect(),
    })
}

/// Reads and parses a schema file, naming the file in errors.
pub fn load(path: &std::path::Path) -> Result<Schema> {
    let sdl = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read schema {}", path.display()))?;
    Schema::parse(&sdl).with_context(|| format!("invalid schema {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
        enum Kind { A, B }
        type Token @entity(immutable: false) {
          id: Bytes!
          name: String!
          kind: Kind
          holders: [Account!]! @derivedFrom(field: "token")
        }
        type Account @entity(immutable: true) {
          id: ID!
          token: Token!
          tags: [String!]
        }
    "#;

    #[test]
    fn parses_entities_fields_and_enums() {
        let s = Schema::parse(SDL).unwrap();
        let token = s.entity_type("Token").unwrap();
        assert_eq!(token.id_type, IdType::Bytes);
        assert!(!token.immutable);
        assert_eq!(
            token.field("kind").unwrap().field_type.base,
            BaseType::Enum("Kind".into())
        );
        assert_eq!(token.stored_fields().count(), 3);
        let account = s.entity_type("Account").unwrap();
        assert!(account.immutable);
        assert!(account.field("tags").unwrap().field_type.list);
        assert_eq!(s.enums["Kind"], vec!["A", "B"]);
    }

    #[test]
    fn rejects_bad_schemas_with_line_numbers() {
        let err = Schema::parse("type A { id: ID! }").unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("@entity"), "{err}");
        let err = Schema::parse("type A @entity(immutable: false) { id: ID! x: Foo }")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown type `Foo`"), "{err}");
        let err = Schema::parse(
            "type A @entity(immutable: false) { id: ID! bs: [B!]! @derivedFrom(field: \"nope\") }\n type B @entity(immutable: true) { id: ID! }",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("does not have"), "{err}");
    }
}
