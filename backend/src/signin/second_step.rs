//! The second step: a ticket, then a second factor.
//!
//! One factor on an account with TOTP on buys a ticket, not a session ([`challenge`]): 32
//! random bytes, of which only the SHA-256 is stored, bound to the account's credential epoch
//! (a password change or reset kills it), alive for `APP_MFA_TICKET_TTL_SECS`, dead after
//! `APP_MFA_TICKET_MAX_ATTEMPTS` wrong factors (an atomic `$inc` below the limit), and consumed
//! by the one request that deletes it. Fresh tickets cost only the first factor, so every wrong
//! second factor is also counted in the account's pools (`pools.rs`, family `SecondFactor`):
//! whoever knows the password gets at most the strangers' cap of guesses at six digits per
//! window, the owner's own device and network keep their own, and when the strangers' pool
//! fills the owner is told ("someone who knows your password is failing the second step").
//!
//! The factors: a current TOTP code (its time step accepted once, ±1 step of skew), an unused
//! recovery code (removed when used), or one of the account's passkeys answering the options
//! kept on the ticket by [`passkey_options`].

use mongodb::bson::doc;
use shared::{ErrorCode, FieldError, MfaChallenge, MfaMethod};
use webauthn_rs::prelude::{PasskeyAuthentication, PublicKeyCredential};

use super::{
    pools::{self, Attempt, Family, Pool, Subject},
    Client, Method, Outcome, Proof,
};
use crate::{
    error::ApiError,
    mail::Notice,
    mfa::{self, RecoveryCode},
    notices,
    passkeys::{self, credential_key},
    state::AppState,
    store::{MfaTicketDoc, UserDoc},
};

/// A second factor as a request presents it.
pub enum Factor<'a> {
    /// A 6-digit TOTP code.
    Code(&'a str),
    /// A recovery code, as typed.
    RecoveryCode(&'a str),
    /// A passkey assertion answering the options kept on the ticket.
    Passkey(serde_json::Value),
}

fn required(field: &str, message: &str) -> ApiError {
    ApiError::Validation(vec![FieldError {
        field: field.into(),
        code: ErrorCode::Required,
        message: message.into(),
    }])
}

impl<'a> Factor<'a> {
    /// Exactly one of `code` and `recovery_code`.
    pub fn one_of(code: Option<&'a str>, recovery_code: Option<&'a str>) -> Result<Self, ApiError> {
        match (code, recovery_code) {
            (Some(code), None) => Ok(Factor::Code(code)),
            (None, Some(recovery)) => Ok(Factor::RecoveryCode(recovery)),
            _ => Err(required(
                "code",
                "Give exactly one of `code` and `recovery_code`.",
            )),
        }
    }

    /// Exactly one of `code`, `recovery_code` and `passkey` (`POST /api/login/mfa`).
    pub fn one_of_three(
        code: Option<&'a str>,
        recovery_code: Option<&'a str>,
        passkey: Option<serde_json::Value>,
    ) -> Result<Self, ApiError> {
        match (code, recovery_code, passkey) {
            (None, None, Some(assertion)) => Ok(Factor::Passkey(assertion)),
            (code, recovery, None) if code.is_some() != recovery.is_some() => {
                Self::one_of(code, recovery)
            }
            _ => Err(required(
                "code",
                "Give exactly one of `code`, `recovery_code` and `passkey`.",
            )),
        }
    }

    pub fn method(&self) -> MfaMethod {
        match self {
            Factor::Code(_) => MfaMethod::Totp,
            Factor::RecoveryCode(_) => MfaMethod::RecoveryCode,
            Factor::Passkey(_) => MfaMethod::Passkey,
        }
    }
}

/// `true` when `factor` is a right, unused TOTP code or recovery code of `user`, and uses it
/// up: the time step of a TOTP code is recorded (a code is accepted once), a recovery code is
/// removed. `false` for anything else, TOTP off and passkeys included.
pub async fn use_code(
    state: &AppState,
    user: &UserDoc,
    factor: &Factor<'_>,
) -> Result<bool, ApiError> {
    let Some(totp) = &user.totp else {
        return Ok(false);
    };
    let keys = &state.mfa_keys;
    match factor {
        Factor::Code(code) => {
            let generator = keys
                .open_totp(&user.id, &totp.secret, &user.username)
                .map_err(ApiError::Internal)?;
            let Some(step) = mfa::matching_step(&generator, code, state.clock.now_secs()) else {
                return Ok(false);
            };
            let step = i64::try_from(step).map_err(|e| ApiError::Internal(e.into()))?;
            Ok(state.store.use_totp_step(user.id, step).await?)
        }
        Factor::RecoveryCode(input) => {
            let Some(code) = RecoveryCode::parse(input) else {
                return Ok(false);
            };
            let hash = keys.recovery_hash(&user.id, &code);
            Ok(state.store.use_recovery_code(user.id, &hash).await?)
        }
        Factor::Passkey(_) => Ok(false),
    }
}

/// The methods `user` may pass the second step with: a passkey too when the account has one.
pub async fn methods(state: &AppState, user: &UserDoc) -> Result<Vec<MfaMethod>, ApiError> {
    let mut methods = vec![MfaMethod::Totp, MfaMethod::RecoveryCode];
    if state.store.count_passkeys(user.id).await? > 0 {
        methods.push(MfaMethod::Passkey);
    }
    Ok(methods)
}

/// A new ticket for `user`, who proved `first`.
pub async fn challenge(
    state: &AppState,
    user: &UserDoc,
    first: Method,
    ip: &str,
) -> Result<MfaChallenge, ApiError> {
    let token = mfa::new_ticket();
    let now = state.clock.now();
    let ticket = MfaTicketDoc {
        id: mfa::digest(&token),
        user_id: user.id,
        epoch: user.credential_epoch.clone(),
        first: first.as_str().to_owned(),
        attempts: 0,
        created_at: now,
        expires_at: crate::clock::after(now, state.mfa.ticket_ttl),
        state: None,
    };
    state.store.insert_mfa_ticket(&ticket).await?;
    tracing::info!(event = "mfa_challenge", user_id = %user.id, first = first.as_str(), %ip, "first factor proved, second step asked");
    Ok(MfaChallenge {
        mfa_required: true,
        mfa_token: token,
        methods: methods(state, user).await?,
    })
}

/// The live ticket `token` and its account, without counting anything. `401 invalid_token`
/// when it is unknown, expired, used or exhausted, or the account's credentials changed since;
/// `403 account_disabled`.
pub async fn find(state: &AppState, token: &str) -> Result<(MfaTicketDoc, UserDoc), ApiError> {
    let now = state.clock.now();
    let max = state.mfa.ticket_max_attempts;
    let ticket = state
        .store
        .find_live_mfa_ticket(&mfa::digest(token), now, max)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    let user = state
        .store
        .find_user_by_id(&ticket.user_id.to_hex())
        .await?
        .ok_or(ApiError::InvalidToken)?;
    if user.disabled {
        return Err(ApiError::AccountDisabled);
    }
    // A reset or change of the password since ends what the old one bought.
    if user.credential_epoch != ticket.epoch {
        return Err(ApiError::InvalidToken);
    }
    Ok((ticket, user))
}

/// Where the passkey method keeps its WebAuthn state on the ticket.
const TICKET_STATE: &str = "passkey_authentication";

/// Starts the passkey method: request options listing the account's passkeys, the WebAuthn
/// state kept on the ticket itself (so it lives and dies with it; a new start replaces it).
pub async fn passkey_options(
    state: &AppState,
    token: &str,
) -> Result<(String, serde_json::Value), ApiError> {
    let (ticket, user) = find(state, token).await?;
    let passkeys = state
        .store
        .passkeys_of(user.id)
        .await?
        .iter()
        .map(passkeys::passkey_of)
        .collect::<Result<Vec<_>, _>>()?;
    if passkeys.is_empty() {
        return Err(ApiError::PasskeyRejected);
    }
    let (options, authentication) = state
        .webauthn
        .webauthn
        .start_passkey_authentication(&passkeys)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("starting an authentication: {e}")))?;
    let kept = serde_json::to_string(&authentication).map_err(|e| ApiError::Internal(e.into()))?;
    let challenge_id = passkeys::new_challenge_id();
    let stored = state
        .store
        .set_mfa_ticket_state(
            &ticket.id,
            state.clock.now(),
            state.mfa.ticket_max_attempts,
            doc! { TICKET_STATE: kept, "challenge_id": &challenge_id },
        )
        .await?;
    if !stored {
        // Used, expired or exhausted since it was read.
        return Err(ApiError::InvalidToken);
    }
    let options = serde_json::to_value(options).map_err(|e| ApiError::Internal(e.into()))?;
    Ok((challenge_id, options))
}

/// Passes the second step of ticket `token` with `factor` from `client`: a right factor
/// consumes the ticket and signs in exactly as the first factor would have (session, token
/// transport, device cookie, known network); a wrong one is `400 invalid_code` with the
/// ticket's attempts left (`401 invalid_token` once it died).
pub async fn pass(
    state: &AppState,
    client: &Client,
    token: &str,
    factor: Factor<'_>,
) -> Result<Outcome, ApiError> {
    let (ticket, user) = find(state, token).await?;
    let pool = Pool::of(state, client, Some(&user)).await?;
    let attempt = pools::admit(state, Family::SecondFactor, &pool, Subject::Account(&user)).await?;
    let method = factor.method();
    let right = match factor {
        Factor::Passkey(assertion) => {
            match verify_passkey(state, &ticket, &user, assertion).await {
                Ok(()) => true,
                Err(Refusal::Wrong(reason)) => {
                    tracing::info!(event = "passkey_refused", user_id = %user.id, ip = %client.ip_text(), reason, "second-step passkey refused");
                    false
                }
                Err(Refusal::Error(e)) => {
                    attempt.forget(state).await;
                    return Err(e);
                }
            }
        }
        factor => match use_code(state, &user, &factor).await {
            Ok(right) => right,
            Err(e) => {
                attempt.forget(state).await;
                return Err(e);
            }
        },
    };
    if !right {
        return Err(refuse(state, client, &ticket, &user, attempt, &pool, method).await);
    }
    attempt.forget(state).await;
    let consumed = state
        .store
        .consume_mfa_ticket(&ticket.id, state.clock.now(), state.mfa.ticket_max_attempts)
        .await?;
    if consumed.is_none() {
        return Err(ApiError::InvalidToken);
    }
    tracing::info!(event = "mfa_passed", user_id = %user.id, ?method, ip = %client.ip_text(), "second factor accepted");
    let first = Method::parse(&ticket.first).unwrap_or(Method::Password);
    super::finish(
        state,
        client,
        Proof {
            user,
            method: first,
            second: Some(method),
        },
    )
    .await
}

/// A wrong second factor: counted on the ticket (and already in the pool).
async fn refuse(
    state: &AppState,
    client: &Client,
    ticket: &MfaTicketDoc,
    user: &UserDoc,
    attempt: Attempt,
    pool: &Pool,
    method: MfaMethod,
) -> ApiError {
    tracing::info!(event = "mfa_failed", user_id = %user.id, ?method, pool = pool.name(), ip = %client.ip_text(), "wrong second factor");
    super::refused(state, client, user, factor_name(method), pool).await;
    match attempt.failed(state).await {
        Ok(0) if *pool == Pool::Strangers => warn_owner(state, user).await,
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not count a pool"),
    }
    let max = state.mfa.ticket_max_attempts;
    match state
        .store
        .fail_mfa_ticket(&ticket.id, state.clock.now(), max)
        .await
    {
        Ok(Some(ticket)) => ApiError::InvalidCode {
            attempts_left: u32::try_from(i64::from(max) - ticket.attempts).unwrap_or(0),
        },
        Ok(None) => ApiError::InvalidToken,
        Err(e) => e.into(),
    }
}

/// How a second factor is named in events.
pub fn factor_name(method: MfaMethod) -> &'static str {
    match method {
        MfaMethod::Totp => "totp",
        MfaMethod::RecoveryCode => "recovery_code",
        MfaMethod::Passkey => "passkey",
    }
}

/// The strangers' second-step pool of `user` just filled up: whoever is failing knows the
/// password. Told once per window (the next attempts are refused before they are evaluated).
pub async fn warn_owner(state: &AppState, user: &UserDoc) {
    tracing::warn!(event = "second_step_failing", user_id = %user.id, "the strangers' second-step pool is full: the password is known to someone failing the second step");
    notices::notify(state, user, Notice::SecondStepFailing).await;
}

enum Refusal {
    /// Counted as a wrong second factor.
    Wrong(String),
    Error(ApiError),
}

impl<E: Into<ApiError>> From<E> for Refusal {
    fn from(e: E) -> Self {
        Refusal::Error(e.into())
    }
}

/// The assertion must answer the options kept on this ticket, by one of the account's
/// passkeys, with a sign counter that grew (authenticators that keep no counter, such as
/// synced passkeys, report 0 and are not held to it).
async fn verify_passkey(
    state: &AppState,
    ticket: &MfaTicketDoc,
    user: &UserDoc,
    assertion: serde_json::Value,
) -> Result<(), Refusal> {
    let wrong = |why: &dyn std::fmt::Display| Refusal::Wrong(why.to_string());
    let kept = ticket
        .state
        .as_ref()
        .and_then(|s| s.get_str(TICKET_STATE).ok())
        .ok_or_else(|| wrong(&"no passkey start on this ticket"))?;
    let authentication: PasskeyAuthentication =
        serde_json::from_str(kept).map_err(|e| ApiError::Internal(e.into()))?;
    let credential: PublicKeyCredential =
        serde_json::from_value(assertion).map_err(|_| wrong(&"unreadable credential"))?;
    let stored = state
        .store
        .find_passkey(&credential_key(credential.get_credential_id()))
        .await?
        .filter(|p| p.user_id == user.id)
        .ok_or_else(|| wrong(&"not a passkey of this account"))?;
    let result = state
        .webauthn
        .webauthn
        .finish_passkey_authentication(&credential, &authentication)
        .map_err(|e| wrong(&e))?;
    let mut passkey = passkeys::passkey_of(&stored)?;
    passkey.update_credential(&result);
    let kept = serde_json::to_string(&passkey).map_err(|e| ApiError::Internal(e.into()))?;
    if !state
        .store
        .record_passkey_use(stored.id, result.counter(), &kept, state.clock.now())
        .await?
    {
        return Err(wrong(&"sign counter did not grow, or passkey deleted"));
    }
    Ok(())
}
