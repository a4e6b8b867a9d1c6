//! `POST /api/security/not-me`: the button behind a new-sign-in alert's link
//! (`signin::alert`).

use actix_web::web;
use shared::{NotMeRequest, NotMeResponse};

use super::{Answer, State};
use crate::signin::{alert, Client};

/// "This wasn't me": with the token from a new-sign-in alert's link (the SPA page at
/// `/security/not-me#token=…` sends it when its button is pressed), ends every session of the
/// account on every instance and mails the owner a password-reset code. The token works once,
/// for 7 days; a used, expired, forged or foreign token gets the same `400 invalid_token`.
#[utoipa::path(post, path = "/api/security/not-me", tag = "account",
    operation_id = "not_me",
    responses(
        (status = 200, description = "Every session of the account is ended; a reset code is on its way",
         body = NotMeResponse),
        (status = 400, description = "`invalid_token`: the link is used, expired or not valid; \
          or `malformed_body`"),
    ))]
pub async fn not_me(state: State, client: Client, body: web::Json<NotMeRequest>) -> Answer {
    let sessions_ended = alert::not_me(&state, &client, &body.token).await?;
    Ok(super::private_json(&NotMeResponse { sessions_ended }))
}
