//! Resource identity (Terraform 1.12+): a small object of strings that names one remote object
//! independently of its state, so that `import { identity = {...} }` and `terraform query` can
//! address it. A resource declares its identity schema and computes the identity from its state;
//! the server puts it in every Read, Plan, Apply, Import and Move answer and refuses one that
//! changes for an existing object (Terraform's core does not check that itself).

use std::collections::BTreeMap;

use super::Type;

/// One attribute of an identity.
#[derive(Debug, Clone)]
pub struct IdentityAttribute {
    pub name: String,
    pub ty: Type,
    /// Markdown.
    pub description: String,
    /// Must be given in `import { identity = {...} }`.
    pub required_for_import: bool,
    /// May be given in `import { identity = {...} }`; the provider fills it in when not.
    pub optional_for_import: bool,
}

impl IdentityAttribute {
    /// A string attribute every import by identity must carry.
    pub fn required(name: impl Into<String>, description: impl Into<String>) -> IdentityAttribute {
        IdentityAttribute {
            name: name.into(),
            ty: Type::String,
            description: description.into(),
            required_for_import: true,
            optional_for_import: false,
        }
    }
}

/// A resource type's identity schema. Start at version 0: state written before the identity
/// existed carries none, and a higher version makes Terraform ask for an upgrade of nothing.
#[derive(Debug, Clone, Default)]
pub struct IdentitySchema {
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

impl IdentitySchema {
    /// The object type an identity value has.
    pub fn value_type(&self) -> Type {
        Type::Object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }
}
