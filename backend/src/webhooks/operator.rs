//! What an operator does with deliveries (`backend admin webhooks …`, the admin API): list
//! them by status, and put a failed one back in its queue.

use std::time::Duration;

use mongodb::bson::oid::ObjectId;

use super::{DeliverySummary, KEEP_FINISHED};
use crate::{clock::after, state::AppState, store::DeliveryStatus};

/// The newest `limit` deliveries in `status` (at most 1000).
pub async fn list_deliveries(
    state: &AppState,
    status: DeliveryStatus,
    limit: u32,
) -> Result<Vec<DeliverySummary>, mongodb::error::Error> {
    let docs = state
        .store
        .list_webhook_deliveries(status, i64::from(limit.clamp(1, 1000)))
        .await?;
    Ok(docs.iter().map(DeliverySummary::from).collect())
}

#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    #[error("`{0}` is not a delivery id (24 hex digits)")]
    InvalidId(String),
    #[error("no delivery has the id `{0}`")]
    NotFound(String),
    #[error("delivery `{0}` is {1:?}, not failed: only a failed delivery is re-queued")]
    NotFailed(String, DeliveryStatus),
    #[error("the delivery changed meanwhile; try again")]
    Conflict,
    #[error(transparent)]
    Database(#[from] mongodb::error::Error),
}

/// Puts failed delivery `id` back in its endpoint's queue, due now, with a new retry period;
/// as the oldest of its queue it goes first. Its `webhook-id` stays: a receiver that did
/// process it after all deduplicates.
pub async fn retry(state: &AppState, id: &str) -> Result<DeliverySummary, RetryError> {
    let oid = ObjectId::parse_str(id.trim()).map_err(|_| RetryError::InvalidId(id.to_owned()))?;
    let doc = state
        .store
        .find_webhook_delivery(oid)
        .await?
        .ok_or_else(|| RetryError::NotFound(id.to_owned()))?;
    if doc.status != DeliveryStatus::Failed {
        return Err(RetryError::NotFailed(id.to_owned(), doc.status));
    }
    let retry_for = state
        .webhooks
        .as_ref()
        .map_or(Duration::from_secs(3 * 24 * 3600), |w| w.settings.retry_for);
    let now = state.clock.now();
    let give_up_at = after(now, retry_for);
    if !state
        .store
        .requeue_webhook(&doc, now, give_up_at, after(give_up_at, KEEP_FINISHED))
        .await?
    {
        return Err(RetryError::Conflict);
    }
    let requeued = state
        .store
        .find_webhook_delivery(oid)
        .await?
        .ok_or_else(|| RetryError::NotFound(id.to_owned()))?;
    if let Some(hooks) = &state.webhooks {
        hooks.wake_all();
    }
    Ok(DeliverySummary::from(&requeued))
}
