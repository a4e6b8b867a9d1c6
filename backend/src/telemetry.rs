//! Logging: one line per request (request id, method, path, status, latency), JSON in
//! production. Query strings, headers and bodies are never logged, so no token, password or
//! code can reach a log line through here.
//!
//! Traces: with `OTEL_EXPORTER_OTLP_ENDPOINT` set (the standard OpenTelemetry variable; the
//! other `OTEL_*` variables apply too), the spans of each request, database call (`db`) and
//! SMTP send (`smtp.send`) are exported over OTLP/HTTP (protobuf), and every log line inside a
//! request carries its `trace_id`. Unset: no exporter, nothing leaves the process.

use std::time::Instant;

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::{
        header::{HeaderName, HeaderValue},
        Method,
    },
    middleware::Next,
};
use tracing::Instrument;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer};

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
    let format = fmt::layer().with_target(false).with_writer(writer);
    let format = if settings.log_json {
        format.json().flatten_event(true).boxed()
    } else {
        format.compact().boxed()
    };
    let (otel, failure) = match otlp_layer() {
        Ok(layer) => (layer, None),
        Err(e) => (None, Some(e)),
    };
    // A second init (tests) is harmless: keep the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(format)
        .with(otel)
        .try_init();
    if let Some(e) = failure {
        tracing::warn!(error = %e, "OTEL_EXPORTER_OTLP_ENDPOINT is set but the exporter could not start: no traces");
    }
}

pub use otel::flush_traces;
use otel::{otlp_layer, trace_id};

/// OpenTelemetry export (the default `otel` feature). Builds that do not serve (the fuzz
/// targets) leave it out, and with it a second HTTP client and the protobuf code.
#[cfg(feature = "otel")]
mod otel {
    use tracing_subscriber::Layer;

    /// The tracer provider, kept to flush the last spans at shutdown.
    static PROVIDER: std::sync::OnceLock<opentelemetry_sdk::trace::SdkTracerProvider> =
        std::sync::OnceLock::new();

    /// The OpenTelemetry layer when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
    pub(super) fn otlp_layer<S>() -> anyhow::Result<Option<Box<dyn Layer<S> + Send + Sync>>>
    where
        S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a> + Send + Sync,
    {
        let configured = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
            .or_else(|_| std::env::var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
            .is_ok_and(|v| !v.trim().is_empty());
        if !configured {
            return Ok(None);
        }
        use opentelemetry::trace::TracerProvider as _;
        // Reads the endpoint, headers and timeout from the standard `OTEL_*` variables.
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .build()?;
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(
                opentelemetry_sdk::Resource::builder()
                    .with_service_name("emailauth-backend")
                    .build(),
            )
            .build();
        let tracer = provider.tracer("backend");
        let _ = PROVIDER.set(provider);
        Ok(Some(
            tracing_opentelemetry::layer().with_tracer(tracer).boxed(),
        ))
    }

    /// Sends the spans still buffered (at shutdown); nothing without an exporter.
    pub fn flush_traces() {
        if let Some(provider) = PROVIDER.get() {
            if let Err(e) = provider.shutdown() {
                eprintln!("flushing traces failed: {e}");
            }
        }
    }

    /// The OpenTelemetry trace id of `span` in hex, when traces are exported.
    pub(super) fn trace_id(span: &tracing::Span) -> Option<String> {
        use opentelemetry::trace::TraceContextExt;
        use tracing_opentelemetry::OpenTelemetrySpanExt;
        let context = span.context();
        let span_ref = context.span();
        let ids = span_ref.span_context();
        ids.is_valid().then(|| ids.trace_id().to_string())
    }
}

#[cfg(not(feature = "otel"))]
mod otel {
    use tracing_subscriber::Layer;

    pub(super) fn otlp_layer<S>() -> anyhow::Result<Option<Box<dyn Layer<S> + Send + Sync>>>
    where
        S: tracing::Subscriber,
    {
        let configured = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").is_ok_and(|v| !v.is_empty());
        if configured {
            anyhow::bail!("this build has no OpenTelemetry support (the `otel` feature)");
        }
        Ok(None)
    }

    pub fn flush_traces() {}

    pub(super) fn trace_id(_span: &tracing::Span) -> Option<String> {
        None
    }
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
        trace_id = tracing::field::Empty,
    );
    // In every log line of the request, to find its trace (and the trace of a log line).
    if let Some(id) = trace_id(&span) {
        span.record("trace_id", id);
    }
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
            // Likewise the method: anyone can send `FOO1`, `FOO2`, … as a method.
            let method = match *response.request().method() {
                Method::GET
                | Method::POST
                | Method::PUT
                | Method::DELETE
                | Method::PATCH
                | Method::HEAD
                | Method::OPTIONS => response.request().method().as_str(),
                _ => "OTHER",
            };
            crate::stats::request(method, &route, status, started.elapsed());
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
