//! A passkey alone as the way in (`POST /api/passkeys/login/finish`): a discoverable credential
//! names its account through its user handle; user verification is required, so the passkey
//! is two factors and no second step follows. Every refusal of the assertion (unknown or
//! deleted credential, a handle that is not its account's, a bad signature, a wrong origin, a
//! sign counter that did not grow) is the same `401 invalid_credentials`.

use webauthn_rs::prelude::{DiscoverableAuthentication, DiscoverableKey, PublicKeyCredential};

use super::{Client, Method, Outcome, Proof};
use crate::{
    error::ApiError,
    passkeys::{self, credential_key, take_state},
    state::AppState,
    store::ChallengePurpose,
};

/// Verifies the assertion `credential` against the login challenge `challenge_id`, then
/// [`super::finish`].
pub async fn sign_in(
    state: &AppState,
    client: &Client,
    challenge_id: &str,
    credential: serde_json::Value,
) -> Result<Outcome, ApiError> {
    let ip = client.ip_text();
    let authentication: DiscoverableAuthentication =
        take_state(state, challenge_id, ChallengePurpose::Login, None).await?;
    let refuse = |reason: &dyn std::fmt::Display| {
        tracing::info!(event = "login_failed", method = "passkey", %ip, reason = %reason, "passkey sign-in refused");
        ApiError::InvalidCredentials
    };
    let credential: PublicKeyCredential =
        serde_json::from_value(credential).map_err(|_| refuse(&"unreadable credential"))?;
    let webauthn = &state.webauthn.webauthn;
    let (handle, credential_id) = webauthn
        .identify_discoverable_authentication(&credential)
        .map_err(|e| refuse(&e))?;
    let Some(stored) = state
        .store
        .find_passkey(&credential_key(credential_id))
        .await?
    else {
        return Err(refuse(&"unknown credential"));
    };
    // The handle names the account; the credential must be one of that account's.
    if stored.user_handle != handle.to_string() {
        return Err(refuse(&"user handle does not match the credential"));
    }
    let Some(user) = state
        .store
        .find_user_by_id(&stored.user_id.to_hex())
        .await?
    else {
        return Err(refuse(&"account gone"));
    };
    let mut passkey = passkeys::passkey_of(&stored)?;
    let result = webauthn
        .finish_discoverable_authentication(
            &credential,
            authentication,
            &[DiscoverableKey::from(&passkey)],
        )
        .map_err(|e| refuse(&e))?;
    passkey.update_credential(&result);
    let kept = serde_json::to_string(&passkey).map_err(|e| ApiError::Internal(e.into()))?;
    // Said only to whoever proved the passkey, as at the password sign-in (before the use is
    // recorded, which would otherwise tell a disabled account's passkey apart).
    if user.disabled {
        return super::finish(state, client, Proof::first(user, Method::Passkey)).await;
    }
    if !state
        .store
        .record_passkey_use(stored.id, result.counter(), &kept, state.clock.now())
        .await?
    {
        // Another assertion with this counter or a later one landed first: a replay or a
        // cloned authenticator (only for authenticators that count: synced passkeys report
        // 0 and are not held to it); or the passkey was deleted meanwhile.
        return Err(refuse(&"sign counter did not grow, or passkey deleted"));
    }
    tracing::info!(event = "passkey_used", user_id = %user.id, passkey = %stored.id, %ip, "passkey accepted");
    super::finish(state, client, Proof::first(user, Method::Passkey)).await
}
