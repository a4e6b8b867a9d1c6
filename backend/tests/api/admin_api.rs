//! The admin API (`/admin/api/…`): its own listener, keys made by `backend admin api-key`,
//! read-only keys, the throttle on wrong keys, each action's effect and audit row, the indexed
//! search, and changes that reach every instance.

use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use reqwest::Method;
use serde_json::Value;

use crate::admin::{admin, admin_ok};
use crate::helpers::*;

const ADMIN: [(&str, &str); 1] = [("APP_ADMIN_PORT", "0")];

async fn spawn_admin() -> TestApp {
    spawn_app_with(&ADMIN).await
}

/// Creates a key through the command line; the key, as printed once.
async fn create_key(app: &TestApp, name: &str, read_only: bool) -> String {
    let mut args = vec!["api-key", "create", "--name", name];
    if read_only {
        args.push("--read-only");
    }
    let run = admin_ok(app, &args).await;
    run.out["key"]
        .as_str()
        .expect("the key is printed")
        .to_owned()
}

/// `method path` on the admin listener with `key` (none: no `Authorization`).
async fn call(app: &TestApp, key: Option<&str>, method: Method, path: &str) -> reqwest::Response {
    call_from(app, key, method, path, None).await
}

async fn call_from(
    app: &TestApp,
    key: Option<&str>,
    method: Method,
    path: &str,
    ip: Option<&str>,
) -> reqwest::Response {
    let base = app.admin_address.as_ref().expect("an admin listener");
    let mut request = app.client.request(method, format!("{base}{path}"));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if let Some(ip) = ip {
        request = request.header("x-forwarded-for", ip);
    }
    request.send().await.expect("request")
}

/// `method /admin/api/users/{id}{rest}` on the admin listener with `key`.
async fn on_user(
    app: &TestApp,
    key: &str,
    method: Method,
    id: &str,
    rest: &str,
) -> reqwest::Response {
    call(
        app,
        Some(key),
        method,
        &format!("/admin/api/users/{id}{rest}"),
    )
    .await
}

/// [`on_user`] that must answer `status`: its body as JSON (`null` when it has none).
async fn on_user_ok(
    app: &TestApp,
    key: &str,
    method: Method,
    id: &str,
    rest: &str,
    status: u16,
) -> Value {
    let action = format!("{method} /admin/api/users/{{id}}{rest}");
    let r = on_user(app, key, method, id, rest).await;
    let answered = r.status();
    let text = r.text().await.unwrap_or_default();
    assert_eq!(answered, status, "{action}: {text}");
    if text.is_empty() {
        return Value::Null;
    }
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{action}: {e}: {text}"))
}

async fn get_json(app: &TestApp, key: &str, path: &str) -> Value {
    let r = call(app, Some(key), Method::GET, path).await;
    assert_eq!(
        r.status(),
        200,
        "{path}: {}",
        r.text().await.unwrap_or_default()
    );
    r.json().await.unwrap()
}

/// The `list` items of every page of `first` (a path with a query), following `next_cursor`
/// to the end.
async fn every_page(app: &TestApp, key: &str, first: &str, list: &str) -> Vec<Value> {
    let mut items = vec![];
    let mut path = first.to_owned();
    loop {
        let page = get_json(app, key, &path).await;
        items.extend(page[list].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("{first}&cursor={cursor}"),
            None => return items,
        }
    }
}

async fn id_of(app: &TestApp, username: &str) -> String {
    let user = app
        .db
        .collection::<Document>("users")
        .find_one(doc! { "username_key": username.to_ascii_lowercase() })
        .await
        .unwrap()
        .expect("the account exists");
    user.get_object_id("_id").unwrap().to_hex()
}

/// The audit rows, newest first, as the API lists them.
async fn audit_rows(app: &TestApp, key: &str) -> Vec<Value> {
    get_json(app, key, "/admin/api/audit?limit=100").await["entries"]
        .as_array()
        .unwrap()
        .clone()
}

fn has_row(rows: &[Value], action: &str, target: &str, outcome: &str) -> bool {
    rows.iter()
        .any(|r| r["action"] == action && r["target"] == target && r["outcome"] == outcome)
}

#[tokio::test]
async fn no_admin_listener_without_its_port_and_nothing_under_admin_on_the_public_port() {
    let app = spawn_app().await;
    assert!(app.admin_address.is_none(), "no port, no listener");

    let app = spawn_admin().await;
    let key = create_key(&app, "ops", false).await;
    // The same paths on the public port do not exist, with or without a key.
    for path in [
        "/admin",
        "/admin/",
        "/admin/api/users",
        "/admin/api/openapi.json",
    ] {
        let r = app.bearer_get(&key, path).await;
        assert_problem(r, 404, "not_found").await;
    }
    let path = "/admin/api/users/0123456789abcdef01234567/disable";
    let r = app.bearer(Method::POST, &key, path, None).await;
    assert_eq!(r.status(), 404);
    // The admin listener serves nothing of the public API.
    let r = call(&app, Some(&key), Method::GET, "/api/nick").await;
    assert_problem(r, 404, "not_found").await;
    assert_eq!(
        call(&app, Some(&key), Method::GET, "/admin/api/users")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_key_is_shown_once_listed_without_its_secret_and_revoked_on_every_instance_at_once() {
    let (a, b) = spawn_pair(&ADMIN).await;
    let key = create_key(&a, "ops-console", false).await;
    assert!(key.starts_with("adm_") && key.len() == 68, "{key}");

    // Stored only as a hash; listed without it.
    let stored = a.collection("admin_keys").await;
    assert_eq!(stored.len(), 1);
    assert!(!format!("{stored:?}").contains(&key[4..]), "{stored:?}");
    let list = admin_ok(&a, &["api-key", "list"]).await;
    assert_eq!(list.out["keys"][0]["name"], "ops-console");
    assert_eq!(list.out["keys"][0]["revoked"], false);
    let listed = list.out.to_string();
    assert!(!listed.contains(&key[4..]) && !listed.contains(stored[0].get_str("_id").unwrap()));
    // A name is never reused.
    assert!(
        !admin(&a, &["api-key", "create", "--name", "ops-console"])
            .await
            .ok
    );

    for app in [&a, &b] {
        assert_eq!(
            call(app, Some(&key), Method::GET, "/admin/api/users")
                .await
                .status(),
            200
        );
        let r = call(app, None, Method::GET, "/admin/api/users").await;
        let p = assert_problem(r, 401, "invalid_token").await;
        assert!(p.detail.contains("admin API key"), "{p:?}");
        let wrong = format!("adm_{}", "0".repeat(64));
        let r = call(app, Some(&wrong), Method::GET, "/admin/api/users").await;
        assert_problem(r, 401, "invalid_token").await;
        let r = call(app, Some("not-a-key"), Method::GET, "/admin/api/stats").await;
        assert_problem(r, 401, "invalid_token").await;
    }

    admin_ok(&a, &["api-key", "revoke", "ops-console"]).await;
    // The next request on either instance is refused: no cache of keys to wait for.
    for app in [&a, &b] {
        let r = call(app, Some(&key), Method::GET, "/admin/api/users").await;
        assert_problem(r, 401, "invalid_token").await;
    }
    assert!(
        !admin(&a, &["api-key", "revoke", "ops-console"]).await.ok,
        "already revoked"
    );
    let list = admin(&a, &["api-key", "list"]).await;
    assert_eq!(list.out["keys"][0]["revoked"], true);

    // Creating and revoking keys is in the audit trail too.
    let reader = create_key(&a, "reader", true).await;
    let rows = audit_rows(&a, &reader).await;
    assert!(
        has_row(&rows, "api_key_create", "ops-console", "done"),
        "{rows:?}"
    );
    assert!(
        has_row(&rows, "api_key_revoke", "ops-console", "done"),
        "{rows:?}"
    );
    assert!(rows
        .iter()
        .all(|r| r["key_name"] == "cli:test-operator" && r["client"] == "cli"));
}

#[tokio::test]
async fn a_read_only_key_reads_but_every_write_is_refused_with_403_and_audited() {
    let app = spawn_admin().await;
    let (access, _) = app.registered_person().await.tokens();
    let id = id_of(&app, GILDONG.username).await;
    let reader = create_key(&app, "reader", true).await;

    assert_eq!(
        get_json(&app, &reader, &format!("/admin/api/users/{id}")).await["id"],
        id.as_str()
    );
    let writes = [
        (
            Method::POST,
            format!("/admin/api/users/{id}/disable"),
            "disable",
        ),
        (
            Method::POST,
            format!("/admin/api/users/{id}/enable"),
            "enable",
        ),
        (
            Method::DELETE,
            format!("/admin/api/users/{id}/sessions"),
            "end_sessions",
        ),
        (
            Method::POST,
            format!("/admin/api/users/{id}/mfa/reset"),
            "reset_mfa",
        ),
        (Method::DELETE, format!("/admin/api/users/{id}"), "delete"),
    ];
    for (method, path, _) in &writes {
        let r = call(&app, Some(&reader), method.clone(), path).await;
        assert_problem(r, 403, "forbidden").await;
    }
    // Nothing changed.
    assert_eq!(app.nick(&access).await.status(), 200);
    assert_eq!(app.users().await.len(), 1);
    let rows = audit_rows(&app, &reader).await;
    for (_, _, action) in &writes {
        assert!(
            has_row(&rows, action, &id, "forbidden"),
            "{action}: {rows:?}"
        );
    }
    let refused: Vec<&Value> = rows
        .iter()
        .filter(|r| r["outcome"] == "forbidden")
        .collect();
    assert_eq!(refused.len(), writes.len());
    assert!(refused
        .iter()
        .all(|r| r["key_name"] == "reader" && r["client"] == "127.0.0.1"));
}

#[tokio::test]
async fn wrong_keys_are_throttled_per_client_address() {
    let app = spawn_app_with(&[("APP_ADMIN_PORT", "0"), TRUSTED_PROXY]).await;
    let key = create_key(&app, "ops", false).await;
    let guesser = Some("203.0.113.5");
    let wrong = format!("adm_{}", "1".repeat(64));
    for _ in 0..10 {
        let r = call_from(&app, Some(&wrong), Method::GET, "/admin/api/users", guesser).await;
        assert_problem(r, 401, "invalid_token").await;
    }
    // Over the limit every key is refused from that address, the right one too: guessing
    // learns nothing more there.
    let r = call_from(&app, Some(&wrong), Method::GET, "/admin/api/users", guesser).await;
    let p = assert_problem(r, 429, "rate_limited").await;
    assert!(p.retry_after.unwrap() > 0);
    let r = call_from(&app, Some(&key), Method::GET, "/admin/api/users", guesser).await;
    assert_problem(r, 429, "rate_limited").await;
    // Another address is not affected.
    let r = call_from(
        &app,
        Some(&key),
        Method::GET,
        "/admin/api/users",
        Some("198.51.100.1"),
    )
    .await;
    assert_eq!(r.status(), 200);
    // The operator lifts it like the other per-address limits.
    admin_ok(&app, &["clear-throttles", "--ip", "203.0.113.5"]).await;
    let r = call_from(&app, Some(&key), Method::GET, "/admin/api/users", guesser).await;
    assert_eq!(r.status(), 200);
}

/// A passkey document as a registration stores it (the ceremony has its own tests).
async fn insert_passkey(app: &TestApp, user_id: &str, name: &str) -> String {
    let id = ObjectId::new();
    app.db
        .collection::<Document>("passkeys")
        .insert_one(doc! {
            "_id": id,
            "user_id": ObjectId::parse_str(user_id).unwrap(),
            "credential_id": format!("cred-{}", id.to_hex()),
            "user_handle": "handle",
            "name": name,
            "created_at": DateTime::now(),
            "sign_count": 0_i64,
            "passkey": "{}",
        })
        .await
        .unwrap();
    id.to_hex()
}

#[tokio::test]
async fn every_action_has_the_commands_effect_its_events_and_an_audit_row() {
    let app = spawn_admin().await;
    let (first, _) = app.registered_person().await.tokens();
    let (second, second_refresh) = app.session_for(GILDONG.username).await;
    let id = id_of(&app, GILDONG.username).await;
    let key = create_key(&app, "ops", false).await;

    // The account, without secrets.
    let user = get_json(&app, &key, &format!("/admin/api/users/{id}")).await;
    assert_eq!(user["username"], GILDONG.username);
    assert_eq!(user["email"], GILDONG.email);
    assert_eq!(user["live_sessions"], 2);
    assert_eq!(user["totp"], false);
    assert_eq!(user["disabled"], false);
    assert_eq!(user["last_sign_in"]["method"], "password");
    assert_eq!(user["email_verified_at"], user["created_at"]);
    assert!(!user.to_string().contains("argon2"), "{user}");
    let missing = "/admin/api/users/0123456789abcdef01234567";
    let r = call(&app, Some(&key), Method::GET, missing).await;
    assert_problem(r, 404, "not_found").await;

    // Sessions: list, end one, end all.
    let sessions = get_json(&app, &key, &format!("/admin/api/users/{id}/sessions")).await;
    let sessions = sessions["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2);
    assert!(!Value::Array(sessions.clone())
        .to_string()
        .contains("refresh_hash"));
    let newest = sessions[0]["id"].as_str().unwrap().to_owned();
    let session = format!("/sessions/{newest}");
    on_user_ok(&app, &key, Method::DELETE, &id, &session, 204).await;
    app.assert_session_refused((&second, &second_refresh), 401, "invalid_token")
        .await;
    assert_eq!(app.nick(&first).await.status(), 200);
    let r = on_user(&app, &key, Method::DELETE, &id, &session).await;
    assert_problem(r, 404, "not_found").await;
    let body = on_user_ok(&app, &key, Method::DELETE, &id, "/sessions", 200).await;
    assert_eq!(body["sessions_ended"], 1);
    assert_problem(app.nick(&first).await, 401, "invalid_token").await;

    // Disable, then enable.
    let (access, _) = app.session_for(GILDONG.username).await;
    let body = on_user_ok(&app, &key, Method::POST, &id, "/disable", 200).await;
    assert_eq!(body["disabled"], true);
    assert_eq!(body["sessions_frozen"], 1);
    assert_problem(app.nick(&access).await, 403, "account_disabled").await;
    let r = app.login(GILDONG.username, PASSWORD).await;
    assert_problem(r, 403, "account_disabled").await;
    assert_eq!(
        get_json(&app, &key, &format!("/admin/api/users/{id}")).await["disabled"],
        true
    );
    let body = on_user_ok(&app, &key, Method::POST, &id, "/enable", 200).await;
    assert_eq!(body["sessions_ended"], 1);
    assert_problem(app.nick(&access).await, 401, "invalid_token").await;
    let (access, _) = app.session_for(GILDONG.username).await;

    // One passkey removed (the owner is mailed), then a second-factor reset removes the rest.
    let mails_before = app.mail.mails_to(GILDONG.email).len();
    let one = insert_passkey(&app, &id, "laptop").await;
    let other = insert_passkey(&app, &id, "phone").await;
    assert_eq!(
        get_json(&app, &key, &format!("/admin/api/users/{id}")).await["passkeys"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    on_user_ok(
        &app,
        &key,
        Method::DELETE,
        &id,
        &format!("/passkeys/{one}"),
        204,
    )
    .await;
    let r = on_user(&app, &key, Method::DELETE, &id, &format!("/passkeys/{one}")).await;
    assert_problem(r, 404, "not_found").await;
    let body = on_user_ok(&app, &key, Method::POST, &id, "/mfa/reset", 200).await;
    assert_eq!(body["passkeys_removed"], 1);
    assert_eq!(body["totp_removed"], false);
    assert!(app.collection("passkeys").await.is_empty());
    assert_problem(app.nick(&access).await, 401, "invalid_token").await;
    for _ in 0..100 {
        if app.mail.mails_to(GILDONG.email).len() >= mails_before + 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        app.mail.mails_to(GILDONG.email).len(),
        mails_before + 2,
        "passkey removed, factors reset"
    );

    // The activity log names the operator, as the command line's actions do.
    let activity = get_json(
        &app,
        &key,
        &format!("/admin/api/users/{id}/activity?limit=100"),
    )
    .await;
    let entries = activity["entries"].as_array().unwrap();
    for kind in [
        "account_disabled",
        "account_enabled",
        "session_ended",
        "passkey_removed",
        "signed_in",
    ] {
        assert!(
            entries.iter().any(|e| e["kind"] == kind),
            "{kind}: {activity}"
        );
    }
    let by_operator = |kind: &str| {
        entries
            .iter()
            .any(|e| e["kind"] == kind && e["actor"] == "operator:ops" && e["ip"] == "127.0.0.1")
    };
    assert!(
        by_operator("account_disabled") && by_operator("passkey_removed"),
        "{activity}"
    );
    assert!(entries
        .iter()
        .any(|e| e["kind"] == "passkey_removed" && e["passkey_name"] == "phone"));
    let _ = other;

    // Every write is one audit row, with the key's name and the client address.
    let rows = audit_rows(&app, &key).await;
    for (action, target, outcome) in [
        ("end_session", format!("{id} {newest}"), "done"),
        ("end_session", format!("{id} {newest}"), "not_found"),
        ("end_sessions", id.clone(), "done"),
        ("disable", id.clone(), "done"),
        ("enable", id.clone(), "done"),
        ("delete_passkey", format!("{id} {one}"), "done"),
        ("delete_passkey", format!("{id} {one}"), "not_found"),
        ("reset_mfa", id.clone(), "done"),
    ] {
        assert!(
            has_row(&rows, action, &target, outcome),
            "{action} {outcome}: {rows:?}"
        );
    }
    assert!(rows
        .iter()
        .filter(|r| r["key_name"] == "ops")
        .all(|r| r["client"] == "127.0.0.1"));
    // Reads are not audited.
    assert!(rows.iter().all(|r| r["action"] != "get_user"));

    // Deletion, with the goodbye mail by default and without it on request.
    app.sign_up(&OTHER).await;
    let other_id = id_of(&app, OTHER.username).await;
    on_user_ok(&app, &key, Method::DELETE, &id, "?notify=false", 204).await;
    let path = format!("/admin/api/users/{other_id}");
    let r = call(&app, Some(&key), Method::DELETE, &path).await;
    assert_eq!(r.status(), 204);
    assert!(app.users().await.is_empty());
    assert!(app.collection("sessions").await.is_empty());
    for _ in 0..100 {
        if app.mail.mails_to(OTHER.email).len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.mail.mails_to(OTHER.email).len(), 2, "code and goodbye");
    assert_eq!(
        app.mail.mails_to(GILDONG.email).len(),
        mails_before + 2,
        "no goodbye"
    );
    let r = on_user(&app, &key, Method::DELETE, &id, "").await;
    assert_problem(r, 404, "not_found").await;
    let rows = audit_rows(&app, &key).await;
    assert!(has_row(&rows, "delete", &id, "done") && has_row(&rows, "delete", &other_id, "done"));
    assert!(has_row(&rows, "delete", &id, "not_found"));
}

#[tokio::test]
async fn the_command_line_and_the_api_share_one_audit_trail() {
    let app = spawn_admin().await;
    app.sign_up(&GILDONG).await;
    let id = id_of(&app, GILDONG.username).await;
    let key = create_key(&app, "ops", false).await;
    assert!(admin(&app, &["disable", "hong_gildong"]).await.ok);
    on_user_ok(&app, &key, Method::POST, &id, "/enable", 200).await;
    let rows = audit_rows(&app, &key).await;
    assert_eq!(rows[0]["action"], "enable");
    assert_eq!(rows[0]["key_name"], "ops");
    assert_eq!(rows[1]["action"], "disable");
    assert_eq!(rows[1]["key_name"], "cli:test-operator");
    assert_eq!(rows[1]["target"], id.as_str());
    // Paging: one entry a page, newest first, to the end.
    let seen: Vec<Value> = every_page(&app, &key, "/admin/api/audit?limit=1", "entries")
        .await
        .iter()
        .map(|e| e["id"].clone())
        .collect();
    let all: Vec<Value> = rows.iter().map(|r| r["id"].clone()).collect();
    assert_eq!(seen, all);
}

/// `n` accounts written straight to the database (what a signup stores), created one second
/// apart, named `<prefix>00000`, `<prefix>00001`, …
async fn insert_accounts(app: &TestApp, prefix: &str, n: usize) {
    let start = DateTime::now().timestamp_millis() - 1_000 * n as i64;
    let docs: Vec<Document> = (0..n)
        .map(|i| {
            let name = format!("{prefix}{i:05}");
            doc! {
                "_id": ObjectId::new(),
                "username": &name, "username_key": &name,
                "nickname": format!("닉{name}"),
                "nickname_key": backend::domain::nickname_key(&format!("닉{name}")),
                "nickname_key_v": backend::domain::NICKNAME_KEY_VERSION,
                "email": format!("{name}@example.com"), "email_key": format!("{name}@example.com"),
                "password_hash": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
                "created_at": DateTime::from_millis(start + 1_000 * i as i64),
                "locale": "ko",
                "credential_epoch": "e",
            }
        })
        .collect();
    for chunk in docs.chunks(1_000) {
        app.db
            .collection::<Document>("users")
            .insert_many(chunk.to_vec())
            .await
            .unwrap();
    }
}

/// What the database examines for one search page of `q`: the search's own queries, explained
/// by the server (`executionStats`): (keys examined, documents examined, the plans' stages).
async fn examined(app: &TestApp, q: &str) -> (i64, i64, String) {
    let keys = backend::store::SearchKeys::of(q);
    let (mut keys_examined, mut docs_examined, mut stages) = (0, 0, String::new());
    for filter in backend::store::search_filters(keys.as_ref(), None) {
        let explained = app
            .db
            .run_command(doc! {
                "explain": { "find": "users", "filter": filter, "sort": backend::store::search_sort() },
                "verbosity": "executionStats",
            })
            .await
            .unwrap();
        let stats = explained.get_document("executionStats").unwrap();
        let number = |field: &str| match stats.get(field) {
            Some(mongodb::bson::Bson::Int32(n)) => i64::from(*n),
            Some(mongodb::bson::Bson::Int64(n)) => *n,
            other => panic!("{field}: {other:?}"),
        };
        keys_examined += number("totalKeysExamined");
        docs_examined += number("totalDocsExamined");
        stages.push_str(&explained.get_document("queryPlanner").unwrap().to_string());
    }
    (keys_examined, docs_examined, stages)
}

#[tokio::test]
async fn the_search_reads_an_index_range_and_costs_the_same_on_ten_thousand_accounts() {
    let small = spawn_admin().await;
    let large = spawn_admin().await;
    insert_accounts(&small, "acct", 20).await;
    insert_accounts(&large, "acct", 10_000).await;
    let key = create_key(&large, "ops", true).await;

    // The answer: the prefix's accounts, newest first, from all three keys.
    let page = get_json(&large, &key, "/admin/api/users?q=ACCT0001&limit=5").await;
    let names: Vec<&str> = page["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "acct00019",
            "acct00018",
            "acct00017",
            "acct00016",
            "acct00015"
        ]
    );
    let by_email = get_json(&large, &key, "/admin/api/users?q=acct09999@exa").await;
    assert_eq!(by_email["users"][0]["username"], "acct09999");
    let by_nickname = get_json(&large, &key, "/admin/api/users?q=닉acct0999").await;
    assert_eq!(by_nickname["users"].as_array().unwrap().len(), 10);

    // The database's own account of the work: the same index range reads on 10,000 accounts
    // as on 20, no collection scan.
    let (keys_small, docs_small, _) = examined(&small, "acct0001").await;
    let (keys_large, docs_large, plan) = examined(&large, "acct0001").await;
    eprintln!("search acct0001: 20 accounts: {keys_small} keys, {docs_small} docs; 10,000 accounts: {keys_large} keys, {docs_large} docs");
    // Each query is a range on its own key's unique index, not a walk of another index.
    for index in [
        "username_key_unique",
        "nickname_key_unique",
        "email_key_unique",
    ] {
        assert!(plan.contains(index), "{index}: {plan}");
    }
    assert!(
        !plan.contains("COLLSCAN") && !plan.contains("created_at_id"),
        "{plan}"
    );
    assert!(
        docs_large <= docs_small + 3,
        "{docs_large} documents examined, {docs_small} on a small database"
    );
    assert!(
        keys_large <= keys_small + 3,
        "{keys_large} keys examined, {keys_small} on a small database"
    );
    assert!(docs_large <= 40, "{docs_large}");
}

#[tokio::test]
async fn pages_of_accounts_follow_the_cursor_newest_first_without_gaps_or_repeats() {
    let app = spawn_admin().await;
    insert_accounts(&app, "page", 25).await;
    insert_accounts(&app, "other", 3).await;
    let key = create_key(&app, "ops", true).await;
    let seen: Vec<String> = every_page(&app, &key, "/admin/api/users?q=page&limit=10", "users")
        .await
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = (0..25).rev().map(|i| format!("page{i:05}")).collect();
    assert_eq!(seen, expected);
    // Without `q`: every account, newest first.
    let all = get_json(&app, &key, "/admin/api/users?limit=100").await;
    assert_eq!(all["users"].as_array().unwrap().len(), 28);
    // Bad paging parameters are refused, not guessed at.
    for bad in ["limit=0", "limit=101", "limit=ten", "cursor=nonsense"] {
        let path = format!("/admin/api/users?{bad}");
        let r = call(&app, Some(&key), Method::GET, &path).await;
        assert_problem(r, 422, "validation_failed").await;
    }
}

#[tokio::test]
async fn disabling_and_deleting_through_one_instance_reach_the_others_cache() {
    let (a, b) = spawn_pair(&ADMIN).await;
    a.sign_up(&GILDONG).await;
    let id = id_of(&a, GILDONG.username).await;
    let key = create_key(&a, "ops", false).await;
    let token = a.token_for(GILDONG.username).await;
    // `b` holds the session in its cache now.
    b.holds(&token).await;

    on_user_ok(&a, &key, Method::POST, &id, "/disable", 200).await;
    b.caught_up().await;
    assert_problem(b.nick(&token).await, 403, "account_disabled").await;
    let r = b.login(GILDONG.username, PASSWORD).await;
    assert_problem(r, 403, "account_disabled").await;

    on_user_ok(&b, &key, Method::POST, &id, "/enable", 200).await;
    let token = b.token_for(GILDONG.username).await;
    a.holds(&token).await;
    on_user_ok(&b, &key, Method::DELETE, &id, "?notify=false", 204).await;
    a.caught_up().await;
    assert_problem(a.nick(&token).await, 401, "invalid_token").await;
}

#[tokio::test]
async fn stats_count_sign_ups_sign_ins_and_sessions_and_are_cached_for_a_minute() {
    let app = spawn_admin().await;
    let key = create_key(&app, "ops", true).await;
    app.sign_up(&GILDONG).await;
    app.session_for(GILDONG.username).await;
    app.session_for(GILDONG.username).await;

    let stats = get_json(&app, &key, "/admin/api/stats").await;
    let days = stats["days"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    let today = &days[29];
    assert_eq!(today["sign_ups"], 1, "{stats}");
    // The signup signs in too.
    assert!(today["sign_ins"].as_u64().unwrap() >= 2, "{stats}");
    assert_eq!(stats["accounts"], 1);
    assert!(stats["live_sessions"].as_u64().unwrap() >= 2);
    assert!(days[..29].iter().all(|d| d["sign_ups"] == 0));

    // Within the minute, the same answer; after it, fresh numbers.
    app.sign_up(&OTHER).await;
    assert_eq!(get_json(&app, &key, "/admin/api/stats").await, stats);
    app.clock.advance(std::time::Duration::from_secs(61));
    let fresh = get_json(&app, &key, "/admin/api/stats").await;
    assert_eq!(fresh["accounts"], 2);
}

#[tokio::test]
async fn the_admin_document_is_served_on_the_admin_listener_and_committed() {
    let app = spawn_admin().await;
    let key = create_key(&app, "ops", true).await;
    let served = get_json(&app, &key, "/admin/api/openapi.json").await;
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../openapi/admin.json"
        ))
        .expect("openapi/admin.json (cargo run -q -p backend --example admin_openapi)"),
    )
    .unwrap();
    assert_eq!(served, committed, "regenerate openapi/admin.json");
    let paths = served["paths"].as_object().unwrap();
    for path in [
        "/admin/api/users",
        "/admin/api/users/{id}/disable",
        "/admin/api/audit",
        "/admin/api/stats",
    ] {
        assert!(paths.contains_key(path), "{path}");
    }
    let disable = &served["paths"]["/admin/api/users/{id}/disable"]["post"]["responses"];
    assert!(
        disable["403"].to_string().contains("forbidden"),
        "{disable}"
    );
    assert!(
        disable["401"].to_string().contains("invalid_token"),
        "{disable}"
    );
}

#[tokio::test]
async fn webhook_deliveries_answer_404_without_webhooks_and_the_retry_is_a_write() {
    let app = spawn_admin().await;
    let key = create_key(&app, "ops", false).await;
    let reader = create_key(&app, "reader", true).await;
    let list = "/admin/api/webhooks/deliveries?status=failed";
    let r = call(&app, Some(&key), Method::GET, list).await;
    assert_problem(r, 404, "not_found").await;
    let r = call(&app, None, Method::GET, list).await;
    assert_problem(r, 401, "invalid_token").await;
    let retry = "/admin/api/webhooks/deliveries/0123456789abcdef01234567/retry";
    let r = call(&app, Some(&reader), Method::POST, retry).await;
    assert_problem(r, 403, "forbidden").await;
    let r = call(&app, Some(&key), Method::POST, retry).await;
    assert_problem(r, 404, "not_found").await;
    let rows = audit_rows(&app, &key).await;
    let target = "0123456789abcdef01234567";
    assert!(
        has_row(&rows, "webhook_retry", target, "forbidden"),
        "{rows:?}"
    );
    assert!(
        has_row(&rows, "webhook_retry", target, "not_found"),
        "{rows:?}"
    );
}

#[tokio::test]
async fn the_console_is_served_at_admin_on_the_admin_listener_only() {
    let dir = std::env::temp_dir().join(format!("console-{}", ObjectId::new().to_hex()));
    std::fs::create_dir_all(&dir).unwrap();
    let html = "<html><script type=\"module\">import init from '/admin/console-0123456789abcdef.js';</script></html>";
    std::fs::write(dir.join("index.html"), html).unwrap();
    std::fs::write(dir.join("console-0123456789abcdef.js"), "export default 1;").unwrap();
    let dir_text = dir.to_string_lossy().into_owned();
    let app = spawn_app_with(&[
        ("APP_ADMIN_PORT", "0"),
        ("APP_ADMIN_CONSOLE_DIR", &dir_text),
    ])
    .await;
    for path in ["/admin", "/admin/", "/admin/accounts"] {
        let r = call(&app, None, Method::GET, path).await;
        assert_eq!(r.status(), 200, "{path}");
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("'sha256-") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(r.text().await.unwrap(), html);
    }
    let r = call(
        &app,
        None,
        Method::GET,
        "/admin/console-0123456789abcdef.js",
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    let r = call(&app, None, Method::GET, "/admin/missing.js").await;
    assert_problem(r, 404, "not_found").await;
    // The API stays the API: unknown paths under it are problems, not the page.
    let r = call(&app, None, Method::GET, "/admin/api/nothing").await;
    assert_problem(r, 404, "not_found").await;
    // And the public port never serves the console.
    assert_problem(app.get("/admin").await, 404, "not_found").await;
    let r = app.get("/admin/console-0123456789abcdef.js").await;
    assert_problem(r, 404, "not_found").await;
}

/// With webhooks configured, the failed deliveries are listed and one is retried through the
/// API, as through the command line: same listing, same re-queue, same `webhook-id`.
#[tokio::test]
async fn failed_webhook_deliveries_are_listed_and_retried_through_the_api() {
    use crate::webhook_receiver::Receiver;
    use crate::webhooks::{deliveries_when, hooks_to, status_of};
    let receiver = Receiver::start();
    receiver.always(503);
    let hooks = hooks_to(&[receiver.url()]);
    let mut vars: Vec<(&str, &str)> = hooks.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.push(("APP_WEBHOOK_EVENTS", "user.created"));
    vars.push(("APP_ADMIN_PORT", "0"));
    let app = spawn_app_with(&vars).await;
    let key = create_key(&app, "ops", false).await;
    app.sign_up(&GILDONG).await;
    receiver.wait_for(1).await;
    deliveries_when(&app, "the first attempt", |d| {
        d.first()
            .is_some_and(|d| d.get_i32("last_status") == Ok(503))
    })
    .await;
    app.clock
        .advance(std::time::Duration::from_secs(3 * 24 * 3600));
    deliveries_when(&app, "failed", |d| status_of(&d[0]) == "failed").await;

    let listed = get_json(&app, &key, "/admin/api/webhooks/deliveries?status=failed").await;
    let failed = listed["deliveries"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{listed}");
    assert_eq!(failed[0]["type"], "user.created");
    assert_eq!(failed[0]["status"], "failed");
    let id = failed[0]["id"].as_str().unwrap().to_owned();

    receiver.always(200);
    let path = format!("/admin/api/webhooks/deliveries/{id}/retry");
    let r = call(&app, Some(&key), Method::POST, &path).await;
    assert_eq!(r.status(), 200);
    let requeued: Value = r.json().await.unwrap();
    assert_eq!(requeued["status"], "pending", "{requeued}");
    let all = receiver.wait_for(3).await;
    assert_eq!(all[2].header("webhook-id"), all[0].header("webhook-id"));
    deliveries_when(&app, "delivered", |d| status_of(&d[0]) == "delivered").await;
    let listed = get_json(&app, &key, "/admin/api/webhooks/deliveries?status=failed").await;
    assert_eq!(listed["deliveries"], serde_json::json!([]));
    let rows = audit_rows(&app, &key).await;
    assert!(has_row(&rows, "webhook_retry", &id, "done"), "{rows:?}");
}
