use backend::auth::{Claims, JwtKeys};
use backend::config::JwtSettings;
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::helpers::*;

const GILDONG: Signup = person("Hong_Gildong", "길동", "gildong@example.com");

fn keys(secret: &str, audience: &str) -> JwtKeys {
    JwtKeys::new(&JwtSettings {
        algorithm: backend::config::JwtAlgorithm::EdDSA,
        private_key: None,
        previous_public_key: None,
        secret: SecretString::from(secret),
        previous_secret: None,
        ttl: std::time::Duration::from_secs(3600),
        issuer: "emailauth".into(),
        audience: audience.into(),
    })
    .unwrap()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn assert_invalid_token(r: reqwest::Response) {
    assert_eq!(
        r.headers()["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );
    assert_problem(r, 401, "invalid_token").await;
}

#[tokio::test]
async fn the_full_journey_shows_who_i_am_and_never_the_code() {
    let app = spawn_app().await;
    let mut seen = String::new();

    let r = app.email_auth(&GILDONG).await;
    seen.push_str(&format!("{:?}", r.headers()));
    seen.push_str(&r.text().await.unwrap());
    let code = app.mail.code_for(GILDONG.email).await;

    let r = app.register(&GILDONG, PASSWORD, &code).await;
    assert_eq!(r.status(), 201);
    seen.push_str(&format!("{:?}", r.headers()));
    seen.push_str(&r.text().await.unwrap());

    let r = app.login(GILDONG.username, PASSWORD).await;
    seen.push_str(&format!("{:?}", r.headers()));
    let login = r.text().await.unwrap();
    seen.push_str(&login);
    let token = serde_json::from_str::<Value>(&login).unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let r = app.nick(&token).await;
    assert_eq!(r.status(), 200);
    seen.push_str(&format!("{:?}", r.headers()));
    let profile: Value = r.json().await.unwrap();
    seen.push_str(&profile.to_string());
    assert_eq!(
        profile,
        json!({"username": "Hong_Gildong", "nickname": "길동", "email": "gildong@example.com"})
    );
    assert!(!seen.contains(&code), "the code appeared in a response");
}

#[tokio::test]
async fn missing_malformed_and_foreign_tokens_are_refused() {
    let app = spawn_app().await;
    let token = app.registered(&GILDONG).await.access;

    assert_invalid_token(app.client.get(app.url("/api/nick")).send().await.unwrap()).await;
    assert_invalid_token(
        app.client
            .get(app.url("/api/nick"))
            .header("authorization", "Basic abc")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_invalid_token(app.nick("not.a.jwt").await).await;

    // Tampered payload, original signature.
    let parts: Vec<&str> = token.split('.').collect();
    let forged_payload = parts[1].replacen(|c: char| c.is_ascii_alphabetic(), "A", 1);
    let tampered = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    assert_ne!(tampered, token);
    assert_invalid_token(app.nick(&tampered).await).await;

    // alg: none, same claims, no signature.
    let header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"; // {"alg":"none","typ":"JWT"}
    assert_invalid_token(app.nick(&format!("{header}.{}.", parts[1])).await).await;

    // Signed with another secret.
    let sub = app.users().await[0].get_object_id("_id").unwrap().to_hex();
    let sid = app.collection("sessions").await[0]
        .get_str("_id")
        .unwrap()
        .to_owned();
    let claims = |exp: u64, aud: &str| Claims {
        sub: sub.clone(),
        iat: now() - 10,
        nbf: now() - 10,
        exp,
        iss: "emailauth".into(),
        aud: aud.into(),
        sid: sid.clone(),
        jti: "0123456789abcdef0123456789abcdef".into(),
    };
    let other = keys("a-completely-different-secret-0123456789", "emailauth-api");
    assert_invalid_token(
        app.nick(&other.sign(&claims(now() + 600, "emailauth-api")).unwrap())
            .await,
    )
    .await;

    // Right key: expired, wrong audience.
    let ours = keys(JWT_SECRET, "emailauth-api");
    assert_eq!(
        app.nick(&ours.sign(&claims(now() + 600, "emailauth-api")).unwrap())
            .await
            .status(),
        200
    );
    assert_invalid_token(
        app.nick(&ours.sign(&claims(now() - 1, "emailauth-api")).unwrap())
            .await,
    )
    .await;
    assert_invalid_token(
        app.nick(&ours.sign(&claims(now() + 600, "someone-else")).unwrap())
            .await,
    )
    .await;
}

#[tokio::test]
async fn a_token_whose_user_is_gone_is_refused() {
    let app = spawn_app().await;
    let token = app.registered(&GILDONG).await.access;
    app.db
        .collection::<mongodb::bson::Document>("users")
        .delete_many(mongodb::bson::doc! {})
        .await
        .unwrap();
    assert_invalid_token(app.nick(&token).await).await;
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let app = spawn_app_with(&[("APP_JWT_TTL_SECS", "60")]).await;
    let token = app.registered(&GILDONG).await.access;
    assert_eq!(app.nick(&token).await.status(), 200);
    // The app's clock is the system's plus an offset, so real time passes too: move it to a
    // second before the token's own `exp`, whatever time the sign-up took (a fixed 59 s
    // advance failed when more than a second of real time had passed since the token).
    let exp = unverified_claims(&token)["exp"]
        .as_i64()
        .expect("exp is a number");
    let advance_to = |at_ms: i64| {
        let by = u64::try_from(at_ms - app.clock.now_millis()).expect("the clock only moves on");
        app.clock.advance(std::time::Duration::from_millis(by));
    };
    advance_to(exp * 1000 - 1000);
    assert_eq!(
        app.nick(&token).await.status(),
        200,
        "a second before expiry"
    );
    advance_to(exp * 1000);
    assert_invalid_token(app.nick(&token).await).await;
}
