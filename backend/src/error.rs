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
    /// A link token from a mail (the "this wasn't me" link) that is used, expired, forged or
    /// someone else's: one answer for all.
    #[error("invalid link token")]
    InvalidLink,
    #[error("account disabled")]
    AccountDisabled,
    /// An admin API key that is missing, unknown or revoked.
    #[error("invalid admin API key")]
    InvalidApiKey,
    /// A valid credential that may not do this (a read-only admin key on a write).
    #[error("forbidden")]
    Forbidden,
    /// A passkey registration whose attestation did not verify.
    #[error("passkey rejected")]
    PasskeyRejected,
    #[error("passkey already registered")]
    PasskeyTaken,
    #[error("too many passkeys")]
    TooManyPasskeys,
    /// A WebAuthn challenge id that is unknown, expired or already used.
    #[error("invalid challenge")]
    InvalidChallenge,
    #[error("TOTP is already enabled")]
    TotpAlreadyEnabled,
    #[error("no TOTP setup to enable")]
    TotpNotSetUp,
    #[error("TOTP is not enabled")]
    TotpNotEnabled,
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

/// Everything a client learns about an error besides its field errors: one row per variant,
/// so a new error is one edit here (and its code in `shared::ErrorCode`).
struct Meta {
    status: StatusCode,
    code: ErrorCode,
    title: &'static str,
    detail: String,
}

impl ApiError {
    fn meta(&self) -> Meta {
        use ApiError::*;
        use ErrorCode as C;
        use StatusCode as S;
        let row = |status, code, title, detail: String| Meta {
            status,
            code,
            title,
            detail,
        };
        match self {
            MalformedBody(why) => row(
                S::BAD_REQUEST,
                C::MalformedBody,
                "Malformed request body",
                format!("The request body is not valid JSON for this endpoint: {why}."),
            ),
            UnsupportedMediaType => row(
                S::UNSUPPORTED_MEDIA_TYPE,
                C::UnsupportedMediaType,
                "Unsupported media type",
                "Send the request body as application/json.".into(),
            ),
            PayloadTooLarge(limit) => row(
                S::PAYLOAD_TOO_LARGE,
                C::PayloadTooLarge,
                "Request body too large",
                format!("The request body exceeds {limit} bytes."),
            ),
            NotFound => row(
                S::NOT_FOUND,
                C::NotFound,
                "Not found",
                "No resource at this address.".into(),
            ),
            MethodNotAllowed => row(
                S::METHOD_NOT_ALLOWED,
                C::MethodNotAllowed,
                "Method not allowed",
                "This method is not allowed on this resource.".into(),
            ),
            Validation(errors) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                row(
                    S::UNPROCESSABLE_ENTITY,
                    C::ValidationFailed,
                    "Validation failed",
                    format!("Invalid fields: {}.", fields.join(", ")),
                )
            }
            UsernameTaken => row(
                S::CONFLICT,
                C::UsernameTaken,
                "Username taken",
                "This username is already in use.".into(),
            ),
            NicknameTaken => row(
                S::CONFLICT,
                C::NicknameTaken,
                "Nickname taken",
                "This nickname is already in use.".into(),
            ),
            EmailTaken => row(
                S::CONFLICT,
                C::EmailTaken,
                "Email taken",
                "An account with this email address already exists.".into(),
            ),
            ResendCooldown { retry_after } => row(
                S::TOO_MANY_REQUESTS,
                C::ResendCooldown,
                "Code sent recently",
                format!("A code was sent to this address moments ago. Try again in {retry_after} s."),
            ),
            TooManyCodes { retry_after } => row(
                S::TOO_MANY_REQUESTS,
                C::TooManyCodes,
                "Too many codes",
                format!("Too many codes were requested. Try again in {retry_after} s."),
            ),
            InvalidCode { attempts_left } => row(
                S::BAD_REQUEST,
                C::InvalidCode,
                "Invalid verification code",
                format!("The code does not match. {attempts_left} attempts left."),
            ),
            CodeExpired => row(
                S::BAD_REQUEST,
                C::CodeExpired,
                "Verification code expired",
                "There is no valid code for this address: it expired, was used, \
                 was guessed wrong too often, or was never sent. Request a new one."
                    .into(),
            ),
            TooManyGuesses { retry_after } => row(
                S::TOO_MANY_REQUESTS,
                C::TooManyGuesses,
                "Too many wrong codes",
                format!(
                    "Too many wrong codes were entered for this address. Try again in {retry_after} s."
                ),
            ),
            MailUnavailable => row(
                S::SERVICE_UNAVAILABLE,
                C::MailUnavailable,
                "Mail unavailable",
                "The verification mail could not be sent. Nothing was used up; \
                 try again shortly."
                    .into(),
            ),
            InvalidCredentials => row(
                S::UNAUTHORIZED,
                C::InvalidCredentials,
                "Invalid credentials",
                "The username or password is incorrect.".into(),
            ),
            InvalidToken => row(
                S::UNAUTHORIZED,
                C::InvalidToken,
                "Invalid token",
                "The access token is missing, invalid or expired.".into(),
            ),
            InvalidLink => row(
                S::BAD_REQUEST,
                C::InvalidToken,
                "Invalid link",
                "This link is used, expired or not valid. Sign in, or reset your password, to \
                 secure your account."
                    .into(),
            ),
            InvalidRefreshToken => row(
                S::UNAUTHORIZED,
                C::InvalidToken,
                "Invalid token",
                "The refresh token is missing, invalid or expired, or its session has ended: \
                 log in again."
                    .into(),
            ),
            AccountDisabled => row(
                S::FORBIDDEN,
                C::AccountDisabled,
                "Account disabled",
                "This account has been disabled by an operator. Contact support.".into(),
            ),
            InvalidApiKey => row(
                S::UNAUTHORIZED,
                C::InvalidToken,
                "Invalid token",
                "The admin API key is missing, wrong or revoked.".into(),
            ),
            Forbidden => row(
                S::FORBIDDEN,
                C::Forbidden,
                "Forbidden",
                "This key is read-only: it may not change anything.".into(),
            ),
            PasskeyRejected => row(
                S::BAD_REQUEST,
                C::PasskeyRejected,
                "Passkey rejected",
                "The authenticator's answer could not be verified.".into(),
            ),
            PasskeyTaken => row(
                S::CONFLICT,
                C::PasskeyTaken,
                "Passkey taken",
                "This passkey is already registered.".into(),
            ),
            TooManyPasskeys => row(
                S::CONFLICT,
                C::TooManyPasskeys,
                "Too many passkeys",
                "This account has as many passkeys as it may have. Remove one first.".into(),
            ),
            InvalidChallenge => row(
                S::BAD_REQUEST,
                C::InvalidChallenge,
                "Invalid challenge",
                "The challenge is unknown, expired or already used. Start again.".into(),
            ),
            TotpAlreadyEnabled => row(
                S::CONFLICT,
                C::TotpAlreadyEnabled,
                "TOTP already enabled",
                "Two-step login with an authenticator app is already on for this account.".into(),
            ),
            TotpNotSetUp => row(
                S::CONFLICT,
                C::TotpNotSetUp,
                "TOTP not set up",
                "There is no pending TOTP setup: call POST /api/mfa/totp/setup first.".into(),
            ),
            TotpNotEnabled => row(
                S::CONFLICT,
                C::TotpNotEnabled,
                "TOTP not enabled",
                "Two-step login with an authenticator app is not on for this account.".into(),
            ),
            TooManyAttempts { retry_after } => row(
                S::TOO_MANY_REQUESTS,
                C::TooManyAttempts,
                "Too many failed logins",
                format!("Too many failed logins for this account. Try again in {retry_after} s."),
            ),
            RateLimited { retry_after } => row(
                S::TOO_MANY_REQUESTS,
                C::RateLimited,
                "Too many requests",
                format!("Too many requests from this address. Try again in {retry_after} s."),
            ),
            Unavailable(_) => row(
                S::SERVICE_UNAVAILABLE,
                C::ServiceUnavailable,
                "Service unavailable",
                "A dependency is temporarily unavailable. Try again shortly.".into(),
            ),
            Overloaded => row(
                S::SERVICE_UNAVAILABLE,
                C::ServiceUnavailable,
                "Service unavailable",
                format!(
                    "The server is busy checking passwords. Try again in {OVERLOADED_RETRY_AFTER} s."
                ),
            ),
            Internal(_) => row(
                S::INTERNAL_SERVER_ERROR,
                C::Internal,
                "Internal server error",
                "An unexpected error occurred.".into(),
            ),
        }
    }

    pub fn code(&self) -> ErrorCode {
        self.meta().code
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
        let meta = self.meta();
        Problem {
            type_: "about:blank".into(),
            title: meta.title.into(),
            status: meta.status.as_u16(),
            detail: meta.detail,
            code: meta.code,
            errors: self.field_errors(),
            attempts_left: match self {
                ApiError::InvalidCode { attempts_left } => Some(*attempts_left),
                _ => None,
            },
            // Every 429 says how long to wait in the body too, not only in `Retry-After`.
            retry_after: self
                .retry_after()
                .filter(|_| meta.status == StatusCode::TOO_MANY_REQUESTS),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.meta().status
    }

    fn error_response(&self) -> HttpResponse {
        let limit = match self {
            ApiError::ResendCooldown { .. } => Some("resend_cooldown"),
            ApiError::TooManyCodes { .. } => Some("codes_per_hour"),
            ApiError::TooManyGuesses { .. } => Some("code_failures_per_day"),
            ApiError::TooManyAttempts { .. } => Some("login_failures"),
            ApiError::RateLimited { .. } => Some("ip_rate"),
            ApiError::Overloaded => Some("hash_queue"),
            _ => None,
        };
        if let Some(limit) = limit {
            crate::stats::throttled(limit);
        }
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
        if matches!(self, ApiError::InvalidToken | ApiError::InvalidApiKey) {
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
        let unavailable = crate::store::is_unavailable(&e);
        crate::stats::database_error(unavailable);
        if unavailable {
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
            (ApiError::InvalidApiKey, 401, "invalid_token"),
            (ApiError::Forbidden, 403, "forbidden"),
            (ApiError::PasskeyRejected, 400, "passkey_rejected"),
            (ApiError::PasskeyTaken, 409, "passkey_taken"),
            (ApiError::InvalidChallenge, 400, "invalid_challenge"),
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
    fn every_429_says_how_long_to_wait_in_the_body_and_the_header() {
        for err in [
            ApiError::ResendCooldown { retry_after: 11 },
            ApiError::TooManyCodes { retry_after: 11 },
            ApiError::TooManyGuesses { retry_after: 11 },
            ApiError::TooManyAttempts { retry_after: 11 },
            ApiError::RateLimited { retry_after: 11 },
        ] {
            assert_eq!(err.status_code(), StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(err.problem().retry_after, Some(11), "{err:?}");
            let response = err.error_response();
            assert_eq!(
                response.headers().get(header::RETRY_AFTER).unwrap(),
                "11",
                "{err:?}"
            );
        }
        // Other answers with Retry-After (503) keep it to the header.
        assert_eq!(ApiError::Overloaded.problem().retry_after, None);
        assert_eq!(ApiError::InvalidToken.problem().retry_after, None);
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
