use actix_web::{web, HttpRequest, HttpResponse};
use shared::AccountDeleteRequest;

use super::reauth;
use crate::{
    auth::AuthUser,
    domain::{AccountDeletion, EmailAddress},
    error::ApiError,
    mail::Notice,
    notices, session,
    state::AppState,
    store::UserDoc,
    throttle::ClientIp,
};

/// Deletes the signed-in account for good, proving its password: the account, its sessions
/// (every access and refresh token is refused at once, on every instance), its codes and what
/// the limits remember about it. Its username, nickname and address are free again at once.
/// A goodbye mail goes to the address.
#[utoipa::path(delete, path = "/api/account", tag = "account",
    operation_id = "delete_account",
    security(("bearer" = [])),
    request_body = AccountDeleteRequest,
    responses(
        (status = 204, description = "The account is deleted; a goodbye mail is on its way",
         headers(("Set-Cookie" = String, description = "Clears `emailauth_refresh`"))),
        (status = 400, description = "`malformed_body`", body = shared::Problem),
        (status = 401, description = "`invalid_token` (with `WWW-Authenticate`), or \
          `invalid_credentials`: the password is wrong (counted as a failed login of the account)",
         body = shared::Problem,
         headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"` (with `invalid_token`)"))),
        (status = 403, description = "`account_disabled`: an operator disabled the account", body = shared::Problem),
        (status = 413, description = "`payload_too_large`", body = shared::Problem),
        (status = 415, description = "`unsupported_media_type`", body = shared::Problem),
        (status = 422, description = "`validation_failed`: the password is empty or over-long",
         body = shared::Problem),
        (status = 429, description = "`too_many_attempts`: too many failed logins for this account \
          within the window (wrong passwords here count with them), or `rate_limited`: too many \
          requests from this client address", body = shared::Problem),
        (status = 503, description = "`service_unavailable`: the database does not answer, \
          or every password-hashing thread is busy and its queue is full (`Retry-After: 1`)", body = shared::Problem),
    ))]
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    body: web::Json<AccountDeleteRequest>,
) -> Result<HttpResponse, ApiError> {
    let deletion = AccountDeletion::try_from(body.into_inner())?;
    let user = reauth::signed_in_user(&state, &auth).await?;
    let ip = ClientIp::of(&req).display();
    reauth::prove_password(&state, &user, &deletion.password, &ip).await?;
    if !delete_account(&state, &user, &ip).await? {
        return Err(ApiError::InvalidToken);
    }
    Ok(session::signed_out(&state, &req))
}

/// Deletes `user` for good, as `DELETE /api/account` and `backend admin delete` both do: its
/// sessions, the account, its codes, what the limits remember about it and its queued notices,
/// then the goodbye mail. `ip` is who asked, for the log. `false` when the account was already
/// gone.
pub async fn delete_account(state: &AppState, user: &UserDoc, ip: &str) -> Result<bool, ApiError> {
    let store = &state.store;
    // Sessions, then the account, then sessions again: a login that proved the password while
    // this ran either started its session before the account went (ended by the second
    // sweep) or finds the account gone when it checks again, and ends its own.
    store.delete_sessions_of(user.id).await?;
    if !store.delete_user(user.id).await? {
        return Ok(false);
    }
    let sessions = store.delete_sessions_of(user.id).await?;
    // Its passkeys: none signs anyone in without the account (the login reads it), yet the
    // public keys are the person's data and go with the account.
    if let Err(e) = store.delete_passkeys_of(user.id).await {
        tracing::warn!(error = %e, user_id = %user.id, "passkeys of a deleted account left behind");
    }
    // What remains is bookkeeping that expires on its own (TTL indexes): a failure here must
    // not turn a done deletion into an error the client cannot retry (its token is dead).
    if let Err(e) = store
        .delete_codes_of(&user.email_key, &user.id.to_hex())
        .await
    {
        tracing::warn!(error = %e, user_id = %user.id, "codes of a deleted account left to expire");
    }
    if let Err(e) = store
        .delete_account_records(&user.username_key, &user.email_key)
        .await
    {
        tracing::warn!(error = %e, user_id = %user.id, "limit records of a deleted account left to expire");
    }
    // Notices still queued for the address are moot; the goodbye below replaces them.
    if let Err(e) = store.delete_outbox_to(&user.email).await {
        tracing::warn!(error = %e, user_id = %user.id, "queued notices of a deleted account left");
    }
    tracing::info!(event = "account_deleted", user_id = %user.id, sessions, ip, "account deleted");
    match EmailAddress::parse(user.email.clone()) {
        Ok(to) => notices::deliver(state, &to, user.locale, Notice::AccountDeleted).await,
        Err(_) => {
            tracing::warn!(event = "notice_failed", user_id = %user.id, "stored address unparsable")
        }
    }
    Ok(true)
}
