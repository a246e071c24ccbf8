//! Resource identity on the wire (Terraform 1.12+): the identity schemas, UpgradeResourceIdentity,
//! and the identity that goes with each state the server answers. The identity always comes from
//! the resource's [`Resource::identity`] of the state it answers, so it cannot drift from the
//! state; an existing object whose identity would change is refused here because Terraform's core
//! does not check that.
//!
//! [`Resource::identity`]: crate::tfplugin::Resource::identity

use super::{Raw, Registered, Server, StateOut, decode, encode};
use crate::tfplugin::{Diagnostic, Diagnostics, IdentitySchema, Type, Value};

/// A resource's identity schema with its value type, computed once.
pub(super) struct Identity {
    pub(super) schema: IdentitySchema,
    pub(super) ty: Type,
}

impl Identity {
    pub(super) fn new(schema: IdentitySchema) -> Identity {
        let ty = schema.value_type();
        Identity { schema, ty }
    }
}

/// What an UpgradeResourceIdentity call carries.
pub(crate) struct UpgradeIdentityIn {
    pub type_name: String,
    pub version: i64,
    pub json: Vec<u8>,
}

impl Registered {
    /// The identity Terraform sent along (`current_identity`, `prior_identity`, ...), decoded;
    /// Null when it sent none or the resource has no identity.
    pub(super) fn decode_identity(&self, raw: &Raw, what: &str) -> Result<Value, Diagnostics> {
        match &self.identity {
            Some(identity) => decode(raw, &identity.ty, what),
            None => Ok(Value::Null),
        }
    }

    /// The identity of `state` as the resource computes it: Null for a null state or a resource
    /// without identity. `known` demands a wholly known identity (Read, Apply, Import: Terraform
    /// rejects anything else).
    pub(super) fn identity_of(&self, state: &Value, known: bool) -> Result<Value, Diagnostics> {
        if self.identity.is_none() || state.is_null() || state.is_unknown() {
            return Ok(Value::Null);
        }
        let identity = self.resource.identity(state);
        if known && !identity.is_wholly_known() {
            return Err(Diagnostic::error(
                "Provider Produced an Unknown Identity",
                format!(
                    "The provider could not tell the identity of this {} from its state. This \
                     is a bug in the provider; please report it with the provider log \
                     (TF_LOG_PROVIDER=DEBUG).",
                    self.resource.type_name()
                ),
            )
            .into());
        }
        Ok(identity)
    }

    /// Refuses an identity that changes for an existing object: state that names one object
    /// and an identity that names another would make Terraform track the wrong backup.
    pub(super) fn check_unchanged(&self, before: &Value, after: &Value) -> Result<(), Diagnostics> {
        if before.is_null()
            || after.is_null()
            || !before.is_wholly_known()
            || !after.is_wholly_known()
            || before == after
        {
            return Ok(());
        }
        Err(Diagnostic::error(
            "Resource Identity Changed",
            format!(
                "The identity of this {} would change from {} to {}. An identity names one \
                 object for good, so this change is refused. If the object really is a different \
                 one now, remove the old one from state (`terraform state rm`) and import the \
                 new one by its identity.",
                self.resource.type_name(),
                show(before),
                show(after)
            ),
        )
        .into())
    }

    /// The planned identity: the planned state's. For an update of an existing object it must be
    /// the prior identity (kept when the plan does not know it yet); a create or replace may
    /// leave it unknown.
    pub(super) fn planned_identity(
        &self,
        planned_state: &Value,
        prior_identity: &Value,
        update: bool,
    ) -> Result<Option<Raw>, Diagnostics> {
        let mut planned = self.identity_of(planned_state, false)?;
        if update && !prior_identity.is_null() {
            if planned.is_wholly_known() {
                self.check_unchanged(prior_identity, &planned)?;
            } else {
                planned = prior_identity.clone();
            }
        }
        self.encode_identity(&planned)
    }

    /// The ID to import: Terraform's `id`, or the one the resource derives from the identity of
    /// `import { identity = {...} }` (Terraform then sends an empty id).
    pub(super) fn import_id(&self, id: &str, identity: &Value) -> Result<String, Diagnostics> {
        if !id.is_empty() {
            return Ok(id.to_owned());
        }
        if identity.is_null() || self.identity.is_none() {
            return Err(Diagnostic::error(
                "Missing Import ID",
                format!(
                    "Terraform sent neither an ID nor an identity to import this {} by. Set                      `id` (its Azure resource ID) in the import block.",
                    self.resource.type_name()
                ),
            )
            .into());
        }
        if !identity.is_wholly_known() {
            return Err(Diagnostic::error(
                "Unknown Import Identity",
                "The identity to import by is not known until apply. Import blocks need values                  known at plan time.",
            )
            .into());
        }
        self.resource.import_id(identity)
    }

    /// The identity in the form an answer carries.
    pub(super) fn encode_identity(&self, identity: &Value) -> Result<Option<Raw>, Diagnostics> {
        match &self.identity {
            Some(schema) if !identity.is_null() => {
                encode(identity, &schema.ty, "identity").map(Some)
            }
            _ => Ok(None),
        }
    }
}

impl StateOut {
    /// Adds the identity of `new_state` to a Read or Apply answer, refusing (with an error
    /// diagnostic, the state still returned so nothing is lost) one that differs from the
    /// identity Terraform had (`before`).
    pub(super) fn with_identity(
        mut self,
        reg: &Registered,
        before: &Value,
        new_state: &Value,
    ) -> StateOut {
        if self.state.is_none() {
            return self;
        }
        let identity = reg.identity_of(new_state, true).and_then(|after| {
            if let Err(d) = reg.check_unchanged(before, &after) {
                self.diagnostics.extend(d);
            }
            reg.encode_identity(&after)
        });
        match identity {
            Ok(raw) => self.identity = raw,
            Err(d) => self.diagnostics.extend(d),
        }
        self
    }
}

/// `{name = "x", ...}` for messages, attributes in schema order (sorted).
fn show(identity: &Value) -> String {
    match identity.as_map() {
        Some(attrs) => {
            let parts: Vec<String> = attrs
                .iter()
                .map(|(k, v)| match v.as_str() {
                    Some(s) => format!("{k} = {s:?}"),
                    None if v.is_null() => format!("{k} = null"),
                    None => format!("{k} = (unknown)"),
                })
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        None => "(none)".to_owned(),
    }
}

impl Server {
    /// GetResourceIdentitySchemas: every resource that declares one, by type name.
    pub(crate) fn identity_schemas(&self) -> Vec<(String, IdentitySchema)> {
        self.order
            .iter()
            .filter_map(|n| {
                let reg = self.resources.get(n)?;
                let identity = reg.identity.as_ref()?;
                Some((n.clone(), identity.schema.clone()))
            })
            .collect()
    }

    /// UpgradeResourceIdentity: identities are at their first version, so a stored identity of
    /// that version is read and returned as it is; any other version was written by another
    /// provider version and is refused with what to do.
    pub(crate) fn upgrade_identity(&self, req: UpgradeIdentityIn) -> (Option<Raw>, Diagnostics) {
        let reg = match self.resource(&req.type_name) {
            Ok(r) => r,
            Err(d) => return (None, d),
        };
        let Some(identity) = &reg.identity else {
            return (
                None,
                Diagnostic::error(
                    "Resource Has No Identity",
                    format!(
                        "The state holds an identity for {}, which has none in this provider \
                         version. Use the provider version that wrote the state.",
                        req.type_name
                    ),
                )
                .into(),
            );
        };
        if req.version != identity.schema.version {
            return (
                None,
                Diagnostic::error(
                    "Unsupported Identity Version",
                    format!(
                        "The stored identity of this {} has version {}; this provider version \
                         knows version {}. If a newer provider version wrote the state, use that \
                         version again.",
                        req.type_name, req.version, identity.schema.version
                    ),
                )
                .into(),
            );
        }
        let value = match Value::decode_json(&req.json, &identity.ty) {
            Ok(v) => v,
            Err(e) => {
                return (
                    None,
                    Diagnostic::error(
                        "Unable to Read Stored Identity",
                        format!(
                            "The stored identity of this {} does not match its schema: {e}.",
                            req.type_name
                        ),
                    )
                    .into(),
                );
            }
        };
        match encode(&value, &identity.ty, "upgraded identity") {
            Ok(raw) => (Some(raw), Diagnostics::new()),
            Err(d) => (None, d),
        }
    }
}
