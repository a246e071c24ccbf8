//! Conversions between protobuf messages and the crate's own types: values, attribute paths,
//! diagnostics, schemas, function signatures and server capabilities.

use super::pb;
use crate::tfplugin::diag::PathStep;
use crate::tfplugin::provider::FunctionSignature;
use crate::tfplugin::server::{self, Raw, Server};
use crate::tfplugin::{
    AttributePath, Block, Diagnostics, IdentitySchema, Nesting, Schema, Severity,
};

pub(super) fn raw(dv: Option<pb::DynamicValue>) -> Raw {
    dv.map(|d| Raw {
        msgpack: d.msgpack,
        json: d.json,
    })
    .unwrap_or_default()
}

pub(super) fn dynamic(raw: Raw) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: raw.msgpack,
        json: raw.json,
    }
}

/// The identity Terraform sent (absent: both byte strings empty, like a missing value).
pub(super) fn identity_raw(data: Option<pb::ResourceIdentityData>) -> Raw {
    raw(data.and_then(|d| d.identity_data))
}

pub(super) fn identity_data(raw: Raw) -> pb::ResourceIdentityData {
    pb::ResourceIdentityData {
        identity_data: Some(dynamic(raw)),
    }
}

/// `Option<Raw>` of an answer into the identity field of its message.
pub(super) trait TakeIdentity {
    fn take_identity(&mut self) -> Option<pb::ResourceIdentityData>;
}

impl TakeIdentity for Option<Raw> {
    fn take_identity(&mut self) -> Option<pb::ResourceIdentityData> {
        self.take().map(identity_data)
    }
}

pub(super) fn identity_schema(s: &IdentitySchema) -> pb::ResourceIdentitySchema {
    pb::ResourceIdentitySchema {
        version: s.version,
        identity_attributes: s
            .attributes
            .iter()
            .map(|a| pb::resource_identity_schema::IdentityAttribute {
                name: a.name.clone(),
                r#type: a.ty.to_json(),
                required_for_import: a.required_for_import,
                optional_for_import: a.optional_for_import,
                description: a.description.clone(),
            })
            .collect(),
    }
}

impl From<&AttributePath> for pb::AttributePath {
    fn from(path: &AttributePath) -> pb::AttributePath {
        use pb::attribute_path::step::Selector;
        pb::AttributePath {
            steps: path
                .steps()
                .iter()
                .map(|s| pb::attribute_path::Step {
                    selector: Some(match s {
                        PathStep::Attr(n) => Selector::AttributeName(n.clone()),
                        PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                        PathStep::Index(i) => Selector::ElementKeyInt(*i),
                    }),
                })
                .collect(),
        }
    }
}

pub(super) fn diags(d: Diagnostics) -> Vec<pb::Diagnostic> {
    d.into_iter()
        .map(|d| pb::Diagnostic {
            severity: match d.severity {
                Severity::Error => pb::diagnostic::Severity::Error,
                Severity::Warning => pb::diagnostic::Severity::Warning,
            } as i32,
            summary: d.summary,
            detail: d.detail,
            attribute: d.attribute.as_ref().map(pb::AttributePath::from),
        })
        .collect()
}

pub(super) fn block(b: &Block) -> pb::schema::Block {
    use pb::schema::nested_block::NestingMode;
    pb::schema::Block {
        version: 0,
        attributes: b
            .attributes
            .iter()
            .map(|a| pb::schema::Attribute {
                name: a.name.clone(),
                r#type: a.ty.to_json(),
                nested_type: None,
                description: a.description.clone(),
                required: a.required,
                optional: a.optional,
                computed: a.computed,
                sensitive: a.sensitive,
                description_kind: pb::StringKind::Markdown as i32,
                deprecated: a.deprecated,
                write_only: false,
                deprecation_message: String::new(),
            })
            .collect(),
        block_types: b
            .blocks
            .iter()
            .map(|nb| pb::schema::NestedBlock {
                type_name: nb.type_name.clone(),
                block: Some(block(&nb.block)),
                nesting: match nb.nesting {
                    Nesting::Single => NestingMode::Single,
                    Nesting::List => NestingMode::List,
                    Nesting::Set => NestingMode::Set,
                    Nesting::Map => NestingMode::Map,
                    Nesting::Group => NestingMode::Group,
                } as i32,
                min_items: nb.min_items,
                max_items: nb.max_items,
            })
            .collect(),
        description: b.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: b.deprecated,
        deprecation_message: String::new(),
    }
}

impl From<&Schema> for pb::Schema {
    fn from(s: &Schema) -> pb::Schema {
        let mut b = block(&s.block);
        b.version = s.version;
        pb::Schema {
            version: s.version,
            block: Some(b),
        }
    }
}

pub(super) fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: true,
        // Implemented for every resource (server/lists.rs: the generic reduction of a state,
        // refined by the resource).
        generate_resource_config: true,
    }
}

pub(super) fn function(sig: &FunctionSignature) -> pb::Function {
    pb::Function {
        parameters: sig
            .parameters
            .iter()
            .map(|p| pb::function::Parameter {
                name: p.name.clone(),
                r#type: p.ty.to_json(),
                allow_null_value: false,
                allow_unknown_values: false,
                description: p.description.clone(),
                description_kind: pb::StringKind::Markdown as i32,
            })
            .collect(),
        variadic_parameter: None,
        r#return: Some(pb::function::Return {
            r#type: sig.returns.to_json(),
        }),
        summary: sig.summary.clone(),
        description: sig.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecation_message: String::new(),
    }
}

pub(super) fn functions(server: &Server) -> std::collections::HashMap<String, pb::Function> {
    server
        .functions()
        .iter()
        .map(|(n, sig)| (n.clone(), function(sig)))
        .collect()
}

pub(super) fn state_out(
    out: server::StateOut,
) -> (Option<pb::DynamicValue>, Vec<u8>, Vec<pb::Diagnostic>) {
    (out.state.map(dynamic), out.private, diags(out.diagnostics))
}
