//! The second step of a password login (`POST /api/login/mfa`), and the pieces every
//! second-step method shares: the passkey method (`passkeys`) opens the same ticket with
//! [`open`], and answers with [`finish`] or [`refuse`].
//!
//! A right password on an account with TOTP on buys a ticket, not a session ([`challenge`]):
//! 32 random bytes, of which only the SHA-256 is stored, alive for `APP_MFA_TICKET_TTL_SECS`,
//! dead after `APP_MFA_TICKET_MAX_ATTEMPTS` wrong codes (an atomic `$inc` below the limit), and
//! consumed by the one request that deletes it. Fresh tickets cost only the password, so the
//! wrong codes are also capped per account across every ticket (`APP_MFA_MAX_FAILURES` per
//! `APP_MFA_FAILURE_WINDOW_SECS`, record-then-count through `Store::admit`): knowing the
//! password buys no more than that many guesses at six digits.

use actix_web::{web, HttpRequest, HttpResponse};
use mongodb::bson::{oid::ObjectId, DateTime};
use shared::{ErrorCode, FieldError, LoginMfaRequest, LoginResponse, MfaChallenge, MfaMethod};

use crate::{
    auth::{device::device_cookies, DeviceKeys},
    error::ApiError,
    mfa::{self, RecoveryCode},
    session::Transport,
    state::AppState,
    store::{Admission, EventKind, Limit, MfaTicketDoc, UserDoc},
    throttle::ClientIp,
};

/// What `POST /api/login` answers with a right password (documentation only).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum LoginAnswer {
    /// No second factor: signed in.
    Session(LoginResponse),
    /// A second factor is on: the ticket for `POST /api/login/mfa`.
    Challenge(MfaChallenge),
}

/// The second factor a request presents.
pub enum Factor<'a> {
    /// A 6-digit TOTP code.
    Code(&'a str),
    /// A recovery code, as typed.
    RecoveryCode(&'a str),
}

fn field_error(field: &str, code: ErrorCode, message: &str) -> FieldError {
    FieldError {
        field: field.into(),
        code,
        message: message.into(),
    }
}

impl<'a> Factor<'a> {
    /// Exactly one of `code` and `recovery_code`.
    pub fn one_of(code: Option<&'a str>, recovery_code: Option<&'a str>) -> Result<Self, ApiError> {
        match (code, recovery_code) {
            (Some(code), None) => Ok(Factor::Code(code)),
            (None, Some(recovery)) => Ok(Factor::RecoveryCode(recovery)),
            _ => Err(ApiError::Validation(vec![field_error(
                "code",
                ErrorCode::Required,
                "Give exactly one of `code` and `recovery_code`.",
            )])),
        }
    }

    fn method(&self) -> MfaMethod {
        match self {
            Factor::Code(_) => MfaMethod::Totp,
            Factor::RecoveryCode(_) => MfaMethod::RecoveryCode,
        }
    }
}

/// `true` when `factor` is a right, unused second factor of `user`, and uses it up: the time
/// step of a TOTP code is recorded (a code is accepted once), a recovery code is removed.
/// `false` for anything else, TOTP off included.
pub async fn use_factor(
    state: &AppState,
    user: &UserDoc,
    factor: &Factor<'_>,
) -> Result<bool, ApiError> {
    let Some(totp) = &user.totp else {
        return Ok(false);
    };
    let keys = &state.mfa_keys;
    match factor {
        Factor::Code(code) => {
            let secret = keys
                .open(&user.id, &totp.secret)
                .map_err(ApiError::Internal)?;
            let generator = keys
                .totp(secret, &user.username)
                .map_err(ApiError::Internal)?;
            let Some(step) = mfa::matching_step(&generator, code, state.clock.now_secs()) else {
                return Ok(false);
            };
            let step = i64::try_from(step).map_err(|e| ApiError::Internal(e.into()))?;
            Ok(state.store.use_totp_step(user.id, step).await?)
        }
        Factor::RecoveryCode(input) => {
            let Some(code) = RecoveryCode::parse(input) else {
                return Ok(false);
            };
            let hash = keys.recovery_hash(&user.id, &code);
            Ok(state.store.use_recovery_code(user.id, &hash).await?)
        }
    }
}

/// The methods `user` may pass the second step with: a passkey too when the account has one.
pub async fn methods(state: &AppState, user: &UserDoc) -> Result<Vec<MfaMethod>, ApiError> {
    let mut methods = vec![MfaMethod::Totp, MfaMethod::RecoveryCode];
    if state.store.count_passkeys(user.id).await? > 0 {
        methods.push(MfaMethod::Passkey);
    }
    Ok(methods)
}

/// The answer of a right password when TOTP is on: a new ticket, no session.
pub async fn challenge(
    state: &AppState,
    user: &UserDoc,
    ip: &str,
) -> Result<HttpResponse, ApiError> {
    let token = mfa::new_ticket();
    let now = state.clock.now();
    let ttl = i64::try_from(state.mfa.ticket_ttl.as_millis()).unwrap_or(i64::MAX);
    let ticket = MfaTicketDoc {
        id: mfa::digest(&token),
        user_id: user.id,
        password_digest: mfa::digest(&user.password_hash),
        attempts: 0,
        created_at: now,
        expires_at: DateTime::from_millis(now.timestamp_millis().saturating_add(ttl)),
        state: None,
    };
    state.store.insert_mfa_ticket(&ticket).await?;
    tracing::info!(event = "mfa_challenge", user_id = %user.id, %ip, "password proved, second step asked");
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(MfaChallenge {
            mfa_required: true,
            mfa_token: token,
            methods: methods(state, user).await?,
        }))
}

/// A live ticket and its account, opened for one second-step attempt that is already
/// counted against the account's cap: answer it with [`finish`] or [`refuse`].
pub struct SecondStep {
    pub ticket: MfaTicketDoc,
    pub user: UserDoc,
    attempt: ObjectId,
}

/// The live ticket `token` and its account, without counting anything (what a method's
/// `start` needs). `401 invalid_token` when it is unknown, expired, used or exhausted, or the
/// account's password changed since; `403 account_disabled`.
pub async fn find(state: &AppState, token: &str) -> Result<(MfaTicketDoc, UserDoc), ApiError> {
    let now = state.clock.now();
    let max = state.mfa.ticket_max_attempts;
    let ticket = state
        .store
        .find_live_mfa_ticket(&mfa::digest(token), now, max)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    let user = state
        .store
        .find_user_by_id(&ticket.user_id.to_hex())
        .await?
        .ok_or(ApiError::InvalidToken)?;
    if user.disabled {
        return Err(ApiError::AccountDisabled);
    }
    // A reset or change of the password since ends what the old one bought.
    if mfa::digest(&user.password_hash) != ticket.password_digest {
        return Err(ApiError::InvalidToken);
    }
    Ok((ticket, user))
}

/// Opens the ticket `token` for one attempt: [`find`], then the attempt counted against the
/// account's cap (`429 too_many_attempts` past it).
pub async fn open(state: &AppState, token: &str) -> Result<SecondStep, ApiError> {
    let (ticket, user) = find(state, token).await?;
    let attempt = admit_guess(state, &user).await?;
    Ok(SecondStep {
        ticket,
        user,
        attempt,
    })
}

/// Records one second-factor guess of `user` before it is evaluated (forgotten again when it
/// was right): past `APP_MFA_MAX_FAILURES` in the window, `429 too_many_attempts`.
pub async fn admit_guess(state: &AppState, user: &UserDoc) -> Result<ObjectId, ApiError> {
    match state
        .store
        .admit(failure_limit(state), &user.id.to_hex(), state.clock.now())
        .await?
    {
        Admission::Admitted(attempt) => Ok(attempt),
        Admission::Refused { retry_after } => {
            tracing::info!(event = "throttled", limit = "mfa_failures", user_id = %user.id, "second factor refused");
            Err(ApiError::TooManyAttempts { retry_after })
        }
    }
}

fn failure_limit(state: &AppState) -> Limit {
    Limit {
        kind: EventKind::MfaFailure,
        window: state.mfa.failure_window,
        max: u64::from(state.mfa.max_failures),
    }
}

/// A guess admitted by [`admit_guess`] was right: it is no failure.
pub async fn forget_guess(state: &AppState, attempt: ObjectId) {
    if let Err(e) = state.store.forget_event(attempt).await {
        tracing::warn!(error = %e, "could not undo a second-factor attempt record");
    }
}

/// A wrong second factor: counted on the ticket (and already against the account); `400
/// invalid_code` with the ticket's attempts left, or `401 invalid_token` when the ticket died
/// meanwhile.
pub async fn refuse(state: &AppState, step: SecondStep, method: MfaMethod, ip: &str) -> ApiError {
    let max = state.mfa.ticket_max_attempts;
    tracing::info!(event = "mfa_failed", user_id = %step.user.id, ?method, %ip, "wrong second factor");
    match state
        .store
        .fail_mfa_ticket(&step.ticket.id, state.clock.now(), max)
        .await
    {
        Ok(Some(ticket)) => ApiError::InvalidCode {
            attempts_left: u32::try_from(i64::from(max) - ticket.attempts).unwrap_or(0),
        },
        Ok(None) => ApiError::InvalidToken,
        Err(e) => e.into(),
    }
}

/// A right second factor: consumes the ticket (one request only) and signs in exactly as
/// `POST /api/login` does (session, token transport, device cookie, known network).
pub async fn finish(
    state: &AppState,
    req: &HttpRequest,
    step: SecondStep,
    method: MfaMethod,
) -> Result<HttpResponse, ApiError> {
    let SecondStep {
        ticket,
        user,
        attempt,
    } = step;
    forget_guess(state, attempt).await;
    let consumed = state
        .store
        .consume_mfa_ticket(&ticket.id, state.clock.now(), state.mfa.ticket_max_attempts)
        .await?;
    if consumed.is_none() {
        return Err(ApiError::InvalidToken);
    }
    tracing::info!(event = "mfa_passed", user_id = %user.id, ?method, ip = %ClientIp::of(req).display(), "second factor accepted");
    sign_in_proved(state, req, user, "mfa").await
}

/// Signs in `user`, who proved the account another way than the password alone (a second
/// step, a passkey), exactly as `POST /api/login` does: the network and device are remembered
/// (their later failed logins count apart from strangers'), then [`super::login::sign_in`].
/// `pool` names the way in the `login` log event.
pub async fn sign_in_proved(
    state: &AppState,
    req: &HttpRequest,
    user: UserDoc,
    pool: &str,
) -> Result<HttpResponse, ApiError> {
    let ClientIp(client) = ClientIp::of(req);
    let ip = client.map(|ip| ip.to_string()).unwrap_or_default();
    let network = client.map(|ip| state.proxies.rate_key_of(ip).to_string());
    let key = user.username_key.clone();
    super::login::remember_network(state, &key, network.as_deref()).await;
    let devices = DeviceKeys::new(&state.codes.pepper);
    let cookie = match device_cookies(req).find_map(|value| devices.verify(&key, value)) {
        Some(id) => devices.sign(&key, &id),
        None => devices.issue(&key),
    };
    let transport = Transport::requested(req);
    super::login::sign_in(state, req, user, transport, cookie, pool, &ip).await
}

/// Finishes a password login with the second factor: a current TOTP code, an unused recovery
/// code, or a passkey assertion (`POST /api/login/mfa/passkey/start` first). Answers exactly
/// like `POST /api/login` (`X-Token-Transport: cookie` included). A TOTP code (its time step)
/// is accepted once; ±1 step of clock skew is allowed.
#[utoipa::path(post, path = "/api/login/mfa", tag = "account",
    operation_id = "login_mfa",
    request_body = LoginMfaRequest,
    responses(
        (status = 200, description = "Signed in: a new session, as from `POST /api/login`", body = LoginResponse,
         headers(("Set-Cookie" = String, description = "The device cookie `emailauth_device`; with \
           `X-Token-Transport: cookie` also the refresh cookie `emailauth_refresh`"))),
        (status = 400, description = "`invalid_code`: the code is wrong or already used, or \
          the passkey assertion does not answer this ticket's passkey start, is not one of the \
          account's passkeys or did not verify (with `attempts_left` of this ticket); or \
          `malformed_body`", body = shared::Problem),
        (status = 401, description = "`invalid_token`: the ticket is unknown, expired, used, \
          exhausted by wrong codes, or the password changed since", body = shared::Problem),
        (status = 403, description = "`account_disabled`: an operator disabled the account", body = shared::Problem),
        (status = 413, description = "`payload_too_large`", body = shared::Problem),
        (status = 415, description = "`unsupported_media_type`", body = shared::Problem),
        (status = 422, description = "`validation_failed`: not exactly one of `code`, \
          `recovery_code` and `passkey`", body = shared::Problem),
        (status = 429, description = "`too_many_attempts`: too many wrong second-step codes for \
          this account within the window, across every ticket; or `rate_limited`: too many \
          requests from this client address", body = shared::Problem),
        (status = 503, description = "`service_unavailable`: the database does not answer", body = shared::Problem),
    ))]
pub async fn login_mfa(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginMfaRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let given = [
        body.code.is_some(),
        body.recovery_code.is_some(),
        body.passkey.is_some(),
    ];
    if given.iter().filter(|given| **given).count() != 1 {
        return Err(ApiError::Validation(vec![field_error(
            "code",
            ErrorCode::Required,
            "Give exactly one of `code`, `recovery_code` and `passkey`.",
        )]));
    }
    let ip = ClientIp::of(&req).display();
    if let Some(assertion) = body.passkey {
        let step = open(&state, &body.mfa_token).await?;
        return super::passkeys::second_step(&state, &req, step, assertion, &ip).await;
    }
    let factor = Factor::one_of(body.code.as_deref(), body.recovery_code.as_deref())?;
    let step = open(&state, &body.mfa_token).await?;
    if use_factor(&state, &step.user, &factor).await? {
        finish(&state, &req, step, factor.method()).await
    } else {
        Err(refuse(&state, step, factor.method(), &ip).await)
    }
}
