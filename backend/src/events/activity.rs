//! The account's activity log: every event of [`super::Event`] the owner should be able to
//! read, one document each in `activity`, with when, from where (address, `User-Agent`) and the
//! session it came from. Written in the request that made the change.

use mongodb::bson::{doc, oid::ObjectId, Document};

use super::{Actor, Context, Event};
use crate::state::AppState;

/// Records `event` in the account's activity log.
pub async fn record(state: &AppState, context: &Context, event: &Event) -> anyhow::Result<()> {
    if matches!(event, Event::UserDeleted) {
        // The log went with the account.
        return Ok(());
    }
    let mut entry = doc! {
        "_id": ObjectId::new(),
        "user_id": context.user_id,
        "kind": event.kind(),
        "at": context.at,
        "expires_at": crate::clock::after(context.at, state.alerts.activity_retention),
        "ip": &context.ip,
        "user_agent": &context.user_agent,
        "actor": match &context.actor {
            Actor::Owner => "owner".to_owned(),
            Actor::Operator(name) => format!("operator:{name}"),
            Actor::System => "system".to_owned(),
        },
    };
    if let Some(session) = &context.session_id {
        entry.insert("session_id", session);
    }
    entry.extend(details(event));
    state.store.insert_activity(entry).await?;
    Ok(())
}

/// What an entry keeps of its event beyond its kind: ids and non-secret fields.
fn details(event: &Event) -> Document {
    match event {
        Event::SignedIn {
            session_id,
            method,
            new_device,
        } => doc! { "method": method, "subject_session": session_id, "new_device": new_device },
        Event::SignInRefused { factor, pool } => doc! { "method": *factor, "pool": *pool },
        Event::SessionEnded { session_id, reason } => {
            doc! { "subject_session": session_id, "reason": reason.as_str() }
        }
        Event::NewSignInAlert { session_id } | Event::NotMe { session_id } => {
            doc! { "subject_session": session_id }
        }
        Event::PasskeyAdded { passkey_id, name } | Event::PasskeyRemoved { passkey_id, name } => {
            doc! { "passkey_id": passkey_id, "passkey_name": name }
        }
        _ => Document::new(),
    }
}
