use serde_json::Value;

use crate::helpers::*;

const GILDONG: Signup = person("Hong_Gildong", "길동", "gildong@example.com");

#[tokio::test]
async fn login_returns_a_bearer_token() {
    let app = spawn_app_with_account(&GILDONG, &[]).await;
    // Usernames are case-insensitive at login too.
    let r = app.login("hong_gildong", PASSWORD).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["expires_in"], 900,
        "15 minutes: sessions go on by refreshing"
    );
    assert_eq!(body["access_token"].as_str().unwrap().split('.').count(), 3);
}

#[tokio::test]
async fn unknown_user_and_wrong_password_are_indistinguishable() {
    let app = spawn_app_with_account(&GILDONG, &[]).await;
    let wrong = app.login("hong_gildong", "not the password").await;
    let unknown = app.login("nobody_here", "not the password").await;
    // Byte for byte: status, every header's value (a cookie or a hint set for one only would
    // tell them apart), body.
    let (_, _, body) = assert_indistinguishable(wrong, unknown, 401).await;
    assert!(body.contains("invalid_credentials"));
}

#[tokio::test]
async fn empty_fields_are_422() {
    let app = spawn_app().await;
    let p = assert_problem(app.login("", "").await, 422, "validation_failed").await;
    assert_eq!(
        field_codes(&p),
        vec![
            ("username".into(), "required".into()),
            ("password".into(), "required".into())
        ]
    );
}

// Lock-out resistance (issue 12 item 5): a device that logged in before (device cookie) and a
// network that did are counted apart from strangers, who share one capped pool.

const RIGHT: &str = PASSWORD;
const WRONG: &str = "wrong password";

/// One client: an address (sent as `X-Forwarded-For` through the trusted test proxy) and,
/// when it keeps cookies, a jar holding the device cookie, as curl `-b jar -c jar` or a browser.
struct Client {
    ip: String,
    keeps_cookies: bool,
    device_cookie: Option<String>,
}

impl Client {
    fn with_jar(ip: &str) -> Self {
        Self {
            ip: ip.to_owned(),
            keeps_cookies: true,
            device_cookie: None,
        }
    }

    fn without_cookies(ip: &str) -> Self {
        Self {
            keeps_cookies: false,
            ..Self::with_jar(ip)
        }
    }

    /// The same jar, from another address (the owner's laptop on a new network).
    fn moved_to(&self, ip: &str) -> Self {
        Self {
            ip: ip.to_owned(),
            keeps_cookies: self.keeps_cookies,
            device_cookie: self.device_cookie.clone(),
        }
    }

    async fn login(&mut self, app: &TestApp, username: &str, password: &str) -> reqwest::Response {
        let cookie = self
            .device_cookie
            .as_ref()
            .map(|value| format!("emailauth_device={value}"));
        let r = app
            .login_from(&self.ip, cookie.as_deref(), username, password)
            .await;
        if self.keeps_cookies {
            if let Some(set) = r.headers().get("set-cookie") {
                let pair = set.to_str().unwrap().split(';').next().unwrap();
                let (name, value) = pair.split_once('=').unwrap();
                assert_eq!(name, "emailauth_device");
                self.device_cookie = Some(value.to_owned());
            }
        }
        r
    }

    /// The status of GILDONG's login with `password` from this client.
    async fn tries(&mut self, app: &TestApp, password: &str) -> u16 {
        self.login(app, GILDONG.username, password)
            .await
            .status()
            .as_u16()
    }

    /// This client's own cap, however trusted it is: ten wrong guesses are evaluated (401),
    /// and then even the right password waits (429).
    async fn spends_its_own_cap(&mut self, app: &TestApp) {
        for guess in 0..10 {
            let status = self.tries(app, WRONG).await;
            assert_eq!(status, 401, "guess {guess} from {}", self.ip);
        }
        let r = self.login(app, GILDONG.username, RIGHT).await;
        assert_problem(r, 429, "too_many_attempts").await;
    }
}

/// A stranger's address for guess number `i`.
fn stranger(i: usize) -> Client {
    Client::without_cookies(&format!("203.0.{}.{}", i / 250, i % 250 + 1))
}

async fn throttled_app() -> TestApp {
    spawn_app_with_account(&GILDONG, &[TRUSTED_PROXY]).await
}

/// `n` wrong passwords from `n` fresh addresses, one after the other: the first ten are
/// evaluated (401), the rest refused (429).
async fn guess_from_strangers(app: &TestApp, range: std::ops::Range<usize>) {
    for i in range {
        let r = stranger(i).login(app, GILDONG.username, WRONG).await;
        if i < 10 {
            assert_problem(r, 401, "invalid_credentials").await;
        } else {
            assert!(r.headers().contains_key("retry-after"));
            assert_problem(r, 429, "too_many_attempts").await;
        }
    }
}

#[tokio::test]
async fn every_login_sets_a_device_cookie_scoped_to_the_api() {
    let app = throttled_app().await;
    let r = Client::with_jar("198.51.100.7")
        .login(&app, GILDONG.username, RIGHT)
        .await;
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    let attributes: Vec<&str> = cookie.split("; ").skip(1).collect();
    assert_eq!(
        attributes,
        [
            "Max-Age=31536000",
            "Path=/api",
            "HttpOnly",
            "SameSite=Strict"
        ],
        "{cookie}"
    );
    // A refused login sets none.
    let r = Client::with_jar("198.51.100.7")
        .login(&app, GILDONG.username, WRONG)
        .await;
    assert_eq!(r.status(), 401);
    assert!(!r.headers().contains_key("set-cookie"));

    // In production the cookie only travels over HTTPS.
    let app = spawn_app_with_account(&GILDONG, &[("APP_ENV", "production")]).await;
    let r = app.login(GILDONG.username, RIGHT).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .ends_with("; Secure"));
}

/// The owner logs in once from `owner`, then thirty strangers guess: a throttled app whose
/// strangers' pool is spent (see [`guess_from_strangers`]), and the owner's client after its
/// one login.
async fn owner_then_thirty_strangers(mut owner: Client) -> (TestApp, Client) {
    let app = throttled_app().await;
    assert_eq!(owner.tries(&app, RIGHT).await, 200);
    guess_from_strangers(&app, 0..30).await;
    (app, owner)
}

#[tokio::test]
async fn the_owner_logs_in_from_a_known_device_after_thirty_failures_from_elsewhere() {
    let (app, laptop) = owner_then_thirty_strangers(Client::with_jar("198.51.100.7")).await;
    assert!(laptop.device_cookie.is_some());

    // The owner's laptop, now on a network never seen before, is not locked out: it proves
    // with its cookie that it logged in here before.
    let mut travelling = laptop.moved_to("192.0.2.77");
    assert_eq!(travelling.tries(&app, RIGHT).await, 200);
    // Its success cleared only its own pool: the 31st stranger is still refused, and so is
    // the right password from a stranger (no one learns it was right).
    guess_from_strangers(&app, 30..31).await;
    let r = stranger(31).login(&app, GILDONG.username, RIGHT).await;
    assert_problem(r, 429, "too_many_attempts").await;
    // The device has a cap of its own: a stolen cookie buys ten guesses, not more.
    travelling.spends_its_own_cap(&app).await;
}

#[tokio::test]
async fn the_owner_logs_in_from_a_known_network_without_a_cookie() {
    let (app, mut home) =
        owner_then_thirty_strangers(Client::without_cookies("198.51.100.7")).await;
    assert!(home.device_cookie.is_none());

    assert_eq!(home.tries(&app, RIGHT).await, 200);
    guess_from_strangers(&app, 30..31).await;
    // The network has its own cap too, and another account knows nothing of it.
    home.spends_its_own_cap(&app).await;
    assert_eq!(app.collection("known_networks").await.len(), 1);
}

#[tokio::test]
async fn a_forged_or_foreign_device_cookie_counts_as_untrusted() {
    let app = throttled_app().await;
    let other = person("other_user", "다른이", "other@example.com");
    app.sign_up(&other).await;
    let mut theirs = Client::with_jar("198.51.100.20");
    assert_eq!(
        theirs.login(&app, other.username, RIGHT).await.status(),
        200
    );
    let mut mine = Client::with_jar("198.51.100.7");
    assert_eq!(mine.tries(&app, RIGHT).await, 200);
    let valid = mine.device_cookie.clone().unwrap();

    guess_from_strangers(&app, 0..10).await;

    let flip = |at: usize| {
        let mut bytes = valid.clone().into_bytes();
        bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
        String::from_utf8(bytes).unwrap()
    };
    let (id, _) = valid.split_once('.').unwrap();
    let forged = [
        theirs.device_cookie.clone().unwrap(), // another account's cookie
        flip(0),                               // tampered id
        flip(valid.len() - 1),                 // tampered tag
        id.to_owned(),                         // id without its tag
        format!("{id}.{}", "0".repeat(64)),    // made-up tag
        "garbage".to_owned(),
    ];
    for (i, cookie) in forged.into_iter().enumerate() {
        let mut client = stranger(100 + i);
        client.device_cookie = Some(cookie.clone());
        let r = client.login(&app, GILDONG.username, RIGHT).await;
        assert_problem(r, 429, "too_many_attempts").await;
    }
    // The genuine cookie, from a new address, still gets in.
    let mut genuine = mine.moved_to("192.0.2.77");
    assert_eq!(genuine.tries(&app, RIGHT).await, 200);
}

#[tokio::test]
async fn parallel_guesses_from_new_addresses_evaluate_at_most_ten_while_the_owner_gets_in() {
    let app = throttled_app().await;
    let mut laptop = Client::with_jar("198.51.100.7");
    assert_eq!(laptop.tries(&app, RIGHT).await, 200);

    let guesses = (0..50).map(|i| {
        let app = &app;
        async move {
            stranger(i)
                .login(app, GILDONG.username, WRONG)
                .await
                .status()
                .as_u16()
        }
    });
    let mut owner = laptop.moved_to("192.0.2.77");
    let (statuses, owner_status) = tokio::join!(
        futures_util::future::join_all(guesses),
        owner.login(&app, GILDONG.username, RIGHT)
    );
    assert_eq!(owner_status.status(), 200, "the owner is not locked out");
    let evaluated = statuses.iter().filter(|&&s| s == 401).count();
    assert!(
        evaluated <= 10,
        "{evaluated} guesses evaluated: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|&s| s == 401 || s == 429),
        "{statuses:?}"
    );
    // Refused guesses leave no record, evaluated ones stay: strangers in sequence now get
    // exactly the rest of the ten, whatever the interleaving was.
    let mut more = 0;
    for i in 60..80 {
        match stranger(i)
            .login(&app, GILDONG.username, WRONG)
            .await
            .status()
            .as_u16()
        {
            401 => more += 1,
            429 => break,
            other => panic!("status {other}"),
        }
    }
    assert_eq!(evaluated + more, 10, "{evaluated} in parallel, then {more}");
    assert_eq!(owner.tries(&app, RIGHT).await, 200);
}
