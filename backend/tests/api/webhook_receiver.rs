//! A webhook receiver for tests: a real HTTP server on a loopback port that records every
//! request and answers what the test scripts; and the Standard Webhooks signature check,
//! written from the specification (not the app's signer).

use std::{
    collections::{HashMap, VecDeque},
    net::TcpListener,
    sync::{
        atomic::{AtomicU16, Ordering},
        Arc, Mutex,
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) path: String,
    pub(crate) headers: HashMap<String, String>,
    pub(crate) body: String,
    /// Unix milliseconds at receipt.
    pub(crate) at_ms: i64,
}

impl Received {
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    pub(crate) fn kind(&self) -> String {
        self.json()["type"].as_str().unwrap_or_default().to_owned()
    }
}

#[derive(Clone, Default)]
struct Script {
    log: Arc<Mutex<Vec<Received>>>,
    /// Statuses to answer next, in order; then `otherwise`.
    answers: Arc<Mutex<VecDeque<u16>>>,
    otherwise: Arc<AtomicU16>,
}

/// A real HTTP server on a loopback port, recording what it receives.
pub(crate) struct Receiver {
    pub(crate) port: u16,
    script: Script,
    server: Option<actix_web::dev::ServerHandle>,
}

async fn record(req: HttpRequest, body: web::Bytes, script: web::Data<Script>) -> HttpResponse {
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let at_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    script.log.lock().unwrap().push(Received {
        path: req.path().to_owned(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        at_ms,
    });
    let status = script
        .answers
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| script.otherwise.load(Ordering::SeqCst));
    let mut answer = HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap());
    if (300..400).contains(&status) {
        answer.insert_header(("location", "/redirected"));
    }
    answer.finish()
}

impl Receiver {
    /// Listening on a free port, answering 200.
    pub(crate) fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        Self::serve(listener, Script::default())
    }

    /// A port where nothing listens yet (connections are refused) until [`Receiver::up`].
    pub(crate) fn down() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = Script::default();
        script.otherwise.store(200, Ordering::SeqCst);
        Self {
            port,
            script,
            server: None,
        }
    }

    fn serve(listener: TcpListener, script: Script) -> Self {
        if script.otherwise.load(Ordering::SeqCst) == 0 {
            script.otherwise.store(200, Ordering::SeqCst);
        }
        let port = listener.local_addr().unwrap().port();
        let data = web::Data::new(script.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(record))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            port,
            script,
            server: Some(handle),
        }
    }

    /// Starts listening on the port of a receiver made [`Receiver::down`].
    pub(crate) fn up(&mut self) {
        assert!(self.server.is_none(), "already up");
        let listener = TcpListener::bind(("127.0.0.1", self.port)).expect("the port is free");
        let up = Self::serve(listener, self.script.clone());
        self.server = up.server;
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks", self.port)
    }

    /// The next answers, in order (then 200 again, or what [`Receiver::always`] set).
    pub(crate) fn answer(&self, statuses: &[u16]) {
        self.script.answers.lock().unwrap().extend(statuses);
    }

    pub(crate) fn always(&self, status: u16) {
        self.script.otherwise.store(status, Ordering::SeqCst);
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.script.log.lock().unwrap().clone()
    }

    /// Waits until `n` requests have arrived; all of them.
    pub(crate) async fn wait_for(&self, n: usize) -> Vec<Received> {
        wait_until(&format!("{n} webhook requests"), || {
            let got = self.received();
            async move { (got.len() >= n).then_some(got) }
        })
        .await
    }
}

/// Polls `check` every 20 ms until it yields a value (at most 30 s).
pub(crate) async fn wait_until<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..1500 {
        if let Some(value) = check().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

/// The Standard Webhooks check, written from the specification: the signed content is
/// `{webhook-id}.{webhook-timestamp}.{body}`, the key the base64 after `whsec_`, the signature
/// `v1,` + base64(HMAC-SHA256); the header may hold several, space-separated.
pub(crate) fn verifies(secret: &str, r: &Received) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    let signed = format!(
        "{}.{}.{}",
        r.header("webhook-id"),
        r.header("webhook-timestamp"),
        r.body
    );
    mac.update(signed.as_bytes());
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    r.header("webhook-signature")
        .split(' ')
        .any(|s| s == expected)
}
