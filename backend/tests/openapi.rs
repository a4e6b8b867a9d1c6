//! The committed contract (`openapi/openapi.json`) is exactly what the code generates, and it
//! says what the issue promises. No database needed.

use serde_json::Value;
use shared::rules;

const COMMITTED: &str = include_str!("../../openapi/openapi.json");

fn doc() -> Value {
    backend::openapi::document()
}

#[test]
fn committed_spec_is_up_to_date() {
    let generated = backend::openapi::pretty();
    if generated != COMMITTED {
        let line = generated
            .lines()
            .zip(COMMITTED.lines())
            .position(|(a, b)| a != b)
            .map_or(
                generated.lines().count().min(COMMITTED.lines().count()),
                |i| i,
            )
            + 1;
        panic!(
            "openapi/openapi.json is stale (first difference at line {line}). \
             Regenerate it with `just openapi` \
             (cargo run -q -p backend --example openapi > openapi/openapi.json) and commit it."
        );
    }
}

/// Every operation behind the per-IP token bucket says so: its 429 names `rate_limited`, with
/// `Retry-After`. The limited operations are read from the one declaration of the endpoints.
#[test]
fn every_rate_limited_operation_documents_rate_limited() {
    let doc = doc();
    let limited: Vec<_> = backend::routes::table()
        .into_iter()
        .filter(|e| e.limited)
        .collect();
    assert!(
        limited.len() > 20,
        "the sign-in and account endpoints are limited"
    );
    for endpoint in limited {
        let path = &endpoint.path;
        let method = endpoint.http_method().as_str().to_lowercase();
        let op = &doc["paths"][path][&method];
        assert!(op.is_object(), "{method} {path}: missing");
        let codes = &op["responses"]["429"]["content"]["application/problem+json"]["schema"]
            ["allOf"][1]["properties"]["code"]["enum"];
        let codes: Vec<&str> = codes
            .as_array()
            .unwrap_or_else(|| panic!("{path}: no documented 429 problem codes"))
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            codes.contains(&"rate_limited"),
            "{path}: 429 codes {codes:?}"
        );
        assert!(
            op["responses"]["429"]["headers"]["Retry-After"].is_object(),
            "{path}: 429 without Retry-After"
        );
    }
}

/// The document has exactly the declared endpoints, each once, and names each bearer
/// operation's implied rows.
#[test]
fn is_openapi_3_1_with_every_endpoint() {
    let doc = doc();
    assert_eq!(doc["openapi"], "3.1.0");
    let table = backend::routes::table();
    let mut declared: Vec<(String, String)> = table
        .iter()
        .map(|e| (e.path.clone(), e.http_method().as_str().to_lowercase()))
        .collect();
    let count = declared.len();
    declared.sort();
    declared.dedup();
    assert_eq!(declared.len(), count, "an endpoint declared twice");
    let documented: Vec<(String, String)> = {
        let mut all: Vec<(String, String)> = operations(&doc)
            .map(|(name, _)| {
                let (method, path) = name.split_once(' ').unwrap();
                (path.to_owned(), method.to_owned())
            })
            .collect();
        all.sort();
        all
    };
    assert_eq!(documented, declared);
    for (name, op) in operations(&doc) {
        if op["security"].to_string().contains("\"bearer\"") {
            for (status, code) in [("401", "invalid_token"), ("403", "account_disabled")] {
                let codes = op["responses"][status]["content"]["application/problem+json"]
                    ["schema"]["allOf"][1]["properties"]["code"]["enum"]
                    .to_string();
                assert!(
                    codes.contains(code),
                    "{name}: {status} lacks {code}: {codes}"
                );
            }
            assert!(
                op["responses"]["401"]["headers"]["WWW-Authenticate"].is_object(),
                "{name}: 401 without WWW-Authenticate"
            );
        }
    }
}

fn operations(doc: &Value) -> impl Iterator<Item = (String, &Value)> {
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .iter()
                .map(move |(method, op)| (format!("{method} {path}"), op))
        })
}

#[test]
fn every_error_is_problem_json_with_its_codes() {
    let doc = doc();
    for (name, op) in operations(&doc) {
        for (status, response) in op["responses"].as_object().unwrap() {
            if status == "204" {
                assert!(
                    response.get("content").is_none(),
                    "{name} {status}: no body"
                );
                continue;
            }
            let content = response["content"].as_object().unwrap();
            if status.starts_with('2') {
                assert!(content.contains_key("application/json"), "{name} {status}");
                continue;
            }
            let problem = &content["application/problem+json"];
            assert_eq!(content.len(), 1, "{name} {status}: only problem+json");
            let all_of = &problem["schema"]["allOf"];
            assert_eq!(
                all_of[0]["$ref"], "#/components/schemas/Problem",
                "{name} {status}"
            );
            let codes = all_of[1]["properties"]["code"]["enum"].as_array().unwrap();
            assert!(!codes.is_empty(), "{name} {status}");
            let examples = problem["examples"].as_object().unwrap();
            for code in codes {
                let example = &examples[code.as_str().unwrap()]["value"];
                assert_eq!(&example["code"], code, "{name} {status}");
                assert_eq!(example["status"].to_string(), *status, "{name} {status}");
            }
            let has_retry_after = response["headers"]["Retry-After"].is_object();
            let needs_retry_after = status == "429" || status == "503";
            assert_eq!(
                has_retry_after, needs_retry_after,
                "{name} {status}: Retry-After"
            );
        }
    }
}

#[test]
fn only_the_signed_in_operations_need_the_bearer_scheme() {
    let doc = doc();
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    for (name, op) in operations(&doc) {
        let secured = op["security"] == serde_json::json!([{"bearer": []}]);
        let needs = [
            "get /api/nick",
            "get /api/sessions",
            "delete /api/sessions/{id}",
            "post /api/logout",
            "post /api/logout_all",
            "post /api/password/change",
            "post /api/email/change/request",
            "post /api/email/change/confirm",
            "delete /api/account",
            "post /api/passkeys/register/start",
            "post /api/passkeys/register/finish",
            "get /api/passkeys",
            "delete /api/passkeys/{id}",
            "get /api/mfa",
            "post /api/mfa/totp/setup",
            "post /api/mfa/totp/enable",
            "post /api/mfa/totp/disable",
            "post /api/mfa/recovery_codes",
            "get /api/account/activity",
        ]
        .contains(&name.as_str());
        assert_eq!(secured, needs, "{name}");
    }
}

/// A client can walk from a login to everything a session offers by the documented links.
#[test]
fn login_and_refresh_link_to_the_session_operations() {
    let doc = doc();
    let login = &doc["paths"]["/api/login"]["post"]["responses"]["200"]["links"];
    for (link, op) in [
        ("nick", "nick"),
        ("refresh", "refresh"),
        ("sessions", "list_sessions"),
    ] {
        assert_eq!(login[link]["operationId"], op, "login → {link}");
    }
    let refresh = &doc["paths"]["/api/token/refresh"]["post"];
    assert_eq!(refresh["operationId"], "refresh");
    assert_eq!(
        refresh["responses"]["200"]["links"]["refresh"]["operationId"],
        "refresh"
    );
    let list = &doc["paths"]["/api/sessions"]["get"]["responses"]["200"]["links"];
    assert_eq!(list["end"]["operationId"], "end_session");
    let schema = &doc["components"]["schemas"]["LoginResponse"];
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(required.contains(&"refresh_expires_in"));
    assert!(
        !required.contains(&"refresh_token"),
        "absent with the cookie transport"
    );
}

#[test]
fn request_bodies_have_examples_and_refuse_unknown_fields() {
    let doc = doc();
    for name in [
        "EmailAuthRequest",
        "RegisterRequest",
        "LoginRequest",
        "RefreshRequest",
        "PasswordResetRequest",
        "PasswordResetConfirm",
        "PasswordChangeRequest",
        "EmailChangeRequest",
        "EmailChangeConfirm",
        "AccountDeleteRequest",
    ] {
        let schema = &doc["components"]["schemas"][name];
        assert_eq!(schema["additionalProperties"], false, "{name}");
        assert!(schema["example"].is_object(), "{name}");
    }
}

#[test]
fn field_limits_match_the_shared_rules() {
    let doc = doc();
    let props = |schema: &str| doc["components"]["schemas"][schema]["properties"].clone();
    for schema in ["EmailAuthRequest", "RegisterRequest"] {
        let p = props(schema);
        assert_eq!(p["username"]["minLength"], rules::USERNAME_MIN_LEN);
        assert_eq!(p["username"]["maxLength"], rules::USERNAME_MAX_LEN);
        assert_eq!(p["nickname"]["minLength"], rules::NICKNAME_MIN_LEN);
        assert_eq!(p["email"]["maxLength"], rules::EMAIL_MAX_BYTES);
        let pattern = p["email"]["pattern"].as_str().unwrap();
        assert!(pattern.contains(&format!("{{1,{}}}", rules::EMAIL_LOCAL_MAX_BYTES)));
    }
    let p = props("RegisterRequest");
    assert_eq!(p["password"]["minLength"], rules::PASSWORD_MIN_LEN);
    assert_eq!(p["password"]["maxLength"], rules::PASSWORD_MAX_LEN);
    assert_eq!(
        p["code"]["pattern"],
        format!("^[0-9]{{{}}}$", rules::CODE_LEN)
    );
    assert_eq!(
        props("LoginRequest")["password"]["maxLength"],
        rules::PASSWORD_MAX_LEN
    );
}
