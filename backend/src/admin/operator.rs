//! The operator's actions on one account: the one implementation behind `backend admin …`
//! (`cli.rs`) and the admin API (`api.rs`). Each does what the owner's own action
//! (or the server's) does — the same store calls, which keep this instance's cache coherent and
//! reach the others through their change streams, the same services, the same events (activity
//! log, webhooks) with the operator as their actor, the same mails to the owner. Callers audit
//! (`audit::audited`).

use mongodb::bson::oid::ObjectId;

use crate::{
    account::{self, keys_of, FactorReset, Goodbye},
    domain::EmailAddress,
    error::ApiError,
    events::{self, Context, EndReason, Event},
    mail::Notice,
    notices,
    state::AppState,
    store::{RemovedFactors, SessionDoc, Store, UserDoc},
};

/// Who acts, and from where.
#[derive(Debug, Clone)]
pub struct Operator {
    /// The admin API key's name, or the command line's user.
    pub name: String,
    /// The client address, or `cli`.
    pub client: String,
    cli: bool,
}

impl Operator {
    /// `backend admin …` run by `user`.
    pub fn cli(user: &str) -> Self {
        Self {
            name: user.to_owned(),
            client: "cli".into(),
            cli: true,
        }
    }

    /// An admin API request with key `key_name` from `client`.
    pub fn api(key_name: &str, client: &str) -> Self {
        Self {
            name: key_name.to_owned(),
            client: client.to_owned(),
            cli: false,
        }
    }

    /// The name the audit trail gives it: the key's, or `cli:<user>`.
    pub fn audit_name(&self) -> String {
        if self.cli {
            format!("cli:{}", self.name)
        } else {
            self.name.clone()
        }
    }

    /// The context of the events its action on `user` causes.
    pub fn context(&self, state: &AppState, user: ObjectId) -> Context {
        Context::operator(state, user, &self.name, &self.client)
    }
}

/// The account named by `who`: an email address (has `@`), an account id (24 hex digits) or
/// a username. `None` when there is none (or `who` is not a valid address).
pub async fn find(store: &Store, who: &str) -> Result<Option<UserDoc>, ApiError> {
    let who = who.trim();
    let user = if who.contains('@') {
        match EmailAddress::parse(who.to_owned()) {
            Ok(email) => store.find_user_by_email_key(&email.key()).await?,
            Err(_) => None,
        }
    } else if who.len() == 24 && who.bytes().all(|b| b.is_ascii_hexdigit()) {
        store.find_user_by_id(who).await?
    } else {
        store
            .find_user_by_username_key(&who.to_ascii_lowercase())
            .await?
    };
    Ok(user)
}

/// The account with id `id`, or `not_found`.
pub async fn account(store: &Store, id: &str) -> Result<UserDoc, ApiError> {
    store.find_user_by_id(id).await?.ok_or(ApiError::NotFound)
}

/// The live sessions of `user`, most recently used first.
pub async fn sessions(state: &AppState, user: &UserDoc) -> Result<Vec<SessionDoc>, ApiError> {
    Ok(state
        .store
        .list_sessions(user.id, state.clock.now())
        .await?)
}

/// Disables the account: login and refresh answer `403 account_disabled`, and its access
/// tokens are refused from the next request on. How many sessions it froze.
pub async fn disable(state: &AppState, op: &Operator, user: &UserDoc) -> Result<u64, ApiError> {
    let frozen = state.store.disable_user(user.id).await?;
    switched(state, op, user, frozen, Event::UserDisabled).await
}

/// Enables a disabled account again; its frozen sessions end (it signs in anew). How many.
pub async fn enable(state: &AppState, op: &Operator, user: &UserDoc) -> Result<u64, ApiError> {
    let ended = state.store.enable_user(user.id).await?;
    switched(state, op, user, ended, Event::UserEnabled).await
}

/// After the store disabled or enabled `user`: `Some(the sessions it froze or ended)`, or
/// `None` when the account was gone (`not_found`). Emits `event` and answers the count.
async fn switched(
    state: &AppState,
    op: &Operator,
    user: &UserDoc,
    sessions: Option<u64>,
    event: Event,
) -> Result<u64, ApiError> {
    let sessions = sessions.ok_or(ApiError::NotFound)?;
    events::emit(state, &op.context(state, user.id), event).await;
    Ok(sessions)
}

/// Ends every session of the account (all its access and refresh tokens). How many.
pub async fn end_sessions(
    state: &AppState,
    op: &Operator,
    user: &UserDoc,
) -> Result<u64, ApiError> {
    let ended = state.store.end_sessions_of(user.id, None).await?;
    let count = ended.len() as u64;
    let happened = events::sessions_ended(ended, EndReason::Operator);
    events::emit_all(state, &op.context(state, user.id), happened).await;
    Ok(count)
}

/// Ends one session of the account, or `not_found`.
pub async fn end_session(
    state: &AppState,
    op: &Operator,
    user: &UserDoc,
    sid: &str,
) -> Result<(), ApiError> {
    if !state.store.delete_session(sid, user.id).await? {
        return Err(ApiError::NotFound);
    }
    let event = Event::SessionEnded {
        session_id: sid.to_owned(),
        reason: EndReason::Operator,
    };
    events::emit(state, &op.context(state, user.id), event).await;
    Ok(())
}

/// Removes every second factor (TOTP with its recovery codes, every passkey) and ends the
/// sessions, as a password reset does; the owner is mailed. What went.
pub async fn reset_second_factors(
    state: &AppState,
    op: &Operator,
    user: &UserDoc,
) -> Result<RemovedFactors, ApiError> {
    account::reset_second_factors(
        state,
        &op.context(state, user.id),
        user,
        FactorReset::Operator,
    )
    .await?
    .ok_or(ApiError::NotFound)
}

/// Removes one passkey of the account, as its owner's removal does (event and mail), or
/// `not_found`.
pub async fn delete_passkey(
    state: &AppState,
    op: &Operator,
    user: &UserDoc,
    passkey: &str,
) -> Result<(), ApiError> {
    let id = ObjectId::parse_str(passkey).map_err(|_| ApiError::NotFound)?;
    let Some(passkey) = state.store.passkey_of(user.id, id).await? else {
        return Err(ApiError::NotFound);
    };
    if !state.store.delete_passkey(user.id, id).await? {
        return Err(ApiError::NotFound);
    }
    let event = Event::PasskeyRemoved {
        passkey_id: id,
        name: passkey.name.clone(),
    };
    events::emit(state, &op.context(state, user.id), event).await;
    notices::notify(state, user, Notice::PasskeyRemoved { name: passkey.name }).await;
    Ok(())
}

/// Deletes the account for good, as its owner's own deletion does, with the goodbye mail
/// unless `goodbye` says not to. `not_found` when it was already gone.
pub async fn delete(
    state: &AppState,
    op: &Operator,
    user: &UserDoc,
    goodbye: Goodbye,
) -> Result<(), ApiError> {
    let deleted =
        account::delete_account_with(state, &op.context(state, user.id), user, goodbye).await?;
    if !deleted {
        return Err(ApiError::NotFound);
    }
    Ok(())
}

/// Lifts the throttles of the account. How many records went.
pub async fn clear_account_throttles(state: &AppState, user: &UserDoc) -> Result<u64, ApiError> {
    Ok(state.store.clear_account_throttles(keys_of(user)).await?)
}

/// Lifts the per-address throttles of client `ip`: `(its rate key, records cleared)`.
pub async fn clear_ip_throttles(
    state: &AppState,
    ip: std::net::IpAddr,
) -> Result<(String, u64), ApiError> {
    let key = state.proxies.rate_key_of(ip).to_string();
    let cleared = state.store.clear_ip_throttles(&key).await?;
    Ok((key, cleared))
}
