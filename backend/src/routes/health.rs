use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_web::HttpResponse;
use shared::HealthStatus;

use super::{Answer, State};
use crate::error::ApiError;

/// Liveness: 200 while the process runs.
#[utoipa::path(get, path = "/health/live", tag = "health",
    responses((status = 200, description = "The process is running", body = HealthStatus)))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(HealthStatus {
        status: "ok".into(),
    })
}

/// Readiness: 200 only when the database answers a ping and its indexes exist.
#[utoipa::path(get, path = "/health/ready", tag = "health",
    responses(
        (status = 200, description = "Ready to serve", body = HealthStatus),
        (status = 503, description = "`service_unavailable`: the database does not answer or its indexes are not ready yet"),
    ))]
pub async fn ready(state: State) -> Answer {
    let ping = tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await;
    match ping {
        Ok(Ok(())) if state.indexes_ready.load(Ordering::Acquire) => {
            Ok(HttpResponse::Ok().json(HealthStatus {
                status: "ok".into(),
            }))
        }
        Ok(Ok(())) => Err(ApiError::Unavailable(anyhow::anyhow!(
            "indexes not created yet"
        ))),
        Ok(Err(e)) => Err(ApiError::Unavailable(e.into())),
        Err(_) => Err(ApiError::Unavailable(anyhow::anyhow!(
            "database ping timed out"
        ))),
    }
}
