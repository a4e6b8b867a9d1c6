use actix_web::{web, HttpRequest, HttpResponse};

use crate::{auth::AuthUser, error::ApiError, session, state::AppState, throttle::ClientIp};

/// Ends every session of the signed-in person, on every device and every instance, including
/// the one of this request: all their access and refresh tokens are refused from now on.
#[utoipa::path(post, path = "/api/logout_all", tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every session is ended",
         headers(("Set-Cookie" = String, description = "Clears `emailauth_refresh`"))),
        (status = 401, description = "`invalid_token`", body = shared::Problem,
         headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"`"))),
        (status = 403, description = "`account_disabled`: an operator disabled the account", body = shared::Problem),
        (status = 429, description = "`rate_limited`: too many requests from this client address", body = shared::Problem),
        (status = 503, description = "`service_unavailable`: the database does not answer", body = shared::Problem),
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
