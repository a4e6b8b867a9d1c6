//! The OpenAPI 3.1 document, generated from the handlers' annotations and the `shared` types.

use actix_web::{http::header, HttpResponse};
use serde_json::Value;
use shared::ErrorCode;
use utoipa::{
    openapi::{
        example::ExampleBuilder,
        schema::{AllOfBuilder, ObjectBuilder, Type},
        security::{Http, HttpAuthScheme, SecurityScheme},
        Ref, RefOr,
    },
    Modify, OpenApi,
};

use crate::{error::ApiError, routes};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Email-verified signup API",
        description = "Sign up with a six-digit code that only the server and the mailbox ever see; \
                       log in for a session: a 15-minute access token and a single-use, rotating refresh token. Errors are RFC 9457 problem+json with a stable `code`.",
        license(name = "MIT"),
    ),
    paths(
        routes::email_auth::email_auth,
        routes::register::register,
        routes::login::login,
        routes::login_mfa::login_mfa,
        routes::mfa::status,
        routes::mfa::setup,
        routes::mfa::enable,
        routes::mfa::disable,
        routes::mfa::regenerate_recovery_codes,
        routes::token_refresh::refresh,
        routes::nick::nick,
        routes::sessions::list,
        routes::sessions::end,
        routes::logout::logout,
        routes::logout_all::logout_all,
        routes::password_reset::request,
        routes::password_reset::confirm,
        routes::password_change::change,
        routes::email_change::request,
        routes::email_change::confirm,
        routes::account::delete,
        routes::passkeys::register_start,
        routes::passkeys::register_finish,
        routes::passkeys::list,
        routes::passkeys::delete,
        routes::passkeys::login_start,
        routes::passkeys::login_finish,
        routes::passkeys::mfa_start,
        routes::integration::jwks,
        routes::integration::introspect,
        routes::health::live,
        routes::health::ready,
    ),
    components(schemas(shared::ErrorCode, shared::FieldError, shared::Problem, shared::Locale)),
    modifiers(&BearerAuth, &ProblemCodes),
    tags(
        (name = "signup", description = "Email verification and account creation"),
        (name = "account", description = "Log in, sessions, the profile, and managing the account"),
        (name = "passkeys", description = "WebAuthn passkeys: register, list and delete them; sign in with one alone"),
        (name = "mfa", description = "The second factor: TOTP and recovery codes"),
        (name = "integration", description = "For other services: the public keys that verify our tokens, and token introspection"),
        (name = "health", description = "Liveness and readiness probes"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
        // Introspection: other services present the shared `APP_INTROSPECTION_SECRET`.
        components.add_security_scheme(
            "introspection",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Media type of every error answer.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Makes each error response exact, so that handlers' `#[utoipa::path]` only say what is
/// particular to them (`body = Problem` and the codes): every 4xx/5xx is served as
/// `application/problem+json`, every 429 and 503 documents `Retry-After`, the `code`s it may
/// carry are the ones its description names in backticks, so its schema becomes `Problem` with
/// `code` limited to those and `status` to the response's own, and it gets one example per
/// code, rendered by the same code that renders real answers.
struct ProblemCodes;

/// Every error answer is problem+json, and a 429 or 503 says when to come back.
fn problem_response(status: u16, response: &mut utoipa::openapi::Response) {
    if status < 400 {
        return;
    }
    if let Some(content) = response.content.shift_remove("application/json") {
        response.content.insert(PROBLEM_JSON.to_owned(), content);
    }
    if matches!(status, 429 | 503) && !response.headers.contains_key("Retry-After") {
        use utoipa::PartialSchema;
        let header = utoipa::openapi::HeaderBuilder::new()
            .schema(u64::schema())
            .description(Some("Seconds to wait"))
            .build();
        response.headers.insert("Retry-After".to_owned(), header);
    }
}

impl Modify for ProblemCodes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                for (status, response) in operation.responses.responses.iter_mut() {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    let status: u16 = status.parse().expect("numeric status");
                    problem_response(status, response);
                    let Some(content) = response.content.get_mut(PROBLEM_JSON) else {
                        continue;
                    };
                    let codes = codes_in(&response.description);
                    assert!(
                        !codes.is_empty(),
                        "{path} {status}: name its problem codes in backticks in the description"
                    );
                    content.schema = Some(problem_schema(status, &codes));
                    for code in codes {
                        let problem = sample(code).expect("response-level code").problem();
                        assert_eq!(problem.status, status, "{path}: `{code}` is not a {status}");
                        let value = serde_json::to_value(problem).expect("problem serialises");
                        let example = ExampleBuilder::new().value(Some(value)).build();
                        content
                            .examples
                            .insert(code.as_str().to_owned(), example.into());
                    }
                }
            }
        }
    }
}

/// Codes that only appear inside `errors[]`: descriptions may name them, they are skipped.
const FIELD_LEVEL: [ErrorCode; 7] = [
    ErrorCode::Required,
    ErrorCode::TooShort,
    ErrorCode::TooLong,
    ErrorCode::InvalidCharacters,
    ErrorCode::InvalidFormat,
    ErrorCode::WeakPassword,
    ErrorCode::CommonPassword,
];

/// Every response-level problem code written in backticks in `description`, in order.
fn codes_in(description: &str) -> Vec<ErrorCode> {
    description
        .split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|word| serde_json::from_value(Value::String(word.to_owned())).ok())
        .filter(|code| !FIELD_LEVEL.contains(code))
        .inspect(|code| {
            assert!(
                sample(*code).is_some(),
                "`{code}` is named in a response description: add a sample for it in \
                 openapi::sample (or to FIELD_LEVEL if it only appears in `errors[]`)"
            )
        })
        .collect()
}

fn problem_schema(status: u16, codes: &[ErrorCode]) -> RefOr<utoipa::openapi::Schema> {
    let narrowed = ObjectBuilder::new()
        .property(
            "status",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .enum_values(Some([status])),
        )
        .property(
            "code",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(codes.iter().map(|c| c.as_str()))),
        );
    let all_of = AllOfBuilder::new()
        .item(Ref::from_schema_name("Problem"))
        .item(narrowed)
        .build();
    RefOr::T(utoipa::openapi::Schema::AllOf(all_of))
}

/// An error of this code, as the server would answer it (for the examples); `None` for the
/// field-level codes, which only appear inside `errors[]`.
fn sample(code: ErrorCode) -> Option<ApiError> {
    use ErrorCode as C;
    Some(match code {
        C::MalformedBody => ApiError::MalformedBody("missing field `email`".into()),
        C::UnsupportedMediaType => ApiError::UnsupportedMediaType,
        C::PayloadTooLarge => ApiError::PayloadTooLarge(crate::state::MAX_BODY_BYTES),
        C::NotFound => ApiError::NotFound,
        C::MethodNotAllowed => ApiError::MethodNotAllowed,
        C::ValidationFailed => {
            ApiError::Validation(vec![crate::domain::field_error("username", C::TooShort)])
        }
        C::UsernameTaken => ApiError::UsernameTaken,
        C::NicknameTaken => ApiError::NicknameTaken,
        C::EmailTaken => ApiError::EmailTaken,
        C::ResendCooldown => ApiError::ResendCooldown { retry_after: 42 },
        C::TooManyCodes => ApiError::TooManyCodes { retry_after: 1800 },
        C::InvalidCode => ApiError::InvalidCode { attempts_left: 4 },
        C::CodeExpired => ApiError::CodeExpired,
        C::TooManyGuesses => ApiError::TooManyGuesses {
            retry_after: 30_000,
        },
        C::MailUnavailable => ApiError::MailUnavailable,
        C::InvalidCredentials => ApiError::InvalidCredentials,
        C::InvalidToken => ApiError::InvalidToken,
        C::TooManyAttempts => ApiError::TooManyAttempts { retry_after: 90 },
        C::RateLimited => ApiError::RateLimited { retry_after: 1 },
        C::AccountDisabled => ApiError::AccountDisabled,
        C::PasskeyRejected => ApiError::PasskeyRejected,
        C::PasskeyTaken => ApiError::PasskeyTaken,
        C::InvalidChallenge => ApiError::InvalidChallenge,
        C::TotpAlreadyEnabled => ApiError::TotpAlreadyEnabled,
        C::TotpNotSetUp => ApiError::TotpNotSetUp,
        C::TotpNotEnabled => ApiError::TotpNotEnabled,
        C::ServiceUnavailable => ApiError::Unavailable(anyhow::anyhow!("example")),
        C::Internal => ApiError::Internal(anyhow::anyhow!("example")),
        // Field-level codes, and codes no response description names yet.
        _ => return None,
    })
}

/// The document as served at `/api/openapi.json` and committed as `openapi/openapi.json`.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the document serialises");
    camel_case_links(&mut doc);
    doc
}

/// The committed form of [`document`]: pretty JSON with a trailing newline.
pub fn pretty() -> String {
    let mut text = serde_json::to_string_pretty(&document()).expect("the document serialises");
    text.push('\n');
    text
}

/// utoipa 5.5 serialises Link Objects with snake_case keys (`operation_id`, `request_body`);
/// OpenAPI spells them `operationId`, `operationRef` and `requestBody`.
fn camel_case_links(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let responses = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(|operation| operation.get_mut("responses"))
        .filter_map(Value::as_object_mut)
        .flat_map(|responses| responses.values_mut());
    for response in responses {
        let Some(links) = response.get_mut("links").and_then(Value::as_object_mut) else {
            continue;
        };
        for link in links.values_mut().filter_map(Value::as_object_mut) {
            *link = std::mem::take(link)
                .into_iter()
                .map(|(key, value)| {
                    let key = match key.as_str() {
                        "operation_id" => "operationId".to_owned(),
                        "operation_ref" => "operationRef".to_owned(),
                        "request_body" => "requestBody".to_owned(),
                        _ => key,
                    };
                    (key, value)
                })
                .collect();
        }
    }
}

/// The served document, built once: it only depends on the code.
static SERVED: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| document().to_string());

pub fn prebuild() {
    std::sync::LazyLock::force(&SERVED);
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .content_type("application/json")
        .body(SERVED.as_str())
}
