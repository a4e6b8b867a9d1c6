use actix_web::{web, HttpRequest, HttpResponse};

use crate::{
    auth::AuthUser,
    error::ApiError,
    events::{self, Context, EndReason},
    session,
    signin::Client,
    state::AppState,
};

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
    client: Client,
    auth: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let ended = state.store.end_sessions_of(auth.user_id, None).await?;
    let ip = client.ip_text();
    tracing::info!(event = "logout_all", user_id = %auth.user_id, sessions = ended.len(), %ip, "every session ended");
    let context = Context::of(&state, auth.user_id, &client, Some(&auth.session.id));
    let ended = events::sessions_ended(ended, EndReason::LogoutAll);
    events::emit_all(&state, &context, ended).await;
    Ok(session::signed_out(&state, &req))
}
