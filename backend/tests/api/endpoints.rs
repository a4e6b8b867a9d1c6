//! Typed calls on [`TestApp`]: one method per endpoint (the authenticated ones take the access
//! token), one per flow the tests repeat (sign-up by an emailed code, sign-in, the second
//! step, turning TOTP on, a password reset, a second instance), and [`SignedIn`], the person
//! most tests start from. A method that answers a `reqwest::Response` leaves every assertion
//! to the test; one that answers a typed value asserts the status it needs and says so.

use std::time::Duration;

use mongodb::bson::Document;
use reqwest::{Method, Response};
use serde_json::{json, Value};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::helpers::*;

/// A person with an account, signed in once: who they are and the tokens of that session.
pub struct SignedIn {
    pub username: String,
    pub password: String,
    pub email: String,
    pub access: String,
    pub refresh: String,
    /// The `emailauth_device=…` pair the sign-in set.
    pub device: Option<String>,
}

impl SignedIn {
    /// The session's `(access, refresh)` tokens.
    pub fn tokens(self) -> (String, String) {
        (self.access, self.refresh)
    }

    /// `s` signed in with `password`, from a one-step sign-in's answer `r`.
    async fn from_answer(s: &Signup<'_>, password: &str, r: Response) -> Self {
        let device = device_cookie(&r);
        let (access, refresh) = tokens_of(&r.json().await.unwrap());
        Self {
            username: s.username.to_owned(),
            password: password.to_owned(),
            email: s.email.to_owned(),
            access,
            refresh,
            device,
        }
    }
}

/// No resend cooldown: a test may mail the same address again at once.
pub const NO_COOLDOWN: (&str, &str) = ("APP_RESEND_COOLDOWN_SECS", "0");
/// The test itself is a trusted proxy: its `X-Forwarded-For` names the client.
pub const TRUSTED_PROXY: (&str, &str) = ("APP_TRUSTED_PROXIES", "127.0.0.1");

/// A person who may sign up: `username`, `nickname`, `email`.
pub const fn person<'a>(username: &'a str, nickname: &'a str, email: &'a str) -> Signup<'a> {
    Signup {
        username,
        nickname,
        email,
    }
}

/// TOTP turned on: the authenticator's generator and the recovery codes the enable answered.
pub struct Totp {
    pub totp: TOTP,
    pub recovery_codes: Vec<String>,
}

/// `access_token` and `refresh_token` of a sign-in or refresh answer's body.
pub fn tokens_of(body: &Value) -> (String, String) {
    (access_of(body), refresh_of(body))
}

/// The `access_token` of a sign-in or refresh answer's body.
pub fn access_of(body: &Value) -> String {
    body["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no access_token: {body}"))
        .to_owned()
}

/// The `refresh_token` of a sign-in or refresh answer's body.
pub fn refresh_of(body: &Value) -> String {
    body["refresh_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no refresh_token: {body}"))
        .to_owned()
}

/// The session id (`sid` claim) of an access token.
pub fn sid_of(access: &str) -> String {
    unverified_claims(access)["sid"]
        .as_str()
        .expect("a sid claim")
        .to_owned()
}

/// The `Content-Type` of an answer (empty without one, or when it is not visible ASCII).
pub fn content_type(r: &Response) -> String {
    r.headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

/// The whole `Set-Cookie` value of the cookie `name` a response set, attributes included.
pub fn set_cookie(r: &Response, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&prefix))
        .map(str::to_owned)
}

/// The `name=value` pair of the cookie `name` a response set.
pub fn cookie_pair(r: &Response, name: &str) -> Option<String> {
    set_cookie(r, name).and_then(|c| c.split(';').next().map(str::to_owned))
}

/// The `emailauth_device=…` pair a response set.
pub fn device_cookie(r: &Response) -> Option<String> {
    cookie_pair(r, "emailauth_device")
}

/// Whether the response clears the refresh cookie (`emailauth_refresh=;` with `Max-Age=0`).
pub fn clears_refresh_cookie(r: &Response) -> bool {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with("emailauth_refresh=;") && v.contains("Max-Age=0"))
}

/// The `recovery_codes` of an answer's body.
pub fn recovery_codes_of(body: &Value) -> Vec<String> {
    body["recovery_codes"]
        .as_array()
        .unwrap_or_else(|| panic!("no recovery_codes: {body}"))
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

/// The body of a sign-in answer that asks for the second step: `200`, no cookie (no session
/// yet), `mfa_required`, and no token.
pub async fn second_step_asked(r: Response) -> Value {
    assert_eq!(r.status(), 200);
    assert!(
        r.headers().get("set-cookie").is_none(),
        "no cookie before the second step"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["mfa_required"], true, "{body}");
    assert!(body.get("access_token").is_none() && body.get("refresh_token").is_none());
    body
}

/// The `Retry-After` of an answer, in seconds.
pub fn retry_after(r: &Response) -> u64 {
    r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// The body of a `200` answer.
pub async fn ok_json(r: Response) -> Value {
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// A code of six digits that is not `code`.
pub fn not_the_code(code: &str) -> &'static str {
    if code == "000000" {
        "111111"
    } else {
        "000000"
    }
}

/// Waits for a mail to `to` whose subject contains `subject`.
pub async fn mail_about(app: &TestApp, to: &str, subject: &str) -> Mail {
    for _ in 0..200 {
        if let Some(mail) = app
            .mail
            .mails_to(to)
            .into_iter()
            .find(|m| m.subject.contains(subject))
        {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no mail about {subject:?} to {to}: {:?}",
        app.mail.mails_to(to)
    );
}

/// A TOTP time step, in seconds.
const STEP: i64 = 30;

/// The generator an authenticator app would build from the secret.
pub fn app_totp(secret: &str) -> TOTP {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes, None, "t".into())
}

/// The code `steps` time steps away from the app's "now".
pub fn code_at(app: &TestApp, totp: &TOTP, steps: i64) -> String {
    let t = app.clock.now_secs() as i64 + steps * STEP;
    totp.generate(t as u64)
}

/// A 6-digit code that is none of the codes the server accepts now.
pub fn wrong_code(app: &TestApp, totp: &TOTP) -> String {
    let window: Vec<String> = (-1..=1).map(|s| code_at(app, totp, s)).collect();
    (0u32..)
        .map(|n| format!("{:06}", (n * 7919 + 123_457) % 1_000_000))
        .find(|c| !window.contains(c))
        .unwrap()
}

/// Moves the clock to one second into a time step, so that a test's requests never straddle
/// a step boundary, and `steps` whole steps further.
pub fn align(app: &TestApp, steps: u64) {
    let ms = app.clock.now_millis() as u64;
    let to_next = 30_000 - ms % 30_000;
    app.clock
        .advance(Duration::from_millis(to_next + 1_000) + Duration::from_secs(30 * steps));
}

// Requests with credentials.
impl TestApp {
    /// `method path` with `Authorization: Bearer token` and, if any, a JSON body.
    pub async fn bearer(
        &self,
        method: Method,
        token: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request")
    }

    /// `POST path` with the bearer `token` and a JSON body.
    pub async fn bearer_post(&self, token: &str, path: &str, body: &Value) -> Response {
        self.bearer(Method::POST, token, path, Some(body)).await
    }

    /// `GET path` with the bearer `token`.
    pub async fn bearer_get(&self, token: &str, path: &str) -> Response {
        self.bearer(Method::GET, token, path, None).await
    }

    /// `POST path` with this raw body and, if any, this `Content-Type`.
    pub async fn post_raw(&self, path: &str, content_type: Option<&str>, body: &str) -> Response {
        let mut request = self.client.post(self.url(path)).body(body.to_owned());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        request.send().await.expect("request")
    }

    /// `method path` with no `Authorization` and no body.
    pub async fn anonymous(&self, method: Method, path: &str) -> Response {
        self.client
            .request(method, self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// `POST path` from client address `ip` (a trusted proxy says so), with `cookie` if any.
    pub async fn post_as(
        &self,
        ip: &str,
        cookie: Option<&str>,
        path: &str,
        body: &Value,
    ) -> Response {
        let mut request = self
            .client
            .post(self.url(path))
            .header("x-forwarded-for", ip)
            .json(body);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("request")
    }

    /// `POST path` asking for the browser's transport (`X-Token-Transport: cookie`).
    pub async fn post_for_cookie(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .header("x-token-transport", "cookie")
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// `POST /api/token/refresh` with `{}`, the app's own origin and this `Cookie` header.
    pub async fn refresh_with_cookie(&self, cookie: &str) -> Response {
        self.client
            .post(self.url("/api/token/refresh"))
            .header("origin", &self.address)
            .header("cookie", cookie)
            .json(&json!({}))
            .send()
            .await
            .expect("request")
    }
}

// One method per endpoint.
impl TestApp {
    /// `POST /api/login` with the browser's transport.
    pub async fn cookie_login(&self, username: &str, password: &str) -> Response {
        self.post_for_cookie(
            "/api/login",
            &json!({"username": username, "password": password}),
        )
        .await
    }

    /// `POST /api/login` from `ip`, with `cookie` if any.
    pub async fn login_from(
        &self,
        ip: &str,
        cookie: Option<&str>,
        username: &str,
        password: &str,
    ) -> Response {
        self.post_as(
            ip,
            cookie,
            "/api/login",
            &json!({"username": username, "password": password}),
        )
        .await
    }

    /// `POST /api/login/mfa` with this body.
    pub async fn login_mfa(&self, body: &Value) -> Response {
        self.post("/api/login/mfa", body).await
    }

    /// `POST /api/login/mfa` with a TOTP `code` for `ticket`.
    pub async fn login_mfa_code(&self, ticket: &str, code: &str) -> Response {
        self.login_mfa(&json!({"mfa_token": ticket, "code": code}))
            .await
    }

    /// `POST /api/login/mfa` with a `recovery_code` for `ticket`.
    pub async fn login_mfa_recovery(&self, ticket: &str, recovery_code: &str) -> Response {
        self.login_mfa(&json!({"mfa_token": ticket, "recovery_code": recovery_code}))
            .await
    }

    /// `POST /api/logout` with `token`.
    pub async fn logout(&self, token: &str) -> Response {
        self.bearer(Method::POST, token, "/api/logout", None).await
    }

    /// `POST /api/logout_all` with `token`.
    pub async fn logout_all(&self, token: &str) -> Response {
        self.bearer(Method::POST, token, "/api/logout_all", None)
            .await
    }

    /// `GET /api/nick` with `token`: the profile (asserts 200).
    pub async fn profile(&self, token: &str) -> Value {
        ok_json(self.nick(token).await).await
    }

    /// `GET /api/sessions` with `token`: the answer's body (asserts 200).
    pub async fn sessions_of(&self, token: &str) -> Value {
        ok_json(self.bearer_get(token, "/api/sessions").await).await
    }

    /// `GET /api/sessions` with `token`: the list (asserts 200).
    pub async fn sessions(&self, token: &str) -> Vec<Value> {
        self.sessions_of(token).await["sessions"]
            .as_array()
            .expect("a list of sessions")
            .clone()
    }

    /// `DELETE /api/sessions/{id}` with `token`.
    pub async fn end_session(&self, token: &str, id: &str) -> Response {
        self.bearer(Method::DELETE, token, &format!("/api/sessions/{id}"), None)
            .await
    }

    /// `GET /api/mfa` with `token`: the status (asserts 200).
    pub async fn mfa_status(&self, token: &str) -> Value {
        ok_json(self.bearer_get(token, "/api/mfa").await).await
    }

    /// `POST /api/mfa/totp/setup` with this step-up proof.
    pub async fn totp_setup(&self, token: &str, proof: &Value) -> Response {
        self.bearer_post(token, "/api/mfa/totp/setup", proof).await
    }

    /// `POST /api/mfa/totp/enable` with `code`.
    pub async fn totp_enable(&self, token: &str, code: &str) -> Response {
        self.bearer_post(token, "/api/mfa/totp/enable", &json!({ "code": code }))
            .await
    }

    /// `POST /api/mfa/totp/disable` with this proof.
    pub async fn totp_disable(&self, token: &str, proof: &Value) -> Response {
        self.bearer_post(token, "/api/mfa/totp/disable", proof)
            .await
    }

    /// `POST /api/mfa/recovery_codes` with this proof.
    pub async fn new_recovery_codes(&self, token: &str, proof: &Value) -> Response {
        self.bearer_post(token, "/api/mfa/recovery_codes", proof)
            .await
    }

    /// `POST /api/passkeys/register/start` with this step-up proof.
    pub async fn passkey_register_start(&self, token: &str, proof: &Value) -> Response {
        self.bearer_post(token, "/api/passkeys/register/start", proof)
            .await
    }

    /// `POST /api/password_reset/request` for `email`.
    pub async fn reset_request(&self, email: &str) -> Response {
        self.post("/api/password_reset/request", &json!({ "email": email }))
            .await
    }

    /// `POST /api/password_reset/confirm`.
    pub async fn reset_confirm(&self, email: &str, code: &str, new_password: &str) -> Response {
        self.post(
            "/api/password_reset/confirm",
            &json!({"email": email, "code": code, "new_password": new_password}),
        )
        .await
    }

    /// `POST /api/email/change/request` with `token`.
    pub async fn email_change_request(
        &self,
        token: &str,
        new_email: &str,
        password: &str,
    ) -> Response {
        self.bearer_post(
            token,
            "/api/email/change/request",
            &json!({"new_email": new_email, "password": password}),
        )
        .await
    }

    /// `POST /api/email/change/request` (asserts 202): the code mailed to `new_email`.
    pub async fn email_change_code(&self, token: &str, new_email: &str, password: &str) -> String {
        let r = self.email_change_request(token, new_email, password).await;
        assert_eq!(r.status(), 202, "{}", r.text().await.unwrap_or_default());
        self.mail.code_for(new_email).await
    }

    /// `POST /api/email/change/confirm` with `token`.
    pub async fn email_change_confirm(&self, token: &str, code: &str) -> Response {
        self.bearer_post(token, "/api/email/change/confirm", &json!({ "code": code }))
            .await
    }

    /// `POST /api/email_auth` for `s` with its mails in `locale`.
    pub async fn email_auth_in(&self, s: &Signup<'_>, locale: &str) -> Response {
        self.post(
            "/api/email_auth",
            &json!({"username": s.username, "nickname": s.nickname, "email": s.email,
                    "locale": locale}),
        )
        .await
    }
}

// The flows the tests repeat.
impl TestApp {
    /// GILDONG signed up (by an emailed code) and signed in.
    pub async fn registered_person(&self) -> SignedIn {
        self.registered(&GILDONG).await
    }

    /// `s` signed up (by an emailed code, with [`PASSWORD`]) and signed in.
    pub async fn registered(&self, s: &Signup<'_>) -> SignedIn {
        self.sign_up(s).await;
        self.signed_in(s).await
    }

    /// `s`, who has an account with [`PASSWORD`], signed in once more (a new session).
    pub async fn signed_in(&self, s: &Signup<'_>) -> SignedIn {
        let r = self.login(s.username, PASSWORD).await;
        assert_eq!(r.status(), 200, "sign-in of {}", s.username);
        SignedIn::from_answer(s, PASSWORD, r).await
    }

    /// A one-step password sign-in of `s` (with `password`) from `ip`, with `cookie` if any.
    pub async fn sign_in_from(
        &self,
        ip: &str,
        cookie: Option<&str>,
        s: &Signup<'_>,
        password: &str,
    ) -> SignedIn {
        let r = self.login_from(ip, cookie, s.username, password).await;
        assert_eq!(r.status(), 200, "sign-in from {ip}");
        SignedIn::from_answer(s, password, r).await
    }

    /// A signup with its mails in `locale`.
    pub async fn sign_up_in(&self, s: &Signup<'_>, locale: &str) {
        let r = self.email_auth_in(s, locale).await;
        assert_eq!(r.status(), 202);
        let code = self.mail.code_for(s.email).await;
        let r = self.register(s, PASSWORD, &code).await;
        assert_eq!(r.status(), 201);
    }

    /// The password step of an account with a second factor: the ticket (asserts 200 and
    /// that the answer carries one).
    pub async fn mfa_ticket(&self, username: &str, password: &str) -> String {
        let r = self.login(username, password).await;
        let body = ok_json(r).await;
        body["mfa_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no ticket: {body}"))
            .to_owned()
    }

    /// Both steps of a sign-in with TOTP: the body of the second step's answer (asserts 200).
    pub async fn sign_in_with_totp(&self, username: &str, password: &str, totp: &TOTP) -> Value {
        let ticket = self.mfa_ticket(username, password).await;
        ok_json(self.login_mfa_code(&ticket, &code_at(self, totp, 0)).await).await
    }

    /// `POST /api/mfa/totp/setup` proving `password`: the secret (asserts 200).
    pub async fn totp_secret(&self, token: &str, password: &str) -> String {
        let r = self
            .totp_setup(token, &json!({ "password": password }))
            .await;
        ok_json(r).await["secret"]
            .as_str()
            .expect("a secret")
            .to_owned()
    }

    /// `POST /api/mfa/totp/setup` proving `password`: the secret's generator (asserts 200).
    pub async fn totp_pending(&self, token: &str, password: &str) -> TOTP {
        app_totp(&self.totp_secret(token, password).await)
    }

    /// Turns TOTP on for the account of `token`: setup proving `password`, the clock aligned
    /// to a step, enable with the current code (asserts 200 for both). The caller aligns the
    /// clock again before the next code.
    pub async fn turn_on_totp(&self, token: &str, password: &str) -> Totp {
        let totp = self.totp_pending(token, password).await;
        align(self, 0);
        let r = self.totp_enable(token, &code_at(self, &totp, 0)).await;
        let recovery_codes = recovery_codes_of(&ok_json(r).await);
        Totp {
            totp,
            recovery_codes,
        }
    }

    /// Resets `email`'s password through the mailbox, as the owner would: the code asked for
    /// and read from the mail, then the confirm (asserts 202 and 204).
    pub async fn reset_password(&self, email: &str, new_password: &str) {
        let code = self.reset_code(email).await;
        let r = self.reset_confirm(email, &code, new_password).await;
        assert_eq!(r.status(), 204, "{}", r.text().await.unwrap_or_default());
    }

    /// Asks for a reset code for `email` and reads it from the mail (asserts 202).
    pub async fn reset_code(&self, email: &str) -> String {
        let r = self.reset_request(email).await;
        assert_eq!(r.status(), 202, "{}", r.text().await.unwrap_or_default());
        self.mail.code_for(email).await
    }

    /// Another instance of the app on this one's database and SMTP server.
    pub async fn second_instance(&self, overrides: &[(&str, &str)]) -> TestApp {
        spawn_instance(&mongodb_uri(), self.db.name(), self.mail.clone(), overrides).await
    }

    /// Waits until the outbox's first entry has had a failed try (its lease given back as
    /// the next try's time), and answers the outbox then (as it is after the wait, if never).
    pub async fn outbox_after_a_failed_try(&self) -> Vec<Document> {
        let mut queued = vec![];
        for _ in 0..200 {
            queued = self.collection("mail_outbox").await;
            if queued.first().is_some_and(|d| {
                d.get_datetime("lease_until").unwrap() == d.get_datetime("next_at").unwrap()
            }) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        queued
    }

    /// Waits (a few seconds at most) until the outbox is empty.
    pub async fn outbox_drained(&self) {
        for _ in 0..200 {
            if self.collection("mail_outbox").await.is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Every document of every collection, with its collection and as lowercase relaxed
    /// extended JSON.
    pub async fn all_documents(&self) -> Vec<(String, Document, String)> {
        let mut all = vec![];
        for name in self.db.list_collection_names().await.unwrap() {
            for d in self.collection(&name).await {
                let text = mongodb::bson::Bson::Document(d.clone())
                    .into_relaxed_extjson()
                    .to_string()
                    .to_lowercase();
                all.push((name.clone(), d, text));
            }
        }
        all
    }

    /// Sets `change` (a `$set` document) on the account `username` straight in the database,
    /// as another instance or an operator's script would.
    pub async fn set_on_user(&self, username: &str, change: Document) {
        self.db
            .collection::<Document>("users")
            .update_one(
                mongodb::bson::doc! { "username_key": username.to_ascii_lowercase() },
                mongodb::bson::doc! { "$set": change },
            )
            .await
            .unwrap();
    }

    /// Once every change so far has reached this instance, `token` is good here twice (the
    /// second time from the session cache, when there is one).
    pub async fn holds(&self, token: &str) {
        self.caught_up().await;
        assert_eq!(self.nick(token).await.status(), 200);
        assert_eq!(self.nick(token).await.status(), 200);
    }
}
