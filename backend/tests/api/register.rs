use futures_util::{stream, StreamExt};
use serde_json::{json, Value};

use crate::helpers::*;

const GILDONG: Signup = person("Hong_Gildong", "길동", "gildong@example.com");

#[tokio::test]
async fn registering_with_the_mailed_code_creates_the_account() {
    let app = spawn_app().await;
    let code = app.request_code(&GILDONG).await;
    let r = app.register(&GILDONG, PASSWORD, &code).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({"username": "Hong_Gildong", "nickname": "길동", "email": "gildong@example.com"})
    );
    let users = app.users().await;
    assert_eq!(users.len(), 1);
    let hash = users[0].get_str("password_hash").unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!users[0].to_string().contains(PASSWORD));
    // Single use: the code is gone.
    assert!(app.collection("verification_codes").await.is_empty());
}

#[tokio::test]
async fn a_used_code_fails() {
    let app = spawn_app().await;
    let code = app.request_code(&GILDONG).await;
    assert_eq!(app.register(&GILDONG, PASSWORD, &code).await.status(), 201);
    let again = person("another", "다른사람", GILDONG.email);
    let r = app.register(&again, PASSWORD, &code).await;
    assert_problem(r, 400, "code_expired").await;
}

#[tokio::test]
async fn wrong_codes_count_down_and_the_sixth_try_fails_even_when_right() {
    let app = spawn_app().await;
    let code = app.request_code(&GILDONG).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (0..5).rev() {
        let r = app.register(&GILDONG, PASSWORD, wrong).await;
        let p = assert_problem(r, 400, "invalid_code").await;
        assert_eq!(p.attempts_left, Some(left));
        assert_eq!(
            field_codes(&p),
            vec![("code".into(), "invalid_code".into())]
        );
    }
    let r = app.register(&GILDONG, PASSWORD, &code).await;
    assert_problem(r, 400, "code_expired").await;
    assert!(app.users().await.is_empty());
}

#[tokio::test]
async fn an_expired_code_fails() {
    let app = spawn_app_with(&[("APP_CODE_TTL_SECS", "60")]).await;
    let code = app.request_code(&GILDONG).await;
    app.clock.advance(std::time::Duration::from_secs(60));
    let r = app.register(&GILDONG, PASSWORD, &code).await;
    assert_problem(r, 400, "code_expired").await;
}

#[tokio::test]
async fn a_code_never_sent_fails() {
    let app = spawn_app().await;
    let r = app.register(&GILDONG, PASSWORD, "123456").await;
    assert_problem(r, 400, "code_expired").await;
}

#[tokio::test]
async fn a_code_for_another_address_fails() {
    let app = spawn_app().await;
    let code = app.request_code(&GILDONG).await;
    let other = person("other", "다른", "other@example.com");
    app.request_code(&other).await;
    let thief = Signup {
        email: "other@example.com",
        ..GILDONG
    };
    let r = app.register(&thief, PASSWORD, &code).await;
    let p = assert_problem(r, 400, "invalid_code").await;
    assert_eq!(p.attempts_left, Some(4));
}

#[tokio::test]
async fn field_rules_are_checked_first_and_consume_nothing() {
    let app = spawn_app().await;
    let code = app.request_code(&GILDONG).await;
    let too_long = "가".repeat(129);
    let refused = [
        ("short", "too_short"),
        ("hong_gildong", "weak_password"),
        ("GilDong@Example.com", "weak_password"),
        (too_long.as_str(), "too_long"),
    ];
    app.assert_passwords_refused(&GILDONG, &code, &refused)
        .await;
    // Unicode characters, not bytes: eight Hangul syllables are enough.
    let r = app.register(&GILDONG, "가나다라마바사아", &code).await;
    assert_eq!(r.status(), 201, "no attempt was used up by the 422s");
}

#[tokio::test]
async fn a_taken_email_conflicts_at_register() {
    let app = spawn_app_with(&[NO_COOLDOWN]).await;
    // Two people request codes for one address before either registers.
    let first = person("first", "첫째", "shared@example.com");
    let second = person("second", "둘째", "Shared@Example.com");
    let code = app.request_code(&first).await;
    assert_eq!(app.register(&first, PASSWORD, &code).await.status(), 201);
    let code = {
        // The address is now registered: a new request gets the account-exists mail, no code.
        assert_eq!(app.email_auth(&second).await.status(), 202);
        code
    };
    // A decoy stands where a new code would be: the used code is just a wrong one, as it would
    // be for an address without an account.
    let r = app.register(&second, PASSWORD, &code).await;
    let p = assert_problem(r, 400, "invalid_code").await;
    assert_eq!(p.attempts_left, Some(4));
    assert_eq!(app.users().await.len(), 1);
}

#[tokio::test]
async fn a_conflict_gives_the_attempt_back() {
    let app = spawn_app_with_account(&GILDONG, &[]).await;
    let late = person("late", "늦은이", "late@example.com");
    let code = app.request_code(&late).await;
    let clash = Signup {
        username: "HONG_GILDONG",
        ..late
    };
    for _ in 0..6 {
        let r = app.register(&clash, PASSWORD, &code).await;
        assert_problem(r, 409, "username_taken").await;
    }
    let nick_clash = Signup {
        nickname: "길동",
        ..late
    };
    let r = app.register(&nick_clash, PASSWORD, &code).await;
    assert_problem(r, 409, "nickname_taken").await;
    assert_eq!(app.register(&late, PASSWORD, &code).await.status(), 201);
}

#[tokio::test]
async fn two_hundred_concurrent_registrations_of_one_username_create_one_account() {
    // A queue for all 200 hashes at once: this is about uniqueness, not about shedding load
    // (tests/api/hash_queue.rs), which the default queue of 64 would start doing.
    let app = spawn_app_with(&[("APP_HASH_CONCURRENCY", "2"), ("APP_HASH_QUEUE", "256")]).await;
    let people: Vec<(String, String)> = (0..200)
        .map(|i| (format!("p{i}@example.com"), format!("사람{i}")))
        .collect();
    // Everyone gets a real code first (16 at a time).
    let codes: Vec<String> = stream::iter(people.iter())
        .map(|(email, nickname)| {
            let app = &app;
            async move {
                app.request_code(&Signup {
                    username: "contested",
                    nickname,
                    email,
                })
                .await
            }
        })
        .buffered(16)
        .collect()
        .await;
    let statuses: Vec<u16> = futures_util::future::join_all(people.iter().zip(&codes).map(
        |((email, nickname), code)| {
            let app = &app;
            async move {
                let s = Signup {
                    username: "contested",
                    nickname,
                    email,
                };
                app.register(&s, PASSWORD, code).await.status().as_u16()
            }
        },
    ))
    .await;
    let created = statuses.iter().filter(|&&s| s == 201).count();
    let conflicts = statuses.iter().filter(|&&s| s == 409).count();
    assert_eq!((created, conflicts), (1, 199), "{statuses:?}");
    assert_eq!(app.users().await.len(), 1);
}

#[tokio::test]
async fn a_hundred_concurrent_wrong_guesses_evaluate_at_most_five() {
    // The per-code attempts are the subject here; the daily cap per address has its own tests.
    let app = spawn_app_with(&[("APP_CODE_MAX_FAILURES_PER_DAY", "1000")]).await;
    let code = app.request_code(&GILDONG).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let statuses: Vec<(u16, Option<u32>)> =
        futures_util::future::join_all((0..100).map(|_| async {
            let r = app.register(&GILDONG, PASSWORD, wrong).await;
            let status = r.status().as_u16();
            let p: shared::Problem = r.json().await.unwrap();
            (status, p.attempts_left)
        }))
        .await;
    let evaluated = statuses.iter().filter(|(_, left)| left.is_some()).count();
    assert_eq!(evaluated, 5, "{statuses:?}");
    assert!(statuses.iter().all(|(s, _)| *s == 400));
    // The code is dead, even the right one.
    assert_problem(
        app.register(&GILDONG, PASSWORD, &code).await,
        400,
        "code_expired",
    )
    .await;
}

/// What a committed-but-unacknowledged insert leaves behind: the account exists, the code is
/// still live (the 503 consumed nothing), and the person retries the same registration.
#[tokio::test]
async fn a_retry_of_a_registration_that_was_committed_gets_its_201() {
    let app = spawn_app().await;
    let code = app.request_code(&GILDONG).await;
    let hasher = backend::auth::PasswordHasher::new(1).unwrap();
    let hash = hasher
        .hash(&backend::domain::Password::for_login(PASSWORD.into()).unwrap())
        .await
        .unwrap();
    app.db
        .collection::<mongodb::bson::Document>("users")
        .insert_one(mongodb::bson::doc! {
            "username": GILDONG.username, "username_key": "hong_gildong",
            "nickname": GILDONG.nickname,
            "nickname_key": backend::domain::nickname_key(GILDONG.nickname),
            "nickname_key_v": backend::domain::NICKNAME_KEY_VERSION,
            "email": GILDONG.email, "email_key": GILDONG.email,
            "password_hash": hash, "created_at": mongodb::bson::DateTime::now(), "token_version": 0_i64,
        })
        .await
        .unwrap();
    // Someone else with the same names but another password is still refused…
    let r = app
        .register(&GILDONG, "another long passphrase", &code)
        .await;
    assert_eq!(r.status(), 409);
    let p: shared::Problem = r.json().await.unwrap();
    assert!(
        ["username_taken", "nickname_taken", "email_taken"].contains(&p.code.as_str()),
        "{p:?}"
    );
    // …while the same registration is recognised and answered as created, once.
    assert_eq!(app.register(&GILDONG, PASSWORD, &code).await.status(), 201);
    assert_eq!(app.users().await.len(), 1);
    assert!(
        app.collection("verification_codes").await.is_empty(),
        "the code is used up"
    );
}
