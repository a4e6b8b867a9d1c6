use actix_web::{http::header, web, HttpRequest, HttpResponse};
use mongodb::bson::DateTime;
use shared::{LoginRequest, LoginResponse};

use super::code_mail::seconds_until;
use crate::{domain::Credentials, error::ApiError, startup::AppState, store::EventKind};

/// Exchanges a username and password for an access token. Unknown users and wrong passwords
/// get the same answer after the same work (a dummy hash is verified when there is no user).
#[utoipa::path(post, path = "/api/login", tag = "account",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse,
         links(("nick" = (operation_id = "nick",
            description = "Read the profile with the token: `Authorization: Bearer <access_token>`",
            parameters(("header.Authorization" = "Bearer {$response.body#/access_token}")))))),
        (status = 400, description = "`malformed_body`", body = shared::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_credentials`", body = shared::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = shared::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: empty or over-long fields", body = shared::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_attempts`: too many failed logins for this account \
          (from any address) within the window, or `rate_limited`: too many requests from this client address",
         body = shared::Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "`service_unavailable`: the database does not answer, \
          or every password-hashing thread is busy and its queue is full (`Retry-After: 1`)", body = shared::Problem,
         content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let credentials = Credentials::try_from(body.into_inner())?;
    let store = &state.store;
    let limits = &state.throttle;
    let key = credentials.username.to_ascii_lowercase();
    let ip = state
        .proxies
        .client_ip(&req)
        .map(|ip| ip.to_string())
        .unwrap_or_default();

    // Count this attempt as a failure before evaluating it, so that concurrent guesses from
    // any number of addresses can never together evaluate more than the limit. Unknown
    // usernames are counted alike, so the limit reveals nothing about who exists.
    let now = DateTime::now();
    let attempt = store
        .record_event(
            EventKind::LoginFailure,
            &key,
            now,
            limits.login_failure_window,
        )
        .await?;
    let failures = store
        .events_in_window(
            EventKind::LoginFailure,
            &key,
            now,
            limits.login_failure_window,
        )
        .await?;
    if failures > u64::from(limits.max_login_failures) {
        if let Err(e) = store.forget_event(attempt).await {
            tracing::warn!(error = %e, "could not undo a login attempt record");
        }
        tracing::info!(event = "throttled", limit = "login_failures", %ip, "login refused");
        let window = limits.login_failure_window;
        let free_at = store
            .window_frees_at(EventKind::LoginFailure, &key, now, window)
            .await?;
        return Err(ApiError::TooManyAttempts {
            retry_after: free_at.map_or(limits.login_failure_window.as_secs(), |t| {
                seconds_until(now, t)
            }),
        });
    }

    let user = store.find_user_by_username_key(&key).await?;
    let stored = user.as_ref().map(|u| u.password_hash.as_str());
    let verified = match state.hasher.verify(&credentials.password, stored).await {
        Ok(verified) => verified,
        Err(e) => {
            // Nothing was evaluated (the hash queue was full): not a failed login.
            if let Err(undo) = store.forget_event(attempt).await {
                tracing::warn!(error = %undo, "could not undo a login attempt record");
            }
            return Err(e.into());
        }
    };
    let user = match (verified, user) {
        (true, Some(user)) => user,
        (_, user) => {
            let user_id = user.map(|u| u.id.to_hex()).unwrap_or_default();
            tracing::info!(event = "login_failed", user_id, %ip, "login refused");
            return Err(ApiError::InvalidCredentials);
        }
    };
    // A success clears the account's failures.
    store.clear_events(EventKind::LoginFailure, &key).await?;
    let token = state
        .jwt
        .issue(&user.id.to_hex(), user.token_version)
        .map_err(ApiError::Internal)?;
    tracing::info!(event = "login", user_id = %user.id, %ip, "signed in");
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(LoginResponse {
            access_token: token,
            token_type: "Bearer".into(),
            expires_in: state.jwt.ttl().as_secs(),
        }))
}
