//! The one error type of the HTTP layer, rendered as RFC 9457 `application/problem+json`.
//!
//! Unexpected failures are logged once here with their chain and answered with a generic
//! body: no internal detail, hash, code or token ever reaches a client.

use actix_web::{
    http::{header, StatusCode},
    HttpResponse, ResponseError,
};
use shared::{ErrorCode, FieldError, Problem};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("request body is not valid JSON for this endpoint: {0}")]
    MalformedBody(String),
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    #[error("request body exceeds {0} bytes")]
    PayloadTooLarge(usize),
    #[error("no such resource")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("one or more fields are invalid")]
    Validation(Vec<FieldError>),
    #[error("username is taken")]
    UsernameTaken,
    #[error("nickname is taken")]
    NicknameTaken,
    #[error("email is already registered")]
    EmailTaken,
    #[error("a code was sent recently")]
    ResendCooldown { retry_after: u64 },
    #[error("too many codes requested")]
    TooManyCodes { retry_after: u64 },
    #[error("wrong verification code")]
    InvalidCode { attempts_left: u32 },
    #[error("no valid verification code")]
    CodeExpired,
    #[error("too many wrong codes for this address today")]
    TooManyGuesses { retry_after: u64 },
    #[error("mail could not be sent")]
    MailUnavailable,
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("invalid token")]
    InvalidToken,
    /// A refresh token that is missing, not ours, expired, of an ended session, or reused.
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    #[error("too many failed logins for this account")]
    TooManyAttempts { retry_after: u64 },
    #[error("too many requests from this client")]
    RateLimited { retry_after: u64 },
    #[error("database unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// The password-hash queue is full: refused before any work, retry in a moment.
    #[error("password hashing is saturated")]
    Overloaded,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// Seconds a client should wait before retrying after a 503.
const UNAVAILABLE_RETRY_AFTER: u64 = 5;

/// Seconds to wait after a 503 for a full hash queue: it drains within about a second.
const OVERLOADED_RETRY_AFTER: u64 = 1;

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        use ApiError::*;
        match self {
            MalformedBody(_) => ErrorCode::MalformedBody,
            UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            NotFound => ErrorCode::NotFound,
            MethodNotAllowed => ErrorCode::MethodNotAllowed,
            Validation(_) => ErrorCode::ValidationFailed,
            UsernameTaken => ErrorCode::UsernameTaken,
            NicknameTaken => ErrorCode::NicknameTaken,
            EmailTaken => ErrorCode::EmailTaken,
            ResendCooldown { .. } => ErrorCode::ResendCooldown,
            TooManyCodes { .. } => ErrorCode::TooManyCodes,
            InvalidCode { .. } => ErrorCode::InvalidCode,
            CodeExpired => ErrorCode::CodeExpired,
            TooManyGuesses { .. } => ErrorCode::TooManyGuesses,
            MailUnavailable => ErrorCode::MailUnavailable,
            InvalidCredentials => ErrorCode::InvalidCredentials,
            InvalidToken | InvalidRefreshToken => ErrorCode::InvalidToken,
            TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            RateLimited { .. } => ErrorCode::RateLimited,
            Unavailable(_) | Overloaded => ErrorCode::ServiceUnavailable,
            Internal(_) => ErrorCode::Internal,
        }
    }

    fn title(&self) -> &'static str {
        use ApiError::*;
        match self {
            MalformedBody(_) => "Malformed request body",
            UnsupportedMediaType => "Unsupported media type",
            PayloadTooLarge(_) => "Request body too large",
            NotFound => "Not found",
            MethodNotAllowed => "Method not allowed",
            Validation(_) => "Validation failed",
            UsernameTaken => "Username taken",
            NicknameTaken => "Nickname taken",
            EmailTaken => "Email taken",
            ResendCooldown { .. } => "Code sent recently",
            TooManyCodes { .. } => "Too many codes",
            InvalidCode { .. } => "Invalid verification code",
            CodeExpired => "Verification code expired",
            TooManyGuesses { .. } => "Too many wrong codes",
            MailUnavailable => "Mail unavailable",
            InvalidCredentials => "Invalid credentials",
            InvalidToken | InvalidRefreshToken => "Invalid token",
            TooManyAttempts { .. } => "Too many failed logins",
            RateLimited { .. } => "Too many requests",
            Unavailable(_) | Overloaded => "Service unavailable",
            Internal(_) => "Internal server error",
        }
    }

    fn detail(&self) -> String {
        use ApiError::*;
        match self {
            MalformedBody(why) => {
                format!("The request body is not valid JSON for this endpoint: {why}.")
            }
            UnsupportedMediaType => "Send the request body as application/json.".into(),
            PayloadTooLarge(limit) => format!("The request body exceeds {limit} bytes."),
            NotFound => "No resource at this address.".into(),
            MethodNotAllowed => "This method is not allowed on this resource.".into(),
            Validation(errors) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                format!("Invalid fields: {}.", fields.join(", "))
            }
            UsernameTaken => "This username is already in use.".into(),
            NicknameTaken => "This nickname is already in use.".into(),
            EmailTaken => "An account with this email address already exists.".into(),
            ResendCooldown { retry_after } => {
                format!(
                    "A code was sent to this address moments ago. Try again in {retry_after} s."
                )
            }
            TooManyCodes { retry_after } => {
                format!("Too many codes were requested. Try again in {retry_after} s.")
            }
            InvalidCode { attempts_left } => {
                format!("The code does not match. {attempts_left} attempts left.")
            }
            CodeExpired => "There is no valid code for this address: it expired, was used, \
                            was guessed wrong too often, or was never sent. Request a new one."
                .into(),
            TooManyGuesses { retry_after } => format!(
                "Too many wrong codes were entered for this address. Try again in {retry_after} s."
            ),
            MailUnavailable => "The verification mail could not be sent. Nothing was used up; \
                                try again shortly."
                .into(),
            InvalidCredentials => "The username or password is incorrect.".into(),
            InvalidToken => "The access token is missing, invalid or expired.".into(),
            InvalidRefreshToken => {
                "The refresh token is missing, invalid or expired, or its session has ended: \
                 log in again."
                    .into()
            }
            TooManyAttempts { retry_after } => {
                format!("Too many failed logins for this account. Try again in {retry_after} s.")
            }
            RateLimited { retry_after } => {
                format!("Too many requests from this address. Try again in {retry_after} s.")
            }
            Unavailable(_) => "A dependency is temporarily unavailable. Try again shortly.".into(),
            Overloaded => format!(
                "The server is busy checking passwords. Try again in {OVERLOADED_RETRY_AFTER} s."
            ),
            Internal(_) => "An unexpected error occurred.".into(),
        }
    }

    fn field_errors(&self) -> Option<Vec<FieldError>> {
        let single = |field: &str, message: &str| {
            Some(vec![FieldError {
                field: field.into(),
                code: self.code(),
                message: message.into(),
            }])
        };
        match self {
            ApiError::Validation(errors) => Some(errors.clone()),
            ApiError::UsernameTaken => single("username", "This username is already in use."),
            ApiError::NicknameTaken => single("nickname", "This nickname is already in use."),
            ApiError::EmailTaken => single("email", "An account with this email already exists."),
            ApiError::InvalidCode { .. } => single("code", "The code does not match."),
            ApiError::CodeExpired => single("code", "The code is no longer valid."),
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::ResendCooldown { retry_after }
            | ApiError::TooManyCodes { retry_after }
            | ApiError::TooManyGuesses { retry_after }
            | ApiError::TooManyAttempts { retry_after }
            | ApiError::RateLimited { retry_after } => Some(*retry_after),
            ApiError::Unavailable(_) | ApiError::MailUnavailable => Some(UNAVAILABLE_RETRY_AFTER),
            ApiError::Overloaded => Some(OVERLOADED_RETRY_AFTER),
            _ => None,
        }
    }

    pub fn problem(&self) -> Problem {
        Problem {
            type_: "about:blank".into(),
            title: self.title().into(),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            code: self.code(),
            errors: self.field_errors(),
            attempts_left: match self {
                ApiError::InvalidCode { attempts_left } => Some(*attempts_left),
                _ => None,
            },
            retry_after: match self {
                ApiError::ResendCooldown { .. }
                | ApiError::TooManyCodes { .. }
                | ApiError::TooManyGuesses { .. } => self.retry_after(),
                _ => None,
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        use ApiError::*;
        match self {
            MalformedBody(_) | InvalidCode { .. } | CodeExpired => StatusCode::BAD_REQUEST,
            UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            NotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            UsernameTaken | NicknameTaken | EmailTaken => StatusCode::CONFLICT,
            ResendCooldown { .. }
            | TooManyCodes { .. }
            | TooManyGuesses { .. }
            | TooManyAttempts { .. }
            | RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            InvalidCredentials | InvalidToken | InvalidRefreshToken => StatusCode::UNAUTHORIZED,
            MailUnavailable | Unavailable(_) | Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(e) => tracing::error!(error = format!("{e:#}"), "internal error"),
            ApiError::Unavailable(e) => {
                tracing::warn!(error = format!("{e:#}"), "dependency unavailable")
            }
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        if let Some(seconds) = self.retry_after() {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if matches!(self, ApiError::InvalidToken) {
            response.insert_header((header::WWW_AUTHENTICATE, r#"Bearer error="invalid_token""#));
        }
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        response.json(self.problem())
    }
}

impl From<crate::auth::HashError> for ApiError {
    fn from(e: crate::auth::HashError) -> Self {
        match e {
            crate::auth::HashError::Busy => ApiError::Overloaded,
            crate::auth::HashError::Failed(e) => ApiError::Internal(e),
        }
    }
}

impl From<mongodb::error::Error> for ApiError {
    fn from(e: mongodb::error::Error) -> Self {
        if crate::store::is_unavailable(&e) {
            ApiError::Unavailable(e.into())
        } else {
            ApiError::Internal(e.into())
        }
    }
}

/// Maps actix's JSON extractor failures onto the problem vocabulary. Serde's messages are only
/// passed on when they name a field, never when they would echo a submitted value back.
pub fn json_error(err: actix_web::error::JsonPayloadError, limit: usize) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::ContentType => ApiError::UnsupportedMediaType,
        E::Overflow { .. } | E::OverflowKnownLength { .. } => ApiError::PayloadTooLarge(limit),
        E::Deserialize(e) => {
            let message = e.to_string();
            let why = if e.is_data()
                && (message.starts_with("missing field") || message.starts_with("unknown field"))
            {
                message
                    .split(" at line")
                    .next()
                    .unwrap_or("invalid field")
                    .to_owned()
            } else if e.is_data() {
                format!(
                    "a field has the wrong type (line {}, column {})",
                    e.line(),
                    e.column()
                )
            } else {
                format!("syntax error (line {}, column {})", e.line(), e.column())
            };
            ApiError::MalformedBody(why)
        }
        _ => ApiError::MalformedBody("the body could not be read".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_codes() {
        let cases = [
            (ApiError::Validation(vec![]), 422, "validation_failed"),
            (ApiError::UsernameTaken, 409, "username_taken"),
            (
                ApiError::ResendCooldown { retry_after: 3 },
                429,
                "resend_cooldown",
            ),
            (
                ApiError::InvalidCode { attempts_left: 2 },
                400,
                "invalid_code",
            ),
            (ApiError::CodeExpired, 400, "code_expired"),
            (
                ApiError::TooManyGuesses { retry_after: 7 },
                429,
                "too_many_guesses",
            ),
            (ApiError::MailUnavailable, 503, "mail_unavailable"),
            (ApiError::Overloaded, 503, "service_unavailable"),
            (ApiError::InvalidToken, 401, "invalid_token"),
            (ApiError::InvalidRefreshToken, 401, "invalid_token"),
            (ApiError::PayloadTooLarge(16), 413, "payload_too_large"),
            (
                ApiError::UnsupportedMediaType,
                415,
                "unsupported_media_type",
            ),
        ];
        for (err, status, code) in cases {
            let p = err.problem();
            assert_eq!(p.status, status);
            assert_eq!(p.code.as_str(), code);
            assert_eq!(err.status_code().as_u16(), status);
        }
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let err = ApiError::Internal(anyhow::anyhow!("secret connection string mongodb://u:p@h"));
        let body = serde_json::to_string(&err.problem()).unwrap();
        assert!(!body.contains("mongodb://"), "{body}");
    }

    #[test]
    fn wrong_type_messages_do_not_echo_values() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Body {
            password: String,
        }
        let e = serde_json::from_str::<Body>(r#"{"password": 12345678987654321}"#).unwrap_err();
        let err = json_error(actix_web::error::JsonPayloadError::Deserialize(e), 16);
        assert!(
            !err.problem().detail.contains("12345678987654321"),
            "{:?}",
            err.problem()
        );
    }
}
