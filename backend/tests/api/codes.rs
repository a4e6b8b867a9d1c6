//! The code step as an attacker sees it: a wrong code is answered alike whether or not the
//! address has an account; wrong guesses per address have a daily ceiling, whatever the
//! resends; and a password reset is followed by a notice to the owner.

use futures_util::future::join_all;
use serde_json::{json, Value};
use shared::Problem;

use crate::helpers::*;

const OWNER: Signup = person("hong_gildong", "길동", "gildong@example.com");

/// A new signup for the owner's (registered) address.
const ON_TAKEN: Signup = person("newcomer", "새사람", "gildong@example.com");

const FRESH: Signup = person("fresh_one", "새내기", "fresh@example.com");

const NEW_PASSWORD: &str = "a brand new passphrase";

/// No cooldown and room for many mails, so resends are limited only by the guess cap.
const RESENDS: [(&str, &str); 2] = [NO_COOLDOWN, ("APP_CODES_PER_EMAIL_PER_HOUR", "1000")];

async fn reset_request(app: &TestApp, email: &str, locale: Option<&str>) -> reqwest::Response {
    let body = match locale {
        Some(locale) => json!({"email": email, "locale": locale}),
        None => json!({"email": email}),
    };
    app.post("/api/password_reset/request", &body).await
}

/// A wrong guess's answer body in round `round` (from 0): `invalid_code` for the five
/// attempts, then `code_expired`.
fn assert_guess_answer(round: usize, body: &str) {
    let expected = if round < 5 {
        "\"invalid_code\""
    } else {
        "\"code_expired\""
    };
    assert!(body.contains(expected), "{body}");
}

/// The `n`-th mail to `address` (counting from 1), waiting briefly for it to arrive.
async fn nth_mail_to(app: &TestApp, address: &str, n: usize) -> Mail {
    for _ in 0..100 {
        let mails = app.mail.mails_to(address);
        if mails.len() >= n {
            return mails[n - 1].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("mail {n} to {address} never arrived");
}

/// The owner's code and the code (or decoy) of `other` in `collection` both took five
/// attempts, and five failures were counted for each address.
async fn assert_both_spent(app: &TestApp, collection: &str, other: &str) {
    let codes = app.collection(collection).await;
    assert_eq!(codes.len(), 2);
    assert!(codes.iter().all(|c| c.get_i32("attempts") == Ok(5)));
    assert_eq!(code_failures(app, OWNER.email).await, 5);
    assert_eq!(code_failures(app, other).await, 5);
}

async fn code_failures(app: &TestApp, email_key: &str) -> usize {
    app.collection("throttle_events")
        .await
        .iter()
        .filter(|e| e.get_str("kind") == Ok("code_failure") && e.get_str("key") == Ok(email_key))
        .count()
}

#[tokio::test]
async fn a_wrong_signup_code_is_answered_alike_with_and_without_an_account() {
    let app = spawn_app_with(&RESENDS).await;
    app.sign_up(&OWNER).await;
    // The registered address gets a notice, the fresh one a code; both answers are 202.
    assert_eq!(app.email_auth(&ON_TAKEN).await.status(), 202);
    let code = app.request_code(&FRESH).await;
    let wrong = not_the_code(&code);
    // Five wrong guesses, then the dead code: every answer byte for byte the same.
    for round in 0..6 {
        let taken = seen_answer(app.register(&ON_TAKEN, PASSWORD, wrong).await).await;
        let fresh = seen_answer(app.register(&FRESH, PASSWORD, wrong).await).await;
        assert_eq!(taken, fresh, "guess {}", round + 1);
        assert_guess_answer(round, &fresh.2);
    }
    // The same work was done for both: the same documents, the same failures counted.
    assert_both_spent(&app, "verification_codes", FRESH.email).await;
    assert_eq!(app.users().await.len(), 1);
}

#[tokio::test]
async fn a_wrong_reset_code_is_answered_alike_with_and_without_an_account() {
    let app = spawn_app_with(&RESENDS).await;
    app.sign_up(&OWNER).await;
    let code = app.reset_code(OWNER.email).await;
    assert_eq!(app.reset_request("nobody@example.com").await.status(), 202);
    let notice = app.mail.last_mail_to("nobody@example.com").await;
    assert_eq!(extract_code(&notice.text), None);
    let wrong = not_the_code(&code);
    for round in 0..6 {
        let known = seen_answer(app.reset_confirm(OWNER.email, wrong, NEW_PASSWORD).await).await;
        let unknown = seen_answer(
            app.reset_confirm("nobody@example.com", wrong, NEW_PASSWORD)
                .await,
        )
        .await;
        assert_eq!(known, unknown, "guess {}", round + 1);
        assert_guess_answer(round, &known.2);
    }
    assert_both_spent(&app, "reset_codes", "nobody@example.com").await;
    // The owner's password is unchanged.
    assert_eq!(app.login(OWNER.username, PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn the_twenty_first_wrong_guess_in_a_day_is_refused_whatever_the_resends() {
    let app = spawn_app_with(&RESENDS).await;
    let mut wrong_guesses = 0;
    let mut guess = |answer: Problem| {
        assert_eq!(answer.code.as_str(), "invalid_code", "{answer:?}");
        wrong_guesses += 1;
    };
    // Fresh codes restore the attempts of each code, and reset codes (here decoys: the address
    // has no account) count with signup codes: 5 + 5 + 5 + 4 + 1 wrong guesses.
    for (purpose, wrong) in [("signup", 5), ("reset", 5), ("signup", 5), ("signup", 4)] {
        let wrong_code = if purpose == "signup" {
            not_the_code(&app.request_code(&FRESH).await)
        } else {
            assert_eq!(app.reset_request(FRESH.email).await.status(), 202);
            "000000"
        };
        for _ in 0..wrong {
            let r = if purpose == "signup" {
                app.register(&FRESH, PASSWORD, wrong_code).await
            } else {
                app.reset_confirm(FRESH.email, wrong_code, NEW_PASSWORD)
                    .await
            };
            guess(assert_problem(r, 400, "invalid_code").await);
        }
    }
    let code = app.request_code(&FRESH).await;
    guess(
        assert_problem(
            app.register(&FRESH, PASSWORD, not_the_code(&code)).await,
            400,
            "invalid_code",
        )
        .await,
    );
    assert_eq!(wrong_guesses, 20);

    // The 21st is refused before it is evaluated, with the wait until the oldest leaves the day.
    let r = app.register(&FRESH, PASSWORD, not_the_code(&code)).await;
    let retry_after = retry_after(&r);
    assert!(
        (86_400 - 600..=86_400).contains(&retry_after),
        "{retry_after}"
    );
    let p = assert_problem(r, 429, "too_many_guesses").await;
    assert_eq!(p.retry_after, Some(retry_after));
    // So is the right code, and the code it belongs to keeps its attempts for later.
    let r = app.register(&FRESH, PASSWORD, &code).await;
    assert_problem(r, 429, "too_many_guesses").await;
    assert!(app.users().await.is_empty());
    assert_eq!(code_failures(&app, FRESH.email).await, 20);
    // No new code or reset code is sent to the address meanwhile.
    let mails = app.mail.mails_to(FRESH.email).len();
    let r = app.email_auth(&FRESH).await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 429, "too_many_guesses").await;
    let r = app.reset_request(FRESH.email).await;
    assert_problem(r, 429, "too_many_guesses").await;
    let r = app.reset_confirm(FRESH.email, "123456", NEW_PASSWORD).await;
    assert_problem(r, 429, "too_many_guesses").await;
    assert_eq!(app.mail.mails_to(FRESH.email).len(), mails);
    // Another address is not affected.
    let other = person("other_one", "다른이", "other@example.com");
    let other_code = app.request_code(&other).await;
    let r = app
        .register(&other, PASSWORD, not_the_code(&other_code))
        .await;
    assert_problem(r, 400, "invalid_code").await;
    assert_eq!(
        app.register(&other, PASSWORD, &other_code).await.status(),
        201
    );
}

#[tokio::test]
async fn the_daily_cap_refuses_requests_alike_with_and_without_an_account() {
    let app = spawn_app_with(&[NO_COOLDOWN, ("APP_CODE_MAX_FAILURES_PER_DAY", "2")]).await;
    app.sign_up(&OWNER).await;
    for email in [OWNER.email, "nobody@example.com"] {
        assert_eq!(app.reset_request(email).await.status(), 202);
        let mail = app.mail.last_mail_to(email).await;
        let wrong = extract_code(&mail.text).map_or("000000", |code| not_the_code(&code));
        for _ in 0..2 {
            assert_problem(
                app.reset_confirm(email, wrong, NEW_PASSWORD).await,
                400,
                "invalid_code",
            )
            .await;
        }
    }
    let mails = app.mail.count();
    let mut answers = Vec::new();
    for email in [OWNER.email, "nobody@example.com"] {
        let (status, headers, body) = seen_answer(app.reset_request(email).await).await;
        let p: Problem = serde_json::from_str(&body).unwrap();
        assert_eq!((status, p.code.as_str()), (429, "too_many_guesses"));
        // The wait differs by the moments between the two addresses' failures; the rest not.
        let names: Vec<String> = headers.into_iter().map(|(name, _)| name).collect();
        answers.push((names, p.title, p.errors, p.attempts_left));
    }
    assert_eq!(answers[0], answers[1]);
    let r = app.email_auth(&ON_TAKEN).await;
    assert_problem(r, 429, "too_many_guesses").await;
    assert_eq!(app.mail.count(), mails, "nothing was sent");
}

#[tokio::test]
async fn concurrent_wrong_guesses_never_evaluate_more_than_the_daily_cap() {
    // One code that would allow a hundred attempts: only the daily cap stands in the way.
    let app = spawn_app_with(&[("APP_CODE_MAX_ATTEMPTS", "100")]).await;
    let code = app.request_code(&FRESH).await;
    let wrong = not_the_code(&code);
    let answers: Vec<(u16, String)> = join_all((0..100).map(|_| async {
        let r = app.register(&FRESH, PASSWORD, wrong).await;
        let status = r.status().as_u16();
        let p: Problem = r.json().await.unwrap();
        (status, p.code.as_str().to_owned())
    }))
    .await;
    let evaluated = answers.iter().filter(|(s, _)| *s == 400).count();
    let refused = answers
        .iter()
        .filter(|a| *a == &(429, "too_many_guesses".to_owned()))
        .count();
    assert_eq!(evaluated + refused, 100, "{answers:?}");
    assert!(evaluated <= 20, "{evaluated} guesses evaluated");
    // Refused guesses leave no trace, so the rest of the day's guesses remain, one by one.
    assert_eq!(code_failures(&app, FRESH.email).await, evaluated);
    let mut more = 0;
    loop {
        let r = app.register(&FRESH, PASSWORD, wrong).await;
        if r.status() == 429 {
            break;
        }
        assert_problem(r, 400, "invalid_code").await;
        more += 1;
    }
    assert_eq!(evaluated + more, 20);
}

#[tokio::test]
async fn a_right_guess_is_not_a_failure() {
    let app = spawn_app_with(&[NO_COOLDOWN, ("APP_CODE_MAX_FAILURES_PER_DAY", "1")]).await;
    app.sign_up(&OWNER).await;
    let code = app.reset_code(OWNER.email).await;
    // A right code whose action fails for another reason (a password with the username in
    // it) counts nothing, nor does a guess with no code to compare it with.
    let r = app
        .post(
            "/api/password_reset/confirm",
            &json!({"email": OWNER.email, "code": code, "new_password": "I am hong_gildong!"}),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
    let r = app
        .reset_confirm("nobody@example.com", &code, NEW_PASSWORD)
        .await;
    assert_problem(r, 400, "code_expired").await;
    assert_eq!(code_failures(&app, OWNER.email).await, 0);
    assert_eq!(code_failures(&app, "nobody@example.com").await, 0);
    // One wrong guess uses up this day's (configured) single failure: even the right code waits.
    let r = app
        .reset_confirm(OWNER.email, not_the_code(&code), NEW_PASSWORD)
        .await;
    assert_problem(r, 400, "invalid_code").await;
    let r = app.reset_confirm(OWNER.email, &code, NEW_PASSWORD).await;
    assert_problem(r, 429, "too_many_guesses").await;
}

#[tokio::test]
async fn a_password_reset_is_followed_by_a_notice_in_the_request_language() {
    let app = spawn_app_with(&RESENDS).await;
    app.sign_up(&OWNER).await;
    let token = app.token_for(OWNER.username).await;

    // Korean by default.
    let code = app.reset_code(OWNER.email).await;
    let before = app.mail.mails_to(OWNER.email).len();
    let r = app.reset_confirm(OWNER.email, &code, NEW_PASSWORD).await;
    assert_eq!(r.status(), 204);
    let notice = nth_mail_to(&app, OWNER.email, before + 1).await;
    assert!(
        notice.subject.contains("비밀번호가 변경"),
        "{}",
        notice.subject
    );
    assert!(notice.text.contains("한국 시간"), "{}", notice.text);
    assert!(notice.text.contains("재설정"), "{}", notice.text);
    for part in [&notice.text, &notice.html] {
        assert_eq!(extract_code(part), None, "{part}");
        assert!(!part.contains(&code) && !part.contains(&token), "{part}");
    }

    // English when the reset was requested in English.
    let r = reset_request(&app, OWNER.email, Some("en")).await;
    assert_eq!(r.status(), 202);
    let code = app.mail.code_for(OWNER.email).await;
    let before = app.mail.mails_to(OWNER.email).len();
    let r = app
        .post(
            "/api/password_reset/confirm",
            &json!({"email": OWNER.email, "code": code, "new_password": "yet another passphrase"}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let notice = nth_mail_to(&app, OWNER.email, before + 1).await;
    assert_eq!(notice.subject, "Your password was changed");
    assert!(notice.text.contains("UTC"), "{}", notice.text);
    assert!(notice.text.contains("If it wasn't you"), "{}", notice.text);
    for part in [&notice.text, &notice.html] {
        assert_eq!(extract_code(part), None, "{part}");
        assert!(!part.contains(&code) && !part.contains(&token), "{part}");
    }
    assert_eq!(
        app.login(OWNER.username, "yet another passphrase")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_reset_stands_when_the_notice_cannot_be_sent() {
    let app = spawn_app_with(&RESENDS).await;
    app.sign_up(&OWNER).await;
    let code = app.reset_code(OWNER.email).await;
    app.mail.refuse(true);
    let r = app.reset_confirm(OWNER.email, &code, NEW_PASSWORD).await;
    assert_eq!(r.status(), 204);
    let r = app.login(OWNER.username, NEW_PASSWORD).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert!(body["access_token"].is_string());
}
