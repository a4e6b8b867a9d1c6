//! The webhook deliveries of the admin API (`GET /admin/api/webhooks/deliveries?status=failed`,
//! `POST /admin/api/webhooks/deliveries/{id}/retry`), behind a small trait so that the admin
//! API does not depend on how the webhooks (#30) store and retry them. The server hands the
//! admin listener the implementation [`installed`] returns; without one (no webhooks in this
//! build) both endpoints answer `404 not_found`.
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

/// The deliveries of this build's webhooks, if it has any.
pub fn installed() -> Option<Arc<dyn Deliveries>> {
    None
}
