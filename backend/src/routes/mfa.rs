//! Managing the second factor of the signed-in account: TOTP setup, enable, disable, recovery
//! codes, and the status. The TOTP secret is stored only sealed (`crate::mfa`), the recovery
//! codes only as HMACs; both are shown once, in the answer that creates them.

use actix_web::{web, HttpRequest, HttpResponse};
use shared::{
    FieldError, MfaStatus, RecoveryCodes, RecoveryCodesRequest, TotpDisableRequest,
    TotpEnableRequest, TotpSetup,
};

use super::{
    login_mfa::{self, Factor},
    reauth,
};
use crate::{
    auth::AuthUser,
    domain::{EmailAddress, Password},
    error::ApiError,
    mail::Notice,
    mfa::{self, MfaKeys},
    notices,
    state::AppState,
    store::UserDoc,
    throttle::ClientIp,
};

fn password(raw: String) -> Result<Password, ApiError> {
    Password::for_login(raw).map_err(|code| {
        ApiError::Validation(vec![FieldError {
            field: "password".into(),
            code,
            message: "The account's password is required (at most 128 characters).".into(),
        }])
    })
}

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

/// Starts setting up TOTP: a new secret, as text and as an `otpauth://` URI for a QR code
/// (rendered by the client). Nothing is active until `POST /api/mfa/totp/enable` confirms a
/// code from it; a new setup replaces an earlier pending one.
#[utoipa::path(post, path = "/api/mfa/totp/setup", tag = "mfa",
    operation_id = "totp_setup",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A new pending secret (shown this once)", body = TotpSetup),
        (status = 401, description = "`invalid_token` (with `WWW-Authenticate`)", body = shared::Problem,
         headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"`"))),
        (status = 403, description = "`account_disabled`: an operator disabled the account", body = shared::Problem),
        (status = 409, description = "`totp_already_enabled`: turn it off first", body = shared::Problem),
        (status = 503, description = "`service_unavailable`: the database does not answer", body = shared::Problem),
    ))]
pub async fn setup(state: web::Data<AppState>, auth: AuthUser) -> Result<HttpResponse, ApiError> {
    let user = reauth::signed_in_user(&state, &auth).await?;
    if user.totp.is_some() {
        return Err(ApiError::TotpAlreadyEnabled);
    }
    let secret = mfa::new_secret();
    let sealed = state
        .mfa_keys
        .seal(&user.id, &secret)
        .map_err(ApiError::Internal)?;
    let totp = state
        .mfa_keys
        .totp(secret, &user.username)
        .map_err(ApiError::Internal)?;
    if !state.store.set_totp_pending(user.id, &sealed).await? {
        return Err(ApiError::TotpAlreadyEnabled);
    }
    tracing::info!(event = "totp_setup", user_id = %user.id, "TOTP setup started");
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(TotpSetup {
            secret: totp.get_secret_base32(),
            otpauth_uri: totp.get_url(),
        }))
}

/// Turns TOTP on with a current code from the pending secret, and answers the 10 recovery
/// codes (shown this once). From now on a password login asks for the second step.
#[utoipa::path(post, path = "/api/mfa/totp/enable", tag = "mfa",
    operation_id = "totp_enable",
    security(("bearer" = [])),
    request_body = TotpEnableRequest,
    responses(
        (status = 200, description = "TOTP is on; the recovery codes, shown this once", body = RecoveryCodes),
        (status = 400, description = "`invalid_code`: not a current code of the pending secret, \
          or `malformed_body`", body = shared::Problem),
        (status = 401, description = "`invalid_token` (with `WWW-Authenticate`)", body = shared::Problem,
         headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"`"))),
        (status = 403, description = "`account_disabled`: an operator disabled the account", body = shared::Problem),
        (status = 409, description = "`totp_already_enabled`, or `totp_not_set_up`: no setup to confirm", body = shared::Problem),
        (status = 413, description = "`payload_too_large`", body = shared::Problem),
        (status = 415, description = "`unsupported_media_type`", body = shared::Problem),
        (status = 429, description = "`too_many_attempts`: too many wrong second-factor codes for \
          this account within the window", body = shared::Problem),
        (status = 503, description = "`service_unavailable`: the database does not answer", body = shared::Problem),
    ))]
pub async fn enable(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: web::Json<TotpEnableRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = reauth::signed_in_user(&state, &auth).await?;
    if user.totp.is_some() {
        return Err(ApiError::TotpAlreadyEnabled);
    }
    let Some(sealed) = user.totp_pending.clone() else {
        return Err(ApiError::TotpNotSetUp);
    };
    // Guesses here are capped with the second step's: a stolen session must not be a way to
    // learn nothing for free either.
    let attempt = login_mfa::admit_guess(&state, &user).await?;
    let secret = state
        .mfa_keys
        .open(&user.id, &sealed)
        .map_err(ApiError::Internal)?;
    let totp = state
        .mfa_keys
        .totp(secret, &user.username)
        .map_err(ApiError::Internal)?;
    let Some(step) = mfa::matching_step(&totp, &body.code, state.clock.now_secs()) else {
        return Err(ApiError::InvalidCode {
            attempts_left: attempts_left(&state, &user).await?,
        });
    };
    login_mfa::forget_guess(&state, attempt).await;
    let (codes, hashes) = recovery_codes(&state.mfa_keys, &user);
    let step = i64::try_from(step).map_err(|e| ApiError::Internal(e.into()))?;
    let enabled = state
        .store
        .enable_totp(user.id, &sealed, step, hashes, state.clock.now())
        .await?;
    if !enabled {
        // Raced by another enable or setup: say which state won.
        let now = reauth::signed_in_user(&state, &auth).await?;
        return Err(if now.totp.is_some() {
            ApiError::TotpAlreadyEnabled
        } else {
            ApiError::TotpNotSetUp
        });
    }
    tracing::info!(event = "totp_enabled", user_id = %user.id, "TOTP enabled");
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(RecoveryCodes {
            recovery_codes: codes,
        }))
}

/// Wrong guesses this account may still make within the window (the per-account cap).
async fn attempts_left(state: &AppState, user: &UserDoc) -> Result<u32, ApiError> {
    let used = state
        .store
        .events_in_window(
            crate::store::EventKind::MfaFailure,
            &user.id.to_hex(),
            state.clock.now(),
            state.mfa.failure_window,
            u64::from(state.mfa.max_failures),
        )
        .await?;
    Ok(u32::try_from(u64::from(state.mfa.max_failures).saturating_sub(used)).unwrap_or(0))
}

/// Turns TOTP off, proving the password and a current code or an unused recovery code. The
/// recovery codes die with it; the account's address is mailed a notice.
#[utoipa::path(post, path = "/api/mfa/totp/disable", tag = "mfa",
    operation_id = "totp_disable",
    security(("bearer" = [])),
    request_body = TotpDisableRequest,
    responses(
        (status = 204, description = "TOTP is off; a notice was mailed"),
        (status = 400, description = "`invalid_code`: the code or recovery code is wrong or used, \
          or `malformed_body`", body = shared::Problem),
        (status = 401, description = "`invalid_token` (with `WWW-Authenticate`), or \
          `invalid_credentials`: the password is wrong (counted as a failed login of the account)",
         body = shared::Problem,
         headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"` (with `invalid_token`)"))),
        (status = 403, description = "`account_disabled`: an operator disabled the account", body = shared::Problem),
        (status = 409, description = "`totp_not_enabled`", body = shared::Problem),
        (status = 413, description = "`payload_too_large`", body = shared::Problem),
        (status = 415, description = "`unsupported_media_type`", body = shared::Problem),
        (status = 422, description = "`validation_failed`: no password, or not exactly one of \
          `code` and `recovery_code`", body = shared::Problem),
        (status = 429, description = "`too_many_attempts`: too many failed logins or wrong \
          second-factor codes for this account within the window, or `rate_limited`: too many \
          requests from this client address", body = shared::Problem),
        (status = 503, description = "`service_unavailable`: the database does not answer, \
          or every password-hashing thread is busy and its queue is full (`Retry-After: 1`)", body = shared::Problem),
    ))]
pub async fn disable(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    body: web::Json<TotpDisableRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let factor = Factor::one_of(body.code.as_deref(), body.recovery_code.as_deref())?;
    let password = password(body.password)?;
    let user = reauth::signed_in_user(&state, &auth).await?;
    if user.totp.is_none() {
        return Err(ApiError::TotpNotEnabled);
    }
    let ip = ClientIp::of(&req).display();
    reauth::prove_password(&state, &user, &password, &ip).await?;
    let attempt = login_mfa::admit_guess(&state, &user).await?;
    if !login_mfa::use_factor(&state, &user, &factor).await? {
        tracing::info!(event = "mfa_failed", user_id = %user.id, %ip, "wrong second factor to disable TOTP");
        return Err(ApiError::InvalidCode {
            attempts_left: attempts_left(&state, &user).await?,
        });
    }
    login_mfa::forget_guess(&state, attempt).await;
    if !state.store.disable_totp(user.id).await? {
        return Err(ApiError::TotpNotEnabled);
    }
    tracing::info!(event = "totp_disabled", user_id = %user.id, %ip, "TOTP disabled");
    match EmailAddress::parse(user.email.clone()) {
        Ok(to) => notices::deliver(&state, &to, user.locale, Notice::SecondFactorDisabled).await,
        Err(_) => {
            tracing::warn!(event = "notice_failed", user_id = %user.id, "stored address unparsable")
        }
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Replaces the recovery codes, proving the password; the old ones stop working.
#[utoipa::path(post, path = "/api/mfa/recovery_codes", tag = "mfa",
    operation_id = "recovery_codes",
    security(("bearer" = [])),
    request_body = RecoveryCodesRequest,
    responses(
        (status = 200, description = "The new recovery codes, shown this once", body = RecoveryCodes),
        (status = 400, description = "`malformed_body`", body = shared::Problem),
        (status = 401, description = "`invalid_token` (with `WWW-Authenticate`), or \
          `invalid_credentials`: the password is wrong (counted as a failed login of the account)",
         body = shared::Problem,
         headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"` (with `invalid_token`)"))),
        (status = 403, description = "`account_disabled`: an operator disabled the account", body = shared::Problem),
        (status = 409, description = "`totp_not_enabled`", body = shared::Problem),
        (status = 413, description = "`payload_too_large`", body = shared::Problem),
        (status = 415, description = "`unsupported_media_type`", body = shared::Problem),
        (status = 422, description = "`validation_failed`: no password", body = shared::Problem),
        (status = 429, description = "`too_many_attempts`: too many failed logins for this account \
          within the window, or `rate_limited`: too many requests from this client address", body = shared::Problem),
        (status = 503, description = "`service_unavailable`: the database does not answer, \
          or every password-hashing thread is busy and its queue is full (`Retry-After: 1`)", body = shared::Problem),
    ))]
pub async fn regenerate_recovery_codes(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    body: web::Json<RecoveryCodesRequest>,
) -> Result<HttpResponse, ApiError> {
    let password = password(body.into_inner().password)?;
    let user = reauth::signed_in_user(&state, &auth).await?;
    if user.totp.is_none() {
        return Err(ApiError::TotpNotEnabled);
    }
    let ip = ClientIp::of(&req).display();
    reauth::prove_password(&state, &user, &password, &ip).await?;
    let (codes, hashes) = recovery_codes(&state.mfa_keys, &user);
    if !state.store.replace_recovery_codes(user.id, hashes).await? {
        return Err(ApiError::TotpNotEnabled);
    }
    tracing::info!(event = "recovery_codes_replaced", user_id = %user.id, %ip, "new recovery codes");
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(RecoveryCodes {
            recovery_codes: codes,
        }))
}

/// The signed-in account's second factors.
#[utoipa::path(get, path = "/api/mfa", tag = "mfa",
    operation_id = "mfa_status",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What is on", body = MfaStatus),
        (status = 401, description = "`invalid_token` (with `WWW-Authenticate`)", body = shared::Problem,
         headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"`"))),
        (status = 403, description = "`account_disabled`: an operator disabled the account", body = shared::Problem),
        (status = 503, description = "`service_unavailable`: the database does not answer", body = shared::Problem),
    ))]
pub async fn status(state: web::Data<AppState>, auth: AuthUser) -> Result<HttpResponse, ApiError> {
    let user = reauth::signed_in_user(&state, &auth).await?;
    let remaining = user.totp.as_ref().map_or(0, |t| {
        u32::try_from(t.recovery_codes.len()).unwrap_or(u32::MAX)
    });
    Ok(HttpResponse::Ok().json(MfaStatus {
        totp_enabled: user.totp.is_some(),
        recovery_codes_remaining: remaining,
        passkeys: u32::try_from(state.store.count_passkeys(user.id).await?).unwrap_or(u32::MAX),
    }))
}
