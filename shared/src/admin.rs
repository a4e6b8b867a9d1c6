//! The bodies of the admin API (`/admin/api/…` on the admin listener): what an operator sees
//! of accounts, sessions, the audit trail and the counts. Times are RFC 3339 strings. Nothing
//! here ever carries a hash, token, code or secret.

dto! {
    /// One account in a search result.
    pub struct AdminUserRow {
        pub id: String,
        pub username: String,
        pub nickname: String,
        pub email: String,
        pub created_at: String,
        pub disabled: bool,
    }

    /// `200` answer of `GET /admin/api/users`: newest accounts first.
    pub struct AdminUserPage {
        pub users: Vec<AdminUserRow>,
        /// Pass as `cursor` for the next page; absent on the last page.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub next_cursor: Option<String>,
    }

    /// The last successful sign-in of an account.
    pub struct AdminSignIn {
        pub at: String,
        /// `password`, `passkey`, `email_code`, `password+totp`, …
        pub method: String,
        pub ip: String,
    }

    /// One passkey of an account.
    pub struct AdminPasskey {
        pub id: String,
        pub name: String,
        pub created_at: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub last_used_at: Option<String>,
    }

    /// `200` answer of `GET /admin/api/users/{id}`.
    pub struct AdminUser {
        pub id: String,
        pub username: String,
        pub nickname: String,
        pub email: String,
        /// When the current address was proven: the signup, or its last email change.
        pub email_verified_at: String,
        pub created_at: String,
        /// `ko` or `en`: the language of its mails.
        pub locale: String,
        pub disabled: bool,
        /// Whether TOTP is on.
        pub totp: bool,
        pub passkeys: Vec<AdminPasskey>,
        pub live_sessions: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub last_sign_in: Option<AdminSignIn>,
    }

    /// One live session of an account.
    pub struct AdminSession {
        pub id: String,
        pub created_at: String,
        pub last_used_at: String,
        pub expires_at: String,
        pub ip: String,
        pub user_agent: String,
        /// Frozen by a disabling of the account.
        pub disabled: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub method: Option<String>,
    }

    /// `200` answer of `GET /admin/api/users/{id}/sessions`: most recently used first.
    pub struct AdminSessionList {
        pub sessions: Vec<AdminSession>,
    }

    /// What an action on an account did.
    #[derive(Default)]
    pub struct AdminOutcome {
        pub user_id: String,
        /// After `disable` / `enable`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub disabled: Option<bool>,
        /// Sessions frozen by `disable`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sessions_frozen: Option<u64>,
        /// Sessions ended by `enable`, by ending all sessions, or by a second-factor reset.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sessions_ended: Option<u64>,
        /// After a second-factor reset: whether TOTP was on and went.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub totp_removed: Option<bool>,
        /// After a second-factor reset: how many passkeys went.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub passkeys_removed: Option<u64>,
    }

    /// One entry of an account's activity log.
    pub struct AdminActivity {
        pub id: String,
        /// `signed_in`, `session_ended`, `account_disabled`, `passkey_removed`, …
        pub kind: String,
        pub at: String,
        pub ip: String,
        pub user_agent: String,
        /// `owner`, `operator:<name>` or `system`.
        pub actor: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub session_id: Option<String>,
        /// The sign-in method or factor, for sign-ins and refusals.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub method: Option<String>,
        /// Why a session ended.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub passkey_name: Option<String>,
    }

    /// `200` answer of `GET /admin/api/users/{id}/activity`: newest first.
    pub struct AdminActivityList {
        pub entries: Vec<AdminActivity>,
    }

    /// One entry of the audit trail: a write through the admin API or the command line.
    pub struct AuditEntry {
        pub id: String,
        pub at: String,
        /// The API key's name, or `cli:<user>` for the command line.
        pub key_name: String,
        /// `disable`, `enable`, `end_sessions`, `end_session`, `delete`, `reset_mfa`,
        /// `delete_passkey`, `clear_throttles`, `webhook_retry`, `api_key_create`, `api_key_revoke`.
        pub action: String,
        /// What it acted on: an account id, a key name, an address.
        pub target: String,
        /// `done`, or the problem code it ended with (`not_found`, `forbidden`, …).
        pub outcome: String,
        /// The client address (`cli` for the command line).
        pub client: String,
    }

    /// `200` answer of `GET /admin/api/audit`: newest first.
    pub struct AuditPage {
        pub entries: Vec<AuditEntry>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub next_cursor: Option<String>,
    }

    /// The counts of one UTC day.
    pub struct DayCounts {
        /// `YYYY-MM-DD`, UTC.
        pub day: String,
        pub sign_ups: u64,
        pub sign_ins: u64,
    }

    /// `200` answer of `GET /admin/api/stats`.
    pub struct AdminStats {
        /// Accounts that exist (the collection's count, an estimate on a busy cluster).
        pub accounts: u64,
        /// Sessions not yet ended or expired.
        pub live_sessions: u64,
        /// The last 30 UTC days, oldest first, today last.
        pub days: Vec<DayCounts>,
        /// When these numbers were read (they are cached for a minute).
        pub computed_at: String,
    }

    /// One webhook delivery (one event to one endpoint), without its body.
    pub struct WebhookDelivery {
        /// What `POST /admin/api/webhooks/deliveries/{id}/retry` takes.
        pub id: String,
        /// The event's `webhook-id`, shared by its deliveries to every endpoint.
        pub event_id: String,
        /// The event type, e.g. `user.deleted`.
        #[serde(rename = "type")]
        pub kind: String,
        pub endpoint: String,
        /// `pending`, `delivered` or `failed`.
        pub status: String,
        pub attempts: i32,
        pub created_at: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub next_at: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub finished_at: Option<String>,
        /// The receiver's last HTTP status.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub last_status: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub last_error: Option<String>,
    }

    /// `200` answer of `GET /admin/api/webhooks/deliveries`: newest first.
    pub struct WebhookDeliveryList {
        pub deliveries: Vec<WebhookDelivery>,
    }
}
