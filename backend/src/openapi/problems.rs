//! The error rows of the document. A handler's `#[utoipa::path]` lists only the answers
//! particular to it; [`imply`] adds the rows its declaration implies, and [`ProblemCodes`]
//! makes every error row exact (problem+json, the codes it may carry, an example of each).

use serde_json::Value;
use shared::ErrorCode;
use utoipa::openapi::{
    content::ContentBuilder,
    example::ExampleBuilder,
    header::HeaderBuilder,
    path::Operation,
    request_body::RequestBody,
    response::ResponseBuilder,
    schema::{AllOfBuilder, ObjectBuilder, Type},
    Ref, RefOr,
};
use utoipa::Modify;

use crate::{error::ApiError, routes::Endpoint};

/// A row implied by how an endpoint is declared: its status, the code and what it means.
struct Implied {
    status: u16,
    code: &'static str,
    meaning: &'static str,
    /// `WWW-Authenticate` with `invalid_token`.
    authenticate: bool,
}

const fn row(status: u16, code: &'static str, meaning: &'static str) -> Implied {
    Implied {
        status,
        code,
        meaning,
        authenticate: false,
    }
}

/// What a JSON request body implies.
const JSON_BODY: [Implied; 3] = [
    row(
        400,
        "malformed_body",
        "the body is not valid JSON for this endpoint",
    ),
    row(
        413,
        "payload_too_large",
        "over 16 KiB, like every request body",
    ),
    row(415, "unsupported_media_type", "not `application/json`"),
];

/// What bearer security implies: the token is checked, then its session.
const BEARER: [Implied; 2] = [
    Implied {
        status: 401,
        code: "invalid_token",
        meaning: "the access token is missing, invalid or expired, or its session ended (with \
                  `WWW-Authenticate`)",
        authenticate: true,
    },
    row(403, "account_disabled", "an operator disabled the account"),
];

/// What the per-IP scope implies.
const LIMITED: Implied = row(
    429,
    "rate_limited",
    "too many requests from this client address",
);

/// What every operation may answer.
const DATABASE: Implied = row(503, "service_unavailable", "the database does not answer");

/// Adds to `operation` the rows its declaration in the table (`endpoint`) implies: a required
/// JSON body (an optional one is read as absent when it does not parse), bearer security, the
/// per-IP limit and the database. A row the handler wrote for the same status keeps its words;
/// an implied code it does not name is added to it.
pub fn imply(operation: &mut Operation, endpoint: &Endpoint) {
    let json_body = operation
        .request_body
        .as_ref()
        .is_some_and(|body: &RequestBody| {
            body.content.contains_key("application/json")
                && matches!(body.required, Some(utoipa::openapi::Required::True))
        });
    let bearer = operation.security.as_ref().is_some_and(|requirements| {
        serde_json::to_value(requirements)
            .ok()
            .is_some_and(|v| v.to_string().contains("\"bearer\""))
    });
    let mut implied: Vec<&Implied> = vec![];
    if json_body {
        implied.extend(JSON_BODY.iter());
    }
    if bearer {
        implied.extend(BEARER.iter());
    }
    if endpoint.limited {
        implied.push(&LIMITED);
    }
    if endpoint.database {
        implied.push(&DATABASE);
    }
    for row in implied {
        add(operation, row);
    }
}

/// Adds the row `status` `code` (`meaning`) to `operation`, as [`imply`] does: for documents
/// whose security is not the public API's bearer token (the admin API's keys).
pub fn add_row(
    operation: &mut Operation,
    status: u16,
    code: &'static str,
    meaning: &'static str,
    authenticate: bool,
) {
    add(
        operation,
        &Implied {
            status,
            code,
            meaning,
            authenticate,
        },
    );
}

fn add(operation: &mut Operation, row: &Implied) {
    let status = row.status.to_string();
    let sentence = format!("`{}`: {}", row.code, row.meaning);
    let responses = &mut operation.responses.responses;
    match responses.get_mut(&status) {
        Some(RefOr::T(response)) => {
            if !response.description.contains(&format!("`{}`", row.code)) {
                response.description = format!("{}; or {sentence}", response.description);
            }
            if row.authenticate && !response.headers.contains_key("WWW-Authenticate") {
                response.headers.insert(
                    "WWW-Authenticate".to_owned(),
                    HeaderBuilder::new()
                        .schema(<String as utoipa::PartialSchema>::schema())
                        .description(Some(
                            "`Bearer error=\"invalid_token\"` (with `invalid_token`)",
                        ))
                        .build(),
                );
            }
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            // The body is every error row's (`ProblemCodes`).
            let mut response = ResponseBuilder::new().description(sentence);
            if row.authenticate {
                response = response.header(
                    "WWW-Authenticate",
                    HeaderBuilder::new()
                        .schema(<String as utoipa::PartialSchema>::schema())
                        .description(Some("`Bearer error=\"invalid_token\"`"))
                        .build(),
                );
            }
            // Responses are kept in status order (a `BTreeMap`).
            responses.insert(status, RefOr::T(response.build()));
        }
    }
}

/// Media type of every error answer.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Makes each error response exact, so that handlers' `#[utoipa::path]` only say what is
/// particular to them (the codes, in the description): every 4xx/5xx is served as
/// `application/problem+json` with the `Problem` body, every 429 and 503 documents
/// `Retry-After`, the `code`s it may carry are the ones its description names in backticks, so
/// its schema becomes `Problem` with `code` limited to those and `status` to the response's
/// own, and it gets one example per code, rendered by the same code that renders real answers.
pub struct ProblemCodes;

/// Every error answer is problem+json (a row need not say `body = Problem`), and a 429 or 503
/// says when to come back.
fn problem_response(status: u16, response: &mut utoipa::openapi::Response) {
    if status < 400 {
        return;
    }
    let content = response
        .content
        .shift_remove("application/json")
        .unwrap_or_else(|| {
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build()
        });
    response.content.insert(PROBLEM_JSON.to_owned(), content);
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
                        let problem = sample_at(code, status)
                            .expect("response-level code")
                            .problem();
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
/// An error of `code` answered with `status` (`invalid_token` is a 401 for a bearer token and
/// a 400 for a mailed link).
fn sample_at(code: ErrorCode, status: u16) -> Option<ApiError> {
    match (code, status) {
        (ErrorCode::InvalidToken, 400) => Some(ApiError::InvalidLink),
        _ => sample(code),
    }
}

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
        C::Forbidden => ApiError::Forbidden,
        C::PasskeyRejected => ApiError::PasskeyRejected,
        C::PasskeyTaken => ApiError::PasskeyTaken,
        C::TooManyPasskeys => ApiError::TooManyPasskeys,
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
