//! The webhook deliveries of the admin API (`GET /admin/api/webhooks/deliveries?status=failed`,
//! `POST /admin/api/webhooks/deliveries/{id}/retry`), behind a small trait so that the admin
//! API does not depend on how the webhooks (#30) store and retry them. The server hands the
//! admin listener the implementation [`installed`] returns; without one (no webhooks
//! configured) both endpoints answer `404 not_found`.
//!
//! The webhooks implement it over their own service functions (`list_deliveries`, `retry`)
//! and [`installed`] returns it: that is the whole wiring.

use std::sync::Arc;

use futures_util::future::LocalBoxFuture;
use shared::admin::WebhookDelivery;

use crate::{error::ApiError, state::AppState};

/// What the admin API asks of the webhooks.
pub trait Deliveries: Send + Sync {
    /// The newest `limit` deliveries given up after their retry period.
    fn failed<'a>(
        &'a self,
        state: &'a AppState,
        limit: u32,
    ) -> LocalBoxFuture<'a, Result<Vec<WebhookDelivery>, ApiError>>;

    /// Puts failed delivery `id` back in its queue, due now; `not_found` when no failed
    /// delivery has this id.
    fn retry<'a>(
        &'a self,
        state: &'a AppState,
        id: &'a str,
    ) -> LocalBoxFuture<'a, Result<WebhookDelivery, ApiError>>;
}

/// The deliveries of the webhooks, when this server has any configured (`APP_WEBHOOK_URLS`).
pub fn installed(state: &AppState) -> Option<Arc<dyn Deliveries>> {
    state
        .webhooks
        .as_ref()
        .map(|_| Arc::new(Outbound) as Arc<dyn Deliveries>)
}

/// The webhooks of `crate::webhooks`, through their service functions.
struct Outbound;

fn delivery(d: crate::webhooks::DeliverySummary) -> WebhookDelivery {
    let status = serde_json::to_value(d.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    WebhookDelivery {
        id: d.id,
        event_id: d.event_id,
        kind: d.kind,
        endpoint: d.endpoint,
        status,
        attempts: d.attempts,
        created_at: d.created_at,
        next_at: d.next_at,
        finished_at: d.finished_at,
        last_status: d.last_status,
        last_error: d.last_error,
    }
}

impl Deliveries for Outbound {
    fn failed<'a>(
        &'a self,
        state: &'a AppState,
        limit: u32,
    ) -> LocalBoxFuture<'a, Result<Vec<WebhookDelivery>, ApiError>> {
        Box::pin(async move {
            let failed = crate::webhooks::operator::list_deliveries(
                state,
                crate::store::DeliveryStatus::Failed,
                limit,
            )
            .await?;
            Ok(failed.into_iter().map(delivery).collect())
        })
    }

    fn retry<'a>(
        &'a self,
        state: &'a AppState,
        id: &'a str,
    ) -> LocalBoxFuture<'a, Result<WebhookDelivery, ApiError>> {
        use crate::webhooks::operator::RetryError as E;
        Box::pin(async move {
            match crate::webhooks::operator::retry(state, id).await {
                Ok(d) => Ok(delivery(d)),
                Err(E::InvalidId(_) | E::NotFound(_) | E::NotFailed(..)) => Err(ApiError::NotFound),
                Err(E::Conflict) => Err(ApiError::Unavailable(anyhow::anyhow!(
                    "the delivery changed meanwhile"
                ))),
                Err(E::Database(e)) => Err(e.into()),
            }
        })
    }
}
