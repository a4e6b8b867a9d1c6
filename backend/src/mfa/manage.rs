//! The signed-in owner's TOTP: set it up, turn it on, turn it off, replace the recovery codes.
//! Every change needs a step-up (`signin::step_up`) and is mailed to the owner. The TOTP secret
//! is stored only sealed ([`super::crypto`]), the recovery codes only as HMACs; both are shown
//! once, in the answer that creates them.
//!
//! - setup proves the password (a recent step-up of the session will do) and makes a pending
//!   secret that only this session can enable;
//! - enable proves the app shows its codes (guesses counted in the account's second-factor
//!   pools), turns TOTP on and ends every other session: none of them proved a second factor,
//!   and from now on every session must have;
//! - disable and new recovery codes prove the password and a current code or recovery code in
//!   the request itself.

use shared::{MfaStatus, RecoveryCodes, TotpSetup};

use super::crypto::{self as mfa, MfaKeys};
use crate::{
    auth::SignedInUser,
    error::ApiError,
    events::{self, Context, EndReason, Event},
    mail::Notice,
    notices,
    signin::{
        pools::{self, Family, Pool, Subject},
        step_up::{self, Freshness, Proof},
        Client,
    },
    state::AppState,
    store::UserDoc,
};

/// A new set of recovery codes: the codes to show, and their hashes to store.
fn recovery_codes(keys: &MfaKeys, user: &UserDoc) -> (Vec<String>, Vec<String>) {
    let codes = mfa::new_recovery_codes();
    let hashes = codes
        .iter()
        .filter_map(|code| mfa::RecoveryCode::parse(code))
        .map(|code| keys.recovery_hash(&user.id, &code))
        .collect();
    (codes, hashes)
}

/// A new pending secret, after a step-up.
pub async fn setup(
    state: &AppState,
    client: &Client,
    signed: &SignedInUser,
    proof: Proof<'_>,
) -> Result<TotpSetup, ApiError> {
    let user = &signed.user;
    if user.totp.is_some() {
        return Err(ApiError::TotpAlreadyEnabled);
    }
    step_up::step_up(state, client, signed, proof, Freshness::Recent).await?;
    let secret = mfa::new_secret();
    let sealed = state
        .mfa_keys
        .seal(&user.id, &secret)
        .map_err(ApiError::Internal)?;
    let totp = state
        .mfa_keys
        .totp(secret, &user.username)
        .map_err(ApiError::Internal)?;
    if !state
        .store
        .set_totp_pending(user.id, &sealed, &signed.auth.session.id)
        .await?
    {
        return Err(ApiError::TotpAlreadyEnabled);
    }
    tracing::info!(event = "totp_setup", user_id = %user.id, "TOTP setup started");
    Ok(TotpSetup {
        secret: totp.get_secret_base32(),
        otpauth_uri: totp.get_url(),
    })
}

/// Turns TOTP on with a current code from this session's pending secret; the recovery codes.
pub async fn enable(
    state: &AppState,
    client: &Client,
    signed: &SignedInUser,
    code: &str,
) -> Result<RecoveryCodes, ApiError> {
    let user = &signed.user;
    if user.totp.is_some() {
        return Err(ApiError::TotpAlreadyEnabled);
    }
    let session = &signed.auth.session.id;
    let (Some(sealed), true) = (
        user.totp_pending.clone(),
        user.totp_pending_sid.as_deref() == Some(session.as_str()),
    ) else {
        return Err(ApiError::TotpNotSetUp);
    };
    // Guesses here count with the second factor's: a session must not be a way to try codes
    // for free either.
    let pool = Pool::of(state, client, Some(user)).await?;
    let attempt = pools::admit(state, Family::SecondFactor, &pool, Subject::Account(user)).await?;
    let totp = state
        .mfa_keys
        .open_totp(&user.id, &sealed, &user.username)
        .map_err(ApiError::Internal)?;
    let Some(step) = mfa::matching_step(&totp, code, state.clock.now_secs()) else {
        let left = attempt.failed(state).await?;
        return Err(ApiError::InvalidCode {
            attempts_left: u32::try_from(left).unwrap_or(u32::MAX),
        });
    };
    attempt.forget(state).await;
    let (codes, hashes) = recovery_codes(&state.mfa_keys, user);
    let step = i64::try_from(step).map_err(|e| ApiError::Internal(e.into()))?;
    let enabled = state
        .store
        .enable_totp(user.id, &sealed, step, hashes, state.clock.now())
        .await?;
    if !enabled {
        // Raced by another enable or setup: say which state won.
        let now = state.store.find_user_by_id(&user.id.to_hex()).await?;
        return Err(if now.is_some_and(|now| now.totp.is_some()) {
            ApiError::TotpAlreadyEnabled
        } else {
            ApiError::TotpNotSetUp
        });
    }
    let ended = state.store.end_sessions_of(user.id, Some(session)).await?;
    tracing::info!(event = "totp_enabled", user_id = %user.id, other_sessions_ended = ended.len(), "TOTP enabled");
    let mut happened = vec![Event::TotpEnabled];
    happened.extend(events::sessions_ended(ended, EndReason::Password));
    events::emit_all(state, &context_of(state, client, signed), happened).await;
    notices::notify(state, user, Notice::SecondFactorEnabled).await;
    Ok(RecoveryCodes {
        recovery_codes: codes,
    })
}

/// Turns TOTP off, proving the password and a current code or an unused recovery code. The
/// recovery codes die with it.
pub async fn disable(
    state: &AppState,
    client: &Client,
    signed: &SignedInUser,
    proof: Proof<'_>,
) -> Result<(), ApiError> {
    let user = &signed.user;
    prove_with_totp_on(state, client, signed, proof).await?;
    if !state.store.disable_totp(user.id).await? {
        return Err(ApiError::TotpNotEnabled);
    }
    tracing::info!(event = "totp_disabled", user_id = %user.id, ip = %client.ip_text(), "TOTP disabled");
    tell(
        state,
        client,
        signed,
        Event::TotpDisabled,
        Notice::SecondFactorDisabled,
    )
    .await;
    Ok(())
}

/// Replaces the recovery codes, proving the password and a current code or an unused recovery
/// code; the old ones stop working.
pub async fn replace_recovery_codes(
    state: &AppState,
    client: &Client,
    signed: &SignedInUser,
    proof: Proof<'_>,
) -> Result<RecoveryCodes, ApiError> {
    let user = &signed.user;
    prove_with_totp_on(state, client, signed, proof).await?;
    let (codes, hashes) = recovery_codes(&state.mfa_keys, user);
    if !state.store.replace_recovery_codes(user.id, hashes).await? {
        return Err(ApiError::TotpNotEnabled);
    }
    tracing::info!(event = "recovery_codes_replaced", user_id = %user.id, ip = %client.ip_text(), "new recovery codes");
    tell(
        state,
        client,
        signed,
        Event::RecoveryCodesReplaced,
        Notice::RecoveryCodesReplaced,
    )
    .await;
    Ok(RecoveryCodes {
        recovery_codes: codes,
    })
}

fn context_of(state: &AppState, client: &Client, signed: &SignedInUser) -> Context {
    Context::of(state, signed.user.id, client, Some(&signed.auth.session.id))
}

/// What turning TOTP off and replacing the recovery codes both take, in this order: exactly one
/// of `code` and `recovery_code`, TOTP on, and a step-up with the password and that factor in
/// this request.
async fn prove_with_totp_on(
    state: &AppState,
    client: &Client,
    signed: &SignedInUser,
    proof: Proof<'_>,
) -> Result<(), ApiError> {
    require_both(&proof)?;
    if signed.user.totp.is_none() {
        return Err(ApiError::TotpNotEnabled);
    }
    step_up::step_up(state, client, signed, proof, Freshness::Now).await
}

/// Tells the events and mails the owner the notice of a change this session made.
async fn tell(
    state: &AppState,
    client: &Client,
    signed: &SignedInUser,
    event: Event,
    notice: Notice,
) {
    events::emit(state, &context_of(state, client, signed), event).await;
    notices::notify(state, &signed.user, notice).await;
}

/// The request must carry exactly one of `code` and `recovery_code` (checked before anything
/// else, as the schema says).
fn require_both(proof: &Proof<'_>) -> Result<(), ApiError> {
    crate::signin::second_step::Factor::one_of(proof.code, proof.recovery_code).map(|_| ())
}

/// What is on.
pub async fn status(state: &AppState, user: &UserDoc) -> Result<MfaStatus, ApiError> {
    let remaining = user.totp.as_ref().map_or(0, |t| {
        u32::try_from(t.recovery_codes.len()).unwrap_or(u32::MAX)
    });
    Ok(MfaStatus {
        totp_enabled: user.totp.is_some(),
        recovery_codes_remaining: remaining,
        passkeys: u32::try_from(state.store.count_passkeys(user.id).await?).unwrap_or(u32::MAX),
    })
}
