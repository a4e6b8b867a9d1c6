//! The signed-in owner's passkeys: register one (start, then finish), list them, delete one.
//! Adding and removing change how the account can be signed in to, so both need a step-up
//! (`signin::step_up`): the registration's start proves it, and its challenge — the account's
//! one pending registration, bound to it — carries that proof to the finish. Each change is
//! mailed to the owner. An account has at most `APP_PASSKEYS_MAX` passkeys.

use mongodb::bson::oid::ObjectId;
use shared::{PasskeyInfo, PasskeyList, PasskeyRegisterFinish};
use webauthn_rs::prelude::{PasskeyRegistration, RegisterPublicKeyCredential, Uuid};

use super::{credential_key, info, keep_state, take_state};
use crate::{
    auth::SignedInUser,
    domain::PasskeyName,
    error::ApiError,
    events::{self, Context, Event},
    mail::Notice,
    notices,
    signin::{
        step_up::{self, Freshness, Proof},
        Client,
    },
    state::AppState,
    store::{ChallengePurpose, PasskeyDoc, PasskeyInsertError},
};

/// Starts registering a passkey: creation options for `navigator.credentials.create()` (a
/// discoverable credential is required, user verification too; the account's passkeys are
/// excluded, so one authenticator is not registered twice) and the challenge id. Replaces a
/// pending registration of the account.
pub async fn register_start(
    state: &AppState,
    client: &Client,
    signed: &SignedInUser,
    proof: Proof<'_>,
) -> Result<(String, serde_json::Value), ApiError> {
    step_up::step_up(state, client, signed, proof, Freshness::Recent).await?;
    let user = &signed.user;
    let existing = state.store.passkeys_of(user.id).await?;
    if existing.len() >= usize::try_from(state.webauthn.passkeys_max).unwrap_or(usize::MAX) {
        return Err(ApiError::TooManyPasskeys);
    }
    let handle = state
        .store
        .webauthn_user_id(user.id)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    let handle = Uuid::parse_str(&handle).map_err(|e| ApiError::Internal(e.into()))?;
    let (options, registration) = state
        .webauthn
        .webauthn
        .start_passkey_registration(handle, &user.username, &user.nickname, None)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("starting a registration: {e}")))?;
    let mut options = serde_json::to_value(options).map_err(|e| ApiError::Internal(e.into()))?;
    // The account's credentials go to the browser only (so that it does not create a second
    // passkey on an authenticator that has one), not into the ceremony state: a credential
    // registered already is then refused by the unique index (`409 passkey_taken`), for this
    // account or any other, rather than by `webauthn-rs` under a misleading error.
    let exclude: Vec<serde_json::Value> = existing
        .iter()
        .map(|p| serde_json::json!({"type": "public-key", "id": p.credential_id}))
        .collect();
    if let Some(public_key) = options
        .get_mut("publicKey")
        .and_then(serde_json::Value::as_object_mut)
    {
        public_key.insert("excludeCredentials".into(), exclude.into());
    }
    // `webauthn-rs` asks for a server-side credential; signing in with the passkey alone
    // needs a discoverable one (the authenticator must name the account). The server-side
    // state does not depend on it.
    if let Some(selection) = options
        .pointer_mut("/publicKey/authenticatorSelection")
        .and_then(serde_json::Value::as_object_mut)
    {
        selection.insert("residentKey".into(), "required".into());
        selection.insert("requireResidentKey".into(), true.into());
    }
    let id = keep_state(
        state,
        ChallengePurpose::Register,
        Some(user.id),
        &registration,
    )
    .await?;
    Ok((id, options))
}

/// Finishes a registration: verifies the new credential against the account's pending
/// challenge (spent whatever the outcome) and stores it under its name.
pub async fn register_finish(
    state: &AppState,
    client: &Client,
    signed: &SignedInUser,
    body: PasskeyRegisterFinish,
) -> Result<PasskeyInfo, ApiError> {
    let name = PasskeyName::parse(&body.name)?;
    let user = &signed.user;
    let registration: PasskeyRegistration = take_state(
        state,
        &body.challenge_id,
        ChallengePurpose::Register,
        Some(user.id),
    )
    .await?;
    let ip = client.ip_text();
    let credential: RegisterPublicKeyCredential = serde_json::from_value(body.credential)
        .map_err(|_| {
            // Not the parser's message: it may quote what the client sent.
            tracing::info!(event = "passkey_rejected", user_id = %user.id, %ip, reason = "unreadable credential", "registration refused");
            ApiError::PasskeyRejected
        })?;
    let passkey = state
        .webauthn
        .webauthn
        .finish_passkey_registration(&credential, &registration)
        .map_err(|e| {
            tracing::info!(event = "passkey_rejected", user_id = %user.id, %ip, reason = %e, "registration refused");
            ApiError::PasskeyRejected
        })?;
    // The handle the options carried: the one the authenticator will give back at sign-in.
    let handle = state
        .store
        .webauthn_user_id(user.id)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    let doc = PasskeyDoc {
        id: ObjectId::new(),
        user_id: user.id,
        credential_id: credential_key(passkey.cred_id().as_ref()),
        user_handle: handle,
        name: name.into_inner(),
        created_at: state.clock.now(),
        last_used_at: None,
        sign_count: 0,
        passkey: serde_json::to_string(&passkey).map_err(|e| ApiError::Internal(e.into()))?,
    };
    match state
        .store
        .insert_passkey(&doc, state.webauthn.passkeys_max)
        .await
    {
        Ok(()) => {}
        Err(PasskeyInsertError::Taken) => return Err(ApiError::PasskeyTaken),
        Err(PasskeyInsertError::TooMany) => return Err(ApiError::TooManyPasskeys),
        Err(PasskeyInsertError::Db(e)) => return Err(e.into()),
    }
    tracing::info!(event = "passkey_added", user_id = %user.id, passkey = %doc.id, %ip, "passkey registered");
    events::emit(
        state,
        &Context::of(state, user.id, client, Some(&signed.auth.session.id)),
        Event::PasskeyAdded {
            passkey_id: doc.id,
            name: doc.name.clone(),
        },
    )
    .await;
    notices::notify(
        state,
        user,
        Notice::PasskeyAdded {
            name: doc.name.clone(),
        },
    )
    .await;
    Ok(info(&doc))
}

/// The account's passkeys, newest first.
pub async fn list(state: &AppState, user_id: ObjectId) -> Result<PasskeyList, ApiError> {
    let passkeys = state.store.passkeys_of(user_id).await?;
    Ok(PasskeyList {
        passkeys: passkeys.iter().map(info).collect(),
    })
}

/// Deletes passkey `id` of the account after a step-up: it signs nobody in any more. Another
/// account's or an unknown id is `404` (asked after the step-up, so that probing costs it).
pub async fn delete(
    state: &AppState,
    client: &Client,
    signed: &SignedInUser,
    id: &str,
    proof: Proof<'_>,
) -> Result<(), ApiError> {
    let id = ObjectId::parse_str(id).map_err(|_| ApiError::NotFound)?;
    step_up::step_up(state, client, signed, proof, Freshness::Recent).await?;
    let user = &signed.user;
    let Some(passkey) = state.store.passkey_of(user.id, id).await? else {
        return Err(ApiError::NotFound);
    };
    if !state.store.delete_passkey(user.id, id).await? {
        return Err(ApiError::NotFound);
    }
    tracing::info!(event = "passkey_removed", user_id = %user.id, passkey = %id, ip = %client.ip_text(), "passkey deleted");
    events::emit(
        state,
        &Context::of(state, user.id, client, Some(&signed.auth.session.id)),
        Event::PasskeyRemoved {
            passkey_id: id,
            name: passkey.name.clone(),
        },
    )
    .await;
    notices::notify(state, user, Notice::PasskeyRemoved { name: passkey.name }).await;
    Ok(())
}
