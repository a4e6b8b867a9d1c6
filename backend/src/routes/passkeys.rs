//! Passkeys (`passkeys::manage`, `signin::passkey`): register one while signed in, list and
//! delete them, and sign in with one alone.

use actix_web::{web, HttpResponse};
use shared::{
    PasskeyList, PasskeyLoginFinish, PasskeyRegisterFinish, PasskeyRegisterStart, StepUpRequest,
    WebauthnChallenge,
};

use super::{Answer, State};
use crate::{
    auth::{AuthUser, SignedInUser},
    error::ApiError,
    openapi::rows,
    passkeys::{keep_state, manage},
    signin::{self, step_up::Proof, Client},
    store::ChallengePurpose,
};

/// `POST /api/passkeys/login/start`: an empty object.
pub type PasskeyLoginStart = shared::EmptyBody;

fn challenge(challenge_id: String, options: impl serde::Serialize) -> Answer {
    let options = serde_json::to_value(options).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(super::private_json(&WebauthnChallenge {
        challenge_id,
        options,
    }))
}

/// Starts registering a passkey for the signed-in account, after a step-up: the password, and a
/// current `code` or a `recovery_code` when TOTP is on (`{}` within `APP_STEP_UP_TTL_SECS` of
/// this session's last step-up; a sign-in alone never counts). Creation options for
/// `navigator.credentials.create({publicKey})` (a discoverable credential is required, user
/// verification too; the account's passkeys are excluded, so one authenticator is not
/// registered twice), and the id of the challenge that `finish` takes (single-use,
/// `APP_WEBAUTHN_CHALLENGE_TTL_SECS`; the account's one pending registration: a new start
/// replaces it).
#[utoipa::path(post, path = "/api/passkeys/register/start", tag = "passkeys",
    operation_id = "passkey_register_start",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Creation options (`options.publicKey`, binary fields as \
          base64url) and the challenge id", body = WebauthnChallenge),
        (status = 400, description = "`invalid_code`: the second factor of the step-up is wrong \
          or used (with `attempts_left`); or `malformed_body`"),
        rows::StepUpRefused,
        (status = 409, description = "`too_many_passkeys`: the account has `APP_PASSKEYS_MAX` \
          passkeys already"),
        (status = 422, description = "`validation_failed`: no step-up proof (`password`, then \
          `code` when TOTP is on, `required`) and no recent step-up of this session"),
        rows::StepUpAttempts,
    ))]
pub async fn register_start(
    state: State,
    client: Client,
    signed: SignedInUser,
    body: web::Json<PasskeyRegisterStart>,
) -> Answer {
    let (id, options) = manage::register_start(&state, &client, &signed, Proof::of(&body)).await?;
    challenge(id, options)
}

/// Finishes a registration: verifies the new credential (`PublicKeyCredential.toJSON()` of
/// what `navigator.credentials.create()` returned) against the challenge and stores it under
/// `name`. The challenge is spent whatever the outcome. The owner is mailed a notice.
#[utoipa::path(post, path = "/api/passkeys/register/finish", tag = "passkeys",
    operation_id = "passkey_register_finish",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The passkey is registered", body = shared::PasskeyInfo),
        (status = 400, description = "`malformed_body`; `invalid_challenge`: unknown, expired \
          or used challenge, or another account's; `passkey_rejected`: the credential did not \
          verify (wrong challenge, origin or relying party, no user verification)"),
        (status = 409, description = "`passkey_taken`: this credential is registered already; \
          `too_many_passkeys`: the account has `APP_PASSKEYS_MAX` passkeys"),
        (status = 422, description = "`validation_failed`: `name` empty, over 64 characters or \
          with control characters"),
    ))]
pub async fn register_finish(
    state: State,
    client: Client,
    signed: SignedInUser,
    body: web::Json<PasskeyRegisterFinish>,
) -> Answer {
    let info = manage::register_finish(&state, &client, &signed, body.into_inner()).await?;
    Ok(super::no_store(HttpResponse::Created()).json(info))
}

/// The signed-in account's passkeys, newest first.
#[utoipa::path(get, path = "/api/passkeys", tag = "passkeys",
    operation_id = "list_passkeys",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account's passkeys", body = PasskeyList),
    ))]
pub async fn list(state: State, auth: AuthUser) -> Answer {
    let list: PasskeyList = manage::list(&state, auth.user_id).await?;
    Ok(super::private_json(&list))
}

/// Deletes one of the signed-in account's passkeys, after a step-up (the body as for
/// `POST /api/passkeys/register/start`; `{}` or no body within `APP_STEP_UP_TTL_SECS` of this
/// session's last step-up): it signs nobody in any more. The owner is mailed a notice.
#[utoipa::path(delete, path = "/api/passkeys/{id}", tag = "passkeys",
    operation_id = "delete_passkey",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The passkey's `id` from `GET /api/passkeys`")),
    request_body(content = Option<shared::StepUpRequest>, description = "The step-up proof; may be left out after a recent step-up"),
    responses(
        (status = 204, description = "The passkey is deleted"),
        (status = 400, description = "`invalid_code`: the second factor of the step-up is wrong \
          or used (with `attempts_left`); or `malformed_body`"),
        rows::StepUpRefused,
        (status = 404, description = "`not_found`: no such passkey of this account"),
        (status = 422, description = "`validation_failed`: no step-up proof and no recent step-up"),
        rows::StepUpAttempts,
    ))]
pub async fn delete(
    state: State,
    client: Client,
    signed: SignedInUser,
    path: web::Path<String>,
    body: crate::extract::OptionalJson<StepUpRequest>,
) -> Answer {
    let body = body.into_inner().unwrap_or_default();
    manage::delete(&state, &client, &signed, &path, Proof::of(&body)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Starts a sign-in with a passkey alone: request options for
/// `navigator.credentials.get({publicKey})` with an empty `allowCredentials` (the
/// authenticator offers the passkeys it holds for this site), and the challenge id.
#[utoipa::path(post, path = "/api/passkeys/login/start", tag = "passkeys",
    operation_id = "passkey_login_start",
    responses(
        (status = 200, description = "Request options (`options.publicKey`, binary fields as \
          base64url) and the challenge id", body = WebauthnChallenge),
    ))]
pub async fn login_start(state: State, _body: web::Json<PasskeyLoginStart>) -> Answer {
    let (mut options, authentication) = state
        .webauthn
        .webauthn
        .start_discoverable_authentication()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("starting an authentication: {e}")))?;
    // `webauthn-rs` asks for conditional mediation (autofill); the app offers a button, which
    // needs the modal kind. A client wanting autofill sets `mediation` itself.
    options.mediation = None;
    let id = keep_state(&state, ChallengePurpose::Login, None, &authentication).await?;
    challenge(id, options)
}

/// Signs in with a passkey alone: the assertion (`PublicKeyCredential.toJSON()` of what
/// `navigator.credentials.get()` returned) names the account by its user handle; the answer
/// is a password login's (a new session; `X-Token-Transport: cookie` honoured). Every
/// refusal of the assertion (unknown or deleted credential, bad signature, wrong origin, a
/// sign counter that did not grow) is `invalid_credentials`.
#[utoipa::path(post, path = "/api/passkeys/login/finish", tag = "passkeys",
    operation_id = "passkey_login_finish",
    responses(
        (status = 200, description = "Signed in: a new session", body = shared::LoginResponse,
         headers(("Set-Cookie" = String, description = "With `X-Token-Transport: cookie`: the \
           refresh cookie `emailauth_refresh` (`HttpOnly; SameSite=Strict; Path=/api/token`); the device cookie `emailauth_device`"))),
        (status = 400, description = "`malformed_body`; `invalid_challenge`: unknown, expired or \
          used challenge"),
        (status = 401, description = "`invalid_credentials`: the assertion did not verify"),
        (status = 403, description = "`account_disabled`: the passkey is right but an operator \
          disabled the account"),
    ))]
pub async fn login_finish(
    state: State,
    client: Client,
    body: web::Json<PasskeyLoginFinish>,
) -> Answer {
    let body = body.into_inner();
    let outcome =
        signin::passkey::sign_in(&state, &client, &body.challenge_id, body.credential).await?;
    signin::respond(&state, &client, outcome)
}
