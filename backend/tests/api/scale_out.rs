//! Two stateless instances on one database: every decision-making piece of state is shared.

use futures_util::future::join_all;

use crate::helpers::*;

#[tokio::test]
async fn a_code_requested_on_one_instance_is_accepted_on_the_other() {
    let (a, b) = spawn_pair(&[]).await;
    assert_ne!(a.address, b.address);
    let code = a.request_code(&GILDONG).await;
    assert_eq!(b.register(&GILDONG, PASSWORD, &code).await.status(), 201);
    // A token issued by B works on A.
    let r = b.login(GILDONG.username, PASSWORD).await;
    let token = access_of(&r.json().await.unwrap());
    assert_eq!(a.nick(&token).await.status(), 200);
}

#[tokio::test]
async fn wrong_guesses_share_one_counter_and_the_cooldown_is_shared() {
    let (a, b) = spawn_pair(&[]).await;
    let code = a.request_code(&GILDONG).await;
    assert_problem(b.email_auth(&GILDONG).await, 429, "resend_cooldown").await;
    let wrong = not_the_code(&code);
    let mut left = Vec::new();
    for i in 0..5 {
        let app = if i % 2 == 0 { &a } else { &b };
        let r = app.register(&GILDONG, PASSWORD, wrong).await;
        let p = assert_problem(r, 400, "invalid_code").await;
        left.push(p.attempts_left.unwrap());
    }
    assert_eq!(left, vec![4, 3, 2, 1, 0]);
    let r = b.register(&GILDONG, PASSWORD, &code).await;
    assert_problem(r, 400, "code_expired").await;
}

#[tokio::test]
async fn fifty_concurrent_registrations_across_instances_make_one_account() {
    let (a, b) = spawn_pair(&[]).await;
    let people: Vec<(String, String)> = (0..50)
        .map(|i| (format!("q{i}@example.com"), format!("큐{i}")))
        .collect();
    let mut codes = Vec::new();
    for (email, nickname) in &people {
        codes.push(
            a.request_code(&Signup {
                username: "contested",
                nickname,
                email,
            })
            .await,
        );
    }
    let statuses: Vec<u16> = join_all(people.iter().zip(&codes).enumerate().map(
        |(i, ((email, nickname), code))| {
            let app = if i % 2 == 0 { &a } else { &b };
            async move {
                let contender = person("contested", nickname, email);
                app.register(&contender, PASSWORD, code)
                    .await
                    .status()
                    .as_u16()
            }
        },
    ))
    .await;
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 409).count(),
        49,
        "{statuses:?}"
    );
    assert_eq!(a.users().await.len(), 1);
}

#[tokio::test]
async fn logging_out_everywhere_on_one_instance_is_honoured_by_the_other_at_once() {
    let (a, b) = spawn_pair(&[]).await;
    a.sign_up(&GILDONG).await;
    let token = b.token_for(GILDONG.username).await;
    assert_eq!(a.nick(&token).await.status(), 200);
    assert_eq!(b.nick(&token).await.status(), 200);
    let r = a.logout_all(&token).await;
    assert_eq!(r.status(), 204);
    // B's next request once the change has reached it (B's change stream has brought back a
    // heartbeat written after the change) is refused.
    b.caught_up().await;
    assert_problem(b.nick(&token).await, 401, "invalid_token").await;
}

#[tokio::test]
async fn a_token_logged_out_on_one_instance_is_refused_by_the_other_at_once() {
    let (a, b) = spawn_pair(&[]).await;
    let phone = a.registered_person().await.access;
    let laptop = b.token_for(GILDONG.username).await;
    assert_eq!(b.nick(&phone).await.status(), 200);
    let r = a.logout(&phone).await;
    assert_eq!(r.status(), 204);
    // B's next request once the change has reached it is refused; the other session goes on.
    b.caught_up().await;
    assert_problem(b.nick(&phone).await, 401, "invalid_token").await;
    assert_eq!(b.nick(&laptop).await.status(), 200);
    assert_eq!(a.nick(&laptop).await.status(), 200);
}

#[tokio::test]
async fn a_refresh_rotated_on_one_instance_is_caught_as_reused_on_the_other() {
    let (a, b) = spawn_pair(&[]).await;
    a.sign_up(&GILDONG).await;
    let (_, first) = a.session_for(GILDONG.username).await;
    let access = access_of(&ok_json(a.refresh(&first).await).await);
    assert_eq!(b.nick(&access).await.status(), 200);
    // Past B's grace period, the spent token presented to B ends the session on both.
    b.clock.advance(std::time::Duration::from_secs(11));
    assert_problem(b.refresh(&first).await, 401, "invalid_token").await;
    a.caught_up().await;
    assert_problem(a.nick(&access).await, 401, "invalid_token").await;
    assert_problem(b.nick(&access).await, 401, "invalid_token").await;
}

#[tokio::test]
async fn a_session_ended_on_one_instance_is_refused_by_the_other_at_once() {
    let (a, b) = spawn_pair(&[]).await;
    let (phone, phone_refresh) = a.registered_person().await.tokens();
    let laptop = b.token_for(GILDONG.username).await;
    let r = a.end_session(&laptop, &sid_of(&phone)).await;
    assert_eq!(r.status(), 204);
    b.caught_up().await;
    assert_problem(b.nick(&phone).await, 401, "invalid_token").await;
    assert_problem(b.refresh(&phone_refresh).await, 401, "invalid_token").await;
}

#[tokio::test]
async fn the_hourly_cap_per_address_holds_across_instances() {
    let (a, b) = spawn_pair(&[NO_COOLDOWN, ("APP_CODES_PER_EMAIL_PER_HOUR", "3")]).await;
    // Forty requests for one address, half through each instance, all at once.
    let answers = join_all((0..40).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        app.email_auth(&GILDONG)
    }))
    .await;
    let accepted = answers.iter().filter(|r| r.status() == 202).count();
    assert!((1..=3).contains(&accepted), "{accepted} of 40 accepted");
    assert!(answers
        .iter()
        .all(|r| r.status() == 202 || r.status() == 429));
    // Whatever the race left, the next requests on either instance fill the cap and no more.
    let mut more = 0;
    for i in 0..10 {
        let app = if i % 2 == 0 { &b } else { &a };
        if app.email_auth(&GILDONG).await.status() == 202 {
            more += 1;
        }
    }
    assert_eq!(accepted + more, 3);
    assert_eq!(a.mail.mails_to(GILDONG.email).len(), 3);
}
