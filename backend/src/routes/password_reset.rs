use actix_web::{web, HttpResponse};
use shared::{EmailAuthResponse, PasswordResetConfirm, PasswordResetRequest};

use super::{Answer, State};
use crate::verification::{self, Outgoing};
use crate::{
    account::{self, FactorReset},
    domain::{CodePurpose, CodeRequest, EmailAddress, ResetConfirmation},
    error::ApiError,
    events::{self, Context, EndReason, Event, PasswordReason},
    mail::Notice,
    notices,
    openapi::rows,
    signin::Client,
    store::EventKind,
    throttle::ClientIp,
};

/// Mails a reset code to the address if it has an account, or a notice that it has none.
/// The answer is the same either way, so nobody can probe for accounts.
#[utoipa::path(post, path = "/api/password_reset/request", tag = "account",
    operation_id = "password_reset_request",
    responses(
        (status = 202, description = "A mail is on its way (whether or not the address has an account)", body = EmailAuthResponse),
        rows::MailRefused,
        (status = 429, description = "`resend_cooldown` or `too_many_codes` (the same per-address limits as signup \
          codes, counted together), `too_many_guesses` (too many wrong codes for this address within \
          24 hours), or `rate_limited`"),
        rows::MailUnavailable,
    ))]
pub async fn request(
    state: State,
    ClientIp(ip): ClientIp,
    body: web::Json<PasswordResetRequest>,
) -> Answer {
    let request = CodeRequest::try_from(body.into_inner())?;
    let outgoing = if state
        .store
        .user_exists("email_key", &request.email.key())
        .await?
    {
        Outgoing::Code(CodePurpose::PasswordReset)
    } else {
        Outgoing::NoAccount
    };
    let answer = verification::send(&state, &request.email, request.locale, ip, outgoing).await?;
    Ok(HttpResponse::Accepted().json(answer))
}

/// Sets a new password with the mailed code. Every token issued before is revoked, device
/// cookies and known networks stop counting as the owner's, and the strangers' failed-login
/// count is cleared. Unless `keep_second_factors` is `true`, every passkey is removed and TOTP
/// is turned off: nothing anyone added with the old password survives its reset (the owner is
/// mailed what went, and adds them again).
#[utoipa::path(post, path = "/api/password_reset/confirm", tag = "account",
    operation_id = "password_reset_confirm",
    responses(
        (status = 204, description = "Password changed; every earlier token is revoked, the \
          second factors are removed unless `keep_second_factors`, and the owner is mailed a \
          notice of each"),
        (status = 400, description = "`invalid_code` (with `attempts_left`), `code_expired` or `malformed_body`. \
          A wrong code gets the same answer whether or not the address has an account"),
        (status = 422, description = "`validation_failed` (including `weak_password` and `common_password`)"),
        (status = 429, description = "`too_many_guesses` (too many wrong codes for this address \
          within 24 hours, signup and reset codes together; even the right code waits) or `rate_limited`"),
        rows::PasswordHashing,
    ))]
pub async fn confirm(
    state: State,
    client: Client,
    body: web::Json<PasswordResetConfirm>,
) -> Answer {
    let confirmation = ResetConfirmation::try_from(body.into_inner())?;
    let store = &state.store;
    let email_key = confirmation.email.key();
    let ip = client.ip_text();
    let ((user, ended), locale) = verification::redeem(
        &state,
        CodePurpose::PasswordReset,
        None,
        &confirmation.email,
        &confirmation.code,
        |_| async {
            let user = store
                .find_user_by_email_key(&email_key)
                .await?
                .ok_or(ApiError::CodeExpired)?;
            let password = confirmation.password_for(&user.username)?;
            let hash = state.hasher.hash(&password).await?;
            let ended = store.set_password(user.id, &hash).await?;
            Ok((user, ended))
        },
    )
    .await?;
    if let Err(e) = store
        .clear_events(EventKind::LoginFailure, &user.username_key)
        .await
    {
        tracing::warn!(error = %e, "could not clear failed logins after a reset");
    }
    tracing::info!(event = "password_reset", user_id = %user.id, %ip, "password changed, tokens revoked");
    let context = Context::of(&state, user.id, &client, None);
    let mut happened = vec![Event::PasswordChanged {
        reason: PasswordReason::Reset,
    }];
    happened.extend(events::sessions_ended(ended, EndReason::Password));
    events::emit_all(&state, &context, happened).await;
    // The account's own address; the one the code went to reaches the same mailbox.
    let to = EmailAddress::parse(user.email.clone()).unwrap_or_else(|_| confirmation.email.clone());
    notices::deliver(&state, &to, locale, Notice::PasswordChanged).await;
    if !confirmation.keep_second_factors {
        account::reset_second_factors(&state, &context, &user, FactorReset::PasswordReset).await?;
    }
    Ok(HttpResponse::NoContent().finish())
}
