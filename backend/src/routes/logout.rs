use actix_web::{web, HttpRequest, HttpResponse};

use crate::{
    auth::AuthUser,
    error::ApiError,
    events::{self, Context, EndReason, Event},
    session,
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
    let sid = &auth.session.id;
    let ended = state.store.delete_session(sid, auth.user_id).await?;
    let ip = client.ip_text();
    tracing::info!(event = "logout", user_id = %auth.user_id, session = %sid, %ip, "session ended");
    if ended {
        let context = Context::of(&state, auth.user_id, &client, Some(sid));
        let event = Event::SessionEnded {
            session_id: sid.clone(),
            reason: EndReason::Logout,
        };
        events::emit(&state, &context, event).await;
    }
    Ok(session::signed_out(&state, &req))
}
