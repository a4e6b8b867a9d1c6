//! The server side of the WebAuthn ceremonies, with `webauthn-rs`. Every ceremony is `start` (options for the browser, the state kept in MongoDB
//! under a random challenge id) then `finish` (the state taken back once, the browser's answer
//! verified against it). The state lives in the database, not in the process, so `finish`
//! may land on another instance than `start`.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use mongodb::bson::oid::ObjectId;
use rand::RngCore;
use serde::{de::DeserializeOwned, Serialize};
use webauthn_rs::prelude::Passkey;

use crate::{
    error::ApiError,
    state::AppState,
    store::{registration_slot, ChallengeDoc, ChallengePurpose, PasskeyDoc},
};

/// A credential id as stored and compared: unpadded base64url of its bytes.
pub fn credential_key(id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

/// A random challenge id (256 bits, base64url).
pub fn new_challenge_id() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Keeps a ceremony's state under a new random challenge id (256 bits) until
/// `APP_WEBAUTHN_CHALLENGE_TTL_SECS` from now; returns the id.
pub async fn keep_state<S: Serialize>(
    state: &AppState,
    purpose: ChallengePurpose,
    user_id: Option<ObjectId>,
    ceremony: &S,
) -> Result<String, ApiError> {
    let id = new_challenge_id();
    let now = state.clock.now();
    // A registration lives in its account's one slot (a new one replaces a pending one), so
    // an account never has more than one; a login's lives under its own id.
    let (doc_id, nonce) = match (purpose, user_id) {
        (ChallengePurpose::Register, Some(user)) => (registration_slot(user), Some(id.clone())),
        _ => (id.clone(), None),
    };
    let doc = ChallengeDoc {
        id: doc_id,
        nonce,
        purpose,
        user_id,
        state: serde_json::to_string(ceremony).map_err(|e| ApiError::Internal(e.into()))?,
        expires_at: crate::clock::after(now, state.webauthn.challenge_ttl),
    };
    state.store.insert_challenge(&doc).await?;
    Ok(id)
}

/// Takes back the state kept under `challenge_id` (once: it is deleted in the same step).
/// Unknown, expired, used, of another purpose or (registration) of another account:
/// `400 invalid_challenge`.
pub async fn take_state<S: DeserializeOwned>(
    state: &AppState,
    challenge_id: &str,
    purpose: ChallengePurpose,
    user_id: Option<ObjectId>,
) -> Result<S, ApiError> {
    let taken = state
        .store
        .take_challenge(challenge_id, purpose, user_id, state.clock.now())
        .await?
        .ok_or(ApiError::InvalidChallenge)?;
    serde_json::from_str(&taken.state).map_err(|e| ApiError::Internal(e.into()))
}

/// The `webauthn-rs` credential kept in a passkey document.
pub fn passkey_of(doc: &PasskeyDoc) -> Result<Passkey, ApiError> {
    serde_json::from_str(&doc.passkey).map_err(|e| ApiError::Internal(e.into()))
}

/// How a passkey is shown to its owner.
pub fn info(doc: &PasskeyDoc) -> shared::PasskeyInfo {
    shared::PasskeyInfo {
        id: doc.id.to_hex(),
        name: doc.name.clone(),
        created_at: doc.created_at.timestamp_millis() / 1000,
        last_used_at: doc.last_used_at.map(|t| t.timestamp_millis() / 1000),
    }
}
