//! `POST /api/login/code/request` and `/confirm`: an emailed code as the first factor
//! (`signin::email_code`).

use actix_web::{web, HttpResponse};
use shared::{EmailAuthResponse, LoginAnswer, LoginCodeConfirm, LoginCodeRequest};

use super::{Answer, State};
use crate::{
    domain::{CodeRequest, SignInCode},
    openapi::rows,
    signin::{self, Client},
};

/// Mails a six-digit sign-in code to the account with this address. The answer, its headers
/// and the work behind it are the same whether or not an account has the address (which then
/// gets a notice saying so instead), so nobody can probe for accounts. The code is valid for
/// `expires_in` seconds, once, for five attempts, and signs in only (never signup, reset or an
/// email change); it shares the resend cooldown and the hourly caps with every other code.
#[utoipa::path(post, path = "/api/login/code/request", tag = "account",
    operation_id = "login_code_request",
    responses(
        (status = 202, description = "A mail is on its way (whether or not the address has an account)",
         body = EmailAuthResponse,
         links(("confirm" = (operation_id = "login_code_confirm",
            description = "Sign in with the mailed code",
            request_body = json!({"email": "$request.body#/email", "code": "<the six digits>"}))))),
        rows::MailRefused,
        (status = 429, description = "`resend_cooldown` or `too_many_codes` (the per-address and per-IP \
          limits every code shares), `too_many_guesses` (too many wrong codes for this address within \
          24 hours, every purpose together), or `rate_limited`"),
        rows::MailUnavailable,
    ))]
pub async fn request(state: State, client: Client, body: web::Json<LoginCodeRequest>) -> Answer {
    let request = CodeRequest::try_from(body.into_inner())?;
    let answer = signin::email_code::request(&state, &client, request).await?;
    Ok(HttpResponse::Accepted().json(answer))
}

/// Signs in with the mailed code: exactly the answers of `POST /api/login` (the token pair,
/// in the body or with `X-Token-Transport: cookie` in the refresh cookie, and the device
/// cookie; or, when the account has TOTP on, the ticket for the second step — an emailed code
/// is one factor, never two). A wrong code is answered the same, byte for byte, whether or not
/// the address has an account; a disabled account is told so only after a right code.
#[utoipa::path(post, path = "/api/login/code/confirm", tag = "account",
    operation_id = "login_code_confirm",
    responses(
        (status = 200, description = "Signed in (`LoginResponse`), or, when the account has TOTP \
          on, no session yet but an `MfaChallenge` (`mfa_required: true`, a ticket for \
          `POST /api/login/mfa`, no token and no cookie)", body = LoginAnswer,
         headers(("Set-Cookie" = String, description = "The device cookie `emailauth_device`; with \
           `X-Token-Transport: cookie` also the refresh cookie"))),
        (status = 400, description = "`invalid_code` (with `attempts_left`), `code_expired` (expired, \
          used, exhausted or never sent) or `malformed_body`; the same for addresses with and \
          without an account"),
        (status = 403, description = "`account_disabled`: the code is right but an operator \
          disabled the account"),
        (status = 422, description = "`validation_failed`"),
        (status = 429, description = "`too_many_guesses`: too many wrong codes for this address \
          within 24 hours (every purpose together; even the right code waits), or `rate_limited`"),
    ))]
pub async fn confirm(state: State, client: Client, body: web::Json<LoginCodeConfirm>) -> Answer {
    let attempt = SignInCode::try_from(body.into_inner())?;
    let outcome = signin::email_code::confirm(&state, &client, attempt).await?;
    signin::respond(&state, &client, outcome)
}
