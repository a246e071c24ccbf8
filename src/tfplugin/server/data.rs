//! Data sources: validation and reads, dispatched by type name like resources. A read whose
//! configuration is not yet wholly known is answered with the configuration and every computed
//! attribute unknown, so Terraform defers it to apply instead of the provider guessing.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Raw, Server, StateOut, decode, guard};
use crate::tfplugin::provider::{DataReadResponse, DataSource};
use crate::tfplugin::{Diagnostic, Diagnostics, Schema, Type, Value};

struct Registered {
    source: Arc<dyn DataSource>,
    schema: Schema,
    ty: Type,
}

/// The data sources a provider serves, with schemas and value types computed once.
pub(super) struct DataSources {
    by_name: HashMap<String, Registered>,
    order: Vec<String>,
}

impl DataSources {
    pub(super) fn new(sources: Vec<Arc<dyn DataSource>>) -> DataSources {
        let mut by_name = HashMap::new();
        let mut order = Vec::new();
        for source in sources {
            let schema = source.schema();
            let ty = schema.value_type();
            let name = source.type_name().to_owned();
            order.push(name.clone());
            by_name.insert(name, Registered { source, schema, ty });
        }
        DataSources { by_name, order }
    }

    pub(super) fn schemas(&self) -> Vec<(String, Schema)> {
        self.order
            .iter()
            .filter_map(|n| self.by_name.get(n).map(|r| (n.clone(), r.schema.clone())))
            .collect()
    }

    pub(super) fn names(&self) -> Vec<String> {
        self.order.clone()
    }

    fn get(&self, type_name: &str) -> Result<&Registered, Diagnostics> {
        self.by_name.get(type_name).ok_or_else(|| {
            let known = if self.order.is_empty() {
                "none".to_owned()
            } else {
                self.order.join(", ")
            };
            Diagnostics::from(Diagnostic::error(
                "Unknown Data Source Type",
                format!(
                    "This provider does not implement a data source named \"{type_name}\". \
                     Data sources it implements: {known}. Check the data source type in your \
                     configuration and the provider version."
                ),
            ))
        })
    }
}

/// Computed attributes the configuration leaves null become unknown; everything else keeps its
/// configured value.
fn unknown_computed(schema: &Schema, config: &Value) -> Value {
    let mut out = config.clone();
    for a in &schema.block.attributes {
        if a.computed && config.get(&a.name).is_null() {
            out.set(a.name.clone(), Value::Unknown);
        }
    }
    out
}

impl Server {
    pub(crate) fn data_source_names(&self) -> Vec<String> {
        self.data_sources.names()
    }

    pub(crate) async fn validate_data_source_config(
        &self,
        type_name: &str,
        config: Raw,
    ) -> Diagnostics {
        let reg = match self.data_sources.get(type_name) {
            Ok(r) => r,
            Err(d) => return d,
        };
        let config = match decode(&config, &reg.ty, "configuration") {
            Ok(v) => v,
            Err(d) => return d,
        };
        let source = reg.source.clone();
        guard("ValidateDataResourceConfig", async move {
            source.validate(&config).await
        })
        .await
        .unwrap_or_else(|d| d)
    }

    pub(crate) async fn read_data_source(&self, type_name: &str, config: Raw) -> StateOut {
        let reg = match self.data_sources.get(type_name) {
            Ok(r) => r,
            Err(d) => return StateOut::failed(d),
        };
        let config = match decode(&config, &reg.ty, "configuration") {
            Ok(v) => v,
            Err(d) => return StateOut::failed(d),
        };
        if !config.is_wholly_known() {
            let state = unknown_computed(&reg.schema, &config);
            return StateOut::from_parts(&reg.ty, state, Vec::new(), Diagnostics::new(), "state");
        }
        let ctx = self.context();
        let source = reg.source.clone();
        let resp = guard(
            "ReadDataSource",
            async move { source.read(&config, &ctx).await },
        )
        .await;
        let resp: DataReadResponse = match resp {
            Ok(r) => r,
            Err(d) => return StateOut::failed(d),
        };
        if resp.diagnostics.has_errors() {
            return StateOut::failed(resp.diagnostics);
        }
        StateOut::from_parts(&reg.ty, resp.state, Vec::new(), resp.diagnostics, "state")
    }
}
