//! Prometheus metrics, served on their own listener (`APP_METRICS_PORT`, loopback by default,
//! `startup::serve_metrics`), never on the public one: they name routes, volumes and failure
//! rates. This module only records: it knows nothing of the state or the listener.
//!
//! Recorded with the `metrics` facade into one process-wide recorder (installed by the first
//! application built with metrics on; until then every recording is a no-op). Gauges that are
//! a reading of state are taken at scrape time: the password-hash queue's depth, and the live
//! sessions as last counted by the sessions' upkeep (`APP_SESSIONS_UPKEEP_SECS`, a count over
//! every live session that no scrape waits for).
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `http_requests_total` | counter | `method`, `route` (the pattern, e.g. `/api/sessions/{id}`), `status` |
//! | `http_request_duration_seconds` | histogram | `method`, `route` |
//! | `argon2_hash_seconds` | histogram | |
//! | `argon2_hash_cpu_microseconds_total` | counter | |
//! | `argon2_queue_depth` | gauge | |
//! | `mails_sent_total`, `mails_failed_total` | counter | `kind` |
//! | `throttle_refusals_total` | counter | `limit` |
//! | `database_errors_total` | counter | `kind` (`unavailable`, `other`) |
//! | `sessions_live` | gauge | |
//! | `webhook_events_total` | counter | `type` (events queued, once per event) |
//! | `webhook_attempts_total` | counter | `type`, `outcome` (`delivered`, `http_error`, `redirect`, `timeout`, `unreachable`, `blocked`) |
//! | `webhook_deliveries_total` | counter | `type`, `outcome` (`delivered`, `failed`: given up) |
//! | `webhook_attempt_duration_seconds` | histogram | |
//! | `webhook_queue_depth`, `webhook_oldest_pending_seconds` | gauge | `endpoint` (host:port) |

use std::{sync::OnceLock, time::Duration};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Seconds: from a fast API answer to an SMTP send that runs into its timeout.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process-wide recorder's handle, installing it on first use. `None` if another recorder
/// was installed first (then nothing is exported).
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .clone()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "http_requests_total",
        "HTTP requests answered, by route pattern and status"
    );
    describe_histogram!(
        "http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request"
    );
    describe_histogram!(
        "argon2_hash_seconds",
        Unit::Seconds,
        "Time of one argon2id hash or verification on a hashing thread"
    );
    describe_counter!(
        "argon2_hash_cpu_microseconds_total",
        Unit::Microseconds,
        "CPU time the hashing threads spent in argon2 (Linux; what a hash costs under the load \
         it meets, unlike wall time, which also counts waiting for a core)"
    );
    describe_gauge!(
        "argon2_queue_depth",
        "Password hashes waiting for a hashing thread"
    );
    describe_counter!(
        "mails_sent_total",
        "Mails the SMTP server accepted, by kind"
    );
    describe_counter!(
        "mails_failed_total",
        "Mails not sent (refused, failed or timed out), by kind"
    );
    describe_counter!(
        "throttle_refusals_total",
        "Requests refused by a limit, by limit"
    );
    describe_counter!("database_errors_total", "Database operations that failed");
    describe_gauge!("sessions_live", "Sessions not yet ended or expired");
    describe_counter!(
        "webhook_events_total",
        "Account events queued for the webhook endpoints"
    );
    describe_counter!(
        "webhook_attempts_total",
        "Webhook delivery attempts, by event type and outcome"
    );
    describe_counter!(
        "webhook_deliveries_total",
        "Webhook deliveries finished: delivered, or failed after the retry period"
    );
    describe_histogram!(
        "webhook_attempt_duration_seconds",
        Unit::Seconds,
        "Time of one webhook attempt, from connecting to the answer"
    );
    describe_gauge!(
        "webhook_queue_depth",
        "Webhook deliveries pending, per endpoint (counted by the worker every 10 s)"
    );
    describe_gauge!(
        "webhook_oldest_pending_seconds",
        "Age of the oldest pending webhook delivery, per endpoint"
    );
}

/// Counts one refusal by the limit `limit`.
pub fn throttled(limit: &'static str) {
    metrics::counter!("throttle_refusals_total", "limit" => limit).increment(1);
}

/// Counts one mail of `kind`, sent or not.
pub fn mail(kind: &'static str, sent: bool) {
    if sent {
        metrics::counter!("mails_sent_total", "kind" => kind).increment(1);
    } else {
        metrics::counter!("mails_failed_total", "kind" => kind).increment(1);
    }
}

/// Counts one failed database operation.
pub fn database_error(unavailable: bool) {
    let kind = if unavailable { "unavailable" } else { "other" };
    metrics::counter!("database_errors_total", "kind" => kind).increment(1);
}

/// Records one argon2 computation: its wall time, and its CPU time when the platform tells.
pub fn hashed(took: Duration, cpu: Option<Duration>) {
    metrics::histogram!("argon2_hash_seconds").record(took.as_secs_f64());
    if let Some(cpu) = cpu {
        metrics::counter!("argon2_hash_cpu_microseconds_total").increment(cpu.as_micros() as u64);
    }
}

/// CPU time this thread has run so far (Linux: the scheduler's own account), for
/// [`hashed`].
pub fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Records one answered request.
pub fn request(method: &str, route: &str, status: u16, took: Duration) {
    let (method, route) = (method.to_owned(), route.to_owned());
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(took.as_secs_f64());
}
