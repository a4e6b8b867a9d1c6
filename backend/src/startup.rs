//! Builds the application: state, routes, middleware, listener.

use std::{
    net::TcpListener,
    path::PathBuf,
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
    auth::{CodeMac, JwtKeys, PasswordHasher},
    config::{CodeSettings, Settings},
    error::json_error,
    mail::Mailer,
    routes,
    store::Store,
    telemetry,
};

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Everything a handler needs, shared by all workers.
pub struct AppState {
    pub store: Store,
    pub mailer: Mailer,
    pub hasher: PasswordHasher,
    pub code_mac: CodeMac,
    pub jwt: JwtKeys,
    pub codes: CodeSettings,
    pub static_dir: PathBuf,
    /// Set once the indexes exist (created in the background, retried until the database
    /// answers).
    pub indexes_ready: Arc<AtomicBool>,
}

pub struct Application {
    port: u16,
    host: std::net::IpAddr,
    server: Server,
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
        let indexes_ready = Arc::new(AtomicBool::new(false));
        tokio::spawn(create_indexes(store.clone(), indexes_ready.clone()));

        let state = web::Data::new(AppState {
            mailer: Mailer::new(&settings.smtp, &settings.mail_from)?,
            hasher: PasswordHasher::new(settings.hash_concurrency)?,
            code_mac: CodeMac::new(settings.codes.pepper.clone()),
            jwt: JwtKeys::new(&settings.jwt),
            codes: settings.codes.clone(),
            static_dir: settings.static_dir.clone(),
            indexes_ready,
            store,
        });

        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(MAX_BODY_BYTES)
                        .content_type_required(true)
                        .error_handler(|err, _req| json_error(err, MAX_BODY_BYTES).into()),
                )
                .wrap(
                    DefaultHeaders::new()
                        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                        .add((header::REFERRER_POLICY, "no-referrer"))
                        .add((header::X_FRAME_OPTIONS, "DENY"))
                        .add((header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'")),
                )
                .wrap(from_fn(telemetry::log_requests))
                .configure(routes::configure)
                .default_service(web::to(routes::spa::serve))
        })
        .listen(listener)?
        .shutdown_timeout(settings.shutdown_grace.as_secs())
        .run();

        Ok(Self {
            port,
            host: settings.host,
            server,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn address(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
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
