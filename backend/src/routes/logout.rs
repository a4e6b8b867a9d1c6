use actix_web::HttpRequest;

use super::{Answer, State};
use crate::{
    auth::AuthUser,
    session::{self, SignOut},
    signin::Client,
};

/// Ends the session of the token used for this request, on every instance at once: its
/// access and refresh tokens are refused from the next request on. The account's other
/// sessions (other devices) go on. The browser's refresh cookie is cleared.
#[utoipa::path(post, path = "/api/logout", tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "This session is ended",
         headers(("Set-Cookie" = String, description = "Clears `emailauth_refresh`"))),
    ))]
pub async fn logout(state: State, req: HttpRequest, client: Client, auth: AuthUser) -> Answer {
    session::sign_out(&state, &req, &client, &auth, SignOut::ThisSession).await
}
