//! `DELETE /api/account` (`account::delete_account`).

use actix_web::{web, HttpRequest};
use shared::AccountDeleteRequest;

use super::{Answer, State};
use crate::{
    account,
    auth::SignedInUser,
    domain::AccountDeletion,
    error::ApiError,
    events::Context,
    openapi::rows,
    session,
    signin::{step_up, Client},
};

/// Deletes the signed-in account for good, proving its password: the account, its sessions
/// (every access and refresh token is refused at once, on every instance), its codes and what
/// the limits remember about it. Its username, nickname and address are free again at once.
/// A goodbye mail goes to the address.
#[utoipa::path(delete, path = "/api/account", tag = "account",
    operation_id = "delete_account",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The account is deleted; a goodbye mail is on its way",
         headers(("Set-Cookie" = String, description = "Clears `emailauth_refresh`"))),
        rows::PasswordRefused,
        (status = 422, description = "`validation_failed`: the password is empty or over-long"),
        rows::ProvenByPassword,
    ))]
pub async fn delete(
    state: State,
    req: HttpRequest,
    client: Client,
    signed: SignedInUser,
    body: web::Json<AccountDeleteRequest>,
) -> Answer {
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
