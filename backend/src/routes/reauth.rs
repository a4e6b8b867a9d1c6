//! Proving the password again before a change to a signed-in account (a new password, a new
//! address, deletion). A bearer token proves a session, not the password: whoever holds a
//! stolen token must still not be able to take the account over. So a wrong password here is
//! a failed login, logged and counted exactly like one in the account's pool for unknown
//! clients (record-then-count, see `login`): a token thief gets no more guesses than any
//! stranger, and the owner can still log in from a known device or network.

use crate::{
    auth::AuthUser,
    domain::Password,
    error::ApiError,
    state::AppState,
    store::{Admission, EventKind, Limit, UserDoc},
};

/// The account of the token; gone (deleted meanwhile) is an invalid token.
pub async fn signed_in_user(state: &AppState, auth: &AuthUser) -> Result<UserDoc, ApiError> {
    state
        .store
        .find_user_by_id(&auth.user_id.to_hex())
        .await?
        .ok_or(ApiError::InvalidToken)
}

/// `Ok` when `password` is the account's; `401 invalid_credentials` when not (counted as a
/// failed login); `429 too_many_attempts` past the failed-login cap, before any hashing.
pub async fn prove_password(
    state: &AppState,
    user: &UserDoc,
    password: &Password,
    ip: &str,
) -> Result<(), ApiError> {
    let limits = &state.throttle;
    let limit = Limit {
        kind: EventKind::LoginFailure,
        window: limits.login_failure_window,
        max: u64::from(limits.max_login_failures),
    };
    // Logged before it is evaluated, so that concurrent guesses can never together evaluate
    // more than the cap.
    let attempt = match state
        .store
        .admit(limit, &user.username_key, state.clock.now())
        .await?
    {
        Admission::Admitted(attempt) => attempt,
        Admission::Refused { retry_after } => {
            tracing::info!(event = "throttled", limit = "login_failures", user_id = %user.id, %ip, "password check refused");
            return Err(ApiError::TooManyAttempts { retry_after });
        }
    };
    let verified = match state
        .hasher
        .verify(password, Some(&user.password_hash))
        .await
    {
        Ok(verified) => verified,
        Err(e) => {
            // Nothing was evaluated (the hash queue was full): not a failed attempt.
            forget(state, attempt).await;
            return Err(e.into());
        }
    };
    if !verified {
        tracing::info!(event = "reauth_failed", user_id = %user.id, %ip, "wrong password");
        return Err(ApiError::InvalidCredentials);
    }
    // Proved: this attempt was no failure. Earlier failures stay; only a login clears a pool.
    forget(state, attempt).await;
    Ok(())
}

async fn forget(state: &AppState, attempt: mongodb::bson::oid::ObjectId) {
    if let Err(e) = state.store.forget_event(attempt).await {
        tracing::warn!(error = %e, "could not undo a password attempt record");
    }
}
