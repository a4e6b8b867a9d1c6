use actix_web::{web, HttpResponse};
use shared::{EmailAuthRequest, EmailAuthResponse};

use super::{Answer, State};
use crate::verification::{self, Outgoing};
use crate::{
    domain::{CodePurpose, NewSignup},
    error::ApiError,
    openapi::rows,
    throttle::ClientIp,
};

/// Mails a six-digit code to the address (or, when the address already has an account, a
/// mail saying so, with the same answer here so that nobody can probe for accounts).
#[utoipa::path(post, path = "/api/email_auth", tag = "signup",
    responses(
        (status = 202, description = "A mail is on its way (the code is only in the mail)", body = EmailAuthResponse),
        (status = 409, description = "`username_taken` or `nickname_taken`"),
        (status = 422, description = "`validation_failed`, every bad field in `errors` (also when the mail server refuses the address)"),
        (status = 429, description = "`resend_cooldown` (one code per address per cooldown), \
          `too_many_codes` (hourly cap per address or per client IP), `too_many_guesses` \
          (too many wrong codes for this address within 24 hours) or `rate_limited` (too many \
          requests from this client address)"),
        rows::MailUnavailable,
    ))]
pub async fn email_auth(
    state: State,
    ClientIp(ip): ClientIp,
    body: web::Json<EmailAuthRequest>,
) -> Answer {
    let signup = NewSignup::try_from(body.into_inner())?;
    let taken = state
        .store
        .signup_keys_taken(
            &signup.username.key(),
            &signup.nickname.key(),
            &signup.email.key(),
        )
        .await?;
    // Usernames and nicknames are public, so saying they are taken reveals nothing.
    if taken.username {
        return Err(ApiError::UsernameTaken);
    }
    if taken.nickname {
        return Err(ApiError::NicknameTaken);
    }
    // A registered address gets a notice instead of a code; the answer here is the same.
    let outgoing = if taken.email {
        Outgoing::AccountExists
    } else {
        Outgoing::Code(CodePurpose::Signup)
    };
    let answer = verification::send(&state, &signup.email, signup.locale, ip, outgoing).await?;
    Ok(HttpResponse::Accepted().json(answer))
}
