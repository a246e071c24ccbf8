//! The schema model: what a provider or resource accepts, with markdown descriptions that are
//! also the source of the generated documentation.

use super::value::Type;

#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

#[derive(Debug, Clone, Default)]
pub struct Block {
    /// Markdown.
    pub description: String,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub deprecated: bool,
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    /// Markdown.
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    /// Not sent to Terraform: the provider's plan step and the docs use it.
    pub requires_replace: bool,
    pub deprecated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
    Map,
    Group,
}

#[derive(Debug, Clone)]
pub struct NestedBlock {
    pub type_name: String,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
}

use std::collections::BTreeMap;

impl Attribute {
    fn new(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute {
            name: name.into(),
            ty,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            requires_replace: false,
            deprecated: false,
        }
    }

    /// Must be set in configuration.
    pub fn required(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute {
            required: true,
            ..Attribute::new(name, ty)
        }
    }

    /// May be set in configuration; null when not.
    pub fn optional(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute {
            optional: true,
            ..Attribute::new(name, ty)
        }
    }

    /// Set only by the provider.
    pub fn computed(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute {
            computed: true,
            ..Attribute::new(name, ty)
        }
    }

    /// May be set in configuration; the provider fills it in when not.
    pub fn optional_computed(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute {
            optional: true,
            computed: true,
            ..Attribute::new(name, ty)
        }
    }

    /// Markdown; also the generated documentation.
    #[must_use]
    pub fn description(mut self, md: impl Into<String>) -> Attribute {
        self.description = md.into();
        self
    }

    #[must_use]
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }

    #[must_use]
    pub fn requires_replace(mut self) -> Attribute {
        self.requires_replace = true;
        self
    }

    #[must_use]
    pub fn deprecated(mut self) -> Attribute {
        self.deprecated = true;
        self
    }
}

impl Block {
    pub fn new() -> Block {
        Block::default()
    }

    #[must_use]
    pub fn description(mut self, md: impl Into<String>) -> Block {
        self.description = md.into();
        self
    }

    #[must_use]
    pub fn attribute(mut self, attribute: Attribute) -> Block {
        self.attributes.push(attribute);
        self
    }

    #[must_use]
    pub fn block(mut self, block: NestedBlock) -> Block {
        self.blocks.push(block);
        self
    }

    pub fn find_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn find_block(&self, type_name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.type_name == type_name)
    }

    /// The object type a value of this block has: attributes by their type, nested blocks by
    /// nesting mode (single/group: object, list: list of object, set: set of object, map: map
    /// of object).
    pub fn value_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        for nb in &self.blocks {
            let obj = nb.block.value_type();
            let ty = match nb.nesting {
                Nesting::Single | Nesting::Group => obj,
                Nesting::List => Type::List(Box::new(obj)),
                Nesting::Set => Type::Set(Box::new(obj)),
                Nesting::Map => Type::Map(Box::new(obj)),
            };
            attrs.insert(nb.type_name.clone(), ty);
        }
        Type::Object(attrs)
    }
}

impl NestedBlock {
    pub fn new(type_name: impl Into<String>, nesting: Nesting, block: Block) -> NestedBlock {
        NestedBlock {
            type_name: type_name.into(),
            nesting,
            block,
            min_items: 0,
            max_items: 0,
        }
    }

    #[must_use]
    pub fn min_items(mut self, n: i64) -> NestedBlock {
        self.min_items = n;
        self
    }

    #[must_use]
    pub fn max_items(mut self, n: i64) -> NestedBlock {
        self.max_items = n;
        self
    }
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Schema {
        Schema { version, block }
    }

    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_type_includes_blocks_by_nesting() {
        let inner = Block::new().attribute(Attribute::optional("create", Type::String));
        let schema = Schema::new(
            1,
            Block::new()
                .attribute(Attribute::required("name", Type::String).requires_replace())
                .attribute(Attribute::computed("id", Type::String))
                .block(NestedBlock::new("timeouts", Nesting::Single, inner.clone()))
                .block(NestedBlock::new("rule", Nesting::List, inner.clone()))
                .block(NestedBlock::new("tag", Nesting::Set, inner.clone()))
                .block(NestedBlock::new("named", Nesting::Map, inner)),
        );
        let obj = Type::object([("create", Type::String)]);
        assert_eq!(
            schema.value_type(),
            Type::object([
                ("id", Type::String),
                ("name", Type::String),
                ("named", Type::map(obj.clone())),
                ("rule", Type::list(obj.clone())),
                ("tag", Type::set(obj.clone())),
                ("timeouts", obj),
            ])
        );
        let name = schema.block.find_attribute("name").unwrap();
        assert!(name.required && name.requires_replace && !name.optional);
        let id = schema.block.find_attribute("id").unwrap();
        assert!(id.computed && !id.optional);
    }
}
