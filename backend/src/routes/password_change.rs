use actix_web::{web, HttpResponse};
use shared::PasswordChangeRequest;

use super::{Answer, State};
use crate::{
    auth::SignedInUser,
    domain::PasswordChange,
    error::ApiError,
    events::{self, Context, EndReason, Event, PasswordReason},
    mail::Notice,
    notices,
    openapi::rows,
    signin::{step_up, Client},
};

/// Sets a new password, proving the current one. Every other session of the account ends
/// (their access and refresh tokens are refused at once); the session of this request stays.
/// Device cookies issued before and the networks the account was known from no longer count as
/// the owner's. The account's address is mailed a notice.
#[utoipa::path(post, path = "/api/password/change", tag = "account",
    operation_id = "password_change",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Password changed; every other session ended, a notice mailed"),
        (status = 401, description = "`invalid_token` (with `WWW-Authenticate`), or \
          `invalid_credentials`: the current password is wrong (counted as a failed login of the account)",
         headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"` (with `invalid_token`)"))),
        (status = 422, description = "`validation_failed`: the new password breaks the signup policy \
          (including `weak_password` and `common_password`), or the current one is empty or over-long"),
        rows::ProvenByPassword,
    ))]
pub async fn change(
    state: State,
    client: Client,
    signed: SignedInUser,
    body: web::Json<PasswordChangeRequest>,
) -> Answer {
    let change = PasswordChange::try_from(body.into_inner())?;
    let SignedInUser { auth, user } = signed;
    // The whole policy first: a refused new password costs no password attempt.
    let new_password = change.password_for(&user.username, &user.email)?;
    let ip = client.ip_text();
    step_up::prove_password(&state, &client, &user, &change.current_password).await?;
    let hash = state.hasher.hash(&new_password).await?;
    let changed = state
        .store
        .change_password(user.id, &user.password_hash, &hash, &auth.session.id)
        .await?;
    let Some(ended) = changed else {
        // Another change or a reset landed meanwhile: the password this request proved is
        // no longer the account's.
        tracing::info!(event = "password_change_failed", user_id = %user.id, reason = "password_changed", %ip, "refused");
        return Err(ApiError::InvalidCredentials);
    };
    tracing::info!(event = "password_changed", user_id = %user.id, session = %auth.session.id, %ip, "password changed, other sessions ended");
    let context = Context::of(&state, user.id, &client, Some(&auth.session.id));
    let mut happened = vec![Event::PasswordChanged {
        reason: PasswordReason::Change,
    }];
    happened.extend(events::sessions_ended(ended, EndReason::Password));
    events::emit_all(&state, &context, happened).await;
    notices::notify(&state, &user, Notice::PasswordChanged).await;
    Ok(HttpResponse::NoContent().finish())
}
