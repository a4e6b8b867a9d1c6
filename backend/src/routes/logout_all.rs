use actix_web::{web, HttpRequest, HttpResponse};

use crate::{auth::AuthUser, error::ApiError, session, state::AppState, throttle::ClientIp};

/// Ends every session of the signed-in person, on every device and every instance, including
/// the one of this request: all their access and refresh tokens are refused from now on.
#[utoipa::path(post, path = "/api/logout_all", tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every session is ended",
         headers(("Set-Cookie" = String, description = "Clears `emailauth_refresh`"))),
    ))]
pub async fn logout_all(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let ended = state.store.delete_sessions_of(auth.user_id).await?;
    let ip = ClientIp::of(&req).display();
    tracing::info!(event = "logout_all", user_id = %auth.user_id, sessions = ended, %ip, "every session ended");
    Ok(session::signed_out(&state, &req))
}
