//! Sign-in by an emailed code and the "this wasn't me" answer to a new-sign-in alert.

use crate::Locale;

dto! {
    /// `POST /api/login/code/request`: mail a sign-in code to the account with this address.
    /// The answer is the same whether or not an account has it.
    #[cfg_attr(feature = "openapi", schema(example = json!({"email": "gildong@example.com", "locale": "ko"})))]
    #[serde(deny_unknown_fields)]
    pub struct LoginCodeRequest {
        /// The account's address, as in `POST /api/email_auth`.
        #[email]
        pub email: String,
        /// Language of the mail when the address has no account (an account's mail is in its own
        /// language). `ko` when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub locale: Option<Locale>,
    }

    /// `POST /api/login/code/confirm`: sign in with the mailed code.
    #[cfg_attr(feature = "openapi", schema(example = json!({"email": "gildong@example.com", "code": "042917"})))]
    #[serde(deny_unknown_fields)]
    pub struct LoginCodeConfirm {
        /// The address the code was requested for.
        #[email]
        pub email: String,
        /// The six digits from the mail.
        #[code]
        pub code: String,
    }

    /// `POST /api/security/not-me`: the token from a new-sign-in alert's link.
    #[serde(deny_unknown_fields)]
    pub struct NotMeRequest {
        /// The value after `#token=` in the alert's link.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 256))]
        pub token: String,
    }

    /// `200` answer of `POST /api/security/not-me`: every session ended, a reset code mailed.
    #[derive(Copy)]
    pub struct NotMeResponse {
        /// How many sessions of the account were ended.
        pub sessions_ended: u64,
    }
}
