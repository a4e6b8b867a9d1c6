use actix_web::{web, HttpRequest, HttpResponse};

use crate::{auth::AuthUser, error::ApiError, session, state::AppState, throttle::ClientIp};

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
    auth: AuthUser,
) -> Result<HttpResponse, ApiError> {
    state
        .store
        .delete_session(&auth.session.id, auth.user_id)
        .await?;
    let ip = ClientIp::of(&req).display();
    tracing::info!(event = "logout", user_id = %auth.user_id, session = %auth.session.id, %ip, "session ended");
    Ok(session::signed_out(&state, &req))
}
