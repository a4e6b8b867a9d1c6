use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn a_code_is_mailed_and_never_returned() {
    let app = spawn_app().await;
    let r = app.email_auth(&GILDONG).await;
    assert_eq!(r.status(), 202);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body, json!({"expires_in": 600, "resend_after": 60}));

    let mail = app.mail.last_mail_to(GILDONG.email).await;
    let code = extract_code(&mail.text).expect("code in text part");
    assert!(mail.html.contains(&code), "code in HTML part");
    assert!(
        mail.subject.contains("인증"),
        "Korean by default: {}",
        mail.subject
    );
    assert!(!body.to_string().contains(&code));

    // Only the HMAC is stored.
    let codes = app.collection("verification_codes").await;
    assert_eq!(codes.len(), 1);
    let stored = codes[0].to_string();
    assert!(
        !stored.contains(&code),
        "plain code in the database: {stored}"
    );
    assert_eq!(codes[0].get_binary_generic("tag").unwrap().len(), 32);
}

#[tokio::test]
async fn english_mails_on_request() {
    let app = spawn_app().await;
    let jane = person("jane", "Jane", "jane@example.com");
    let r = app.email_auth_in(&jane, "en").await;
    assert_eq!(r.status(), 202);
    let mail = app.mail.last_mail_to("jane@example.com").await;
    assert_eq!(mail.subject, "Your verification code");
    assert!(extract_code(&mail.text).is_some());
}

#[tokio::test]
async fn every_bad_field_is_listed() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/api/email_auth",
            &json!({"username": "a!", "nickname": "x\u{200B}y", "email": "a@b.c\r\nBcc: v@example.com"}),
        )
        .await;
    let p = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(
        field_codes(&p),
        vec![
            ("username".into(), "invalid_characters".into()),
            ("nickname".into(), "invalid_characters".into()),
            ("email".into(), "invalid_characters".into()),
        ]
    );
    assert_eq!(app.mail.count(), 0, "nothing sent");
    assert!(app.collection("verification_codes").await.is_empty());
}

#[tokio::test]
async fn taken_usernames_and_nicknames_conflict_case_insensitively() {
    let app = spawn_app_with_account(&GILDONG, &[]).await;
    let r = app
        .email_auth(&person("HONG_GILDONG", "다른이", "other@example.com"))
        .await;
    assert_field_problem(r, 409, "username_taken", "username", "username_taken").await;
    let r = app
        .email_auth(&person("someone", " 길동 ", "other@example.com"))
        .await;
    assert_problem(r, 409, "nickname_taken").await;
}

#[tokio::test]
async fn a_registered_email_answers_like_a_new_one_and_gets_a_decoy_instead_of_a_code() {
    // No cooldown, so the code mail sent during sign-up does not turn this request into a 429.
    let app = spawn_app_with_account(&GILDONG, &[NO_COOLDOWN]).await;
    let before = app.mail.mails_to(GILDONG.email).len();

    let taken = app
        .email_auth(&person("newname", "새이름", "GilDong@Example.com"))
        .await;
    let fresh = app
        .email_auth(&person("newname2", "새이름2", "fresh@example.com"))
        .await;
    // Byte for byte: status, every header's value, body.
    assert_indistinguishable(taken, fresh, 202).await;

    // The owner of the address is told an account exists, with no code in it.
    let mails = app.mail.mails_to("GilDong@Example.com");
    assert_eq!(mails.len(), before + 1);
    let notice = mails.last().unwrap();
    assert!(notice.text.contains("이미 가입"), "{}", notice.text);
    assert_eq!(extract_code(&notice.text), None);
    // A decoy stands where its code would be, stored just like the fresh address's real code,
    // so the code step cannot tell them apart either.
    let codes = app.collection("verification_codes").await;
    assert_eq!(codes.len(), 2, "{codes:?}");
    let shape = |d: &mongodb::bson::Document| {
        let ttl = d.get_datetime("expires_at").unwrap().timestamp_millis()
            - d.get_datetime("created_at").unwrap().timestamp_millis();
        (
            d.keys().cloned().collect::<Vec<_>>(),
            d.get_binary_generic("tag").unwrap().len(),
            d.get_i32("attempts").unwrap(),
            ttl,
            d.get_str("locale").unwrap().to_owned(),
        )
    };
    assert_eq!(shape(&codes[0]), shape(&codes[1]));
    let mut ids: Vec<&str> = codes.iter().map(|d| d.get_str("_id").unwrap()).collect();
    ids.sort();
    assert_eq!(ids, ["fresh@example.com", "gildong@example.com"]);

    // A wrong code is answered alike for both, byte for byte, down to the dead code.
    let fresh_code = app.mail.code_for("fresh@example.com").await;
    let wrong = not_the_code(&fresh_code);
    let on_taken = person("newname", "새이름", "GilDong@Example.com");
    let on_fresh = person("newname2", "새이름2", "fresh@example.com");
    for _ in 0..6 {
        let taken = app.register(&on_taken, PASSWORD, wrong).await;
        let fresh = app.register(&on_fresh, PASSWORD, wrong).await;
        assert_eq!(taken.status(), fresh.status());
        assert_eq!(taken.text().await.unwrap(), fresh.text().await.unwrap());
    }
}

#[tokio::test]
async fn resending_within_the_cooldown_is_refused_with_retry_after() {
    let app = spawn_app().await;
    assert_eq!(app.email_auth(&GILDONG).await.status(), 202);
    let r = app.email_auth(&GILDONG).await;
    let retry_after = retry_after(&r);
    assert!((55..=60).contains(&retry_after), "{retry_after}");
    let p = assert_problem(r, 429, "resend_cooldown").await;
    assert_eq!(p.retry_after, Some(retry_after));
    assert_eq!(app.mail.mails_to(GILDONG.email).len(), 1);
}

#[tokio::test]
async fn a_new_code_replaces_the_old_one() {
    let app = spawn_app_with(&[NO_COOLDOWN]).await;
    let first = app.request_code(&GILDONG).await;
    let second = app.request_code(&GILDONG).await;
    assert_eq!(app.collection("verification_codes").await.len(), 1);
    if first != second {
        let r = app.register(&GILDONG, PASSWORD, &first).await;
        assert_problem(r, 400, "invalid_code").await;
    }
    let r = app.register(&GILDONG, PASSWORD, &second).await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn the_hourly_cap_per_address_is_enforced() {
    let app = no_cooldown_with_address_cap("3", &[]).await;
    for _ in 0..3 {
        assert_eq!(app.email_auth(&GILDONG).await.status(), 202);
    }
    let r = app.email_auth(&GILDONG).await;
    let retry_after = retry_after(&r);
    assert!(retry_after > 3500 && retry_after <= 3600, "{retry_after}");
    assert_problem(r, 429, "too_many_codes").await;
    assert_eq!(app.mail.mails_to(GILDONG.email).len(), 3);
}

#[tokio::test]
async fn the_hourly_cap_per_client_ip_is_enforced() {
    let app = spawn_app_with(&[("APP_CODES_PER_IP_PER_HOUR", "2")]).await;
    for i in 0..2 {
        let email = format!("person{i}@example.com");
        let r = app
            .email_auth(&person(&format!("person{i}"), &format!("사람{i}"), &email))
            .await;
        assert_eq!(r.status(), 202);
    }
    let r = app
        .email_auth(&person("person9", "사람9", "person9@example.com"))
        .await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 429, "too_many_codes").await;
    assert!(app.mail.mails_to("person9@example.com").is_empty());
}

#[tokio::test]
async fn when_smtp_refuses_nothing_is_consumed() {
    let app = spawn_app().await;
    app.mail.refuse(true);
    let r = app.email_auth(&GILDONG).await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 503, "mail_unavailable").await;
    assert!(
        app.collection("verification_codes").await.is_empty(),
        "no live code"
    );
    assert!(
        app.collection("throttle_events").await.is_empty(),
        "no cap used"
    );

    // Mail is back: the person retries at once, no cooldown.
    app.mail.refuse(false);
    let code = app.request_code(&GILDONG).await;
    assert_eq!(app.register(&GILDONG, PASSWORD, &code).await.status(), 201);
}

#[tokio::test]
async fn an_address_the_mail_server_refuses_is_a_field_error_and_consumes_nothing() {
    let app = spawn_app().await;
    app.mail.refuse_recipients(true);
    assert_invalid_field(app.email_auth(&GILDONG).await, "email", "invalid_format").await;
    assert!(app.collection("verification_codes").await.is_empty());
    assert!(app.collection("throttle_events").await.is_empty());
    // A corrected address goes through at once: no cooldown was taken.
    app.mail.refuse_recipients(false);
    assert_eq!(app.email_auth(&GILDONG).await.status(), 202);
}

/// A code request answered `503 mail_unavailable` within ten seconds, leaving no code.
async fn mail_unavailable_at_once(app: &TestApp) {
    let started = std::time::Instant::now();
    assert_problem(app.email_auth(&GILDONG).await, 503, "mail_unavailable").await;
    let elapsed = started.elapsed();
    assert!(elapsed < std::time::Duration::from_secs(10), "{elapsed:?}");
    assert!(app.collection("verification_codes").await.is_empty());
}

#[tokio::test]
async fn when_smtp_is_down_the_answer_is_503_at_once() {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port().to_string();
    drop(closed);
    // "At once": a refused connection is an answer, not something to wait out. The timeout is
    // set far above the bound, so waiting for it (or retrying until it) fails the test; the
    // bound still leaves a loaded two-core machine seconds to spare.
    let app = spawn_app_with(&[("APP_SMTP_PORT", &port), ("APP_SMTP_TIMEOUT_SECS", "30")]).await;
    mail_unavailable_at_once(&app).await;
    assert!(app.collection("throttle_events").await.is_empty());
    // The cooldown was not consumed either: a retry is another 503, not a 429.
    assert_problem(app.email_auth(&GILDONG).await, 503, "mail_unavailable").await;
}

#[tokio::test]
async fn a_silent_smtp_server_times_out_into_503() {
    // A test-only fault: accepts connections and never says a word.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let app = spawn_app_with(&[("APP_SMTP_PORT", &port), ("APP_SMTP_TIMEOUT_SECS", "1")]).await;
    mail_unavailable_at_once(&app).await;
    // Nothing consumed: the retry is judged afresh (503 again, not 429).
    assert_problem(app.email_auth(&GILDONG).await, 503, "mail_unavailable").await;
}

#[tokio::test]
async fn concurrent_requests_for_one_address_leave_exactly_one_code() {
    let app = spawn_app().await;
    let responses = futures_util::future::join_all((0..20).map(|_| app.email_auth(&GILDONG))).await;
    let accepted = responses.iter().filter(|r| r.status() == 202).count();
    let throttled = responses.iter().filter(|r| r.status() == 429).count();
    assert_eq!((accepted, throttled), (1, 19));
    assert_eq!(app.mail.mails_to(GILDONG.email).len(), 1);
    assert_eq!(app.collection("verification_codes").await.len(), 1);
}

/// The app with no resend cooldown (so that only the hourly cap limits one address) and at
/// most `max` mails an hour to one address; `more` settings on top.
async fn no_cooldown_with_address_cap(max: &str, more: &[(&str, &str)]) -> TestApp {
    let mut settings = vec![NO_COOLDOWN, ("APP_CODES_PER_EMAIL_PER_HOUR", max)];
    settings.extend_from_slice(more);
    spawn_app_with(&settings).await
}

#[tokio::test]
async fn the_hourly_cap_per_address_slides_with_the_window() {
    let app = no_cooldown_with_address_cap("2", &[]).await;
    assert_eq!(app.email_auth(&GILDONG).await.status(), 202);
    app.clock.advance(std::time::Duration::from_secs(30 * 60));
    assert_eq!(app.email_auth(&GILDONG).await.status(), 202);
    // Full: free when the first mail, 30 minutes old, leaves the hour.
    let r = app.email_auth(&GILDONG).await;
    let wait = retry_after(&r);
    assert!((1795..=1800).contains(&wait), "{wait}");
    assert_problem(r, 429, "too_many_codes").await;
    // A second early it still counts; at Retry-After it does not.
    app.clock.advance(std::time::Duration::from_secs(wait - 1));
    assert_problem(app.email_auth(&GILDONG).await, 429, "too_many_codes").await;
    app.clock.advance(std::time::Duration::from_secs(1));
    assert_eq!(app.email_auth(&GILDONG).await.status(), 202);
    // Full again, now until the second mail leaves, half an hour on.
    let r = app.email_auth(&GILDONG).await;
    let wait = retry_after(&r);
    assert!((1795..=1800).contains(&wait), "{wait}");
    assert_problem(r, 429, "too_many_codes").await;
    assert_eq!(app.mail.mails_to(GILDONG.email).len(), 3);
}

#[tokio::test]
async fn concurrent_requests_never_exceed_the_hourly_cap_per_address() {
    let app = no_cooldown_with_address_cap("3", &[]).await;
    let responses = futures_util::future::join_all((0..20).map(|_| app.email_auth(&GILDONG))).await;
    let accepted = responses.iter().filter(|r| r.status() == 202).count();
    assert!((1..=3).contains(&accepted), "{accepted} of 20 accepted");
    // With no cooldown, a request that read the clock just before another wrote the lock sees
    // that lock in its future and is told to wait: a refusal too, never an extra mail.
    for r in responses.into_iter().filter(|r| r.status() != 202) {
        let p = assert_problem_in(r, 429, &["too_many_codes", "resend_cooldown"]).await;
        assert!(p.retry_after.is_some());
    }
    // One at a time, the cap gives exactly its remaining places.
    let mut more = 0;
    loop {
        let r = app.email_auth(&GILDONG).await;
        if r.status() != 202 {
            assert_problem(r, 429, "too_many_codes").await;
            break;
        }
        more += 1;
    }
    assert_eq!(accepted + more, 3);
    assert_eq!(app.mail.mails_to(GILDONG.email).len(), 3);
}

#[tokio::test]
async fn a_mail_that_is_not_sent_gives_back_its_place_in_the_address_cap() {
    let app =
        no_cooldown_with_address_cap("1", &[("APP_CODES_PER_IP_PER_HOUR", "1"), TRUSTED_PROXY])
            .await;
    let ask = |email: &str| json!({"username": "someone", "nickname": "누군가", "email": email});
    // The mail server refuses: nothing counted, the next try is the address's first.
    app.mail.refuse(true);
    let r = app
        .post_from("198.51.100.1", "/api/email_auth", &ask(GILDONG.email))
        .await;
    assert_problem(r, 503, "mail_unavailable").await;
    app.mail.refuse(false);
    let r = app
        .post_from("198.51.100.2", "/api/email_auth", &ask(GILDONG.email))
        .await;
    assert_eq!(r.status(), 202);
    // The per-IP cap refuses a mail to another address: that address's cap is untouched.
    let r = app
        .post_from("198.51.100.2", "/api/email_auth", &ask(OTHER.email))
        .await;
    assert_problem(r, 429, "too_many_codes").await;
    let r = app
        .post_from("198.51.100.3", "/api/email_auth", &ask(OTHER.email))
        .await;
    assert_eq!(r.status(), 202);
    // And both addresses are now at their cap of one.
    for (ip, email) in [
        ("198.51.100.4", GILDONG.email),
        ("198.51.100.5", OTHER.email),
    ] {
        let r = app.post_from(ip, "/api/email_auth", &ask(email)).await;
        assert_problem(r, 429, "too_many_codes").await;
    }
    assert_eq!(app.mail.mails_to(GILDONG.email).len(), 1);
    assert_eq!(app.mail.mails_to(OTHER.email).len(), 1);
    assert_eq!(app.collection("send_locks").await.len(), 2);
}

#[tokio::test]
async fn a_failed_resend_gives_back_its_place_and_the_cooldown() {
    let app = spawn_app_with(&[("APP_CODES_PER_EMAIL_PER_HOUR", "2")]).await;
    assert_eq!(app.email_auth(&GILDONG).await.status(), 202);
    app.clock.advance(std::time::Duration::from_secs(61));
    // The resend fails at the mail server: no cooldown taken, no place of the two used.
    app.mail.refuse(true);
    assert_problem(app.email_auth(&GILDONG).await, 503, "mail_unavailable").await;
    app.mail.refuse(false);
    assert_eq!(app.email_auth(&GILDONG).await.status(), 202);
    // Now the cooldown holds, and after it the cap: two mails within the hour.
    assert_problem(app.email_auth(&GILDONG).await, 429, "resend_cooldown").await;
    app.clock.advance(std::time::Duration::from_secs(61));
    assert_problem(app.email_auth(&GILDONG).await, 429, "too_many_codes").await;
    assert_eq!(app.mail.mails_to(GILDONG.email).len(), 2);
}

#[tokio::test]
async fn cooldowns_written_before_the_cap_moved_into_them_still_hold_and_expire() {
    use mongodb::bson::{doc, DateTime, Document};
    let db_name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let db = mongodb::Client::with_uri_str(mongodb_uri())
        .await
        .unwrap()
        .database(&db_name);
    let locks = db.collection::<Document>("send_locks");
    // What the previous version left: a TTL on `until`, documents with `until` only.
    locks
        .create_index(
            mongodb::IndexModel::builder()
                .keys(doc! { "until": 1 })
                .options(
                    mongodb::options::IndexOptions::builder()
                        .expire_after(std::time::Duration::ZERO)
                        .name("until_ttl".to_owned())
                        .build(),
                )
                .build(),
        )
        .await
        .unwrap();
    // Long enough to outlast two start-ups on a loaded machine; the wait is judged on the
    // app's clock below, not on a guess of how long they took.
    let until = DateTime::from_millis(DateTime::now().timestamp_millis() + 300_000);
    locks
        .insert_one(doc! { "_id": GILDONG.email, "until": until })
        .await
        .unwrap();

    // Two instances start at once on it, as after a deploy: both migrate.
    let (uri, mail) = (mongodb_uri(), MailServer::start());
    let (app, _other) = tokio::join!(
        spawn_instance(&uri, &db_name, mail.clone(), &[]),
        spawn_instance(&uri, &db_name, mail, &[])
    );
    let names = locks.list_index_names().await.unwrap();
    assert!(!names.contains(&"until_ttl".to_owned()), "{names:?}");
    assert!(names.contains(&"expires_at_ttl".to_owned()), "{names:?}");
    let old = locks
        .find_one(doc! { "_id": GILDONG.email })
        .await
        .unwrap()
        .unwrap();
    assert!(
        *old.get_datetime("expires_at").unwrap() > until,
        "expires after its cooldown: {old:?}"
    );
    // Its cooldown still holds: the answer waits exactly until `until` on the app's clock
    // (rounded up to a second), read before and after the request.
    let seconds_left = |now: i64| (until.timestamp_millis() - now) as f64 / 1000.0;
    let before = app.clock.now_millis();
    let r = app.email_auth(&GILDONG).await;
    let after = app.clock.now_millis();
    let wait = retry_after(&r);
    assert!(
        (seconds_left(after).floor()..=seconds_left(before).ceil()).contains(&(wait as f64)),
        "{wait} s, {} s left",
        seconds_left(after)
    );
    assert_problem(r, 429, "resend_cooldown").await;
    // After it, the address sends and its document counts the mail.
    app.clock.advance(std::time::Duration::from_secs(301));
    assert_eq!(app.email_auth(&GILDONG).await.status(), 202);
    let lock = &app.collection("send_locks").await[0];
    assert_eq!(lock.get_array("sent").unwrap().len(), 1, "{lock:?}");
}
