//! Sign-in by an emailed code and the "this wasn't me" answer to a new-sign-in alert.

use serde::{Deserialize, Serialize};

use crate::Locale;

/// `POST /api/login/code/request`: mail a sign-in code to the account with this address.
/// The answer is the same whether or not an account has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"email": "gildong@example.com", "locale": "ko"})))]
#[serde(deny_unknown_fields)]
pub struct LoginCodeRequest {
    /// The account's address, as in `POST /api/email_auth`.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 254, pattern = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
    )]
    pub email: String,
    /// Language of the mail when the address has no account (an account's mail is in its own
    /// language). `ko` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Locale>,
}

/// `POST /api/login/code/confirm`: sign in with the mailed code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"email": "gildong@example.com", "code": "042917"})))]
#[serde(deny_unknown_fields)]
pub struct LoginCodeConfirm {
    /// The address the code was requested for.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 254, pattern = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
    )]
    pub email: String,
    /// The six digits from the mail.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[0-9]{6}$"))]
    pub code: String,
}

/// `POST /api/security/not-me`: the token from a new-sign-in alert's link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NotMeRequest {
    /// The value after `#token=` in the alert's link.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 256))]
    pub token: String,
}

/// `200` answer of `POST /api/security/not-me`: every session ended, a reset code mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotMeResponse {
    /// How many sessions of the account were ended.
    pub sessions_ended: u64,
}
