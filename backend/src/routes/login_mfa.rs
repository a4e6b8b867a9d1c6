//! The second step of a sign-in (`signin::second_step`): `POST /api/login/mfa`, and the start
//! of its passkey method.

use actix_web::web;
use shared::{LoginMfaRequest, LoginResponse, MfaTicket, WebauthnChallenge};

use super::{Answer, State};
use crate::{
    openapi::rows,
    signin::{self, second_step::Factor, Client},
};

/// Finishes a password login with the second factor: a current TOTP code, an unused recovery
/// code, or a passkey assertion (`POST /api/login/mfa/passkey/start` first). Answers exactly
/// like `POST /api/login` (`X-Token-Transport: cookie` included). A TOTP code (its time step)
/// is accepted once; ±1 step of clock skew is allowed.
#[utoipa::path(post, path = "/api/login/mfa", tag = "account",
    operation_id = "login_mfa",
    responses(
        (status = 200, description = "Signed in: a new session, as from `POST /api/login`", body = LoginResponse,
         headers(("Set-Cookie" = String, description = "The device cookie `emailauth_device`; with \
           `X-Token-Transport: cookie` also the refresh cookie `emailauth_refresh`"))),
        (status = 400, description = "`invalid_code`: the code is wrong or already used, or \
          the passkey assertion does not answer this ticket's passkey start, is not one of the \
          account's passkeys or did not verify (with `attempts_left` of this ticket); or \
          `malformed_body`"),
        (status = 401, description = "`invalid_token`: the ticket is unknown, expired, used, \
          exhausted by wrong codes, or the password was changed or reset since"),
        rows::AccountDisabled,
        (status = 422, description = "`validation_failed`: not exactly one of `code`, \
          `recovery_code` and `passkey`"),
        (status = 429, description = "`too_many_attempts`: too many wrong second factors for \
          this account within the window, across every ticket, from this client's pool (its \
          device, its network, or every other client together); or `rate_limited`: too many \
          requests from this client address"),
    ))]
pub async fn login_mfa(state: State, client: Client, body: web::Json<LoginMfaRequest>) -> Answer {
    let body = body.into_inner();
    let factor = Factor::one_of_three(
        body.code.as_deref(),
        body.recovery_code.as_deref(),
        body.passkey,
    )?;
    let outcome = signin::second_step::pass(&state, &client, &body.mfa_token, factor).await?;
    signin::respond(&state, &client, outcome)
}

/// Starts the passkey method of the second step of a password login: request options for
/// `navigator.credentials.get({publicKey})` listing the account's passkeys. The WebAuthn
/// state is kept on the ticket itself, so it lives and dies with it (used once, when the
/// ticket is); a new start replaces it. Then `POST /api/login/mfa {mfa_token, passkey}`.
#[utoipa::path(post, path = "/api/login/mfa/passkey/start", tag = "account",
    operation_id = "login_mfa_passkey_start",
    responses(
        (status = 200, description = "Request options (`options.publicKey`, binary fields as \
          base64url) limited to the account's passkeys; `challenge_id` is informative only \
          (the ticket carries the state)", body = WebauthnChallenge),
        (status = 400, description = "`malformed_body`; `passkey_rejected`: the account has no \
          passkey"),
        (status = 401, description = "`invalid_token`: the ticket is unknown, expired, used, \
          exhausted, or the password changed since"),
        rows::AccountDisabled,
    ))]
pub async fn mfa_start(state: State, body: web::Json<MfaTicket>) -> Answer {
    let (challenge_id, options) =
        signin::second_step::passkey_options(&state, &body.mfa_token).await?;
    Ok(super::private_json(&WebauthnChallenge {
        challenge_id,
        options,
    }))
}
