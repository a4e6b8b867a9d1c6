//! Builds the application: state, routes, middleware, listener.

use std::{
    net::TcpListener,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use actix_web::{
    dev::Server,
    http::header,
    middleware::{from_fn, DefaultHeaders},
    web, App, HttpServer,
};
use anyhow::Context;

use crate::{
    auth::{CodeMac, JwtKeys, PasswordHasher, RefreshKeys},
    config::{Environment, Settings},
    mail::{Mailer, Templates},
    routes,
    state::AppState,
    store::Store,
    telemetry,
    throttle::{IpLimiter, TrustedProxies},
};

/// Responses that are not HTML pages may load nothing and be framed by nobody.
const API_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// In production browsers must only ever reach the API over HTTPS, for two years, on every
/// subdomain too: a first plain-HTTP request could otherwise be intercepted and rewritten. Not
/// sent in development, where the server is plain HTTP on localhost and the header would pin
/// `localhost` to HTTPS in the developer's browser.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// No cross-origin access unless origins are configured (`APP_CORS_ORIGINS`).
fn cors(origins: &[String]) -> actix_cors::Cors {
    origins
        .iter()
        .fold(actix_cors::Cors::default(), |cors, origin| {
            cors.allowed_origin(origin)
        })
        .allowed_methods(["GET", "POST", "DELETE"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::RETRY_AFTER, header::WWW_AUTHENTICATE])
        .max_age(600)
}

pub struct Application {
    port: u16,
    host: std::net::IpAddr,
    server: Server,
    /// The metrics listener and its port, when `APP_METRICS_PORT` is set.
    metrics: Option<(Server, u16)>,
    /// The admin API listener and its port, when `APP_ADMIN_PORT` is set.
    admin: Option<(Server, u16)>,
    /// The session cache, when there is one (tests look at it).
    cache: Option<crate::store::cache::Handle>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((settings.host, settings.port))
            .with_context(|| format!("binding {}:{}", settings.host, settings.port))?;
        let port = listener.local_addr()?.port();

        let store = Store::connect(
            &settings.mongodb_uri,
            &settings.mongodb_db,
            settings.mongodb_timeout,
        )
        .await?;
        // The session cache, kept coherent by a change stream and trusted only while that
        // stream proves itself (cache/); off with APP_SESSION_CACHE_CAPACITY=0.
        let cache =
            crate::store::cache::AuthCache::new(&settings.sessions.cache, settings.clock.clone());
        let store = match &cache {
            Some(cache) => store.with_cache(cache.clone()),
            None => store,
        }
        .with_rendezvous(settings.rendezvous.clone());
        if let Some(cache) = &cache {
            crate::store::cache::watcher::spawn(cache.clone(), store.clone());
        }
        let indexes_ready = Arc::new(AtomicBool::new(false));
        tokio::spawn(create_indexes(store.clone(), indexes_ready.clone()));

        let state_store = store.clone();
        let state = web::Data::new(build_state(&settings, store, indexes_ready)?);

        tokio::spawn(forget_idle_clients(state.clone()));
        tokio::spawn(crate::events::deferred::run(state.clone(), |s| &s.deferred));
        tokio::spawn(
            state
                .store
                .clone()
                .run_sessions_upkeep(settings.clock.clone(), settings.sessions_upkeep_interval),
        );
        tokio::spawn(crate::notices::run_outbox(
            state.clone(),
            settings.outbox_interval,
        ));
        crate::webhooks::worker::spawn(state.clone());
        // Build the OpenAPI document now: a mistake in an annotation stops the start-up
        // instead of failing the first request for it.
        crate::openapi::prebuild();
        let metrics = match settings.ops.metrics_addr {
            Some(addr) => Some(metrics_server(
                addr,
                state.clone(),
                settings.shutdown_grace,
            )?),
            None => None,
        };
        let admin = match settings.ops.admin_addr {
            Some(addr) => Some(crate::admin::api::server(
                addr,
                settings.ops.admin_console_dir.clone(),
                state.clone(),
                settings.shutdown_grace,
            )?),
            None => None,
        };
        let cors_origins = settings.cors_origins.clone();
        let production = settings.env == Environment::Production;
        let server =
            HttpServer::new(move || {
                App::new()
                    .app_data(state.clone())
                    .app_data(routes::json_config())
                    .app_data(web::QueryConfig::default().error_handler(|_err, _req| {
                        crate::error::ApiError::Validation(vec![]).into()
                    }))
                    .wrap(cors(&cors_origins))
                    .wrap({
                        // Added where a handler set none (the SPA shell and the docs set their own
                        // Content-Security-Policy).
                        let headers = DefaultHeaders::new()
                            .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                            .add((header::REFERRER_POLICY, "no-referrer"))
                            .add((header::X_FRAME_OPTIONS, "DENY"))
                            .add((header::CONTENT_SECURITY_POLICY, API_CSP))
                            .add((
                                header::HeaderName::from_static("cross-origin-opener-policy"),
                                "same-origin",
                            ));
                        if production {
                            headers.add((header::STRICT_TRANSPORT_SECURITY, HSTS))
                        } else {
                            headers
                        }
                    })
                    .wrap(from_fn(telemetry::log_requests))
                    .configure(routes::configure)
                    .configure(crate::openapi::configure)
                    .default_service(web::to(routes::spa::serve))
            })
            .listen(listener)?
            .shutdown_timeout(settings.shutdown_grace.as_secs())
            .run();

        Ok(Self {
            port,
            host: settings.host,
            server,
            metrics,
            admin,
            cache: cache.map(|cache| crate::store::cache::Handle {
                cache,
                store: state_store,
            }),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn address(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }

    /// The session cache and the store that feeds it, if this instance keeps one.
    pub fn session_cache(&self) -> Option<crate::store::cache::Handle> {
        self.cache.clone()
    }

    /// The port of the metrics listener, if there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
    }

    /// The port of the admin API listener, if there is one.
    pub fn admin_port(&self) -> Option<u16> {
        self.admin.as_ref().map(|(_, port)| *port)
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let servers = std::iter::once(self.server)
            .chain(self.metrics.map(|(server, _)| server))
            .chain(self.admin.map(|(server, _)| server));
        futures_util::future::try_join_all(servers).await?;
        Ok(())
    }
}

/// `GET /metrics` alone, on its own listener (one worker: a scrape every few seconds).
fn metrics_server(
    addr: std::net::SocketAddr,
    state: web::Data<AppState>,
    grace: Duration,
) -> anyhow::Result<(Server, u16)> {
    let handle =
        crate::stats::install().context("another metrics recorder is installed in this process")?;
    let handle = web::Data::new(handle);
    let listener =
        TcpListener::bind(addr).with_context(|| format!("binding the metrics listener {addr}"))?;
    let port = listener.local_addr()?.port();
    tracing::info!(address = %listener.local_addr()?, "metrics listening");
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(handle.clone())
            .route("/metrics", web::get().to(serve_metrics))
    })
    .workers(1)
    .listen(listener)?
    .shutdown_timeout(grace.as_secs())
    .run();
    Ok((server, port))
}

/// `GET /metrics` on the metrics listener: the Prometheus text format.
async fn serve_metrics(
    state: web::Data<AppState>,
    handle: web::Data<metrics_exporter_prometheus::PrometheusHandle>,
) -> actix_web::HttpResponse {
    metrics::gauge!("argon2_queue_depth").set(state.hasher.queue_depth() as f64);
    // This app's last count (taken off the request path by the sessions' upkeep, at most once
    // a period), never a count per scrape. Before the first count the gauge is left alone.
    if let Some(live) = state.store.live_sessions() {
        metrics::gauge!("sessions_live").set(live as f64);
    }
    handle.run_upkeep();
    actix_web::HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(handle.render())
}

/// Drops per-IP buckets that are full again, once a minute, so memory stays bounded.
async fn forget_idle_clients(state: web::Data<AppState>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        state.ip_limiter.forget_idle();
    }
}

/// Creates the indexes, retrying until the database answers; the API reports not-ready until
/// then.
async fn create_indexes(store: Store, ready: Arc<AtomicBool>) {
    let mut delay = Duration::from_millis(200);
    loop {
        match store.ensure_indexes().await {
            Ok(()) => {
                ready.store(true, Ordering::Release);
                tracing::info!("database indexes ready");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "creating indexes failed");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// The shared state for `settings` on `store`: what the server and `backend admin` act with.
pub fn build_state(
    settings: &Settings,
    store: Store,
    indexes_ready: Arc<AtomicBool>,
) -> anyhow::Result<AppState> {
    Ok(AppState {
        mailer: Mailer::new(
            &settings.smtp,
            &settings.mail_from,
            Templates::new(
                settings.mail.templates_dir.as_deref(),
                &settings.mail.product_name,
                settings.mail.support_email.as_deref(),
            )?,
        )?,
        hasher: PasswordHasher::with_queue(settings.hash_concurrency, settings.hash_queue)?,
        code_mac: CodeMac::new(settings.codes.pepper.clone()),
        jwt: JwtKeys::new(&settings.jwt)?,
        refresh: RefreshKeys::new(&settings.codes.pepper),
        sessions: settings.sessions.clone(),
        clock: settings.clock.clone(),
        codes: settings.codes.clone(),
        mfa: settings.mfa.clone(),
        mfa_keys: crate::mfa::MfaKeys::new(&settings.mfa),
        proxies: TrustedProxies::new(settings.throttle.trusted_proxies.clone())
            .with_ipv6_prefix(settings.throttle.ipv6_prefix),
        ip_limiter: IpLimiter::new(settings.throttle.ip_per_second, settings.throttle.ip_burst),
        throttle: settings.throttle.clone(),
        static_dir: settings.static_dir.clone(),
        indexes_ready,
        store,
        introspection_secret: settings.ops.introspection_secret.clone(),
        webauthn: crate::auth::RelyingParty::new(&settings.webauthn)?,
        device_keys: crate::auth::DeviceKeys::new(&settings.codes.pepper),
        alerts: settings.alerts.clone(),
        deferred: Default::default(),
        webhooks: settings
            .webhooks
            .clone()
            .map(crate::webhooks::Webhooks::new)
            .transpose()?
            .map(Arc::new),
    })
}
