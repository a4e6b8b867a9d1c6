//! The webhook sink: which account events other services are told of, under which Standard
//! Webhooks type and with which `data` (ids and non-secret fields only), queued for every
//! endpoint by [`crate::webhooks`]. Without `APP_WEBHOOK_URLS` there is nothing to enqueue.

use serde_json::{json, Value};

use super::{Context, Event, PasswordReason};
use crate::state::AppState;

/// Queues `event` for delivery to every configured endpoint.
pub async fn enqueue(state: &AppState, context: &Context, event: &Event) -> anyhow::Result<()> {
    let Some(hooks) = &state.webhooks else {
        return Ok(());
    };
    let Some((kind, data)) = payload(context, event) else {
        return Ok(());
    };
    hooks
        .enqueue(&state.store, state.clock.now(), kind, context.at, data)
        .await
}

/// The webhook type and `data` of `event`; `None` for events receivers are not told of.
pub fn payload(context: &Context, event: &Event) -> Option<(&'static str, Value)> {
    let user_id = context.user_id.to_hex();
    let user = || json!({ "user_id": user_id });
    Some(match event {
        Event::UserCreated {
            username,
            nickname,
            email,
            created_at,
        } => (
            "user.created",
            json!({
                "user_id": user_id,
                "username": username,
                "nickname": nickname,
                "email": email,
                "created_at": created_at.try_to_rfc3339_string().unwrap_or_default(),
            }),
        ),
        Event::EmailChanged {
            old_email_masked,
            new_email,
        } => (
            "user.email_changed",
            json!({ "user_id": user_id, "old_email": old_email_masked, "new_email": new_email }),
        ),
        Event::PasswordChanged { reason } => (
            "user.password_changed",
            json!({
                "user_id": user_id,
                "reason": match reason {
                    PasswordReason::Change => "change",
                    PasswordReason::Reset => "reset",
                },
            }),
        ),
        Event::UserDeleted => ("user.deleted", user()),
        Event::UserDisabled => ("user.disabled", user()),
        Event::UserEnabled => ("user.enabled", user()),
        Event::SignedIn {
            session_id, method, ..
        } => (
            "session.created",
            json!({ "user_id": user_id, "session_id": session_id, "method": method }),
        ),
        Event::SessionEnded { session_id, reason } => (
            "session.ended",
            json!({ "user_id": user_id, "session_id": session_id, "reason": reason.as_str() }),
        ),
        Event::TotpEnabled => ("mfa.totp_enabled", user()),
        Event::TotpDisabled => ("mfa.totp_disabled", user()),
        Event::PasskeyAdded { passkey_id, .. } => (
            "passkey.added",
            json!({ "user_id": user_id, "passkey_id": passkey_id.to_hex() }),
        ),
        Event::PasskeyRemoved { passkey_id, .. } => (
            "passkey.removed",
            json!({ "user_id": user_id, "passkey_id": passkey_id.to_hex() }),
        ),
        Event::SignInRefused { .. }
        | Event::RecoveryCodesReplaced
        | Event::NewSignInAlert { .. }
        | Event::NotMe { .. } => return None,
    })
}
