//! Passkeys: register one while signed in, list and delete them, and sign in with one alone
//! (a discoverable credential: the authenticator names the account through its user handle).

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use shared::{
    ErrorCode, FieldError, MfaMethod, MfaTicket, PasskeyList, PasskeyLoginFinish,
    PasskeyRegisterFinish, PasskeyRegisterStart, WebauthnChallenge,
};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Uuid,
};

use crate::{
    auth::AuthUser,
    error::ApiError,
    passkeys::{self, credential_key, info, keep_state, take_state},
    state::AppState,
    store::{ChallengePurpose, PasskeyDoc, PasskeyInsertError},
    throttle::ClientIp,
};

/// Longest passkey name, in characters (after trimming).
pub const MAX_NAME_CHARS: usize = 64;

/// A passkey's name: 1 to 64 characters once trimmed, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyName(String);

impl PasskeyName {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let name = raw.trim();
        let code = if name.is_empty() {
            Some(ErrorCode::Required)
        } else if name.chars().count() > MAX_NAME_CHARS {
            Some(ErrorCode::TooLong)
        } else if name.chars().any(char::is_control) {
            Some(ErrorCode::InvalidCharacters)
        } else {
            None
        };
        match code {
            None => Ok(Self(name.to_owned())),
            Some(code) => Err(ApiError::Validation(vec![FieldError {
                field: "name".into(),
                code,
                message: format!(
                    "Name the passkey with 1–{MAX_NAME_CHARS} characters, no control characters."
                ),
            }])),
        }
    }
}

/// `POST /api/passkeys/login/start`: an empty object.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyLoginStart {}

fn challenge(
    challenge_id: String,
    options: impl serde::Serialize,
) -> Result<HttpResponse, ApiError> {
    let options = serde_json::to_value(options).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(WebauthnChallenge {
            challenge_id,
            options,
        }))
}

/// Starts registering a passkey for the signed-in account: creation options for
/// `navigator.credentials.create({publicKey})` (a discoverable credential is required, user
/// verification too; the account's passkeys are excluded, so one authenticator is not
/// registered twice), and the id of the challenge that `finish` takes (single-use,
/// `APP_WEBAUTHN_CHALLENGE_TTL_SECS`).
#[utoipa::path(post, path = "/api/passkeys/register/start", tag = "passkeys",
    operation_id = "passkey_register_start",
    security(("bearer" = [])),
    request_body = PasskeyRegisterStart,
    responses(
        (status = 200, description = "Creation options (`options.publicKey`, binary fields as \
          base64url) and the challenge id", body = WebauthnChallenge),
        (status = 400, description = "`malformed_body`", body = shared::Problem),
        (status = 401, description = "`invalid_token`", body = shared::Problem,
         headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"`"))),
        (status = 403, description = "`account_disabled`", body = shared::Problem),
        (status = 503, description = "`service_unavailable`: the database does not answer", body = shared::Problem),
    ))]
pub async fn register_start(
    state: web::Data<AppState>,
    auth: AuthUser,
    _body: web::Json<PasskeyRegisterStart>,
) -> Result<HttpResponse, ApiError> {
    let user = super::reauth::signed_in_user(&state, &auth).await?;
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
    let exclude: Vec<serde_json::Value> = state
        .store
        .passkeys_of(user.id)
        .await?
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
        &state,
        ChallengePurpose::Register,
        Some(user.id),
        &registration,
    )
    .await?;
    challenge(id, options)
}

/// Finishes a registration: verifies the new credential (`PublicKeyCredential.toJSON()` of
/// what `navigator.credentials.create()` returned) against the challenge and stores it under
/// `name`. The challenge is spent whatever the outcome.
#[utoipa::path(post, path = "/api/passkeys/register/finish", tag = "passkeys",
    operation_id = "passkey_register_finish",
    security(("bearer" = [])),
    request_body = PasskeyRegisterFinish,
    responses(
        (status = 201, description = "The passkey is registered", body = shared::PasskeyInfo),
        (status = 400, description = "`malformed_body`; `invalid_challenge`: unknown, expired \
          or used challenge, or another account's; `passkey_rejected`: the credential did not \
          verify (wrong challenge, origin or relying party, no user verification)", body = shared::Problem),
        (status = 401, description = "`invalid_token`", body = shared::Problem,
         headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"`"))),
        (status = 403, description = "`account_disabled`", body = shared::Problem),
        (status = 409, description = "`passkey_taken`: this credential is registered already", body = shared::Problem),
        (status = 422, description = "`validation_failed`: `name` empty, over 64 characters or \
          with control characters", body = shared::Problem),
        (status = 503, description = "`service_unavailable`: the database does not answer", body = shared::Problem),
    ))]
pub async fn register_finish(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    body: web::Json<PasskeyRegisterFinish>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let name = PasskeyName::parse(&body.name)?;
    let user = super::reauth::signed_in_user(&state, &auth).await?;
    let registration: PasskeyRegistration = take_state(
        &state,
        &body.challenge_id,
        ChallengePurpose::Register,
        Some(user.id),
    )
    .await?;
    let ip = ClientIp::of(&req).display();
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
    // The handle the options carried: the one the authenticator will give back at login.
    let handle = state
        .store
        .webauthn_user_id(user.id)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    let doc = PasskeyDoc {
        id: mongodb::bson::oid::ObjectId::new(),
        user_id: user.id,
        credential_id: credential_key(passkey.cred_id().as_ref()),
        user_handle: handle,
        name: name.0,
        created_at: state.clock.now(),
        last_used_at: None,
        sign_count: 0,
        passkey: serde_json::to_string(&passkey).map_err(|e| ApiError::Internal(e.into()))?,
    };
    match state.store.insert_passkey(&doc).await {
        Ok(()) => {}
        Err(PasskeyInsertError::Taken) => return Err(ApiError::PasskeyTaken),
        Err(PasskeyInsertError::Db(e)) => return Err(e.into()),
    }
    tracing::info!(event = "passkey_added", user_id = %user.id, passkey = %doc.id, %ip, "passkey registered");
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(info(&doc)))
}

/// The signed-in account's passkeys, newest first.
#[utoipa::path(get, path = "/api/passkeys", tag = "passkeys",
    operation_id = "list_passkeys",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account's passkeys", body = PasskeyList),
        (status = 401, description = "`invalid_token`", body = shared::Problem,
         headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"`"))),
        (status = 403, description = "`account_disabled`", body = shared::Problem),
        (status = 503, description = "`service_unavailable`: the database does not answer", body = shared::Problem),
    ))]
pub async fn list(state: web::Data<AppState>, auth: AuthUser) -> Result<HttpResponse, ApiError> {
    let passkeys = state.store.passkeys_of(auth.user_id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(PasskeyList {
            passkeys: passkeys.iter().map(info).collect(),
        }))
}

/// Deletes one of the signed-in account's passkeys: it signs nobody in any more.
#[utoipa::path(delete, path = "/api/passkeys/{id}", tag = "passkeys",
    operation_id = "delete_passkey",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The passkey's `id` from `GET /api/passkeys`")),
    responses(
        (status = 204, description = "The passkey is deleted"),
        (status = 401, description = "`invalid_token`", body = shared::Problem,
         headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"`"))),
        (status = 403, description = "`account_disabled`", body = shared::Problem),
        (status = 404, description = "`not_found`: no such passkey of this account", body = shared::Problem),
        (status = 503, description = "`service_unavailable`: the database does not answer", body = shared::Problem),
    ))]
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = mongodb::bson::oid::ObjectId::parse_str(path.into_inner())
        .map_err(|_| ApiError::NotFound)?;
    if !state.store.delete_passkey(auth.user_id, id).await? {
        return Err(ApiError::NotFound);
    }
    let ip = ClientIp::of(&req).display();
    tracing::info!(event = "passkey_removed", user_id = %auth.user_id, passkey = %id, %ip, "passkey deleted");
    Ok(HttpResponse::NoContent().finish())
}

/// Starts a sign-in with a passkey alone: request options for
/// `navigator.credentials.get({publicKey})` with an empty `allowCredentials` (the
/// authenticator offers the passkeys it holds for this site), and the challenge id.
#[utoipa::path(post, path = "/api/passkeys/login/start", tag = "passkeys",
    operation_id = "passkey_login_start",
    request_body = PasskeyLoginStart,
    responses(
        (status = 200, description = "Request options (`options.publicKey`, binary fields as \
          base64url) and the challenge id", body = WebauthnChallenge),
        (status = 400, description = "`malformed_body`", body = shared::Problem),
        (status = 429, description = "`rate_limited`: too many requests from this client address", body = shared::Problem),
        (status = 503, description = "`service_unavailable`: the database does not answer", body = shared::Problem),
    ))]
pub async fn login_start(
    state: web::Data<AppState>,
    _body: web::Json<PasskeyLoginStart>,
) -> Result<HttpResponse, ApiError> {
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
    request_body = PasskeyLoginFinish,
    responses(
        (status = 200, description = "Signed in: a new session", body = shared::LoginResponse,
         headers(("Set-Cookie" = String, description = "With `X-Token-Transport: cookie`: the \
           refresh cookie `emailauth_refresh` (`HttpOnly; SameSite=Strict; Path=/api/token`)"))),
        (status = 400, description = "`malformed_body`; `invalid_challenge`: unknown, expired or \
          used challenge", body = shared::Problem),
        (status = 401, description = "`invalid_credentials`: the assertion did not verify", body = shared::Problem),
        (status = 403, description = "`account_disabled`: the passkey is right but an operator \
          disabled the account", body = shared::Problem),
        (status = 429, description = "`rate_limited`: too many requests from this client address", body = shared::Problem),
        (status = 503, description = "`service_unavailable`: the database does not answer", body = shared::Problem),
    ))]
pub async fn login_finish(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<PasskeyLoginFinish>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let ip = ClientIp::of(&req).display();
    let authentication: DiscoverableAuthentication =
        take_state(&state, &body.challenge_id, ChallengePurpose::Login, None).await?;
    let refuse = |reason: &dyn std::fmt::Display| {
        tracing::info!(event = "login_failed", method = "passkey", %ip, reason = %reason, "passkey login refused");
        ApiError::InvalidCredentials
    };
    let credential: PublicKeyCredential =
        serde_json::from_value(body.credential).map_err(|_| refuse(&"unreadable credential"))?;
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
    // Said only to whoever proved the passkey, as at the password login.
    if user.disabled {
        tracing::info!(event = "login_refused", user_id = %user.id, method = "passkey", reason = "account_disabled", %ip, "login refused");
        return Err(ApiError::AccountDisabled);
    }
    passkey.update_credential(&result);
    let kept = serde_json::to_string(&passkey).map_err(|e| ApiError::Internal(e.into()))?;
    if !state
        .store
        .record_passkey_use(stored.id, result.counter(), &kept, state.clock.now())
        .await?
    {
        // Another assertion with this counter or a later one landed first: a replay or a
        // cloned authenticator; or the passkey was deleted meanwhile.
        return Err(refuse(&"sign counter did not grow, or passkey deleted"));
    }
    tracing::info!(event = "passkey_used", user_id = %user.id, passkey = %stored.id, %ip, "passkey accepted");
    super::login_mfa::sign_in_proved(&state, &req, user, "passkey").await
}

/// Where the passkey method keeps its WebAuthn state on the login ticket.
const TICKET_STATE: &str = "passkey_authentication";

/// Starts the passkey method of the second step of a password login: request options for
/// `navigator.credentials.get({publicKey})` listing the account's passkeys. The WebAuthn
/// state is kept on the ticket itself, so it lives and dies with it (used once, when the
/// ticket is); a new start replaces it. Then `POST /api/login/mfa {mfa_token, passkey}`.
#[utoipa::path(post, path = "/api/login/mfa/passkey/start", tag = "account",
    operation_id = "login_mfa_passkey_start",
    request_body = MfaTicket,
    responses(
        (status = 200, description = "Request options (`options.publicKey`, binary fields as \
          base64url) limited to the account's passkeys; `challenge_id` is informative only \
          (the ticket carries the state)", body = WebauthnChallenge),
        (status = 400, description = "`malformed_body`; `passkey_rejected`: the account has no \
          passkey", body = shared::Problem),
        (status = 401, description = "`invalid_token`: the ticket is unknown, expired, used, \
          exhausted, or the password changed since", body = shared::Problem),
        (status = 403, description = "`account_disabled`", body = shared::Problem),
        (status = 429, description = "`rate_limited`: too many requests from this client address", body = shared::Problem),
        (status = 503, description = "`service_unavailable`: the database does not answer", body = shared::Problem),
    ))]
pub async fn mfa_start(
    state: web::Data<AppState>,
    body: web::Json<MfaTicket>,
) -> Result<HttpResponse, ApiError> {
    let (ticket, user) = super::login_mfa::find(&state, &body.mfa_token).await?;
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
            mongodb::bson::doc! { TICKET_STATE: kept, "challenge_id": &challenge_id },
        )
        .await?;
    if !stored {
        // Used, expired or exhausted since it was read.
        return Err(ApiError::InvalidToken);
    }
    challenge(challenge_id, options)
}

/// The passkey method of `POST /api/login/mfa`: the assertion must answer the options of
/// `POST /api/login/mfa/passkey/start` kept on this ticket, by one of the account's passkeys,
/// with a sign counter that grew. A refusal counts like a wrong code.
pub async fn second_step(
    state: &AppState,
    req: &HttpRequest,
    step: super::login_mfa::SecondStep,
    assertion: serde_json::Value,
    ip: &str,
) -> Result<HttpResponse, ApiError> {
    match verify_second_step(state, &step, assertion).await {
        Ok(()) => super::login_mfa::finish(state, req, step, MfaMethod::Passkey).await,
        Err(Refusal::Wrong(reason)) => {
            tracing::info!(event = "passkey_refused", user_id = %step.user.id, %ip, reason, "second-step passkey refused");
            Err(super::login_mfa::refuse(state, step, MfaMethod::Passkey, ip).await)
        }
        Err(Refusal::Error(e)) => Err(e),
    }
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

async fn verify_second_step(
    state: &AppState,
    step: &super::login_mfa::SecondStep,
    assertion: serde_json::Value,
) -> Result<(), Refusal> {
    let wrong = |why: &dyn std::fmt::Display| Refusal::Wrong(why.to_string());
    let kept = step
        .ticket
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
        .filter(|p| p.user_id == step.user.id)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(raw: &str) -> Option<ErrorCode> {
        match PasskeyName::parse(raw) {
            Ok(_) => None,
            Err(ApiError::Validation(errors)) => Some(errors[0].code),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PasskeyName::parse("  YubiKey ").unwrap().0, "YubiKey");
        assert_eq!(code_of("노트북"), None);
        assert_eq!(code_of(&"가".repeat(64)), None);
        assert_eq!(code_of(&"가".repeat(65)), Some(ErrorCode::TooLong));
        assert_eq!(code_of("   "), Some(ErrorCode::Required));
        assert_eq!(code_of("a\u{7}b"), Some(ErrorCode::InvalidCharacters));
    }
}
