use actix_web::HttpRequest;

use super::{Answer, State};
use crate::{
    auth::AuthUser,
    session::{self, SignOut},
    signin::Client,
};

/// Ends every session of the signed-in person, on every device and every instance, including
/// the one of this request: all their access and refresh tokens are refused from now on.
#[utoipa::path(post, path = "/api/logout_all", tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every session is ended",
         headers(("Set-Cookie" = String, description = "Clears `emailauth_refresh`"))),
    ))]
pub async fn logout_all(state: State, req: HttpRequest, client: Client, auth: AuthUser) -> Answer {
    session::sign_out(&state, &req, &client, &auth, SignOut::Everywhere).await
}
