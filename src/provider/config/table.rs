//! The provider's settings table: one row per argument with its environment variables, default,
//! description, sensitivity and validator. The schema, the docs, the validation and the Azure
//! settings are all built from it, so an argument cannot be documented with one variable and
//! read from another.

use std::time::Duration;

use crate::azure::config::DEFAULT_API_VERSION;

/// How long apply keeps re-checking a permission failure: role assignments made in the same
/// apply take minutes to reach the Backup service. The table's default for
/// `role_propagation_timeout` spells the same duration.
pub const DEFAULT_ROLE_PROPAGATION_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// What a value must look like; each concept has exactly one validator (see `checks.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Check {
    /// Any text.
    Text,
    /// A GUID, or empty.
    Guid,
    /// A path to a file; must not be blank.
    FilePath,
    /// `true`/`false` and the usual spellings (see `checks::parse_bool`).
    Bool,
    /// `https`, or `http` to a loopback host.
    Endpoint,
    /// A built-in cloud name.
    Environment,
    /// A Data Protection API version.
    ApiVersion,
    /// A duration such as `5m` or `1h30m`.
    Duration,
}

/// One provider argument.
pub(super) struct Setting {
    pub name: &'static str,
    /// Read in order when the argument is not set; the first non-blank one wins.
    pub env: &'static [&'static str],
    pub check: Check,
    /// Applied when neither the argument nor a variable is set; shown in the docs.
    pub default: Option<&'static str>,
    pub sensitive: bool,
    pub description: &'static str,
}

pub(super) const SETTINGS: &[Setting] = &[
    Setting {
        name: "subscription_id",
        env: &["ARM_SUBSCRIPTION_ID"],
        check: Check::Guid,
        default: None,
        sensitive: false,
        description: "The Subscription ID used for provider-level calls. Resource IDs in this provider are full ARM IDs, so this is optional.",
    },
    Setting {
        name: "tenant_id",
        env: &["ARM_TENANT_ID"],
        check: Check::Guid,
        default: None,
        sensitive: false,
        description: "The Tenant ID (Entra ID directory) to authenticate against.",
    },
    Setting {
        name: "client_id",
        env: &["ARM_CLIENT_ID"],
        check: Check::Guid,
        default: None,
        sensitive: false,
        description: "The Client ID of the service principal or user-assigned managed identity.",
    },
    Setting {
        name: "client_id_file_path",
        env: &["ARM_CLIENT_ID_FILE_PATH"],
        check: Check::FilePath,
        default: None,
        sensitive: false,
        description: "Path to a file holding the Client ID.",
    },
    Setting {
        name: "client_secret",
        env: &["ARM_CLIENT_SECRET"],
        check: Check::Text,
        default: None,
        sensitive: true,
        description: "The client secret of the service principal. Prefer the `ARM_CLIENT_SECRET` environment variable or `client_secret_file_path`: a literal secret in the provider block is stored in the plan file and shown by `terraform show -json` (Terraform does that, not this provider), and it ends up in version control with the configuration.",
    },
    Setting {
        name: "client_secret_file_path",
        env: &["ARM_CLIENT_SECRET_FILE_PATH"],
        check: Check::FilePath,
        default: None,
        sensitive: false,
        description: "Path to a file holding the client secret.",
    },
    Setting {
        name: "client_certificate_path",
        env: &["ARM_CLIENT_CERTIFICATE_PATH"],
        check: Check::FilePath,
        default: None,
        sensitive: false,
        description: "Path to a PKCS#12 (`.pfx`) or PEM client certificate for service principal authentication.",
    },
    Setting {
        name: "client_certificate_password",
        env: &["ARM_CLIENT_CERTIFICATE_PASSWORD"],
        check: Check::Text,
        default: None,
        sensitive: true,
        description: "The password of the client certificate, if any.",
    },
    Setting {
        name: "use_oidc",
        env: &["ARM_USE_OIDC"],
        check: Check::Bool,
        default: Some("false"),
        sensitive: false,
        description: "Authenticate with an OpenID Connect token (workload identity federation), e.g. from GitHub Actions or a token file.",
    },
    Setting {
        name: "oidc_token",
        env: &["ARM_OIDC_TOKEN"],
        check: Check::Text,
        default: None,
        sensitive: true,
        description: "An OIDC ID token to exchange for an Azure token.",
    },
    Setting {
        name: "oidc_token_file_path",
        env: &["ARM_OIDC_TOKEN_FILE_PATH"],
        check: Check::FilePath,
        default: None,
        sensitive: false,
        description: "Path to a file holding an OIDC ID token.",
    },
    Setting {
        name: "oidc_request_url",
        env: &["ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL"],
        check: Check::Endpoint,
        default: None,
        sensitive: false,
        description: "The URL to request an OIDC token from (GitHub Actions sets it).",
    },
    Setting {
        name: "oidc_request_token",
        env: &["ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"],
        check: Check::Text,
        default: None,
        sensitive: true,
        description: "The bearer token for `oidc_request_url` (GitHub Actions sets it).",
    },
    Setting {
        name: "ado_pipeline_service_connection_id",
        env: &[
            "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID",
            "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID",
        ],
        check: Check::Text,
        default: None,
        sensitive: false,
        description: "The Azure DevOps service connection ID, for OIDC in Azure Pipelines (uses `SYSTEM_ACCESSTOKEN`).",
    },
    Setting {
        name: "use_aks_workload_identity",
        env: &["ARM_USE_AKS_WORKLOAD_IDENTITY"],
        check: Check::Bool,
        default: Some("false"),
        sensitive: false,
        description: "Authenticate with AKS workload identity (`AZURE_FEDERATED_TOKEN_FILE`, `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`).",
    },
    Setting {
        name: "use_msi",
        env: &["ARM_USE_MSI"],
        check: Check::Bool,
        default: Some("false"),
        sensitive: false,
        description: "Authenticate with a managed identity.",
    },
    Setting {
        name: "msi_endpoint",
        env: &["ARM_MSI_ENDPOINT"],
        check: Check::Endpoint,
        default: None,
        sensitive: false,
        description: "A custom managed identity endpoint; by default IMDS or `IDENTITY_ENDPOINT` is used.",
    },
    Setting {
        name: "use_cli",
        env: &["ARM_USE_CLI"],
        check: Check::Bool,
        default: Some("true"),
        sensitive: false,
        description: "Authenticate with the Azure CLI's signed-in account when no other method is configured.",
    },
    Setting {
        name: "environment",
        env: &["ARM_ENVIRONMENT"],
        check: Check::Environment,
        default: Some("public"),
        sensitive: false,
        description: "The Azure cloud: `public`, `usgovernment` or `china`.",
    },
    Setting {
        name: "metadata_host",
        env: &["ARM_METADATA_HOSTNAME"],
        check: Check::Text,
        default: None,
        sensitive: false,
        description: "A hostname serving `/metadata/endpoints` (Azure Stack, private clouds); endpoints are discovered from it.",
    },
    Setting {
        name: "resource_manager_endpoint",
        env: &["ARM_RESOURCE_MANAGER_ENDPOINT"],
        check: Check::Endpoint,
        default: None,
        sensitive: false,
        description: "An explicit Azure Resource Manager endpoint, e.g. the emulator's. Plain `http` is accepted for loopback hosts only.",
    },
    Setting {
        name: "active_directory_authority_host",
        env: &["ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST"],
        check: Check::Endpoint,
        default: None,
        sensitive: false,
        description: "An explicit Entra ID authority host.",
    },
    Setting {
        name: "resource_manager_audience",
        env: &["ARM_RESOURCE_MANAGER_AUDIENCE"],
        check: Check::Text,
        default: None,
        sensitive: false,
        description: "An explicit token audience for Resource Manager.",
    },
    Setting {
        name: "api_version",
        env: &["ARM_DATAPROTECTION_API_VERSION"],
        check: Check::ApiVersion,
        default: Some(DEFAULT_API_VERSION),
        sensitive: false,
        description: "The Data Protection API version. `2021-01-01` (the version of the product documentation) is fully supported but has no Key Vault credentials and no tags.",
    },
    Setting {
        name: "partner_id",
        env: &["ARM_PARTNER_ID"],
        check: Check::Guid,
        default: None,
        sensitive: false,
        description: "A GUID appended to the User-Agent for partner attribution.",
    },
    Setting {
        name: "validate_on_plan",
        env: &["ARM_DATAPROTECTION_VALIDATE_ON_PLAN"],
        check: Check::Bool,
        default: Some("true"),
        sensitive: false,
        description: "Run the service's `validateForBackup` check during `plan` for new instances, so that problems show before apply. It runs once per Terraform command: the plan that `apply` repeats just before creating takes the first plan's result (kept in a small marker file in the temporary directory), and the create itself re-checks only when Azure refuses it.",
    },
    Setting {
        name: "coalesce_reads",
        env: &["ARM_DATAPROTECTION_COALESCE_READS"],
        check: Check::Bool,
        default: Some("true"),
        sensitive: false,
        description: "Answer the refresh of many instances in one vault from the vault's instance list (a few list pages) instead of one request per instance. Reads of a vault use the list from its 5th read on, and only while each list page serves at least two reads, so a configuration that manages a few instances of a large vault never lists it; instances in a changing state are still read one by one. A list answers reads for as long as they keep coming: a pause of 20 seconds, 10 minutes in all, or a change the provider makes itself ends it. `false` reads every instance on its own.",
    },
    Setting {
        name: "role_propagation_timeout",
        env: &["ARM_DATAPROTECTION_ROLE_PROPAGATION_TIMEOUT"],
        check: Check::Duration,
        default: Some("5m"),
        sensitive: false,
        description: "How long `apply` keeps re-checking a missing-permission failure, to let role assignments made in the same apply propagate. A duration such as `5m` or `90s`; `0s` turns waiting off.",
    },
];
