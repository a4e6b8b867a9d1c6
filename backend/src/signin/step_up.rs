//! Proving the factors again while signed in. A bearer token proves a session, not the
//! person: whoever holds a stolen token must not be able to take the account over with it.
//!
//! - **Re-authentication** ([`prove_password`]): a new password, a new address and deleting
//!   the account prove the password in the same request.
//! - **Step-up** ([`step_up`]): changing the factors themselves — adding or removing a
//!   passkey, setting up, enabling or disabling TOTP, replacing recovery codes — proves the
//!   password and, when the account has TOTP on, a current code or a recovery code. A
//!   successful step-up is recorded on the session; for `APP_STEP_UP_TTL_SECS` after it the
//!   session may make further factor changes that accept a recent step-up without proving
//!   them again. Signing in never counts as a step-up: a token taken from a fresh sign-in is
//!   still only a token.
//!
//! Every wrong password or factor here is a failure like a wrong one at sign-in, counted in the
//! same pools (`pools.rs`): a token thief gets no more guesses than any stranger, and the
//! owner keeps theirs on a known device or network.

use shared::{ErrorCode, FieldError};

use super::{
    pools::{self, Family, Pool, Subject},
    second_step::{self, Factor},
    Client,
};
use crate::{
    auth::SignedInUser, domain::Password, error::ApiError, state::AppState, store::UserDoc,
};

/// `Ok` when `password` is the account's; `401 invalid_credentials` when not (counted as a
/// failed sign-in in the client's pool); `429 too_many_attempts` past a cap, before any hashing.
pub async fn prove_password(
    state: &AppState,
    client: &Client,
    user: &UserDoc,
    password: &Password,
) -> Result<(), ApiError> {
    let pool = Pool::of(state, client, Some(user)).await?;
    let attempt = pools::admit(state, Family::Password, &pool, Subject::Account(user)).await?;
    let verified = match state
        .hasher
        .verify(password, Some(&user.password_hash))
        .await
    {
        Ok(verified) => verified,
        Err(e) => {
            // Nothing was evaluated (the hash queue was full): not a failed attempt.
            attempt.forget(state).await;
            return Err(e.into());
        }
    };
    if !verified {
        attempt.counted();
        tracing::info!(event = "reauth_failed", user_id = %user.id, pool = pool.name(), ip = %client.ip_text(), "wrong password");
        super::refused(state, client, user, "password", &pool).await;
        return Err(ApiError::InvalidCredentials);
    }
    // Proved: this attempt was no failure. Earlier failures stay; only a sign-in clears a pool.
    attempt.forget(state).await;
    Ok(())
}

/// `Ok` when `factor` is a right, unused second factor of `user` (and uses it up); `400
/// invalid_code` with the attempts its pool has left when not; `429 too_many_attempts` past a
/// cap, before it is evaluated.
pub async fn prove_second_factor(
    state: &AppState,
    client: &Client,
    user: &UserDoc,
    factor: &Factor<'_>,
) -> Result<(), ApiError> {
    let pool = Pool::of(state, client, Some(user)).await?;
    let attempt = pools::admit(state, Family::SecondFactor, &pool, Subject::Account(user)).await?;
    let right = match second_step::use_code(state, user, factor).await {
        Ok(right) => right,
        Err(e) => {
            attempt.forget(state).await;
            return Err(e);
        }
    };
    if right {
        attempt.forget(state).await;
        return Ok(());
    }
    tracing::info!(event = "mfa_failed", user_id = %user.id, pool = pool.name(), ip = %client.ip_text(), "wrong second factor while signed in");
    let name = second_step::factor_name(factor.method());
    super::refused(state, client, user, name, &pool).await;
    let left = attempt.failed(state).await?;
    if left == 0 && pool == Pool::Strangers {
        second_step::warn_owner(state, user).await;
    }
    Err(ApiError::InvalidCode {
        attempts_left: u32::try_from(left).unwrap_or(u32::MAX),
    })
}

/// The proof a factor change carries.
#[derive(Debug, Clone, Copy, Default)]
pub struct Proof<'a> {
    pub password: Option<&'a str>,
    pub code: Option<&'a str>,
    pub recovery_code: Option<&'a str>,
}

impl<'a> Proof<'a> {
    pub fn of(request: &'a shared::StepUpRequest) -> Self {
        Self {
            password: request.password.as_deref(),
            code: request.code.as_deref(),
            recovery_code: request.recovery_code.as_deref(),
        }
    }

    /// The password and one of `code` / `recovery_code`: what turning TOTP off and replacing
    /// the recovery codes take.
    pub fn with_password(
        password: &'a str,
        code: &'a Option<String>,
        recovery_code: &'a Option<String>,
    ) -> Self {
        Self {
            password: Some(password),
            code: code.as_deref(),
            recovery_code: recovery_code.as_deref(),
        }
    }

    fn is_empty(&self) -> bool {
        self.password.is_none() && self.code.is_none() && self.recovery_code.is_none()
    }
}

/// Whether a recent step-up of the session may stand in for the proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// A step-up of this session within `APP_STEP_UP_TTL_SECS` will do.
    Recent,
    /// The proof must be in this request.
    Now,
}

/// Requires a step-up of `signed` for a factor change: the password, and exactly one of a
/// current code or a recovery code when TOTP is on — or, with [`Freshness::Recent`] and no
/// proof given, a step-up of this session within `APP_STEP_UP_TTL_SECS`. A missing proof is
/// `422 validation_failed` (`password`, then `code`, `required`); a wrong password `401
/// invalid_credentials`; a wrong factor `400 invalid_code`; past a cap `429
/// too_many_attempts`. A successful step-up is recorded on the session.
pub async fn step_up(
    state: &AppState,
    client: &Client,
    signed: &SignedInUser,
    proof: Proof<'_>,
    freshness: Freshness,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    let user = &signed.user;
    if freshness == Freshness::Recent && proof.is_empty() {
        let recent = signed
            .auth
            .session
            .stepped_up_at
            .is_some_and(|at| now < crate::clock::after(at, state.mfa.step_up_ttl));
        if recent {
            return Ok(());
        }
    }
    let Some(password) = proof.password else {
        return Err(required(
            "password",
            "Prove the account's password (and a code when two-step login is on).",
        ));
    };
    let password = Password::for_login(password.to_owned()).map_err(|code| {
        ApiError::Validation(vec![FieldError {
            field: "password".into(),
            code,
            message: "The account's password is required (at most 128 characters).".into(),
        }])
    })?;
    // Both checked before any attempt is counted: a malformed request costs nothing.
    let factor = match &user.totp {
        Some(_) => Some(Factor::one_of(proof.code, proof.recovery_code)?),
        None => None,
    };
    prove_password(state, client, user, &password).await?;
    if let Some(factor) = &factor {
        prove_second_factor(state, client, user, factor).await?;
    }
    state
        .store
        .record_step_up(&signed.auth.session.id, state.clock.now())
        .await?;
    tracing::info!(event = "step_up", user_id = %user.id, session = %signed.auth.session.id, ip = %client.ip_text(), "factors proved again");
    Ok(())
}

fn required(field: &str, message: &str) -> ApiError {
    ApiError::Validation(vec![FieldError {
        field: field.into(),
        code: ErrorCode::Required,
        message: message.into(),
    }])
}
