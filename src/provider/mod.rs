//! The glue between the Terraform side and the Azure side: the provider configuration and the
//! `azurebackup_instance` resource.

pub mod docs;

use std::sync::Arc;

use crate::tfplugin::Provider;

pub fn new_provider() -> Arc<dyn Provider> {
    todo!("provider")
}
