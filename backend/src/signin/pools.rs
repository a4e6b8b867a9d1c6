//! Whose failures an attempt is counted with (OWASP's device cookies, plus known networks).
//!
//! Every attempt at proving a factor of an account — a password at sign-in or re-authentication,
//! a second factor at the second step, a step-up or turning TOTP on or off — is recorded
//! before it is evaluated, in one pool of its family, and in the account's backstop:
//!
//! - **Device**: a client presenting a device cookie of the account under its current
//!   credentials counts against that device alone;
//! - **Network**: a client on a network the account signed in from (since its last password
//!   change) counts against that (account, network) alone;
//! - **Strangers**: everyone else shares one pool per account (per username, for names no
//!   account has: the answer must not tell them apart).
//!
//! Each pool allows `APP_LOGIN_MAX_FAILURES` wrong passwords (or `APP_MFA_MAX_FAILURES` wrong
//! second factors) per window; the backstop allows `APP_LOGIN_MAX_FAILURES_TOTAL` failures of
//! any family across every pool. So strangers together — including whoever knows the password
//! — get at most their pool's cap, and never lock the owner out on a device or network the
//! owner used; the backstop bounds what even many known devices can try. Record-then-count
//! (`Store::admit`): concurrent attempts can never together evaluate more than a cap.

use mongodb::bson::oid::ObjectId;

use super::Client;
use crate::{
    error::ApiError,
    state::AppState,
    store::{pooled_key, Admission, EventKind, Limit, UserDoc},
};

/// Which pool an attempt counts in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pool {
    /// The device id of a valid device cookie of the account.
    Device(String),
    /// A network the account signed in from.
    Network(String),
    /// Every other client.
    Strangers,
}

impl Pool {
    pub fn name(&self) -> &'static str {
        match self {
            Pool::Device(_) => "device",
            Pool::Network(_) => "network",
            Pool::Strangers => "strangers",
        }
    }

    /// The pool of `client` for `user` (`None`: a username no account has, whose only pool is
    /// the strangers'). The same steps run for both: the cookie check is arithmetic, and the
    /// network lookup is one read whether or not the account exists.
    pub async fn of(
        state: &AppState,
        client: &Client,
        user: Option<&UserDoc>,
    ) -> Result<Self, ApiError> {
        if let Some(id) = user.and_then(|user| client.device_of(state, user)) {
            return Ok(Pool::Device(id));
        }
        let Some(network) = &client.network else {
            return Ok(Pool::Strangers);
        };
        let account = user.map_or_else(ObjectId::new, |user| user.id);
        if state
            .store
            .is_known_network(account, network, state.clock.now())
            .await?
        {
            return Ok(Pool::Network(network.clone()));
        }
        Ok(Pool::Strangers)
    }
}

/// What is being proved: the password, or a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Password,
    SecondFactor,
}

/// Whose attempt it is: an account, or a username no account has.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Account(&'a UserDoc),
    UnknownName(&'a str),
}

/// An admitted attempt, already counted in its pool and the backstop: it stays a failure
/// unless [`Attempt::forget`] or [`Attempt::succeeded`] says otherwise.
#[derive(Debug)]
#[must_use = "an attempt counts as a failure unless forgotten"]
pub struct Attempt {
    pool_event: ObjectId,
    backstop_event: ObjectId,
    kind: EventKind,
    key: String,
    limit: Limit,
}

fn limit(state: &AppState, kind: EventKind, family: Family) -> Limit {
    let (max, window) = match family {
        Family::Password => (
            state.throttle.max_login_failures,
            state.throttle.login_failure_window,
        ),
        Family::SecondFactor => (state.mfa.max_failures, state.mfa.failure_window),
    };
    Limit {
        kind,
        window,
        max: u64::from(max),
    }
}

/// The event kind and key of `pool` for `subject`.
fn pool_key(pool: &Pool, family: Family, subject: Subject<'_>) -> (EventKind, String) {
    use EventKind as K;
    match (subject, pool, family) {
        (Subject::Account(user), Pool::Device(id), Family::Password) => {
            (K::LoginFailureFromDevice, pooled_key(user.id, id))
        }
        (Subject::Account(user), Pool::Network(net), Family::Password) => {
            (K::LoginFailureFromNetwork, pooled_key(user.id, net))
        }
        (Subject::Account(user), Pool::Device(id), Family::SecondFactor) => {
            (K::MfaFailureFromDevice, pooled_key(user.id, id))
        }
        (Subject::Account(user), Pool::Network(net), Family::SecondFactor) => {
            (K::MfaFailureFromNetwork, pooled_key(user.id, net))
        }
        (Subject::Account(user), Pool::Strangers, Family::Password) => {
            (K::LoginFailure, user.username_key.clone())
        }
        (Subject::Account(user), Pool::Strangers, Family::SecondFactor) => {
            (K::MfaFailure, user.id.to_hex())
        }
        // A name no account has has no devices or networks; its strangers' pool is the one an
        // account of that name would have.
        (Subject::UnknownName(name), _, _) => (K::LoginFailure, name.to_owned()),
    }
}

fn backstop_key(subject: Subject<'_>) -> String {
    match subject {
        Subject::Account(user) => user.id.to_hex(),
        Subject::UnknownName(name) => name.to_owned(),
    }
}

/// Records one attempt of `family` for `subject` from `pool` before it is evaluated:
/// `429 too_many_attempts` (with `Retry-After`) past the pool's cap or the backstop.
pub async fn admit(
    state: &AppState,
    family: Family,
    pool: &Pool,
    subject: Subject<'_>,
) -> Result<Attempt, ApiError> {
    let now = state.clock.now();
    let (kind, key) = pool_key(pool, family, subject);
    let pool_limit = limit(state, kind, family);
    let pool_event = match state.store.admit(pool_limit, &key, now).await? {
        Admission::Admitted(id) => id,
        Admission::Refused { retry_after } => {
            tracing::info!(
                event = "throttled",
                limit = kind_name(family),
                pool = pool.name(),
                "attempt refused"
            );
            return Err(ApiError::TooManyAttempts { retry_after });
        }
    };
    let backstop = Limit {
        kind: EventKind::FailureBackstop,
        window: state.throttle.login_failure_window,
        max: u64::from(state.throttle.max_failures_total),
    };
    match state
        .store
        .admit(backstop, &backstop_key(subject), now)
        .await
    {
        Ok(Admission::Admitted(backstop_event)) => Ok(Attempt {
            pool_event,
            backstop_event,
            kind,
            key,
            limit: pool_limit,
        }),
        Ok(Admission::Refused { retry_after }) => {
            forget_event(state, pool_event).await;
            tracing::info!(
                event = "throttled",
                limit = "failures_total",
                pool = pool.name(),
                "attempt refused"
            );
            Err(ApiError::TooManyAttempts { retry_after })
        }
        Err(e) => {
            forget_event(state, pool_event).await;
            Err(e.into())
        }
    }
}

fn kind_name(family: Family) -> &'static str {
    match family {
        Family::Password => "login_failures",
        Family::SecondFactor => "mfa_failures",
    }
}

async fn forget_event(state: &AppState, id: ObjectId) {
    if let Err(e) = state.store.forget_event(id).await {
        tracing::warn!(error = %e, "could not undo an attempt record");
    }
}

impl Attempt {
    /// It was right, or never evaluated (the hash queue was full): no failure.
    pub async fn forget(self, state: &AppState) {
        forget_event(state, self.pool_event).await;
        forget_event(state, self.backstop_event).await;
    }

    /// A sign-in succeeded with it: no failure, and its pool's earlier failures are cleared
    /// (the owner is back on that device or network; no other pool is touched).
    pub async fn succeeded(self, state: &AppState) {
        if let Err(e) = state.store.clear_events(self.kind, &self.key).await {
            tracing::warn!(error = %e, "could not clear a pool's failures");
        }
        forget_event(state, self.backstop_event).await;
    }

    /// It was wrong: it stays counted.
    pub fn counted(self) {}

    /// It was wrong: it stays counted. How many more the pool allows within its window.
    pub async fn failed(self, state: &AppState) -> Result<u64, ApiError> {
        let used = state
            .store
            .events_in_window(
                self.kind,
                &self.key,
                state.clock.now(),
                self.limit.window,
                self.limit.max,
            )
            .await?;
        Ok(self.limit.max.saturating_sub(used))
    }
}

/// A sign-in without the password (an emailed code) succeeded from `client`: the failed
/// passwords counted in its pool for `user` are cleared, as a right password would have.
pub async fn cleared_by_sign_in(state: &AppState, client: &Client, user: &UserDoc) {
    let pool = match Pool::of(state, client, Some(user)).await {
        Ok(pool) => pool,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the pool of a sign-in");
            return;
        }
    };
    let (kind, key) = pool_key(&pool, Family::Password, Subject::Account(user));
    if let Err(e) = state.store.clear_events(kind, &key).await {
        tracing::warn!(error = %e, "could not clear a pool's failures");
    }
}
