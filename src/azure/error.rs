//! [`AzureError`]: every failure of the Azure side, with accessors so callers branch on meaning
//! (`is_not_found`, `is_permission`, ...) and never on message text. Carries the service's own
//! texts (CloudError, UserFacingError) for display; never carries secrets or signed URLs.

use std::fmt;

use crate::azure::models::{CloudError, ErrorDetail, UserFacingError};

/// What kind of failure this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad configuration or credential setup, found before any call.
    Config,
    /// Getting a token failed.
    Auth,
    /// The service answered with an error status.
    Service,
    /// A long-running operation ended as Failed or Canceled.
    OperationFailed,
    /// The request could not be sent or its answer not read (connection, TLS, timeout).
    Transport,
    /// A server's TLS certificate is not trusted (never retried: it will not change).
    UntrustedCertificate,
    /// The caller's deadline passed.
    Timeout,
    /// The caller cancelled.
    Cancelled,
    /// The answer was not what the API promises.
    Decode,
}

/// Codes of a failed operation that say the service, not the request, failed.
const TRANSIENT: &[&str] = &[
    "InternalError",
    "InternalServerError",
    "ServiceUnavailable",
    "GatewayTimeout",
    "OperationTimedOut",
    "UserErrorServiceUnavailable",
];

const ALREADY_PROTECTED: &[&str] = &[
    "UserErrorDppDatasourceAlreadyProtected",
    "UserErrorDppDatasourceAlreadyHasBackupInstance",
];
const PERMISSION: &[&str] = &[
    "UserErrorMissingRequiredPermissions",
    "UserErrorDiskAndSnapshotRGOrMSIPermissionsNotPresent",
    "UserErrorMissingPermissionsOnSecretStore",
    "AuthorizationFailed",
];
const NOT_FOUND: &[&str] = &[
    "UserErrorGenericResourceNotFound",
    "ResourceNotFound",
    "ResourceGroupNotFound",
];

/// The codes of a 404 that prove the resource asked for does not exist: the Data Protection
/// service's own "no such instance" (`UserErrorGenericResourceNotFound`, and
/// `UserErrorBackupInstanceNotFound` that its operations use), and ARM's answers for a missing
/// resource, parent (the vault) or resource group. Not `NotFound` (what ARM, a gateway or the
/// emulator answer for a path nobody serves: an endpoint with an extra path prefix),
/// `SubscriptionNotFound` (a wrong subscription or tenant says nothing about the instance), nor
/// any other code.
const ABSENT: &[&str] = &[
    "UserErrorGenericResourceNotFound",
    "UserErrorBackupInstanceNotFound",
    "ResourceNotFound",
    "ParentResourceNotFound",
    "ResourceGroupNotFound",
];

/// Whether an answer proves that the resource it was asked about does not exist: a 404 whose
/// body is an error of the service (ARM's `{"error":{"code"}}`, or the Data Protection
/// service's `{"ErrorCode"}`) with a code of [`ABSENT`], and whose `x-ms-error-code` header, when
/// present, agrees. An HTML page from a proxy, an empty 404, or a 404 of any other code is no
/// proof: the read fails and the instance stays in state.
pub fn proves_absent(status: u16, error_code_header: Option<&str>, body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Shape {
        error: Option<Code>,
        #[serde(rename = "ErrorCode")]
        error_code: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Code {
        code: Option<String>,
    }
    let absent = |c: &str| ABSENT.iter().any(|a| a.eq_ignore_ascii_case(c.trim()));
    if status != 404 {
        return false;
    }
    let Ok(shape) = serde_json::from_slice::<Shape>(body) else {
        return false;
    };
    let code = shape.error.and_then(|e| e.code).or(shape.error_code);
    code.is_some_and(|c| absent(&c))
        && error_code_header
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .is_none_or(absent)
}

/// An error from the Azure side. `Display` is one line; [`AzureError::details`] gives the
/// service's full explanation.
#[derive(Debug)]
pub struct AzureError {
    // Boxed: errors travel in every `Result` of the Azure side; keep those small.
    inner: Box<Inner>,
}

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    operation: String,
    status: Option<u16>,
    /// Every code seen: `x-ms-error-code`, `error.code`, the UserFacingError's code.
    codes: Vec<String>,
    message: String,
    error: Option<ErrorDetail>,
    user_facing: Option<UserFacingError>,
    correlation_id: Option<String>,
    request_id: Option<String>,
    attempts: u32,
    /// The answer proved the resource absent ([`proves_absent`]).
    absent: bool,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl AzureError {
    pub fn new(kind: ErrorKind, operation: impl Into<String>, message: impl Into<String>) -> Self {
        AzureError {
            inner: Box::new(Inner {
                kind,
                operation: operation.into(),
                status: None,
                codes: Vec::new(),
                message: message.into(),
                error: None,
                user_facing: None,
                correlation_id: None,
                request_id: None,
                attempts: 0,
                absent: false,
                source: None,
            }),
        }
    }

    pub fn config(operation: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, operation, message)
    }

    pub fn auth(operation: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Auth, operation, message)
    }

    pub fn timeout(operation: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Timeout, operation, message)
    }

    pub fn cancelled(operation: impl Into<String>) -> Self {
        Self::new(
            ErrorKind::Cancelled,
            operation,
            "the operation was cancelled",
        )
    }

    pub fn decode(operation: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Decode, operation, message)
    }

    /// A server presented a certificate this client does not trust; `message` names the host.
    pub fn untrusted_certificate(operation: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::UntrustedCertificate, operation, message)
    }

    /// See [`ErrorKind::UntrustedCertificate`].
    pub fn is_untrusted_certificate(&self) -> bool {
        self.inner.kind == ErrorKind::UntrustedCertificate
    }

    /// A transport failure. The reqwest error is stored without its URL: status URLs carry
    /// signed query strings.
    pub fn transport(operation: impl Into<String>, err: reqwest::Error) -> Self {
        // The host (never the path or query: signed URLs) and the cause in words, first.
        let host = err
            .url()
            .map(|u| crate::azure::http::tls::host_of(u.as_str()))
            .unwrap_or_else(|| "the server".into());
        let what = if err.is_timeout() {
            format!("the request to {host} timed out")
        } else if err.is_connect() {
            format!(
                "could not connect to {host} ({})",
                crate::azure::http::tls::transport_cause(&err)
            )
        } else {
            format!("the request to {host} failed")
        };
        let err = err.without_url();
        let mut chain = String::new();
        let mut cur: Option<&dyn std::error::Error> = Some(&err);
        // Error chains are short; bound the walk anyway.
        for _ in 0..8 {
            let Some(e) = cur else { break };
            if !chain.is_empty() {
                chain.push_str(": ");
            }
            chain.push_str(&e.to_string());
            cur = e.source();
        }
        let mut e = Self::new(ErrorKind::Transport, operation, format!("{what}: {chain}"));
        e.inner.source = Some(Box::new(err));
        e
    }

    /// An error status from the service, with the body parsed as a CloudError when it is one.
    pub fn from_response(
        operation: impl Into<String>,
        status: u16,
        error_code_header: Option<&str>,
        body: &[u8],
    ) -> Self {
        let cloud: Option<CloudError> = serde_json::from_slice(body).ok();
        let detail = cloud.and_then(|c| c.error);
        let message = match &detail {
            Some(d) => d
                .message
                .clone()
                .unwrap_or_else(|| format!("HTTP {status}")),
            None if body.is_empty() => format!("HTTP {status} with no body"),
            None => {
                let text = String::from_utf8_lossy(body);
                let short: String = text.chars().take(500).collect();
                format!("HTTP {status}: {}", short.trim())
            }
        };
        let mut e = Self::new(ErrorKind::Service, operation, message);
        e.inner.status = Some(status);
        e.inner.absent = proves_absent(status, error_code_header, body);
        if let Some(c) = error_code_header.filter(|c| !c.is_empty()) {
            e.inner.codes.push(c.to_string());
        }
        if let Some(d) = detail {
            e.attach_detail(d);
        }
        e
    }

    /// A long-running operation that ended `Failed` or `Canceled`, with its error object.
    pub fn operation_failed(
        operation: impl Into<String>,
        status: &str,
        detail: Option<ErrorDetail>,
    ) -> Self {
        let message = detail
            .as_ref()
            .and_then(|d| d.message.clone())
            .unwrap_or_else(|| format!("the operation ended with status {status}"));
        let mut e = Self::new(ErrorKind::OperationFailed, operation, message);
        if let Some(d) = detail {
            e.attach_detail(d);
        }
        e
    }

    fn attach_detail(&mut self, d: ErrorDetail) {
        if let Some(c) = &d.code {
            self.inner.codes.push(c.clone());
        }
        for inner in &d.details {
            if let Some(c) = &inner.code {
                self.inner.codes.push(c.clone());
            }
        }
        if let Some(ufe) = d.user_facing() {
            if let Some(c) = &ufe.code {
                self.inner.codes.push(c.clone());
            }
            self.inner.user_facing = Some(ufe);
        }
        self.inner.error = Some(d);
    }

    pub fn with_correlation_id(mut self, id: impl Into<String>) -> Self {
        self.inner.correlation_id = Some(id.into());
        self
    }

    pub fn with_request_id(mut self, id: Option<String>) -> Self {
        if id.is_some() {
            self.inner.request_id = id;
        }
        self
    }

    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.inner.attempts = attempts;
        self
    }

    pub fn with_operation(mut self, operation: impl Into<String>) -> Self {
        self.inner.operation = operation.into();
        self
    }

    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.inner.source = Some(Box::new(source));
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The most specific code: the UserFacingError's, else `error.code`, else the header's.
    pub fn code(&self) -> Option<&str> {
        self.inner
            .user_facing
            .as_ref()
            .and_then(|u| u.code.as_deref())
            .or_else(|| self.inner.error.as_ref().and_then(|d| d.code.as_deref()))
            .or_else(|| self.inner.codes.first().map(String::as_str))
    }

    /// The service's message (the UserFacingError's when present), else ours.
    pub fn message(&self) -> String {
        self.inner
            .user_facing
            .as_ref()
            .and_then(|u| u.message.clone())
            .map(|m| m.trim().to_string())
            .unwrap_or_else(|| self.inner.message.clone())
    }

    pub fn recommended_actions(&self) -> Vec<String> {
        self.inner
            .user_facing
            .as_ref()
            .map(|u| {
                u.recommended_action
                    .iter()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn correlation_id(&self) -> Option<&str> {
        self.inner.correlation_id.as_deref()
    }

    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// E.g. `validateForBackup`.
    pub fn operation(&self) -> &str {
        &self.inner.operation
    }

    /// How many HTTP attempts were made for the failing request (0 when none).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// The CloudError's `error` object, when the service sent one.
    pub fn cloud_error(&self) -> Option<&ErrorDetail> {
        self.inner.error.as_ref()
    }

    pub fn user_facing_error(&self) -> Option<&UserFacingError> {
        self.inner.user_facing.as_ref()
    }

    fn has_code(&self, set: &[&str]) -> bool {
        self.inner
            .codes
            .iter()
            .any(|c| set.iter().any(|s| s.eq_ignore_ascii_case(c)))
    }

    pub fn is_not_found(&self) -> bool {
        self.inner.status == Some(404) || self.has_code(NOT_FOUND)
    }

    /// A 404 that does not prove the resource absent (see [`proves_absent`]): an HTML page, an
    /// empty body, `SubscriptionNotFound`, a path nobody serves. Nothing is known to be gone.
    pub fn is_unproven_not_found(&self) -> bool {
        self.inner.status == Some(404) && !self.inner.absent
    }

    /// The vault's soft delete is not `AlwaysOn` but the API version (2025-09-01 and later)
    /// requires it. The service's code was never captured, so its message decides.
    pub fn is_always_on_required(&self) -> bool {
        let m = self.message().to_ascii_lowercase();
        m.contains("requires backup vaults to have the soft delete setting")
            || m.contains("always-on soft delete")
            || self.has_code(&["UserErrorAlwaysOnSoftDeleteRequired"])
    }

    /// A soft-deleted instance in the vault blocks this one (same name or datasource). What
    /// the real service answers is undocumented; the emulator's code and the words are matched.
    pub fn is_soft_deleted_conflict(&self) -> bool {
        self.has_code(&["UserErrorSoftDeletedBackupInstanceExists"])
            || self.message().to_ascii_lowercase().contains("soft-deleted")
    }

    /// The user-assigned identity in `identityDetails` is not attached to the vault.
    pub fn is_identity_not_attached(&self) -> bool {
        self.message()
            .contains("The User Identity provided in input is not attached to the Backup Vault")
    }

    pub fn is_already_protected(&self) -> bool {
        self.has_code(ALREADY_PROTECTED)
    }

    /// Another long-running operation holds the resource (409): waiting and retrying helps,
    /// e.g. after a create whose client was killed left its operation running.
    pub fn is_operation_in_progress(&self) -> bool {
        self.has_code(&[
            "UserErrorAnotherOperationInProgress",
            "AnotherOperationInProgress",
            "OperationInProgress",
        ]) || (self.status() == Some(409) && self.code().is_some_and(|c| c.contains("InProgress")))
    }

    pub fn is_permission(&self) -> bool {
        self.inner.status == Some(403) || self.has_code(PERMISSION)
    }

    pub fn is_cancelled(&self) -> bool {
        self.inner.kind == ErrorKind::Cancelled
    }

    /// The caller's deadline passed.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// Trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        if let Some(r) = self.inner.user_facing.as_ref().and_then(|u| u.is_retryable) {
            return r;
        }
        match self.inner.kind {
            ErrorKind::Transport => true,
            ErrorKind::Service => matches!(self.inner.status, Some(408 | 429 | 500..=599)),
            _ => false,
        }
    }

    /// A failure of the service itself rather than an answer about the request: retryable by
    /// the service's own word, a 5xx/408/429, a dropped connection, or an operation that ended
    /// with an internal error code. Permission and validation answers are never transient.
    pub fn is_transient(&self) -> bool {
        if self.is_permission() || self.is_already_protected() || self.is_not_found() {
            return false;
        }
        self.is_retryable() || self.has_code(TRANSIENT)
    }

    pub fn is_config(&self) -> bool {
        self.inner.kind == ErrorKind::Config
    }

    pub fn is_auth(&self) -> bool {
        self.inner.kind == ErrorKind::Auth || self.inner.status == Some(401)
    }

    /// Multi-line: the service message, recommended actions, inner error details (including
    /// `DetailedNonLocalisedMessage`). Identifiers (code, status, request and correlation ids)
    /// are left to the caller, which has accessors for each.
    pub fn details(&self) -> String {
        let mut out = vec![self.message()];
        let top = self
            .inner
            .error
            .as_ref()
            .and_then(|d| d.message.as_deref())
            .map(str::trim);
        if let (Some(top), Some(_)) = (top, &self.inner.user_facing)
            && top != self.message()
        {
            out.push(top.to_string());
        }
        let actions = self.recommended_actions();
        if !actions.is_empty() {
            out.push("Recommended action:".to_string());
            out.extend(actions.iter().map(|a| format!("  - {a}")));
        }
        if let Some(inner) = self
            .inner
            .user_facing
            .as_ref()
            .and_then(|u| u.inner_error.as_ref())
        {
            for (k, v) in inner.additional_info_lines() {
                out.push(format!("{k}: {v}"));
            }
        }
        if let Some(d) = &self.inner.error {
            for sub in &d.details {
                out.push(format!(
                    "Detail: {}",
                    sub.message.as_deref().or(sub.code.as_deref()).unwrap_or("")
                ));
            }
        }
        out.join("\n")
    }
}

impl fmt::Display for AzureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.inner.operation)?;
        if let Some(s) = self.inner.status {
            write!(f, "HTTP {s}: ")?;
        }
        if let Some(c) = self.code() {
            write!(f, "{c}: ")?;
        }
        write!(f, "{}", self.message())?;
        if let Some(c) = &self.inner.correlation_id {
            write!(f, " (correlation id {c}")?;
            if let Some(r) = &self.inner.request_id {
                write!(f, ", request id {r}")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

impl std::error::Error for AzureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_code_and_status() {
        let body = br#"{"error":{"code":"UserErrorDppDatasourceAlreadyProtected","message":"Datasource is already protected"}}"#;
        let e = AzureError::from_response("validateForBackup", 400, None, body);
        assert!(e.is_already_protected());
        assert!(!e.is_not_found() && !e.is_permission() && !e.is_retryable());
        assert_eq!(e.code(), Some("UserErrorDppDatasourceAlreadyProtected"));

        let e =
            AzureError::from_response("get", 404, Some("UserErrorGenericResourceNotFound"), b"");
        assert!(e.is_not_found());
        assert_eq!(e.code(), Some("UserErrorGenericResourceNotFound"));

        let e = AzureError::from_response("get", 403, None, b"<html>no</html>");
        assert!(e.is_permission());
        assert!(e.message().contains("<html>"));

        let e = AzureError::from_response(
            "get",
            429,
            None,
            br#"{"error":{"code":"SubscriptionRequestsThrottled","message":"slow down"}}"#,
        );
        assert!(e.is_retryable());
        assert!(!AzureError::config("configure", "x").is_retryable());
        assert!(AzureError::config("configure", "x").is_config());
        assert!(AzureError::from_response("x", 401, None, b"").is_auth());
    }

    #[test]
    fn operation_failed_carries_user_facing_texts() {
        let body = r#"{"code":"UserErrorMissingRequiredPermissions","message":"Appropriate permissions to perform the operation is missing.",
          "additionalInfo":[{"type":"UserFacingError","info":{"message":"Backup vault identity lacks permissions.","recommendedAction":["Assign Disk Backup Reader."],
          "code":"UserErrorDiskAndSnapshotRGOrMSIPermissionsNotPresent","isRetryable":false,
          "innerError":{"additionalInfo":{"DetailedNonLocalisedMessage":"Missing Microsoft.Compute/disks/beginGetAccess/action on /subscriptions/11111111-1111-1111-1111-111111111111/disk"}}}}]}"#;
        let detail: ErrorDetail = serde_json::from_str(body).unwrap();
        let e = AzureError::operation_failed("validateForBackup", "Failed", Some(detail))
            .with_correlation_id("corr-1")
            .with_request_id(Some("req-1".into()));
        assert!(e.is_permission());
        assert!(!e.is_retryable());
        assert_eq!(
            e.code(),
            Some("UserErrorDiskAndSnapshotRGOrMSIPermissionsNotPresent")
        );
        assert_eq!(e.message(), "Backup vault identity lacks permissions.");
        assert_eq!(
            e.recommended_actions(),
            vec!["Assign Disk Backup Reader.".to_string()]
        );
        let d = e.details();
        assert!(
            d.contains(
                "DetailedNonLocalisedMessage: Missing Microsoft.Compute/disks/beginGetAccess/action"
            ),
            "{d}"
        );
        assert!(d.contains("Appropriate permissions"), "{d}");
        assert!(
            d.contains("Recommended action:\n  - Assign Disk Backup Reader."),
            "{d}"
        );
        assert!(
            !d.contains("req-1"),
            "identifiers are the caller's to show: {d}"
        );
        let line = e.to_string();
        assert!(
            line.starts_with("validateForBackup: UserErrorDisk"),
            "{line}"
        );
        assert!(line.contains("corr-1") && line.contains("req-1"), "{line}");
    }
}
