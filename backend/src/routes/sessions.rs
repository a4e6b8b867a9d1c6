use actix_web::{web, HttpResponse};
use mongodb::bson::DateTime;
use shared::{SessionInfo, SessionList};

use super::{Answer, State};
use crate::{
    auth::AuthUser,
    error::ApiError,
    events::{self, Context, EndReason, Event},
    signin::Client,
};

fn rfc3339(t: DateTime) -> String {
    t.try_to_rfc3339_string().unwrap_or_default()
}

/// The signed-in person's live sessions (one per login), most recently used first, the one
/// of this request marked `current`.
#[utoipa::path(get, path = "/api/sessions", tag = "account", operation_id = "list_sessions",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The live sessions", body = SessionList,
         links(("end" = (operation_id = "end_session",
            description = "End one of them",
            parameters(("id" = "$response.body#/sessions/0/id")))))),
    ))]
pub async fn list(state: State, auth: AuthUser) -> Answer {
    let sessions = state
        .store
        .list_sessions(auth.user_id, state.clock.now())
        .await?
        .into_iter()
        .map(|s| SessionInfo {
            current: s.id == auth.session.id,
            id: s.id,
            created_at: rfc3339(s.created_at),
            last_used_at: rfc3339(s.last_used_at),
            ip: s.ip,
            user_agent: s.user_agent,
            method: s.method,
        })
        .collect();
    Ok(super::private_json(&SessionList { sessions }))
}

/// Ends one session of the signed-in person (another device, or this one): its access and
/// refresh tokens are refused from the next request on, on every instance.
#[utoipa::path(delete, path = "/api/sessions/{id}", tag = "account", operation_id = "end_session",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A session id from `GET /api/sessions`")),
    responses(
        (status = 204, description = "The session is ended"),
        (status = 404, description = "`not_found`: no live session of yours has this id"),
    ))]
pub async fn end(state: State, client: Client, auth: AuthUser, id: web::Path<String>) -> Answer {
    let id = id.into_inner();
    if !state.store.delete_session(&id, auth.user_id).await? {
        return Err(ApiError::NotFound);
    }
    tracing::info!(event = "session_ended", user_id = %auth.user_id, session = %id, by = %auth.session.id, "session ended");
    let context = Context::of(&state, auth.user_id, &client, Some(&auth.session.id));
    let reason = if id == auth.session.id {
        EndReason::Logout
    } else {
        EndReason::Revoked
    };
    let event = Event::SessionEnded {
        session_id: id,
        reason,
    };
    events::emit(&state, &context, event).await;
    Ok(HttpResponse::NoContent().finish())
}
