use actix_web::{web, HttpRequest, HttpResponse};

use crate::{
    auth::AuthUser,
    error::ApiError,
    session::{self, SignOut},
    signin::Client,
    state::AppState,
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
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: Client,
    auth: AuthUser,
) -> Result<HttpResponse, ApiError> {
    session::sign_out(&state, &req, &client, &auth, SignOut::ThisSession).await
}
