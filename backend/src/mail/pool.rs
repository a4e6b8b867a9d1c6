//! The SMTP connections of one process, kept open and shared: at most `size` at once (a send
//! beyond them waits for one), each with `TCP_NODELAY`.
//!
//! Why not lettre's own pool (`AsyncSmtpTransport` with `pool`):
//! - it leaves Nagle's algorithm on, and it writes a message and the final `.` that ends it
//!   separately, so the `.` waits for the server's delayed ACK of the message: about 40 ms a
//!   mail, during which the connection can carry nothing else;
//! - it bounds only the connections it keeps idle: every concurrent send beyond them opens a
//!   connection of its own (the greeting alone can take 100 ms) and closes it afterwards.
//!
//! The SMTP conversation itself is lettre's ([`AsyncSmtpConnection`]).

use std::{sync::Mutex, time::Duration};

use lettre::{
    address::Envelope,
    transport::smtp::{
        authentication::{Credentials, Mechanism},
        client::{AsyncSmtpConnection, TlsParameters},
        extension::ClientId,
    },
};
use tokio::{net::TcpStream, sync::Semaphore, time::Instant};

use anyhow::Context;

use super::MailError;
use crate::config::{SmtpSettings, SmtpTls};

pub struct SmtpPool {
    /// Where and how to connect (`timeout` bounds the TCP connect here; the whole send is
    /// bounded by the caller).
    settings: SmtpSettings,
    /// For [`SmtpTls::StartTls`] and [`SmtpTls::Tls`], built once.
    tls_parameters: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello: ClientId,
    /// One permit per connection that may be open at once (`settings.connections`).
    permits: Semaphore,
    /// Connections not in use, with when they were last used.
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    /// An idle connection older than this is closed rather than reused (servers drop idle
    /// clients after a while; this stays below the usual timeouts).
    idle_timeout: Duration,
}

impl SmtpPool {
    pub fn new(settings: &SmtpSettings, idle_timeout: Duration) -> anyhow::Result<Self> {
        let tls_parameters = match settings.tls {
            SmtpTls::None => None,
            SmtpTls::StartTls | SmtpTls::Tls => {
                Some(TlsParameters::new(settings.host.clone()).context("SMTP TLS parameters")?)
            }
        };
        let credentials = match (&settings.username, settings.password()) {
            (Some(user), Some(password)) => {
                Some(Credentials::new(user.clone(), password.to_owned()))
            }
            _ => None,
        };
        Ok(Self {
            settings: settings.clone(),
            tls_parameters,
            credentials,
            hello: ClientId::default(),
            permits: Semaphore::new(settings.connections.max(1)),
            idle: Mutex::new(Vec::new()),
            idle_timeout,
        })
    }

    /// Sends one message over a pooled connection (or a new one). A connection comes back to
    /// the pool only after a send that left it in a known state: one the caller abandons
    /// (its timeout) is dropped with the future, and one that broke is closed.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), MailError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| MailError::Connect("the mail pool is closed".into()))?;
        let mut conn = match self.reusable().await {
            Some(conn) => conn,
            None => self.connect().await?,
        };
        let sent = conn.send(envelope, message).await;
        if conn.has_broken() {
            conn.abort().await;
        } else {
            self.lock_idle().push((conn, Instant::now()));
        }
        sent.map(|_| ()).map_err(MailError::from)
    }

    /// An idle connection that still answers (a `NOOP`), if there is one.
    async fn reusable(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut conn, since) = self.lock_idle().pop()?;
            if since.elapsed() < self.idle_timeout && conn.test_connected().await {
                return Some(conn);
            }
            conn.abort().await;
        }
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<(AsyncSmtpConnection, Instant)>> {
        // The guarded Vec is consistent at every point a panic could unwind from.
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, MailError> {
        let t = &self.settings;
        let tls = || {
            self.tls_parameters
                .clone()
                .ok_or_else(|| MailError::Connect("TLS without TLS parameters".into()))
        };
        let mut conn = if t.tls == SmtpTls::Tls {
            // Implicit TLS comes before the greeting, which `connect_with_transport` reads at
            // once: lettre connects (without TCP_NODELAY, so these mails take the delayed-ACK
            // wait; STARTTLS on 587 does not).
            AsyncSmtpConnection::connect_tokio1(
                (t.host.as_str(), t.port),
                Some(t.timeout),
                &self.hello,
                Some(tls()?),
                None,
            )
            .await?
        } else {
            let tcp =
                tokio::time::timeout(t.timeout, TcpStream::connect((t.host.as_str(), t.port)))
                    .await
                    .map_err(|_| {
                        MailError::Connect(format!("no connection within {:?}", t.timeout))
                    })?
                    .map_err(|e| MailError::Connect(e.to_string()))?;
            tcp.set_nodelay(true)
                .map_err(|e| MailError::Connect(e.to_string()))?;
            let mut conn =
                AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await?;
            if t.tls == SmtpTls::StartTls {
                // Required: a server without STARTTLS is an error, never plain text.
                conn.starttls(tls()?, &self.hello).await?;
            }
            conn
        };
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await?;
        }
        Ok(conn)
    }
}
