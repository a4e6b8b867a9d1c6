//! The password as the first factor (`POST /api/login`). Unknown usernames and wrong passwords
//! get the same answer after the same work: the account is read, its pool chosen and the
//! attempt counted either way, and a dummy hash is verified when there is no account.

use super::{
    pools::{self, Family, Pool, Subject},
    Client, Method, Outcome, Proof,
};
use crate::{domain::Credentials, error::ApiError, state::AppState};

/// Proves `credentials`, then [`super::finish`].
pub async fn sign_in(
    state: &AppState,
    client: &Client,
    credentials: Credentials,
) -> Result<Outcome, ApiError> {
    let store = &state.store;
    let key = credentials.username.to_ascii_lowercase();
    let ip = client.ip_text();
    let user = store.find_user_by_username_key(&key).await?;
    let pool = Pool::of(state, client, user.as_ref()).await?;
    let subject = match &user {
        Some(user) => Subject::Account(user),
        None => Subject::UnknownName(&key),
    };
    // Counted as a failure before it is evaluated, so that concurrent guesses in one pool can
    // never together evaluate more than its cap.
    let attempt = pools::admit(state, Family::Password, &pool, subject).await?;
    let stored = user.as_ref().map(|u| u.password_hash.as_str());
    let verified = match state.hasher.verify(&credentials.password, stored).await {
        Ok(verified) => verified,
        Err(e) => {
            // Nothing was evaluated (the hash queue was full): not a failed login.
            attempt.forget(state).await;
            return Err(e.into());
        }
    };
    let user = match (verified, user) {
        (true, Some(user)) => user,
        (_, user) => {
            attempt.counted();
            let user_id = user.as_ref().map(|u| u.id.to_hex()).unwrap_or_default();
            tracing::info!(event = "login_failed", user_id, pool = pool.name(), %ip, "login refused");
            if let Some(user) = user {
                super::refused(state, client, &user, "password", &pool).await;
            }
            return Err(ApiError::InvalidCredentials);
        }
    };
    // A success clears the failures of the pool it was counted in, and no other.
    attempt.succeeded(state).await;
    super::finish(state, client, Proof::first(user, Method::Password)).await
}
