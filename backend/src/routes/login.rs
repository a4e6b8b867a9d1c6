//! `POST /api/login`: the password as the first factor (`signin::password`).

use actix_web::web;
use shared::{LoginAnswer, LoginRequest};

use super::{Answer, State};
use crate::{
    domain::Credentials,
    openapi::rows,
    signin::{self, Client},
};

/// Exchanges a username and password for a new session: a short-lived access token and a
/// single-use refresh token (in the body, or with `X-Token-Transport: cookie` only in the
/// `HttpOnly` cookie `emailauth_refresh`). Unknown users and wrong passwords get the same
/// answer after the same work (a dummy hash is verified when there is no user).
/// Every success also sets the device cookie (`emailauth_device`, `HttpOnly`,
/// `SameSite=Strict`, `Path=/api`) and remembers the client's network for the account: later
/// failed attempts from that device or network are counted apart from strangers', so nobody
/// else can lock the owner out there.
#[utoipa::path(post, path = "/api/login", tag = "account",
    responses(
        (status = 200, description = "Signed in: a new session (`LoginResponse`); or, when the \
          account has TOTP on, no session yet but an `MfaChallenge` (`mfa_required: true`, a \
          ticket for `POST /api/login/mfa`, no token and no cookie)", body = LoginAnswer,
         headers(("Set-Cookie" = String, description = "The device cookie `emailauth_device`, \
           sent back with later logins to this account from this client; with \
           `X-Token-Transport: cookie` also the refresh cookie `emailauth_refresh` \
           (`HttpOnly; SameSite=Strict; Path=/api/token`)")),
         links(("nick" = (operation_id = "nick",
            description = "Read the profile with the token: `Authorization: Bearer <access_token>`",
            parameters(("header.Authorization" = "Bearer {$response.body#/access_token}")))),
           ("refresh" = (operation_id = "refresh",
            description = "Exchange the refresh token for a new pair before the access token expires",
            request_body = json!({"refresh_token": "$response.body#/refresh_token"}))),
           ("sessions" = (operation_id = "list_sessions",
            description = "List this account's sessions with the token",
            parameters(("header.Authorization" = "Bearer {$response.body#/access_token}")))))),
        (status = 401, description = "`invalid_credentials`"),
        (status = 403, description = "`account_disabled`: the password is right but an operator \
          disabled the account"),
        (status = 422, description = "`validation_failed`: empty or over-long fields"),
        (status = 429, description = "`too_many_attempts`: too many failed logins for this account \
          within the window, counted per known device (device cookie), per known network, and for all \
          other clients together; or `rate_limited`: too many requests from this client address"),
        rows::PasswordHashing,
    ))]
pub async fn login(state: State, client: Client, body: web::Json<LoginRequest>) -> Answer {
    let credentials = Credentials::try_from(body.into_inner())?;
    let outcome = signin::password::sign_in(&state, &client, credentials).await?;
    signin::respond(&state, &client, outcome)
}
