//! `GET /api/account/activity`: the signed-in person's own activity log
//! (`events::activity`), newest first.

use actix_web::web;
use mongodb::bson::{oid::ObjectId, Document};
use serde::Deserialize;
use shared::{ActivityEvent, ActivityKind, ActivityList, ErrorCode};

use super::{Answer, State};
use crate::{auth::AuthUser, domain::field_error, error::ApiError};

/// Entries per page unless `limit` says otherwise, and the most it may say.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 100;

#[derive(Debug, Deserialize)]
pub struct ActivityQuery {
    limit: Option<String>,
    before: Option<String>,
}

impl ActivityQuery {
    fn parse(&self) -> Result<(u32, Option<ObjectId>), ApiError> {
        let mut errors = vec![];
        let limit = match self.limit.as_deref() {
            None => Some(DEFAULT_LIMIT),
            Some(text) => match text.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => Some(n),
                Ok(_) | Err(_) => {
                    errors.push(field_error("limit", ErrorCode::InvalidFormat));
                    None
                }
            },
        };
        let before = match self.before.as_deref() {
            None => None,
            Some(text) => match ObjectId::parse_str(text) {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push(field_error("before", ErrorCode::InvalidFormat));
                    None
                }
            },
        };
        match limit {
            Some(limit) if errors.is_empty() => Ok((limit, before)),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

/// The signed-in person's activity: sign-ins (with the method), refused attempts, alerts,
/// ended sessions and every change to the password, the address and the second factors, each
/// with its time, client address, `User-Agent` and session; newest first, `limit` (1–100,
/// default 50) per page, the next page from `before` = the answer's `next_before`. Only the
/// caller's own account; entries are kept 90 days (`APP_ACTIVITY_RETENTION_DAYS`).
#[utoipa::path(get, path = "/api/account/activity", tag = "account",
    operation_id = "account_activity",
    security(("bearer" = [])),
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Entries per page (default 50)"),
        ("before" = Option<String>, Query, description = "`next_before` of the previous page"),
    ),
    responses(
        (status = 200, description = "The entries, newest first", body = ActivityList),
        (status = 422, description = "`validation_failed`: `limit` outside 1–100 or `before` not a cursor"),
    ))]
pub async fn list(state: State, auth: AuthUser, query: web::Query<ActivityQuery>) -> Answer {
    let (limit, before) = query.parse()?;
    // One more than asked: whether there is a next page.
    let mut entries = state
        .store
        .list_activity(auth.user_id, before, limit + 1)
        .await?;
    let more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    let next_before = if more {
        entries
            .last()
            .and_then(|e| e.get_object_id("_id").ok())
            .map(|id| id.to_hex())
    } else {
        None
    };
    let events = entries
        .iter()
        .filter_map(|e| event_of(e, &auth.session.id))
        .collect();
    Ok(super::private_json(&ActivityList {
        events,
        next_before,
    }))
}

/// The answer's form of a stored entry (`None` for a kind this version does not list).
fn event_of(entry: &Document, current: &str) -> Option<ActivityEvent> {
    let text = |key: &str| entry.get_str(key).ok().map(str::to_owned);
    let kind: ActivityKind =
        serde_json::from_value(serde_json::Value::String(text("kind")?)).ok()?;
    // A sign-in, an alert or a not-me is about the session it names; everything else about
    // the session that made the request.
    let session_id = match kind {
        ActivityKind::SignedIn | ActivityKind::NewSignInAlert | ActivityKind::NotMe => {
            text("subject_session").or_else(|| text("session_id"))
        }
        _ => text("session_id"),
    };
    let actor = text("actor").unwrap_or_else(|| "owner".to_owned());
    Some(ActivityEvent {
        id: entry.get_object_id("_id").ok()?.to_hex(),
        kind,
        at: entry
            .get_datetime("at")
            .ok()?
            .try_to_rfc3339_string()
            .ok()?,
        ip: text("ip").unwrap_or_default(),
        user_agent: text("user_agent").unwrap_or_default(),
        method: text("method"),
        current_session: session_id.as_deref() == Some(current),
        session_id,
        reason: text("reason"),
        actor: actor.split(':').next().unwrap_or("owner").to_owned(),
        passkey_name: text("passkey_name"),
    })
}
