//! ARM and Data Protection error bodies (CloudError with a UserFacingError in additionalInfo)
//! and their conversion to HTTP responses with `x-ms-error-code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::world::Requirement;
use serde_json::{Value, json};

/// A UserFacingError `info` object as the service writes it. `detailed` becomes
/// `innerError.additionalInfo.DetailedNonLocalisedMessage`.
pub fn user_facing(
    code: &str,
    message: &str,
    recommended: &[&str],
    detailed: Option<String>,
) -> Value {
    json!({
        "message": message,
        "recommendedAction": recommended,
        "details": null,
        "code": code,
        "target": "",
        "innerError": detailed.map(|d| json!({"code": code, "additionalInfo": {"DetailedNonLocalisedMessage": d}})),
        "isRetryable": false,
        "isUserError": true,
        "properties": {"ActivityId": uuid::Uuid::new_v4().to_string()},
    })
}

/// The `error` object of a CloudError (also the `error` of a failed operation status).
pub fn error_object(code: &str, message: &str, user_facing: Option<Value>) -> Value {
    let mut e = json!({"code": code, "message": message, "target": null, "details": null});
    if let Some(info) = user_facing {
        e["additionalInfo"] = json!([{"type": "UserFacingError", "info": info}]);
    }
    e
}

/// An error answered synchronously.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Value,
    pub code: String,
    pub www_authenticate: Option<String>,
}

impl ApiError {
    /// A gateway-style ARM error: `{"error":{"code","message"}}`.
    pub fn arm(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        ApiError {
            status,
            body: json!({"error": {"code": code, "message": message}}),
            code: code.into(),
            www_authenticate: None,
        }
    }

    /// A resource provider error with the UserFacingError the service attaches.
    pub fn service(
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
        recommended: &[&str],
        detailed: Option<String>,
    ) -> ApiError {
        let message = message.into();
        let info = user_facing(code, &message, recommended, detailed);
        ApiError {
            status,
            body: json!({"error": error_object(code, &message, Some(info))}),
            code: code.into(),
            www_authenticate: None,
        }
    }

    pub fn from_error_object(status: StatusCode, error: Value) -> ApiError {
        let code = error
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or("InternalError")
            .to_string();
        ApiError {
            status,
            body: json!({ "error": error }),
            code,
            www_authenticate: None,
        }
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::service(
            StatusCode::BAD_REQUEST,
            code,
            message,
            &["Correct the request and retry."],
            None,
        )
    }

    pub fn invalid_content(message: impl Into<String>) -> ApiError {
        ApiError::arm(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            format!(
                "The request content was invalid and could not be deserialized: '{}'.",
                message.into()
            ),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body)).into_response();
        if let Ok(v) = HeaderValue::from_str(&self.code) {
            resp.headers_mut().insert("x-ms-error-code", v);
        }
        if let Some(w) = self
            .www_authenticate
            .and_then(|w| HeaderValue::from_str(&w).ok())
        {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, w);
        }
        resp
    }
}

/// The service's message for roles `principal` lacks (the detail of a denied validation).
pub fn denied(principal: &str, missing: &[Requirement]) -> String {
    let parts: Vec<String> = missing
        .iter()
        .map(|r| {
            format!(
                "The client '{principal}' with object id '{principal}' does not have authorization to perform action '{}' over scope '{}' or the scope is invalid (role needed: '{}').",
                r.action, r.scope, r.role
            )
        })
        .collect();
    format!(
        "Validate for Protection failed. Exception Message: {} If access was recently granted, please refresh your credentials.",
        parts.join(" ")
    )
}

/// The `error` object of a Failed operation, with its user-facing inner error.
pub fn failed(code: &str, message: &str, recommended: &[&str], detailed: Option<String>) -> Value {
    error_object(
        code,
        message,
        Some(user_facing(code, message, recommended, detailed)),
    )
}
