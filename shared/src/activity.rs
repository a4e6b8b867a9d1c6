//! The account's activity log, as `GET /api/account/activity` answers it.

use serde::{Deserialize, Serialize};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// The account was created.
    UserCreated,
    /// A sign-in succeeded (`method` says how).
    SignedIn,
    /// A wrong password, code or second step for the account (`method` says which factor).
    SignInRefused,
    /// A "new sign-in" alert was mailed.
    NewSignInAlert,
    /// "This wasn't me" was used: every session ended, a reset code mailed.
    NotMe,
    /// A session ended (`reason` says how: `logout`, `revoked`, `logout_all`, `reuse`,
    /// `password`, `operator`, `not_me`).
    SessionEnded,
    PasswordChanged,
    PasswordReset,
    EmailChanged,
    TotpEnabled,
    TotpDisabled,
    RecoveryCodesReplaced,
    PasskeyAdded,
    PasskeyRemoved,
    AccountDisabled,
    AccountEnabled,
}

dto! {
    /// One entry of the activity log.
    pub struct ActivityEvent {
        /// The entry's id.
        pub id: String,
        pub kind: ActivityKind,
        /// When, RFC 3339 UTC.
        pub at: String,
        /// The client address of the request (empty when the server or an operator acted).
        pub ip: String,
        /// The client's `User-Agent` (at most 256 characters; may be empty).
        pub user_agent: String,
        /// How a sign-in was made (`password`, `email_code`, `passkey`, `password+totp`, …), or
        /// which factor a refused attempt tried.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub method: Option<String>,
        /// The session the request came from (a sign-in: the session it started).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub session_id: Option<String>,
        /// Whether `session_id` is the session of the token that asked.
        pub current_session: bool,
        /// Why a session ended (`session_ended` only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub reason: Option<String>,
        /// Who acted: `owner`, `operator` or `system`.
        pub actor: String,
        /// A passkey's name (`passkey_added`, `passkey_removed`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub passkey_name: Option<String>,
    }

    /// `200` answer of `GET /api/account/activity`: newest first.
    pub struct ActivityList {
        pub events: Vec<ActivityEvent>,
        /// Pass as `before` for the next (older) page; absent on the last page.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub next_before: Option<String>,
    }
}
