//! RFC 9457 `application/problem+json` bodies with a stable machine `code`.

use serde::{Deserialize, Serialize};

/// Every machine-readable error code the API answers with. Clients translate by code; the
/// English `title`/`detail` are for people reading raw responses. The list of variants and
/// their wire names are derived (serde for JSON, strum for `as_str` and `all`): adding a code
/// is adding a variant.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumIter,
    strum::IntoStaticStr,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ErrorCode {
    // Request-level.
    MalformedBody,
    UnsupportedMediaType,
    PayloadTooLarge,
    NotFound,
    MethodNotAllowed,
    ValidationFailed,
    // Email verification.
    UsernameTaken,
    NicknameTaken,
    EmailTaken,
    ResendCooldown,
    TooManyCodes,
    InvalidCode,
    CodeExpired,
    /// Too many wrong codes for one address within a day (all codes, signup and reset
    /// together); wait `Retry-After`.
    TooManyGuesses,
    MailUnavailable,
    // Authentication.
    InvalidCredentials,
    InvalidToken,
    /// Too many failed logins for one account; wait `Retry-After`.
    TooManyAttempts,
    /// Too many requests from one client address; wait `Retry-After`.
    RateLimited,
    /// An operator disabled the account: no login, refresh or access token works until it is
    /// enabled again.
    AccountDisabled,
    /// The credential is valid but may not do this (a read-only admin API key on a write).
    Forbidden,
    // Passkeys.
    /// The authenticator's answer did not verify (wrong challenge, origin or signature, or not
    /// user-verified).
    PasskeyRejected,
    /// That credential is already registered.
    PasskeyTaken,
    /// The account has as many passkeys as it may have (`APP_PASSKEYS_MAX`): remove one first.
    TooManyPasskeys,
    /// The WebAuthn challenge is unknown, expired or already used: start again.
    InvalidChallenge,
    // Second factor (TOTP).
    /// `POST /api/mfa/totp/setup` or `/enable` while TOTP is on.
    TotpAlreadyEnabled,
    /// `POST /api/mfa/totp/enable` without a setup before it.
    TotpNotSetUp,
    /// Turning TOTP off, or new recovery codes, while TOTP is off.
    TotpNotEnabled,
    // Infrastructure.
    ServiceUnavailable,
    Internal,
    // Field-level codes (inside `errors[]`).
    Required,
    TooShort,
    TooLong,
    InvalidCharacters,
    InvalidFormat,
    WeakPassword,
    CommonPassword,
}

impl ErrorCode {
    /// Every variant, for clients that must have a message for each.
    pub fn all() -> impl Iterator<Item = ErrorCode> {
        <ErrorCode as strum::IntoEnumIterator>::iter()
    }

    /// The wire spelling, e.g. `"username_taken"`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

dto! {
    /// One problem with one input field.
    pub struct FieldError {
        /// The request field, named as in the request body (`username`, `code`, …).
        pub field: String,
        /// Machine code of the rule that failed (`too_short`, `invalid_code`, …).
        pub code: ErrorCode,
        /// English explanation.
        pub message: String,
    }

    /// An RFC 9457 problem details body.
    #[cfg_attr(feature = "openapi", schema(example = json!({
        "type": "about:blank", "title": "Invalid verification code", "status": 400,
        "detail": "The code does not match. 4 attempts left.", "code": "invalid_code",
        "errors": [{"field": "code", "code": "invalid_code", "message": "The code does not match."}],
        "attempts_left": 4
    })))]
    pub struct Problem {
        /// A URI reference identifying the problem type.
        #[serde(rename = "type")]
        pub type_: String,
        /// Short, human-readable summary (English).
        pub title: String,
        /// The HTTP status code.
        pub status: u16,
        /// Human-readable explanation of this occurrence (English).
        pub detail: String,
        /// Stable machine code.
        pub code: ErrorCode,
        /// Per-field problems, for `validation_failed` and field-specific conflicts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub errors: Option<Vec<FieldError>>,
        /// For `invalid_code`: wrong guesses still allowed before the code dies.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub attempts_left: Option<u32>,
        /// For `429` answers: seconds to wait (also sent as `Retry-After`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub retry_after: Option<u64>,
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn every_variant_once_with_the_same_name_in_json_and_as_str() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::all() {
            assert!(seen.insert(code.as_str()), "{code} listed twice");
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: ErrorCode = serde_json::from_str(&json).unwrap();
            assert_eq!(back, code);
        }
        assert_eq!(ErrorCode::UsernameTaken.as_str(), "username_taken");
    }
}
