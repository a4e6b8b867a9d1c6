//! The account lifecycle: changing the password, changing the address with a code, deleting the
//! account. Each proves the password again (a wrong one is a failed login), each tells the
//! owner by mail.

use serde_json::{json, Value};

use crate::helpers::*;

const NEW_PASSWORD: &str = "a brand new passphrase";
const NEW_EMAIL: &str = "new.home@example.com";

/// The start of the email-change tests: an app that mails an address again at once (the
/// change's code follows the signup's without a cooldown), and GILDONG signed in: the app and
/// the access token.
async fn signed_in_without_cooldown() -> (TestApp, String) {
    let app = spawn_app_with(&[NO_COOLDOWN]).await;
    let access = app.registered_person().await.access;
    (app, access)
}

#[tokio::test]
async fn a_password_change_keeps_this_session_ends_the_others_and_mails_a_notice_in_the_accounts_language(
) {
    let app = spawn_app().await;
    app.sign_up_in(&GILDONG, "en").await;
    let stored = app.users().await;
    assert_eq!(
        stored[0].get_str("locale").unwrap(),
        "en",
        "the signup's locale is kept"
    );
    let (here, here_refresh) = app.session_for(GILDONG.username).await;
    let (there, there_refresh) = app.session_for(GILDONG.username).await;

    let r = app.change_password(&here, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());

    // The session that changed it stays, access and refresh alike; every other one is over.
    assert_eq!(app.nick(&here).await.status(), 200);
    app.assert_session_refused((&there, &there_refresh), 401, "invalid_token")
        .await;
    assert_eq!(app.refresh(&here_refresh).await.status(), 200);
    // Only the new password logs in.
    let r = app.login(GILDONG.username, PASSWORD).await;
    assert_problem(r, 401, "invalid_credentials").await;
    assert_eq!(
        app.login(GILDONG.username, NEW_PASSWORD).await.status(),
        200
    );

    let notice = mail_about(&app, GILDONG.email, "Your password was changed").await;
    assert!(notice.text.contains("UTC"), "{}", notice.text);
    assert_eq!(extract_code(&notice.text), None);
}

#[tokio::test]
async fn a_new_password_must_follow_the_signup_policy() {
    let app = spawn_app().await;
    let access = app.registered_person().await.access;
    for (new, code) in [
        ("short", "too_short"),
        ("password1", "common_password"),
        ("I am hong_gildong!", "weak_password"),
        ("gildong was here", "weak_password"),
    ] {
        let r = app.change_password(&access, PASSWORD, new).await;
        let p = assert_problem(r, 422, "validation_failed").await;
        assert_eq!(
            field_codes(&p),
            vec![("new_password".into(), code.into())],
            "{new}"
        );
    }
    let r = app.change_password(&access, "", NEW_PASSWORD).await;
    assert_invalid_field(r, "current_password", "required").await;
    // Nothing changed.
    assert_eq!(app.login(GILDONG.username, PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn wrong_passwords_are_failed_logins_counted_with_the_accounts_strangers() {
    let app =
        spawn_app_with_account(&GILDONG, &[("APP_LOGIN_MAX_FAILURES", "4"), TRUSTED_PROXY]).await;
    // The owner signs in from their network; the token is then used from elsewhere (this
    // test's own address, unknown to the account), as a thief would use a stolen one.
    const OWNER_NETWORK: &str = "198.51.100.1";
    let access = app
        .sign_in_from(OWNER_NETWORK, None, &GILDONG, PASSWORD)
        .await
        .access;
    let wrong = "not the password";

    let r = app.change_password(&access, wrong, NEW_PASSWORD).await;
    assert_problem(r, 401, "invalid_credentials").await;
    let r = app.email_change_request(&access, NEW_EMAIL, wrong).await;
    assert_problem(r, 401, "invalid_credentials").await;
    let r = app.delete_account(&access, wrong).await;
    assert_problem(r, 401, "invalid_credentials").await;
    // A wrong password mails nothing.
    assert!(app.mail.mails_to(NEW_EMAIL).is_empty());
    let r = app.change_password(&access, wrong, NEW_PASSWORD).await;
    assert_problem(r, 401, "invalid_credentials").await;

    // Four failures: the cap. Even the right password waits now, on every endpoint.
    for r in [
        app.change_password(&access, PASSWORD, NEW_PASSWORD).await,
        app.email_change_request(&access, NEW_EMAIL, PASSWORD).await,
        app.delete_account(&access, PASSWORD).await,
    ] {
        let retry_after = retry_after(&r);
        assert!(retry_after > 0);
        assert_problem(r, 429, "too_many_attempts").await;
    }
    // They are failed logins of the account from a client it does not know: a stranger's
    // login waits too.
    let r = app
        .login_from("203.0.113.9", None, GILDONG.username, PASSWORD)
        .await;
    assert_problem(r, 429, "too_many_attempts").await;
    // The owner, from the network they signed in from, is not locked out.
    let r = app
        .login_from(OWNER_NETWORK, None, GILDONG.username, PASSWORD)
        .await;
    assert_eq!(r.status(), 200);
    // And nothing was changed or deleted.
    assert_eq!(app.nick(&access).await.status(), 200);
}

#[tokio::test]
async fn an_email_change_mails_the_code_to_the_new_address_only_and_tells_the_old_one() {
    let (app, access) = signed_in_without_cooldown().await;
    let old_mails = app.mail.mails_to(GILDONG.email).len();

    let r = app.email_change_request(&access, NEW_EMAIL, PASSWORD).await;
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
    let wrong = not_the_code(&code);
    let r = app.email_change_confirm(&access, wrong).await;
    let p = assert_problem(r, 400, "invalid_code").await;
    assert_eq!(p.attempts_left, Some(4));
    assert_eq!(
        app.users().await[0].get_str("email").unwrap(),
        GILDONG.email
    );

    let profile = ok_json(app.email_change_confirm(&access, &code).await).await;
    assert_eq!(
        profile,
        json!({"username": GILDONG.username, "nickname": GILDONG.nickname, "email": NEW_EMAIL})
    );
    assert_eq!(app.profile(&access).await["email"], NEW_EMAIL);
    let user = &app.users().await[0];
    assert_eq!(user.get_str("email_key").unwrap(), NEW_EMAIL);

    // The old address is told where the account went, masked.
    let notice = mail_about(&app, GILDONG.email, "이메일 주소가 변경").await;
    assert!(notice.text.contains("n***@example.com"), "{}", notice.text);
    assert!(!notice.text.contains(NEW_EMAIL));

    // Used up: the code works once.
    let r = app.email_change_confirm(&access, &code).await;
    assert_problem(r, 400, "code_expired").await;
    // (That the old address can sign up again is not asserted here: the MongoDB-wire test
    // server keeps the old key of a `$set` in its unique index. See the report.)
}

#[tokio::test]
async fn a_taken_address_gets_a_notice_and_the_caller_the_same_answer() {
    let (app, access) = signed_in_without_cooldown().await;
    app.sign_up(&OTHER).await;
    let before = app.mail.mails_to(OTHER.email).len();

    let free = app
        .email_change_request(&access, "free@example.com", PASSWORD)
        .await;
    let taken = app
        .email_change_request(&access, OTHER.email, PASSWORD)
        .await;
    // Byte for byte: status, every header's value, body.
    assert_indistinguishable(free, taken, 202).await;

    // The holder of the address is told, and gets no code.
    let notice = mail_about(&app, OTHER.email, "이 주소로 옮기려").await;
    assert_eq!(extract_code(&notice.text), None);
    assert_eq!(app.mail.mails_to(OTHER.email).len(), before + 1);
    // The pending change is now a decoy: no code works, and the free address's code is gone.
    let free_code = app.mail.code_for("free@example.com").await;
    let r = app.email_change_confirm(&access, &free_code).await;
    assert_problem(r, 400, "invalid_code").await;
    assert_eq!(app.profile(&access).await["email"], GILDONG.email);
    let other = app.token_for(OTHER.username).await;
    assert_eq!(app.profile(&other).await["email"], OTHER.email);
}

#[tokio::test]
async fn email_change_codes_work_only_for_their_purpose_and_their_account() {
    let app = spawn_app_with_account(&GILDONG, &[NO_COOLDOWN]).await;
    app.sign_up(&OTHER).await;
    let gildong = app.token_for(GILDONG.username).await;
    let other = app.token_for(OTHER.username).await;
    let newcomer = person("newcomer", "새사람", NEW_EMAIL);

    // A signup code for the address is no email-change code, and no email-change code is
    // a signup code.
    let signup_code = app.request_code(&newcomer).await;
    let r = app.email_change_confirm(&gildong, &signup_code).await;
    assert_problem(r, 400, "code_expired").await;
    let change_code = app.email_change_code(&gildong, NEW_EMAIL, PASSWORD).await;
    let r = app.email_change_confirm(&gildong, &signup_code).await;
    assert_problem(r, 400, "invalid_code").await;
    let r = app.register(&newcomer, PASSWORD, &change_code).await;
    assert_problem(r, 400, "invalid_code").await;

    // Another account cannot redeem it, not even with a pending change to the same address.
    let r = app.email_change_confirm(&other, &change_code).await;
    assert_problem(r, 400, "code_expired").await;
    let others_code = app.email_change_code(&other, NEW_EMAIL, PASSWORD).await;
    if others_code != change_code {
        let r = app.email_change_confirm(&other, &change_code).await;
        assert_problem(r, 400, "invalid_code").await;
        let r = app.email_change_confirm(&gildong, &others_code).await;
        assert_problem(r, 400, "invalid_code").await;
    }
    // Each account's own code still works for it alone: the first to confirm gets the
    // address, the other finds it taken.
    let r = app.email_change_confirm(&gildong, &change_code).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = app.email_change_confirm(&other, &others_code).await;
    assert_problem(r, 409, "email_taken").await;
}

#[tokio::test]
async fn an_address_taken_between_request_and_confirm_is_a_conflict_that_changes_nothing() {
    let (app, access) = signed_in_without_cooldown().await;
    let code = app.email_change_code(&access, NEW_EMAIL, PASSWORD).await;
    let before = app.mail.mails_to(GILDONG.email).len();

    // Someone signs up with the address meanwhile.
    app.sign_up(&person("newcomer", "새사람", NEW_EMAIL)).await;

    let r = app.email_change_confirm(&access, &code).await;
    assert_field_problem(r, 409, "email_taken", "email", "email_taken").await;
    assert_eq!(app.profile(&access).await["email"], GILDONG.email);
    let emails: Vec<String> = app
        .users()
        .await
        .iter()
        .map(|u| u.get_str("email_key").unwrap().to_owned())
        .collect();
    assert!(emails.contains(&GILDONG.email.to_owned()) && emails.contains(&NEW_EMAIL.to_owned()));
    // The code was not consumed (nor its attempt): the answer stays the conflict.
    let r = app.email_change_confirm(&access, &code).await;
    let p = assert_problem(r, 409, "email_taken").await;
    assert_eq!(p.attempts_left, None);
    let pending = app.collection("email_change_codes").await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].get_i32("attempts").unwrap(), 0);
    // No notice: nothing changed.
    app.assert_no_notice_since(GILDONG.email, before).await;
}

#[tokio::test]
async fn deleting_the_account_refuses_every_token_leaves_nothing_and_frees_the_names() {
    // No resend cooldown: the test mails the account's address several times in a row.
    let app = spawn_app_with_account(&GILDONG, &[TRUSTED_PROXY, NO_COOLDOWN]).await;
    app.sign_up(&OTHER).await;
    let (access, refresh) = app.session_for(GILDONG.username).await;
    let user_id = app.users().await[0].get_object_id("_id").unwrap().to_hex();
    // Leave traces everywhere: failed logins from a stranger and from this network, a reset
    // code, a pending email change, a password change notice.
    for ip in ["203.0.113.9", "127.0.0.1"] {
        let r = app
            .login_from(ip, None, GILDONG.username, "wrong guess")
            .await;
        assert_eq!(r.status(), 401);
    }
    let r = app.reset_request(GILDONG.email).await;
    assert_eq!(r.status(), 202);
    assert_eq!(
        app.email_change_request(&access, NEW_EMAIL, PASSWORD)
            .await
            .status(),
        202
    );
    let r = app.change_password(&access, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(r.status(), 204);
    mail_about(&app, GILDONG.email, "비밀번호가 변경").await;
    // The change forgot the networks the old password signed in from: sign in again. This is
    // the other device, signed in after the change ended every session but `access`, so only
    // the deletion can end it.
    let (other_access, other_refresh) = app.session_with(GILDONG.username, NEW_PASSWORD).await;
    assert_eq!(app.nick(&other_access).await.status(), 200);
    let before = app.all_documents().await;
    assert!(
        before.iter().any(|(c, _, _)| c == "known_networks")
            && before.iter().any(|(c, _, _)| c == "email_change_codes")
            && before.iter().any(|(c, _, _)| c == "reset_codes"),
        "the test leaves traces to delete"
    );

    let r = app.delete_account(&access, PASSWORD).await;
    assert_problem(r, 401, "invalid_credentials").await;
    // Both devices are signed in up to the deletion.
    assert_eq!(app.nick(&other_access).await.status(), 200);
    let r = app.delete_account(&access, NEW_PASSWORD).await;
    assert_eq!(r.status(), 204);

    // Every token is refused at once.
    for session in [(&*access, &*refresh), (&other_access, &other_refresh)] {
        app.assert_session_refused(session, 401, "invalid_token")
            .await;
    }

    let goodbye = mail_about(&app, GILDONG.email, "계정이 삭제").await;
    assert_eq!(extract_code(&goodbye.text), None);

    // Nothing names the account any more, in any collection. The goodbye's outbox entry is
    // deleted once the mail server took it; should it still be there, it holds only the
    // address it goes to.
    app.outbox_drained().await;
    let needles = [
        GILDONG.username.to_owned(),
        GILDONG.nickname.to_owned(),
        GILDONG.email.to_owned(),
        user_id.clone(),
    ];
    for (collection, d, text) in app.all_documents().await {
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
    let r = app.login(GILDONG.username, NEW_PASSWORD).await;
    assert_problem(r, 401, "invalid_credentials").await;
    // The other account is untouched.
    assert_eq!(app.users().await.len(), 1);
    assert_eq!(app.login(OTHER.username, PASSWORD).await.status(), 200);

    // Username, nickname and address register again, at once.
    app.sign_up(&GILDONG).await;
    assert_eq!(app.login(GILDONG.username, PASSWORD).await.status(), 200);
}
