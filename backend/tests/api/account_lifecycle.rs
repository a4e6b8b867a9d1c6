//! The account lifecycle: changing the password, changing the address with a code, deleting the
//! account. Each proves the password again (a wrong one is a failed login), each tells the
//! owner by mail.

use std::time::Duration;

use mongodb::bson::{doc, Document};
use serde_json::{json, Value};

use crate::helpers::*;

const NEW_PASSWORD: &str = "a brand new passphrase";
const NEW_EMAIL: &str = "new.home@example.com";

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    access: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .request(method, app.url(path))
        .bearer_auth(access)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn change_password(
    app: &TestApp,
    access: &str,
    current: &str,
    new: &str,
) -> reqwest::Response {
    call(
        app,
        reqwest::Method::POST,
        "/api/password/change",
        access,
        &json!({"current_password": current, "new_password": new}),
    )
    .await
}

async fn request_email_change(
    app: &TestApp,
    access: &str,
    new_email: &str,
    password: &str,
) -> reqwest::Response {
    call(
        app,
        reqwest::Method::POST,
        "/api/email/change/request",
        access,
        &json!({"new_email": new_email, "password": password}),
    )
    .await
}

async fn confirm_email_change(app: &TestApp, access: &str, code: &str) -> reqwest::Response {
    call(
        app,
        reqwest::Method::POST,
        "/api/email/change/confirm",
        access,
        &json!({ "code": code }),
    )
    .await
}

async fn delete_account(app: &TestApp, access: &str, password: &str) -> reqwest::Response {
    call(
        app,
        reqwest::Method::DELETE,
        "/api/account",
        access,
        &json!({ "password": password }),
    )
    .await
}

/// The first mail to `address` whose subject contains `subject`, waiting briefly for it.
async fn mail_with_subject(app: &TestApp, address: &str, subject: &str) -> Mail {
    for _ in 0..100 {
        if let Some(mail) = app
            .mail
            .mails_to(address)
            .into_iter()
            .find(|m| m.subject.contains(subject))
        {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no mail about {subject:?} for {address}: {:?}",
        app.mail.mails_to(address)
    );
}

/// A signup with its mails in `locale`.
async fn sign_up_in(app: &TestApp, s: &Signup<'_>, locale: &str) {
    let r = app
        .post(
            "/api/email_auth",
            &json!({"username": s.username, "nickname": s.nickname, "email": s.email, "locale": locale}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let code = app.mail.code_for(s.email).await;
    let r = app.register(s, PASSWORD, &code).await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn a_password_change_keeps_this_session_ends_the_others_and_mails_a_notice_in_the_accounts_language(
) {
    let app = spawn_app().await;
    sign_up_in(&app, &GILDONG, "en").await;
    let stored = app.users().await;
    assert_eq!(
        stored[0].get_str("locale").unwrap(),
        "en",
        "the signup's locale is kept"
    );
    let (here, here_refresh) = app.session_for(GILDONG.username).await;
    let (there, there_refresh) = app.session_for(GILDONG.username).await;

    let r = change_password(&app, &here, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());

    // The session that changed it stays, access and refresh alike; every other one is over.
    assert_eq!(app.nick(&here).await.status(), 200);
    assert_problem(app.nick(&there).await, 401, "invalid_token").await;
    assert_problem(app.refresh(&there_refresh).await, 401, "invalid_token").await;
    assert_eq!(app.refresh(&here_refresh).await.status(), 200);
    // Only the new password logs in.
    assert_problem(
        app.login(GILDONG.username, PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        app.login(GILDONG.username, NEW_PASSWORD).await.status(),
        200
    );

    let notice = mail_with_subject(&app, GILDONG.email, "Your password was changed").await;
    assert!(notice.text.contains("UTC"), "{}", notice.text);
    assert_eq!(extract_code(&notice.text), None);
}

#[tokio::test]
async fn a_new_password_must_follow_the_signup_policy() {
    let app = spawn_app().await;
    app.sign_up(&GILDONG).await;
    let access = app.token_for(GILDONG.username).await;
    for (new, code) in [
        ("short", "too_short"),
        ("password1", "common_password"),
        ("I am hong_gildong!", "weak_password"),
        ("gildong was here", "weak_password"),
    ] {
        let p = assert_problem(
            change_password(&app, &access, PASSWORD, new).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(
            field_codes(&p),
            vec![("new_password".into(), code.into())],
            "{new}"
        );
    }
    assert_invalid_field(
        change_password(&app, &access, "", NEW_PASSWORD).await,
        "current_password",
        "required",
    )
    .await;
    // Nothing changed.
    assert_eq!(app.login(GILDONG.username, PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn wrong_passwords_are_failed_logins_counted_with_the_accounts_strangers() {
    let app = spawn_app_with(&[
        ("APP_LOGIN_MAX_FAILURES", "4"),
        ("APP_TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    app.sign_up(&GILDONG).await;
    // The owner signs in from their network; the token is then used from elsewhere (this
    // test's own address, unknown to the account), as a thief would use a stolen one.
    const OWNER_NETWORK: &str = "198.51.100.1";
    let login = json!({"username": GILDONG.username, "password": PASSWORD});
    let r = app.post_from(OWNER_NETWORK, "/api/login", &login).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap().to_owned();
    let wrong = "not the password";

    assert_problem(
        change_password(&app, &access, wrong, NEW_PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_problem(
        request_email_change(&app, &access, NEW_EMAIL, wrong).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_problem(
        delete_account(&app, &access, wrong).await,
        401,
        "invalid_credentials",
    )
    .await;
    // A wrong password mails nothing.
    assert!(app.mail.mails_to(NEW_EMAIL).is_empty());
    assert_problem(
        change_password(&app, &access, wrong, NEW_PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;

    // Four failures: the cap. Even the right password waits now, on every endpoint.
    for r in [
        change_password(&app, &access, PASSWORD, NEW_PASSWORD).await,
        request_email_change(&app, &access, NEW_EMAIL, PASSWORD).await,
        delete_account(&app, &access, PASSWORD).await,
    ] {
        let retry_after: u64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry_after > 0);
        assert_problem(r, 429, "too_many_attempts").await;
    }
    // They are failed logins of the account from a client it does not know: a stranger's
    // login waits too.
    let r = app.post_from("203.0.113.9", "/api/login", &login).await;
    assert_problem(r, 429, "too_many_attempts").await;
    // The owner, from the network they signed in from, is not locked out.
    let r = app.post_from(OWNER_NETWORK, "/api/login", &login).await;
    assert_eq!(r.status(), 200);
    // And nothing was changed or deleted.
    assert_eq!(app.nick(&access).await.status(), 200);
}

#[tokio::test]
async fn an_email_change_mails_the_code_to_the_new_address_only_and_tells_the_old_one() {
    let app = spawn_app_with(&[("APP_RESEND_COOLDOWN_SECS", "0")]).await;
    app.sign_up(&GILDONG).await;
    let access = app.token_for(GILDONG.username).await;
    let old_mails = app.mail.mails_to(GILDONG.email).len();

    let r = request_email_change(&app, &access, NEW_EMAIL, PASSWORD).await;
    assert_eq!(r.status(), 202);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body, json!({"expires_in": 600, "resend_after": 0}));
    let code = app.mail.code_for(NEW_EMAIL).await;
    let mail = app.mail.last_mail_to(NEW_EMAIL).await;
    assert!(mail.subject.contains("이메일 변경"), "{}", mail.subject);
    assert_eq!(
        app.mail.mails_to(GILDONG.email).len(),
        old_mails,
        "no code to the old address"
    );

    // A wrong code is answered as in signup; the account keeps its address meanwhile.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let p = assert_problem(
        confirm_email_change(&app, &access, wrong).await,
        400,
        "invalid_code",
    )
    .await;
    assert_eq!(p.attempts_left, Some(4));
    assert_eq!(
        app.users().await[0].get_str("email").unwrap(),
        GILDONG.email
    );

    let r = confirm_email_change(&app, &access, &code).await;
    assert_eq!(r.status(), 200);
    let profile: Value = r.json().await.unwrap();
    assert_eq!(
        profile,
        json!({"username": GILDONG.username, "nickname": GILDONG.nickname, "email": NEW_EMAIL})
    );
    let r = app.nick(&access).await;
    let profile: Value = r.json().await.unwrap();
    assert_eq!(profile["email"], NEW_EMAIL);
    let user = &app.users().await[0];
    assert_eq!(user.get_str("email_key").unwrap(), NEW_EMAIL);

    // The old address is told where the account went, masked.
    let notice = mail_with_subject(&app, GILDONG.email, "이메일 주소가 변경").await;
    assert!(notice.text.contains("n***@example.com"), "{}", notice.text);
    assert!(!notice.text.contains(NEW_EMAIL));

    // Used up: the code works once.
    assert_problem(
        confirm_email_change(&app, &access, &code).await,
        400,
        "code_expired",
    )
    .await;
    // (That the old address can sign up again is not asserted here: the MongoDB-wire test
    // server keeps the old key of a `$set` in its unique index. See the report.)
}

#[tokio::test]
async fn a_taken_address_gets_a_notice_and_the_caller_the_same_answer() {
    let app = spawn_app_with(&[("APP_RESEND_COOLDOWN_SECS", "0")]).await;
    app.sign_up(&GILDONG).await;
    app.sign_up(&OTHER).await;
    let access = app.token_for(GILDONG.username).await;
    let before = app.mail.mails_to(OTHER.email).len();

    let free = request_email_change(&app, &access, "free@example.com", PASSWORD).await;
    let taken = request_email_change(&app, &access, OTHER.email, PASSWORD).await;
    assert_eq!(free.status(), 202);
    assert_eq!(taken.status(), 202);
    let headers = |r: &reqwest::Response| {
        let mut h: Vec<String> = r
            .headers()
            .iter()
            .filter(|(name, _)| *name != "date" && *name != "x-request-id")
            .map(|(name, value)| format!("{name}: {value:?}"))
            .collect();
        h.sort();
        h
    };
    assert_eq!(headers(&free), headers(&taken));
    assert_eq!(free.bytes().await.unwrap(), taken.bytes().await.unwrap());

    // The holder of the address is told, and gets no code.
    let notice = mail_with_subject(&app, OTHER.email, "이 주소로 옮기려").await;
    assert_eq!(extract_code(&notice.text), None);
    assert_eq!(app.mail.mails_to(OTHER.email).len(), before + 1);
    // The pending change is now a decoy: no code works, and the free address's code is gone.
    let free_code = app.mail.code_for("free@example.com").await;
    assert_problem(
        confirm_email_change(&app, &access, &free_code).await,
        400,
        "invalid_code",
    )
    .await;
    let profile: Value = app.nick(&access).await.json().await.unwrap();
    assert_eq!(profile["email"], GILDONG.email);
    let other = app.token_for(OTHER.username).await;
    let profile: Value = app.nick(&other).await.json().await.unwrap();
    assert_eq!(profile["email"], OTHER.email);
}

#[tokio::test]
async fn email_change_codes_work_only_for_their_purpose_and_their_account() {
    let app = spawn_app_with(&[("APP_RESEND_COOLDOWN_SECS", "0")]).await;
    app.sign_up(&GILDONG).await;
    app.sign_up(&OTHER).await;
    let gildong = app.token_for(GILDONG.username).await;
    let other = app.token_for(OTHER.username).await;
    let newcomer = Signup {
        username: "newcomer",
        nickname: "새사람",
        email: NEW_EMAIL,
    };

    // A signup code for the address is no email-change code, and no email-change code is
    // a signup code.
    let signup_code = app.request_code(&newcomer).await;
    assert_problem(
        confirm_email_change(&app, &gildong, &signup_code).await,
        400,
        "code_expired",
    )
    .await;
    assert_eq!(
        request_email_change(&app, &gildong, NEW_EMAIL, PASSWORD)
            .await
            .status(),
        202
    );
    let change_code = app.mail.code_for(NEW_EMAIL).await;
    assert_problem(
        confirm_email_change(&app, &gildong, &signup_code).await,
        400,
        "invalid_code",
    )
    .await;
    let r = app.register(&newcomer, PASSWORD, &change_code).await;
    assert_problem(r, 400, "invalid_code").await;

    // Another account cannot redeem it, not even with a pending change to the same address.
    assert_problem(
        confirm_email_change(&app, &other, &change_code).await,
        400,
        "code_expired",
    )
    .await;
    assert_eq!(
        request_email_change(&app, &other, NEW_EMAIL, PASSWORD)
            .await
            .status(),
        202
    );
    let others_code = app.mail.code_for(NEW_EMAIL).await;
    if others_code != change_code {
        assert_problem(
            confirm_email_change(&app, &other, &change_code).await,
            400,
            "invalid_code",
        )
        .await;
        assert_problem(
            confirm_email_change(&app, &gildong, &others_code).await,
            400,
            "invalid_code",
        )
        .await;
    }
    // Each account's own code still works for it alone: the first to confirm gets the
    // address, the other finds it taken.
    let r = confirm_email_change(&app, &gildong, &change_code).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_problem(
        confirm_email_change(&app, &other, &others_code).await,
        409,
        "email_taken",
    )
    .await;
}

#[tokio::test]
async fn an_address_taken_between_request_and_confirm_is_a_conflict_that_changes_nothing() {
    let app = spawn_app_with(&[("APP_RESEND_COOLDOWN_SECS", "0")]).await;
    app.sign_up(&GILDONG).await;
    let access = app.token_for(GILDONG.username).await;
    assert_eq!(
        request_email_change(&app, &access, NEW_EMAIL, PASSWORD)
            .await
            .status(),
        202
    );
    let code = app.mail.code_for(NEW_EMAIL).await;
    let before = app.mail.mails_to(GILDONG.email).len();

    // Someone signs up with the address meanwhile.
    app.sign_up(&Signup {
        username: "newcomer",
        nickname: "새사람",
        email: NEW_EMAIL,
    })
    .await;

    assert_field_problem(
        confirm_email_change(&app, &access, &code).await,
        409,
        "email_taken",
        "email",
        "email_taken",
    )
    .await;
    let profile: Value = app.nick(&access).await.json().await.unwrap();
    assert_eq!(profile["email"], GILDONG.email);
    let emails: Vec<String> = app
        .users()
        .await
        .iter()
        .map(|u| u.get_str("email_key").unwrap().to_owned())
        .collect();
    assert!(emails.contains(&GILDONG.email.to_owned()) && emails.contains(&NEW_EMAIL.to_owned()));
    // The code was not consumed (nor its attempt): the answer stays the conflict.
    let p = assert_problem(
        confirm_email_change(&app, &access, &code).await,
        409,
        "email_taken",
    )
    .await;
    assert_eq!(p.attempts_left, None);
    let pending = app.collection("email_change_codes").await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].get_i32("attempts").unwrap(), 0);
    // No notice: nothing changed.
    app.assert_no_notice_since(GILDONG.email, before).await;
}

/// Every document of every collection, as lowercase extended JSON, with its collection.
async fn everything(app: &TestApp) -> Vec<(String, Document, String)> {
    use futures_util::TryStreamExt;
    let mut all = vec![];
    for name in app.db.list_collection_names().await.unwrap() {
        let docs: Vec<Document> = app
            .db
            .collection::<Document>(&name)
            .find(doc! {})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        for d in docs {
            let text = mongodb::bson::Bson::Document(d.clone())
                .into_relaxed_extjson()
                .to_string()
                .to_lowercase();
            all.push((name.clone(), d, text));
        }
    }
    all
}

#[tokio::test]
async fn deleting_the_account_refuses_every_token_leaves_nothing_and_frees_the_names() {
    // No resend cooldown: the test mails the account's address several times in a row.
    let app = spawn_app_with(&[
        ("APP_TRUSTED_PROXIES", "127.0.0.1"),
        ("APP_RESEND_COOLDOWN_SECS", "0"),
    ])
    .await;
    app.sign_up(&GILDONG).await;
    app.sign_up(&OTHER).await;
    let (access, refresh) = app.session_for(GILDONG.username).await;
    let user_id = app.users().await[0].get_object_id("_id").unwrap().to_hex();
    // Leave traces everywhere: failed logins from a stranger and from this network, a reset
    // code, a pending email change, a password change notice.
    for ip in ["203.0.113.9", "127.0.0.1"] {
        let r = app
            .post_from(
                ip,
                "/api/login",
                &json!({"username": GILDONG.username, "password": "wrong guess"}),
            )
            .await;
        assert_eq!(r.status(), 401);
    }
    let r = app
        .post(
            "/api/password_reset/request",
            &json!({"email": GILDONG.email}),
        )
        .await;
    assert_eq!(r.status(), 202);
    assert_eq!(
        request_email_change(&app, &access, NEW_EMAIL, PASSWORD)
            .await
            .status(),
        202
    );
    let r = app.change_password(&access, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(r.status(), 204);
    mail_with_subject(&app, GILDONG.email, "비밀번호가 변경").await;
    // The change forgot the networks the old password signed in from: sign in again. This is
    // the other device, signed in after the change ended every session but `access`, so only
    // the deletion can end it.
    let (other_access, other_refresh) = app.session_with(GILDONG.username, NEW_PASSWORD).await;
    assert_eq!(app.nick(&other_access).await.status(), 200);
    let before = everything(&app).await;
    assert!(
        before.iter().any(|(c, _, _)| c == "known_networks")
            && before.iter().any(|(c, _, _)| c == "email_change_codes")
            && before.iter().any(|(c, _, _)| c == "reset_codes"),
        "the test leaves traces to delete"
    );

    assert_problem(
        delete_account(&app, &access, PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    // Both devices are signed in up to the deletion.
    assert_eq!(app.nick(&other_access).await.status(), 200);
    let r = app.delete_account(&access, NEW_PASSWORD).await;
    assert_eq!(r.status(), 204);

    // Every token is refused at once.
    assert_problem(app.nick(&access).await, 401, "invalid_token").await;
    assert_problem(app.nick(&other_access).await, 401, "invalid_token").await;
    assert_problem(app.refresh(&refresh).await, 401, "invalid_token").await;
    assert_problem(app.refresh(&other_refresh).await, 401, "invalid_token").await;

    let goodbye = mail_with_subject(&app, GILDONG.email, "계정이 삭제").await;
    assert_eq!(extract_code(&goodbye.text), None);

    // Nothing names the account any more, in any collection. The goodbye's outbox entry is
    // deleted once the mail server took it; should it still be there, it holds only the
    // address it goes to.
    for _ in 0..100 {
        if app.collection("mail_outbox").await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let needles = [
        GILDONG.username.to_owned(),
        GILDONG.nickname.to_owned(),
        GILDONG.email.to_owned(),
        user_id.clone(),
    ];
    for (collection, d, text) in everything(&app).await {
        if collection == "mail_outbox" {
            assert_eq!(d.get_str("to").unwrap(), GILDONG.email);
            assert_eq!(
                d.get_document("notice").unwrap().get_str("kind").unwrap(),
                "account_deleted"
            );
            let mut rest = d.clone();
            rest.remove("to");
            let rest = mongodb::bson::Bson::Document(rest)
                .into_relaxed_extjson()
                .to_string();
            assert!(needles.iter().all(|n| !rest.contains(n.as_str())), "{rest}");
            continue;
        }
        for needle in &needles {
            assert!(
                !text.contains(needle.as_str()),
                "{collection} still names {needle}: {text}"
            );
        }
    }
    // The account no longer logs in (checked after the inventory: a failed login is logged).
    assert_problem(
        app.login(GILDONG.username, NEW_PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    // The other account is untouched.
    assert_eq!(app.users().await.len(), 1);
    assert_eq!(app.login(OTHER.username, PASSWORD).await.status(), 200);

    // Username, nickname and address register again, at once.
    app.sign_up(&GILDONG).await;
    assert_eq!(app.login(GILDONG.username, PASSWORD).await.status(), 200);
}
