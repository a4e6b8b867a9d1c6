//! `backend admin …`: the real binary against the test database, one subcommand at a time.

use serde_json::{json, Value};

use crate::helpers::*;

const GILDONG: Signup = person("Hong_Gildong", "길동", "gildong@example.com");

/// What one run of the admin command left.
pub(crate) struct Run {
    pub(crate) ok: bool,
    pub(crate) out: Value,
    pub(crate) stderr: String,
}

/// Runs `backend admin <args>` against `app`'s database and mail server, with nothing from
/// this process's environment.
pub(crate) async fn admin(app: &TestApp, args: &[&str]) -> Run {
    admin_env(
        app,
        args,
        &[("APP_TRUSTED_PROXIES", "127.0.0.1".to_owned())],
    )
    .await
}

/// [`admin`] with these variables on top of the test settings (and no trusted proxy).
pub(crate) async fn admin_env(app: &TestApp, args: &[&str], env: &[(&str, String)]) -> Run {
    let db = app.db.name().to_owned();
    let smtp = app.mail.port.to_string();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_backend"))
            .arg("admin")
            .args(&args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("USER", "test-operator")
            .env("APP_MONGODB_URI", mongodb_uri())
            .env("APP_MONGODB_DB", db)
            .env("APP_SMTP_PORT", smtp)
            .env("APP_JWT_SECRET", JWT_SECRET)
            .env("APP_CODE_PEPPER", PEPPER)
            .env("APP_LOG_FORMAT", "json")
            .envs(env)
            .current_dir(std::env::temp_dir())
            .output()
            .expect("run backend admin")
    })
    .await
    .unwrap();
    // The command is another process writing to the database: the server sees its changes
    // through its change stream, so wait (for that, not a time) until they have arrived.
    app.caught_up().await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    Run {
        ok: output.status.success(),
        out: serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stderr,
    }
}

/// [`admin`], asserting that the command succeeded.
pub(crate) async fn admin_ok(app: &TestApp, args: &[&str]) -> Run {
    let run = admin(app, args).await;
    assert!(run.ok, "backend admin {}: {}", args.join(" "), run.stderr);
    run
}

/// The audit line of a run, parsed.
fn audit(run: &Run) -> Value {
    run.stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["audit"] == true)
        .unwrap_or_else(|| panic!("no audit line: {}", run.stderr))
}

#[tokio::test]
async fn admin_help_lists_every_subcommand() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_backend"))
        .args(["admin", "--help"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for command in [
        "find",
        "sessions",
        "disable",
        "enable",
        "end-sessions",
        "clear-throttles",
        "delete",
    ] {
        assert!(help.contains(command), "{command} missing: {help}");
    }
}

#[tokio::test]
async fn find_and_sessions_show_the_account_without_secrets_and_audit_it() {
    let app = spawn_app_with_account(&GILDONG, &[]).await;
    app.session_for(GILDONG.username).await;
    app.session_for(GILDONG.username).await;

    for who in ["hong_gildong", "GILDONG@example.com"] {
        let run = admin_ok(&app, &["find", who]).await;
        assert_eq!(run.out["username"], "Hong_Gildong");
        assert_eq!(run.out["email"], "gildong@example.com");
        assert_eq!(run.out["disabled"], false);
        assert!(!run.out.to_string().contains("argon2"), "{}", run.out);
        let line = audit(&run);
        assert_eq!(line["action"], "find");
        assert_eq!(line["operator"], "test-operator");
        assert_eq!(line["user_id"], run.out["id"]);
    }
    let id = admin(&app, &["find", "hong_gildong"]).await.out["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(admin(&app, &["find", &id]).await.out["id"], id.as_str());

    let run = admin_ok(&app, &["sessions", "hong_gildong"]).await;
    assert_eq!(run.out["sessions"].as_array().unwrap().len(), 2);
    assert!(!run.out.to_string().contains("refresh_hash"));

    let run = admin(&app, &["find", "nobody"]).await;
    assert!(!run.ok);
    assert!(
        run.stderr.contains("no account matches `nobody`"),
        "{}",
        run.stderr
    );
    assert_eq!(audit(&run)["outcome"], "failed");
}

#[tokio::test]
async fn a_disabled_account_cannot_log_in_refresh_or_use_its_tokens_until_enabled() {
    let app = spawn_app().await;
    let (access, refresh) = app.registered(&GILDONG).await.tokens();
    assert_eq!(app.nick(&access).await.status(), 200);

    let run = admin_ok(&app, &["disable", "hong_gildong"]).await;
    assert_eq!(run.out["sessions_frozen"], 1);
    assert_eq!(audit(&run)["action"], "disable");

    // The very next request with the existing token is refused.
    app.assert_session_refused((&access, &refresh), 403, "account_disabled")
        .await;
    let r = app.login(GILDONG.username, PASSWORD).await;
    assert_problem(r, 403, "account_disabled").await;
    // Without the password nobody learns that the account is disabled.
    let r = app.login(GILDONG.username, "wrong password!!").await;
    assert_problem(r, 401, "invalid_credentials").await;

    let run = admin_ok(&app, &["enable", "gildong@example.com"]).await;
    assert_eq!(run.out["sessions_ended"], 1);
    // The frozen session is not revived; a new login works.
    app.assert_session_refused((&access, &refresh), 401, "invalid_token")
        .await;
    let (access, _) = app.session_for(GILDONG.username).await;
    assert_eq!(app.nick(&access).await.status(), 200);
}

#[tokio::test]
async fn end_sessions_refuses_every_token_at_once() {
    let app = spawn_app().await;
    let (a, _) = app.registered(&GILDONG).await.tokens();
    let (b, refresh) = app.session_for(GILDONG.username).await;
    let run = admin_ok(&app, &["end-sessions", "hong_gildong"]).await;
    assert_eq!(run.out["sessions_ended"], 2);
    assert_eq!(audit(&run)["action"], "end_sessions");
    assert_problem(app.nick(&a).await, 401, "invalid_token").await;
    app.assert_session_refused((&b, &refresh), 401, "invalid_token")
        .await;
}

/// Two failed logins and one code mail per address, behind the trusted proxy.
const TIGHT_LIMITS: [(&str, &str); 3] = [
    ("APP_LOGIN_MAX_FAILURES", "2"),
    ("APP_CODES_PER_IP_PER_HOUR", "1"),
    ("APP_TRUSTED_PROXIES", "127.0.0.1"),
];

#[tokio::test]
async fn clear_throttles_lifts_an_accounts_login_lock_and_an_addresses_mail_limit() {
    let app = spawn_app_with_account(&GILDONG, &TIGHT_LIMITS).await;
    for _ in 0..2 {
        let r = app.login(GILDONG.username, "wrong password!!").await;
        assert_eq!(r.status(), 401);
    }
    let r = app.login(GILDONG.username, PASSWORD).await;
    assert_problem(r, 429, "too_many_attempts").await;
    let run = admin_ok(&app, &["clear-throttles", "--account", "hong_gildong"]).await;
    assert!(
        run.out["records_cleared"].as_u64().unwrap() >= 2,
        "{}",
        run.out
    );
    assert_eq!(app.login(GILDONG.username, PASSWORD).await.status(), 200);

    let ask =
        |email: &'static str| json!({"username": "someone", "nickname": "누군가", "email": email});
    let ip = "198.51.100.7";
    let r = app
        .post_from(ip, "/api/email_auth", &ask("a@example.com"))
        .await;
    assert_eq!(r.status(), 202);
    let r = app
        .post_from(ip, "/api/email_auth", &ask("b@example.com"))
        .await;
    assert_problem(r, 429, "too_many_codes").await;
    let run = admin_ok(&app, &["clear-throttles", "--ip", ip]).await;
    assert_eq!(audit(&run)["action"], "clear_throttles");
    let r = app
        .post_from(ip, "/api/email_auth", &ask("b@example.com"))
        .await;
    assert_eq!(r.status(), 202);

    assert!(
        !admin(&app, &["clear-throttles"]).await.ok,
        "names what to clear"
    );
}

#[tokio::test]
async fn delete_removes_the_account_like_its_owner_would_and_needs_yes() {
    let app = spawn_app().await;
    let (access, _) = app.registered(&GILDONG).await.tokens();

    let run = admin(&app, &["delete", "hong_gildong"]).await;
    assert!(!run.ok);
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    assert_eq!(app.users().await.len(), 1);

    let run = admin_ok(&app, &["delete", "hong_gildong", "--yes"]).await;
    assert_eq!(run.out["deleted"], true);
    assert_eq!(audit(&run)["action"], "delete");
    assert!(app.users().await.is_empty());
    assert!(app.collection("sessions").await.is_empty());
    assert_problem(app.nick(&access).await, 401, "invalid_token").await;
    // The same goodbye mail as a deletion by the owner, already sent when the command ends.
    let mails = app.mail.mails_to(GILDONG.email);
    assert_eq!(mails.len(), 2, "signup code and goodbye: {mails:?}");
    assert!(app.collection("mail_outbox").await.is_empty());
    // The username is free again.
    app.sign_up(&GILDONG).await;
}
