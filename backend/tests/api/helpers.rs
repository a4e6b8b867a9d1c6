use std::{
    collections::HashMap,
    net::TcpListener,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use backend::{clock::Clock, config::Settings, startup::Application};
use mailin_embedded::{response, Handler, Response, Server, SslConfig};
use mongodb::bson::{doc, Document};
use serde_json::{json, Value};
use shared::Problem;

pub use crate::endpoints::*;

pub const JWT_SECRET: &str = "test-jwt-secret-0123456789abcdef0123456789";
pub const PEPPER: &str = "test-code-pepper-0123456789abcdef012345678";
/// `APP_MFA_ENCRYPTION_KEY` of the test apps: 32 bytes as hex.
pub const MFA_KEY: &str = "6d66612d746573742d6b65792d30313233343536373839616263646566303132";
pub const PASSWORD: &str = "correct horse battery";

/// One message as the SMTP server received it, MIME-decoded.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A real SMTP server on a random loopback port, inside the test process.
#[derive(Clone)]
pub struct MailServer {
    pub port: u16,
    inbox: Arc<Mutex<Vec<Mail>>>,
    /// Greetings (HELO/EHLO) received: one per connection.
    greetings: Arc<std::sync::atomic::AtomicUsize>,
    refuse: Arc<AtomicBool>,
    refuse_recipients: Arc<AtomicBool>,
}

#[derive(Clone)]
struct Collector {
    inbox: Arc<Mutex<Vec<Mail>>>,
    greetings: Arc<std::sync::atomic::AtomicUsize>,
    refuse: Arc<AtomicBool>,
    refuse_recipients: Arc<AtomicBool>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Collector {
    fn helo(&mut self, _ip: std::net::IpAddr, _domain: &str) -> Response {
        self.greetings.fetch_add(1, Ordering::SeqCst);
        response::OK
    }

    fn rcpt(&mut self, _to: &str) -> Response {
        if self.refuse_recipients.load(Ordering::SeqCst) {
            return response::BAD_MAILBOX;
        }
        response::OK
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        if self.refuse.load(Ordering::SeqCst) {
            return response::TRANSACTION_FAILED;
        }
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let parsed = mail_parser::MessageParser::default().parse(&self.data);
        let Some(message) = parsed else {
            return response::TRANSACTION_FAILED;
        };
        let mail = Mail {
            to: self.to.clone(),
            subject: message.subject().unwrap_or_default().to_owned(),
            text: message
                .body_text(0)
                .map(|t| t.into_owned())
                .unwrap_or_default(),
            html: message
                .body_html(0)
                .map(|t| t.into_owned())
                .unwrap_or_default(),
        };
        if let Ok(mut inbox) = self.inbox.lock() {
            inbox.push(mail);
        }
        response::OK
    }
}

impl MailServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind SMTP port");
        let port = listener.local_addr().unwrap().port();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let refuse = Arc::new(AtomicBool::new(false));
        let refuse_recipients = Arc::new(AtomicBool::new(false));
        let greetings = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let handler = Collector {
            inbox: inbox.clone(),
            greetings: greetings.clone(),
            refuse: refuse.clone(),
            refuse_recipients: refuse_recipients.clone(),
            to: vec![],
            data: vec![],
        };
        std::thread::spawn(move || {
            let mut server = Server::new(handler);
            server
                .with_name("mail.test")
                .with_num_threads(16)
                .with_tcp_listener(listener);
            if let Err(e) = server.with_ssl(SslConfig::None).map(|_| ()) {
                eprintln!("smtp ssl config: {e}");
                return;
            }
            if let Err(e) = server.serve() {
                eprintln!("smtp server stopped: {e}");
            }
        });
        Self {
            port,
            inbox,
            greetings,
            refuse,
            refuse_recipients,
        }
    }

    /// Connections that greeted the server so far.
    pub fn connections(&self) -> usize {
        self.greetings.load(Ordering::SeqCst)
    }

    /// Make the server refuse every message (a 554 after DATA) until told otherwise.
    pub fn refuse(&self, on: bool) {
        self.refuse.store(on, Ordering::SeqCst);
    }

    /// Make the server refuse every recipient address (553 mailbox name not allowed).
    pub fn refuse_recipients(&self, on: bool) {
        self.refuse_recipients.store(on, Ordering::SeqCst);
    }

    pub fn mails_to(&self, address: &str) -> Vec<Mail> {
        self.inbox
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .cloned()
            .collect()
    }

    pub fn count(&self) -> usize {
        self.inbox.lock().unwrap().len()
    }

    /// The last mail to `address`, waiting briefly for it to arrive.
    pub async fn last_mail_to(&self, address: &str) -> Mail {
        for _ in 0..100 {
            if let Some(mail) = self.mails_to(address).pop() {
                return mail;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no mail arrived for {address}");
    }

    /// Reads the code from the last mail to `address`, as a person would.
    pub async fn code_for(&self, address: &str) -> String {
        let mail = self.last_mail_to(address).await;
        extract_code(&mail.text).unwrap_or_else(|| panic!("no code in mail: {mail:?}"))
    }
}

/// The first run of exactly six digits in `text`.
pub fn extract_code(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 6 {
                return Some(chars[start..i].iter().collect());
            }
        } else {
            i += 1;
        }
    }
    None
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub mail: MailServer,
    pub db: mongodb::Database,
    /// The app's clock: `clock.advance(..)` moves its "now" forward (expiry without sleeping).
    pub clock: Clock,
    /// `http://127.0.0.1:<port>` of the metrics listener, with `APP_METRICS_PORT` set.
    pub metrics_address: Option<String>,
    /// The instance's session cache (on unless `APP_SESSION_CACHE_CAPACITY=0`).
    pub cache: Option<backend::store::cache::Handle>,
    /// `http://127.0.0.1:<port>` of the admin API listener, with `APP_ADMIN_PORT` set.
    pub admin_address: Option<String>,
    /// Holds requests between a read and its write (`races.rs`).
    pub rendezvous: backend::rendezvous::Rendezvous,
}

/// The claims of a JWT, decoded without checking (the server checks).
pub fn unverified_claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&json).unwrap()
}

pub fn mongodb_uri() -> String {
    std::env::var("TEST_MONGODB_URI").unwrap_or_else(|_| "mongodb://127.0.0.1:27017".into())
}

/// Panics raised in the app's own code (`backend/src`) in this test process, on whatever thread
/// or task: a panicking background task (the outbox worker, the cache watcher, the webhook
/// worker) fails no request, so no assertion on an answer would ever see it. Every [`TestApp`]
/// fails its test when it is dropped after one (see its `Drop`).
static APP_PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn watch_app_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info
                .location()
                .is_some_and(|at| at.file().contains("backend/src/"))
            {
                if let Ok(mut panics) = APP_PANICS.lock() {
                    panics.push(info.to_string());
                }
            }
            previous(info);
        }));
    });
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // A test that fails already says why; a panic during unwinding would abort.
        if std::thread::panicking() {
            return;
        }
        let panics = APP_PANICS.lock().map(|p| p.clone()).unwrap_or_default();
        assert!(
            panics.is_empty(),
            "the app panicked in its own code (a background task or a worker): {panics:#?}"
        );
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the app with test settings, overridden by `overrides` (`APP_*` names).
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let db_name = format!("test_{}", uuid::Uuid::new_v4().simple());
    spawn_instance(&mongodb_uri(), &db_name, MailServer::start(), overrides).await
}

/// An app with `overrides` (as for [`spawn_app_with`]) where `s` has an account: signed up by
/// an emailed code with [`PASSWORD`], not signed in.
pub async fn spawn_app_with_account(s: &Signup<'_>, overrides: &[(&str, &str)]) -> TestApp {
    let app = spawn_app_with(overrides).await;
    app.sign_up(s).await;
    app
}

/// An app that believes `X-Forwarded-For` from the test (a trusted proxy on loopback), so a
/// test can speak from any client address; `overrides` as for [`spawn_app_with`].
pub async fn spawn_behind_proxy(overrides: &[(&str, &str)]) -> TestApp {
    let mut all = vec![("APP_TRUSTED_PROXIES", "127.0.0.1")];
    all.extend_from_slice(overrides);
    spawn_app_with(&all).await
}

/// Two instances of the app on different ports, one database, one SMTP server: what runs
/// behind a load balancer. Both start at once, so both create the indexes concurrently.
pub async fn spawn_pair(overrides: &[(&str, &str)]) -> (TestApp, TestApp) {
    let db_name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let mail = MailServer::start();
    let uri = mongodb_uri();
    tokio::join!(
        spawn_instance(&uri, &db_name, mail.clone(), overrides),
        spawn_instance(&uri, &db_name, mail, overrides)
    )
}

/// The app on port 0 with test settings against database `db_name` at `db_uri`, sending to
/// `mail`; `overrides` (`APP_*` names) win over the test defaults.
pub async fn spawn_instance(
    db_uri: &str,
    db_name: &str,
    mail: MailServer,
    overrides: &[(&str, &str)],
) -> TestApp {
    watch_app_panics();
    let mut vars: HashMap<String, String> = [
        ("APP_PORT", "0".to_owned()),
        ("APP_MONGODB_URI", db_uri.to_owned()),
        ("APP_MONGODB_DB", db_name.to_owned()),
        ("APP_SMTP_PORT", mail.port.to_string()),
        ("APP_SMTP_TIMEOUT_SECS", "3".to_owned()),
        ("APP_JWT_SECRET", JWT_SECRET.to_owned()),
        ("APP_CODE_PEPPER", PEPPER.to_owned()),
        ("APP_MFA_ENCRYPTION_KEY", MFA_KEY.to_owned()),
        ("APP_CODES_PER_IP_PER_HOUR", "100000".to_owned()),
        // Tests fire hundreds of requests from one address; the per-IP bucket has its own test.
        ("APP_RATE_LIMIT_PER_SECOND", "100000".to_owned()),
        ("APP_RATE_LIMIT_BURST", "100000".to_owned()),
        ("APP_STATIC_DIR", "/nonexistent".to_owned()),
        ("APP_LOG_FORMAT", "pretty".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (k, v) in overrides {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    let mut settings = Settings::from_vars(&vars).expect("test settings");
    let clock = Clock::adjustable();
    settings.clock = clock.clone();
    let rendezvous = backend::rendezvous::Rendezvous::armable();
    settings.rendezvous = rendezvous.clone();
    let app = Application::build(settings).await.expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    let cache = app.session_cache();
    let admin_address = app
        .admin_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    tokio::spawn(app.run_until_stopped());

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let db = mongodb::Client::with_uri_str(db_uri)
        .await
        .unwrap()
        .database(db_name);
    let app = TestApp {
        address,
        client,
        mail,
        db,
        clock,
        metrics_address,
        cache,
        admin_address,
        rendezvous,
    };
    app.wait_ready().await;
    app
}

pub struct Signup<'a> {
    pub username: &'a str,
    pub nickname: &'a str,
    pub email: &'a str,
}

impl TestApp {
    /// Waits until every change committed so far (on any instance) has reached this
    /// instance's session cache, by the mechanism the cache itself trusts: a heartbeat seen
    /// back through its change stream. Without a cache there is nothing to wait for.
    pub async fn caught_up(&self) {
        if let Some(cache) = &self.cache {
            assert!(
                cache.caught_up().await,
                "the change stream did not catch up"
            );
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A plain GET of `path`, with no credentials.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    async fn wait_ready(&self) {
        for _ in 0..200 {
            if let Ok(r) = self.client.get(self.url("/health/ready")).send().await {
                if r.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "app never became ready (is the database server running at {}?)",
            mongodb_uri()
        );
    }

    pub async fn post_from(&self, ip: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("x-forwarded-for", ip)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        let request = self.client.post(self.url(path)).json(body);
        request.send().await.expect("request")
    }

    pub async fn email_auth(&self, s: &Signup<'_>) -> reqwest::Response {
        self.post(
            "/api/email_auth",
            &json!({"username": s.username, "nickname": s.nickname, "email": s.email}),
        )
        .await
    }

    pub async fn register(&self, s: &Signup<'_>, password: &str, code: &str) -> reqwest::Response {
        self.post(
            "/api/register",
            &json!({"username": s.username, "password": password, "nickname": s.nickname,
                    "email": s.email, "code": code}),
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        let body = json!({"username": username, "password": password});
        self.post("/api/login", &body).await
    }

    pub async fn nick(&self, token: &str) -> reqwest::Response {
        self.bearer_get(token, "/api/nick").await
    }

    /// Requests a code and returns it, read from the mail.
    pub async fn request_code(&self, s: &Signup<'_>) -> String {
        let r = self.email_auth(s).await;
        assert_eq!(r.status(), 202, "{}", r.text().await.unwrap_or_default());
        self.mail.code_for(s.email).await
    }

    /// The whole signup: code, register. Returns nothing; panics on any failure.
    pub async fn sign_up(&self, s: &Signup<'_>) {
        let code = self.request_code(s).await;
        let r = self.register(s, PASSWORD, &code).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    }

    pub async fn token_for(&self, username: &str) -> String {
        self.session_for(username).await.0
    }

    /// Logs in: `(access_token, refresh_token)` of a new session.
    pub async fn session_for(&self, username: &str) -> (String, String) {
        self.session_with(username, PASSWORD).await
    }

    /// `POST /api/token/refresh` with `refresh_token` in the body.
    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.post(
            "/api/token/refresh",
            &json!({ "refresh_token": refresh_token }),
        )
        .await
    }

    pub async fn users(&self) -> Vec<Document> {
        self.collection("users").await
    }

    pub async fn collection(&self, name: &str) -> Vec<Document> {
        use futures_util::TryStreamExt;
        self.db
            .collection::<Document>(name)
            .find(doc! {})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    }
}

/// The person most tests sign up.
pub const GILDONG: Signup = Signup {
    username: "hong_gildong",
    nickname: "길동",
    email: "gildong@example.com",
};
/// A second person, for what one account must not see or do to another.
pub const OTHER: Signup = Signup {
    username: "other_user",
    nickname: "다른이",
    email: "other@example.com",
};

/// Asserts a problem+json answer with this status and code, and returns it.
pub async fn assert_problem(r: reqwest::Response, status: u16, code: &str) -> Problem {
    assert_problem_in(r, status, &[code]).await
}

/// Asserts a problem+json answer with this status and one of these codes, and returns it.
pub async fn assert_problem_in(r: reqwest::Response, status: u16, codes: &[&str]) -> Problem {
    problem_of_case("", r, status, codes).await
}

/// [`assert_problem_in`] for one row of a table-driven test: every failure message starts with
/// `case`.
async fn problem_of_case(case: &str, r: reqwest::Response, status: u16, codes: &[&str]) -> Problem {
    assert_eq!(r.status().as_u16(), status, "{case}status");
    assert_eq!(
        content_type(&r),
        "application/problem+json",
        "{case}content type"
    );
    let text = r.text().await.unwrap();
    let problem: Problem =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{case}{e}: {text}"));
    assert!(
        codes.contains(&problem.code.as_str()),
        "{case}{codes:?}: {text}"
    );
    assert_eq!(problem.status, status, "{case}status in the body");
    problem
}

pub fn field_codes(p: &Problem) -> Vec<(String, String)> {
    p.errors
        .as_ref()
        .map(|errors| {
            errors
                .iter()
                .map(|e| (e.field.clone(), e.code.as_str().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts a `422 validation_failed` whose only field error is `code` on `field`.
pub async fn assert_invalid_field(r: reqwest::Response, field: &str, code: &str) {
    assert_field_problem(r, 422, "validation_failed", field, code).await;
}

/// Asserts a problem with this status and code whose only field error is `field_code` on
/// `field`.
pub async fn assert_field_problem(
    r: reqwest::Response,
    status: u16,
    code: &str,
    field: &str,
    field_code: &str,
) {
    assert_field_problem_of_case("", r, (status, code), field, field_code).await;
}

/// [`assert_field_problem`] for one row of a table-driven test: every failure message starts
/// with `case`.
async fn assert_field_problem_of_case(
    case: &str,
    r: reqwest::Response,
    (status, code): (u16, &str),
    field: &str,
    field_code: &str,
) {
    let p = problem_of_case(case, r, status, &[code]).await;
    assert_eq!(
        field_codes(&p),
        vec![(field.to_owned(), field_code.to_owned())],
        "{case}field errors"
    );
}

impl TestApp {
    /// Asserts that the session of these tokens is refused with this status and code, both its
    /// access token (`GET /api/nick`) and its refresh token (a refresh).
    pub async fn assert_session_refused(
        &self,
        (access, refresh): (&str, &str),
        status: u16,
        code: &str,
    ) {
        let r = self.nick(access).await;
        problem_of_case("the access token: ", r, status, &[code]).await;
        let r = self.refresh(refresh).await;
        problem_of_case("the refresh token: ", r, status, &[code]).await;
    }

    /// Registers `s` with `code` and each password of `cases`: each is refused with a `422
    /// validation_failed` whose only field error is the paired code on `password` (a failure
    /// names the password).
    pub async fn assert_passwords_refused(
        &self,
        s: &Signup<'_>,
        code: &str,
        cases: &[(&str, &str)],
    ) {
        for (password, field_code) in cases {
            let r = self.register(s, password, code).await;
            let case = format!("password {password:?}: ");
            let problem = (422, "validation_failed");
            assert_field_problem_of_case(&case, r, problem, "password", field_code).await;
        }
    }
}

// Typed calls for the account lifecycle and the client-address tests (#33).
impl TestApp {
    /// Logs in with `password`: `(access_token, refresh_token)` of a new session.
    pub async fn session_with(&self, username: &str, password: &str) -> (String, String) {
        tokens_of(&ok_json(self.login(username, password).await).await)
    }

    /// `POST /api/password/change` as the holder of `access`.
    pub async fn change_password(
        &self,
        access: &str,
        current: &str,
        new: &str,
    ) -> reqwest::Response {
        self.client
            .post(self.url("/api/password/change"))
            .bearer_auth(access)
            .json(&json!({"current_password": current, "new_password": new}))
            .send()
            .await
            .expect("request")
    }

    /// `DELETE /api/account` as the holder of `access`, proving `password`.
    pub async fn delete_account(&self, access: &str, password: &str) -> reqwest::Response {
        self.client
            .delete(self.url("/api/account"))
            .bearer_auth(access)
            .json(&json!({ "password": password }))
            .send()
            .await
            .expect("request")
    }

    /// A plain GET of `path` from client address `ip` (`X-Forwarded-For`: the app must trust
    /// the loopback proxy, see [`spawn_behind_proxy`]).
    pub async fn get_from(&self, ip: &str, path: &str) -> reqwest::Response {
        let request = self.client.get(self.url(path));
        request
            .header("x-forwarded-for", ip)
            .send()
            .await
            .expect("request")
    }
}

/// An answer as a client sees it: status, every header with its value (sorted; only `date`
/// and `x-request-id` left out, which differ on every answer) and the body. Two answers that
/// must not tell accounts apart compare equal as these.
pub async fn seen_answer(r: reqwest::Response) -> (u16, Vec<(String, String)>, String) {
    let status = r.status().as_u16();
    let mut headers: Vec<(String, String)> = r
        .headers()
        .iter()
        .filter(|(name, _)| *name != "date" && *name != "x-request-id")
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or("").to_owned()))
        .collect();
    headers.sort();
    (status, headers, r.text().await.unwrap())
}

/// Asserts that both answers have `status` and that a client could tell them apart by nothing
/// (equal as [`seen_answer`]s); returns the answer.
pub async fn assert_indistinguishable(
    a: reqwest::Response,
    b: reqwest::Response,
    status: u16,
) -> (u16, Vec<(String, String)>, String) {
    assert_eq!(a.status(), status, "the first answer");
    assert_eq!(b.status(), status, "the second answer");
    let seen = seen_answer(a).await;
    assert_eq!(seen, seen_answer(b).await);
    seen
}

/// Every form `secret` could be stored in: the text itself in either case and, when the text
/// is base32 (a TOTP secret), base64, base64url or hex of at least 8 bytes, those bytes raw
/// and in each of those encodings.
pub fn stored_forms(secret: &str) -> Vec<Vec<u8>> {
    use base64::Engine;
    let b64 = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    let mut decoded: Vec<Vec<u8>> = vec![];
    decoded.extend(b64.iter().filter_map(|e| e.decode(secret).ok()));
    decoded.extend(hex::decode(secret).ok());
    decoded.extend(
        totp_rs::Secret::Encoded(secret.to_uppercase())
            .to_bytes()
            .ok(),
    );
    let mut forms: Vec<String> = vec![secret.to_owned()];
    let mut raw: Vec<Vec<u8>> = vec![];
    for bytes in decoded.into_iter().filter(|b| b.len() >= 8) {
        forms.extend(b64.iter().map(|e| e.encode(&bytes)));
        forms.push(hex::encode(&bytes));
        forms.push(totp_rs::Secret::Raw(bytes.clone()).to_encoded().to_string());
        raw.push(bytes);
    }
    let mut all: Vec<Vec<u8>> = forms
        .iter()
        .flat_map(|f| [f.to_lowercase(), f.to_uppercase(), f.clone()])
        .map(String::into_bytes)
        .collect();
    all.extend(raw);
    all.sort();
    all.dedup();
    all
}

/// Panics when the raw BSON of any of `docs` holds any of [`stored_forms`] of `secret`.
pub fn assert_not_stored(docs: &[Document], secret: &str, what: &str) {
    let forms = stored_forms(secret);
    for d in docs {
        let bytes = mongodb::bson::to_vec(d).unwrap();
        for form in &forms {
            assert!(
                !bytes.windows(form.len()).any(|w| w == form.as_slice()),
                "{what} stored in clear (as {:?}): {d:?}",
                String::from_utf8_lossy(form)
            );
        }
    }
}

impl TestApp {
    /// Asserts that no notice to `address` was queued since the inbox held `before` mails to it,
    /// without waiting: a notice's outbox entry is written before the answer and deleted only
    /// after the mail server took the mail, so it is in the outbox (read first) or in the inbox.
    pub async fn assert_no_notice_since(&self, address: &str, before: usize) {
        let queued: Vec<Document> = self
            .collection("mail_outbox")
            .await
            .into_iter()
            .filter(|d| {
                d.get_str("to")
                    .is_ok_and(|to| to.eq_ignore_ascii_case(address))
            })
            .collect();
        assert!(queued.is_empty(), "a notice is queued: {queued:?}");
        assert_eq!(
            self.mail.mails_to(address).len(),
            before,
            "a notice was sent"
        );
    }
}
