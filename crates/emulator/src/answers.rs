//! Scripted answers (knob `answer_rules`): an ARM request matching a rule gets the shape a proxy,
//! a wrong endpoint or a misbehaving service would give instead of the emulator's own answer:
//! a 404 of a chosen code, an HTML 404 page, an empty 404, or the real answer without its `id`.

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};

use super::armpath::glob_match;
use super::knobs::{Answer, Knobs};

/// The answer the first matching rule prescribes for `operation` on `path`, if any.
pub fn rule_for(knobs: &Knobs, operation: &str, path: &str) -> Option<Answer> {
    knobs
        .answer_rules
        .iter()
        .find(|r| {
            (r.operation == "any" || r.operation.eq_ignore_ascii_case(operation))
                && glob_match(&r.pattern, path)
        })
        .map(|r| r.answer.clone())
}

/// The response of a rule that replaces the service's answer; `None` for rules that change it
/// ([`Answer::WithoutId`], see [`without_id`]).
pub fn replacement(answer: &Answer) -> Option<Response<Body>> {
    let (content_type, body, code) = match answer {
        Answer::NotFoundCode(code) => (
            "application/json; charset=utf-8",
            serde_json::json!({"error": {"code": code, "message": format!("{code} (emulator answer rule)")}})
                .to_string(),
            Some(code.as_str()),
        ),
        Answer::NotFoundHtml => (
            "text/html",
            "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>".to_owned(),
            None,
        ),
        Answer::NotFoundEmpty => ("text/plain", String::new(), None),
        Answer::WithoutId => return None,
    };
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::NOT_FOUND;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(v) = code.and_then(|c| HeaderValue::from_str(c).ok()) {
        h.insert("x-ms-error-code", v);
    }
    Some(resp)
}

/// `resp` with the top-level `id` removed from its JSON body (other answers pass unchanged).
pub async fn without_id(resp: Response<Body>) -> Response<Body> {
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024 * 1024).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let out = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(mut v) if v.get("id").is_some() => {
            if let Some(o) = v.as_object_mut() {
                o.remove("id");
            }
            v.to_string().into_bytes()
        }
        _ => bytes.to_vec(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(out))
}
