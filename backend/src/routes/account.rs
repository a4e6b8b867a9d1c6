//! `DELETE /api/account` (`account::delete_account`).

use actix_web::{web, HttpRequest, HttpResponse};
use shared::AccountDeleteRequest;

use crate::{
    account,
    auth::SignedInUser,
    domain::AccountDeletion,
    error::ApiError,
    events::Context,
    session,
    signin::{step_up, Client},
    state::AppState,
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
        (status = 401, description = "`invalid_token` (with `WWW-Authenticate`), or \
          `invalid_credentials`: the password is wrong (counted as a failed sign-in of the account)",
         headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"` (with `invalid_token`)"))),
        (status = 422, description = "`validation_failed`: the password is empty or over-long"),
        (status = 429, description = "`too_many_attempts`: too many failed logins for this account \
          within the window (wrong passwords here count with them), or `rate_limited`: too many \
          requests from this client address"),
        (status = 503, description = "`service_unavailable`: the database does not answer, \
          or every password-hashing thread is busy and its queue is full (`Retry-After: 1`)"),
    ))]
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: Client,
    signed: SignedInUser,
    body: web::Json<AccountDeleteRequest>,
) -> Result<HttpResponse, ApiError> {
    let deletion = AccountDeletion::try_from(body.into_inner())?;
    step_up::prove_password(&state, &client, &signed.user, &deletion.password).await?;
    let context = Context::of(
        &state,
        signed.user.id,
        &client,
        Some(&signed.auth.session.id),
    );
    if !account::delete_account(&state, &context, &signed.user).await? {
        return Err(ApiError::InvalidToken);
    }
    Ok(session::signed_out(&state, &req))
}
