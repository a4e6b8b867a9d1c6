use actix_web::{web, HttpResponse};
use shared::{EmailAuthResponse, EmailChangeConfirm, EmailChangeRequest, UserProfile};

use super::{Answer, State};
use crate::{
    auth::SignedInUser,
    domain::{CodePurpose, EmailAddress, EmailChange, EmailChangeCode},
    error::ApiError,
    events::{self, Context, Event},
    mail::Notice,
    notices,
    openapi::rows,
    signin::{step_up, Client},
    verification::{self, Outgoing},
};

/// Mails a code to the new address, proving the password. If the address belongs to another
/// account, that address is told someone tried instead, and the answer is the same, so that
/// nobody can probe for accounts. The code works only for this account, only for an email
/// change, and only until a newer one is requested.
#[utoipa::path(post, path = "/api/email/change/request", tag = "account",
    operation_id = "email_change_request",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "A mail is on its way to the new address (whether or not it \
          already has an account)", body = EmailAuthResponse),
        (status = 401, description = "`invalid_token` (with `WWW-Authenticate`), or \
          `invalid_credentials`: the password is wrong (counted as a failed login of the account)",
         headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"` (with `invalid_token`)"))),
        rows::MailRefused,
        (status = 429, description = "`resend_cooldown` or `too_many_codes` (the same per-address \
          and per-IP limits as signup codes, counted together), `too_many_guesses` (too many wrong \
          codes for the new address within 24 hours), `too_many_attempts` (too many failed logins \
          for this account; wrong passwords here count with them) or `rate_limited`"),
        rows::MailUnavailable,
    ))]
pub async fn request(
    state: State,
    client: Client,
    signed: SignedInUser,
    body: web::Json<EmailChangeRequest>,
) -> Answer {
    let change = EmailChange::try_from(body.into_inner())?;
    let user = signed.user;
    let ip = client.ip_text();
    // Proved before the address is looked at: only the owner can ask, and even the owner
    // learns nothing about who holds an address.
    step_up::prove_password(&state, &client, &user, &change.password).await?;
    // A taken address (the account's own included) gets a notice in its owner's language; the
    // same read either way.
    let (outgoing, locale) = match state
        .store
        .find_user_by_email_key(&change.new_email.key())
        .await?
    {
        Some(owner) => (Outgoing::EmailChangeTaken(user.id), owner.locale),
        None => (Outgoing::EmailChangeCode(user.id), user.locale),
    };
    let answer = verification::send(&state, &change.new_email, locale, client.ip, outgoing).await?;
    tracing::info!(event = "email_change_requested", user_id = %user.id, %ip, "email change code requested");
    Ok(HttpResponse::Accepted().json(answer))
}

/// Moves the account to the new address with the code mailed there. The old address is
/// mailed a notice naming the new one, masked.
#[utoipa::path(post, path = "/api/email/change/confirm", tag = "account",
    operation_id = "email_change_confirm",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The address is changed: the profile with the new address", body = UserProfile),
        (status = 400, description = "`invalid_code` (with `attempts_left`), `code_expired` \
          (expired, used, exhausted, replaced by a newer one or never sent; a signup or reset code \
          never works here) or `malformed_body`"),
        (status = 409, description = "`email_taken`: another account took the address meanwhile; \
          nothing changed and the code keeps its attempt"),
        (status = 422, description = "`validation_failed`: the code is not six digits"),
        (status = 429, description = "`too_many_guesses` (too many wrong codes for the new address \
          within 24 hours; even the right code waits) or `rate_limited`"),
    ))]
pub async fn confirm(
    state: State,
    client: Client,
    signed: SignedInUser,
    body: web::Json<EmailChangeConfirm>,
) -> Answer {
    let confirmation = EmailChangeCode::try_from(body.into_inner())?;
    let user = signed.user;
    let store = &state.store;
    let slot = user.id.to_hex();
    // Where this account's pending code went: guesses are counted against that address, and
    // the code's HMAC names it.
    let new_email = store
        .find_live_code(CodePurpose::EmailChange, &slot, state.clock.now())
        .await?
        .and_then(|pending| pending.address)
        .and_then(|address| EmailAddress::parse(address).ok())
        .ok_or(ApiError::CodeExpired)?;
    let ((), _) = verification::redeem(
        &state,
        CodePurpose::EmailChange,
        Some(&slot),
        &new_email,
        &confirmation.code,
        |_| async {
            match store
                .change_email(&user, new_email.as_str(), &new_email.key())
                .await?
            {
                Some(true) => Ok(()),
                // The unique index refused it: a signup or another change took the address
                // after the code was sent. The code is given back its attempt.
                Some(false) => Err(ApiError::EmailTaken),
                None => Err(ApiError::InvalidToken),
            }
        },
    )
    .await?;
    let ip = client.ip_text();
    tracing::info!(event = "email_changed", user_id = %user.id, %ip, "email address changed");
    let changed = Event::EmailChanged {
        old_email_masked: notices::mask_email(&user.email),
        new_email: new_email.as_str().to_owned(),
    };
    let context = Context::of(&state, user.id, &client, Some(&signed.auth.session.id));
    events::emit(&state, &context, changed).await;
    let notice = Notice::EmailChanged {
        new_email_masked: notices::mask_email(new_email.as_str()),
    };
    notices::notify(&state, &user, notice).await;
    Ok(HttpResponse::Ok().json(UserProfile {
        username: user.username,
        nickname: user.nickname,
        email: new_email.as_str().to_owned(),
    }))
}
