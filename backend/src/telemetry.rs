//! Logging: one line per request (request id, method, path, status, latency), JSON in
//! production. Query strings, headers and bodies are never logged, so no token, password or
//! code can reach a log line through here.

use std::time::Instant;

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
};
use tracing::Instrument;
use tracing_subscriber::{fmt, EnvFilter};

use crate::config::Settings;

pub fn init(settings: &Settings) {
    init_with(settings, std::io::stdout);
}

/// The same logging on stderr (`backend admin`, whose stdout is its answer).
pub fn init_to_stderr(settings: &Settings) {
    init_with(settings, std::io::stderr);
}

fn init_with<W>(settings: &Settings, writer: W)
where
    W: for<'w> fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,mongodb=warn,lettre=warn,actix_server=warn"));
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer);
    // A second init (tests) is harmless: keep the first subscriber.
    let _ = if settings.log_json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.compact().try_init()
    };
}

pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        path = %req.path(),
        ip = %crate::throttle::ClientIp::of(req.request()).display(),
    );
    let started = Instant::now();
    // Off by default; tests that must know a request reached the server (not merely was sent)
    // enable `backend::telemetry=debug` and wait for this line.
    span.in_scope(|| tracing::debug!("request started"));
    let result = next.call(req).instrument(span.clone()).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let _entered = span.enter();
    match result {
        Ok(mut response) => {
            let status = response.status().as_u16();
            tracing::info!(status, latency_ms, "request");
            // By route pattern, never the raw path: ids in paths would make unbounded series.
            let route = response
                .request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned());
            crate::stats::request(
                response.request().method().as_str(),
                &route,
                status,
                started.elapsed(),
            );
            if let Ok(value) = HeaderValue::from_str(&request_id) {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static("x-request-id"), value);
            }
            Ok(response)
        }
        Err(e) => {
            tracing::warn!(latency_ms, error = %e, "request failed");
            Err(e)
        }
    }
}
