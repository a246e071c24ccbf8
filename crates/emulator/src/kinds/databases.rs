//! MySQL flexible servers and Cosmos DB accounts: no set, no parameters; Reader on the resource
//! group and one service role on the resource.

use super::params::none;
use super::types::*;
use super::{Check, Kind, Model, Need, check_set, need};
use crate::armpath::parent_of;
use crate::errors::ApiError;

pub struct MysqlFlex;

impl Model for MysqlFlex {
    fn datasource_type(&self) -> &'static str {
        MYSQL_FLEX_TYPE
    }
    fn resource(&self) -> Kind {
        Kind::MysqlFlex
    }
    fn check(&self, c: &Check) -> Result<(), ApiError> {
        check_set(c, c.ds_id(), false, "the server itself")?;
        none(c.inst)
    }
    fn needs(&self, c: &Check) -> Vec<Need> {
        vec![
            need(
                ROLE_READER,
                "Microsoft.Resources/subscriptions/resourceGroups/read",
                parent_of(c.ds_id(), 4),
            ),
            need(
                ROLE_MYSQL_BACKUP_EXPORT,
                "Microsoft.DBforMySQL/flexibleServers/backupAndExport/action",
                c.ds_id().to_string(),
            ),
        ]
    }
}

pub struct CosmosDb;

impl Model for CosmosDb {
    fn datasource_type(&self) -> &'static str {
        COSMOS_TYPE
    }
    fn resource(&self) -> Kind {
        Kind::CosmosDb
    }
    fn check(&self, c: &Check) -> Result<(), ApiError> {
        check_set(c, c.ds_id(), false, "the account itself")?;
        none(c.inst)
    }
    fn needs(&self, c: &Check) -> Vec<Need> {
        vec![
            need(
                ROLE_READER,
                "Microsoft.Resources/subscriptions/resourceGroups/read",
                parent_of(c.ds_id(), 4),
            ),
            need(
                ROLE_COSMOS_OPERATOR,
                "Microsoft.DocumentDB/databaseAccounts/backup/action",
                c.ds_id().to_string(),
            ),
        ]
    }
}
