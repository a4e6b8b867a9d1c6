//! Account events. Every security-relevant thing that happens to an account is told once, by
//! the service that did it, through [`emit`], right after the change and before the answer;
//! the sinks take it from there:
//!
//! - [`activity`]: the account's activity log, which its owner reads;
//! - [`webhooks`]: signed deliveries to the operator's endpoints, through the outbox;
//! - [`daily_counts`]: the daily sign-up and sign-in counts of the admin API's stats.
//!
//! A sink that fails never fails the request (the change is done): the failure is logged and
//! counted (`events_sink_failures_total{sink}`). Nothing secret is ever part of an event: no
//! code, token, hash, password or TOTP secret.

pub mod activity;
pub mod daily_counts;
pub mod deferred;
pub mod webhooks;

use mongodb::bson::{oid::ObjectId, DateTime};

use crate::state::AppState;

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The account's owner (or whoever holds its session).
    Owner,
    /// An operator, by the name of their key or login.
    Operator(String),
    /// The server itself (a limit, a reuse detection).
    System,
}

/// The client an event came from, as events record it (`signin::Client` is one).
pub trait Origin {
    /// Its address; empty when unknown.
    fn ip_text(&self) -> String;
    /// Its `User-Agent`, as kept.
    fn user_agent(&self) -> &str;
}

/// Where an event came from: the account, the client and the session of the request.
#[derive(Debug, Clone)]
pub struct Context {
    pub user_id: ObjectId,
    pub at: DateTime,
    pub ip: String,
    pub user_agent: String,
    /// The session that made the request, when there is one.
    pub session_id: Option<String>,
    pub actor: Actor,
}

impl Context {
    /// An event of `user_id` caused by `client` (the owner), in session `session_id`.
    pub fn of(
        state: &AppState,
        user_id: ObjectId,
        client: &impl Origin,
        session_id: Option<&str>,
    ) -> Self {
        Self {
            user_id,
            at: state.clock.now(),
            ip: client.ip_text(),
            user_agent: client.user_agent().to_owned(),
            session_id: session_id.map(str::to_owned),
            actor: Actor::Owner,
        }
    }

    /// An event of `user_id` caused by an operator.
    pub fn operator(state: &AppState, user_id: ObjectId, operator: &str, ip: &str) -> Self {
        Self {
            user_id,
            at: state.clock.now(),
            ip: ip.to_owned(),
            user_agent: String::new(),
            session_id: None,
            actor: Actor::Operator(operator.to_owned()),
        }
    }

    /// An event the server caused (no client).
    pub fn system(state: &AppState, user_id: ObjectId) -> Self {
        Self {
            user_id,
            at: state.clock.now(),
            ip: String::new(),
            user_agent: String::new(),
            session_id: None,
            actor: Actor::System,
        }
    }
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// `POST /api/logout`.
    Logout,
    /// Ended from another of the account's sessions (`DELETE /api/sessions/{id}`), or by the
    /// session cap.
    Revoked,
    /// `POST /api/logout_all`.
    LogoutAll,
    /// A spent refresh token came back: one of its holders is not the owner.
    Reuse,
    /// The credentials changed: a password change or reset, TOTP turned on, a second-factor
    /// reset.
    Password,
    /// An operator ended it (or disabled the account).
    Operator,
    /// The owner pressed "this wasn't me".
    NotMe,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Logout => "logout",
            EndReason::Revoked => "revoked",
            EndReason::LogoutAll => "logout_all",
            EndReason::Reuse => "reuse",
            EndReason::Password => "password",
            EndReason::Operator => "operator",
            EndReason::NotMe => "not_me",
        }
    }
}

/// Why a password changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordReason {
    Change,
    Reset,
}

/// Something that happened to an account.
#[derive(Debug, Clone)]
pub enum Event {
    UserCreated {
        username: String,
        nickname: String,
        email: String,
        created_at: DateTime,
    },
    EmailChanged {
        old_email_masked: String,
        new_email: String,
    },
    PasswordChanged {
        reason: PasswordReason,
    },
    UserDeleted,
    UserDisabled,
    UserEnabled,
    /// A session started. `new_device`: from a client with no valid device cookie of the
    /// account, on a network it never signed in from, on an account that signed in before.
    SignedIn {
        session_id: String,
        method: String,
        new_device: bool,
    },
    /// A wrong password, code or second factor for the account (`factor`), from `pool`.
    SignInRefused {
        factor: &'static str,
        pool: &'static str,
    },
    SessionEnded {
        session_id: String,
        reason: EndReason,
    },
    /// The owner was mailed a "new sign-in" alert about session `session_id`.
    NewSignInAlert {
        session_id: String,
    },
    /// The owner pressed "this wasn't me" on the alert about `session_id`.
    NotMe {
        session_id: String,
    },
    TotpEnabled,
    TotpDisabled,
    RecoveryCodesReplaced,
    PasskeyAdded {
        passkey_id: ObjectId,
        name: String,
    },
    PasskeyRemoved {
        passkey_id: ObjectId,
        name: String,
    },
}

impl Event {
    /// The event's name, as the activity log and the metrics know it.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::UserCreated { .. } => "user_created",
            Event::EmailChanged { .. } => "email_changed",
            Event::PasswordChanged {
                reason: PasswordReason::Change,
            } => "password_changed",
            Event::PasswordChanged {
                reason: PasswordReason::Reset,
            } => "password_reset",
            Event::UserDeleted => "user_deleted",
            Event::UserDisabled => "account_disabled",
            Event::UserEnabled => "account_enabled",
            Event::SignedIn { .. } => "signed_in",
            Event::SignInRefused { .. } => "sign_in_refused",
            Event::SessionEnded { .. } => "session_ended",
            Event::NewSignInAlert { .. } => "new_sign_in_alert",
            Event::NotMe { .. } => "not_me",
            Event::TotpEnabled => "totp_enabled",
            Event::TotpDisabled => "totp_disabled",
            Event::RecoveryCodesReplaced => "recovery_codes_replaced",
            Event::PasskeyAdded { .. } => "passkey_added",
            Event::PasskeyRemoved { .. } => "passkey_removed",
        }
    }
}

/// Tells every sink about `event`. Never fails: a sink's failure is logged and counted.
pub async fn emit(state: &AppState, context: &Context, event: Event) {
    if let Err(e) = activity::record(state, context, &event).await {
        sink_failed("activity", &event, &e);
    }
    if let Err(e) = webhooks::enqueue(state, context, &event).await {
        sink_failed("webhooks", &event, &e);
    }
    if let Err(e) = daily_counts::count(state, context, &event).await {
        sink_failed("daily_counts", &event, &e);
    }
}

/// A [`Event::SessionEnded`] for each of `sessions`.
pub fn sessions_ended(sessions: Vec<String>, reason: EndReason) -> Vec<Event> {
    sessions
        .into_iter()
        .map(|session_id| Event::SessionEnded { session_id, reason })
        .collect()
}

/// [`emit`] for several events of one context.
pub async fn emit_all(state: &AppState, context: &Context, events: Vec<Event>) {
    for event in events {
        emit(state, context, event).await;
    }
}

fn sink_failed(sink: &'static str, event: &Event, error: &anyhow::Error) {
    tracing::warn!(event = "event_sink_failed", sink, kind = event.kind(), error = %error, "an account event was not recorded");
    metrics::counter!("events_sink_failures_total", "sink" => sink).increment(1);
}
