//! What other services rely on: the JWKS verifies our tokens with any JOSE implementation,
//! key rotation keeps old tokens valid until they expire, and introspection (RFC 7662).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde_json::{json, Value};

use crate::helpers::*;

const GILDONG: Signup = person("Hong_Gildong", "길동", "gildong@example.com");

/// RFC 8037's example Ed25519 key as a PKCS#8 PEM (one line, `\n` escaped, as in a `.env`).
const PEM: &str = "-----BEGIN PRIVATE KEY-----\\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\\n-----END PRIVATE KEY-----";

const INTROSPECTION_SECRET: &str = "introspection-secret-0123456789abcdefghij";

async fn jwks(app: &TestApp) -> (Option<String>, Value) {
    let r = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cache = r
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_owned());
    (cache, r.json().await.unwrap())
}

/// Verifies `token` the way another service would, with ed25519-dalek (not our verifier and
/// not `jsonwebtoken`): the key is picked from the JWKS by `kid`, its `x` decoded by hand.
fn verify_with_jwks(token: &str, jwks: &Value) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "EdDSA");
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .unwrap_or_else(|| panic!("no key {} in {jwks}", header["kid"]));
    assert_eq!(
        (key["kty"].as_str(), key["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    let x: [u8; 32] = URL_SAFE_NO_PAD
        .decode(key["x"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let public = ed25519_dalek::VerifyingKey::from_bytes(&x).unwrap();
    let signature: [u8; 64] = URL_SAFE_NO_PAD
        .decode(parts[2])
        .unwrap()
        .try_into()
        .unwrap();
    public
        .verify_strict(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &ed25519_dalek::Signature::from_bytes(&signature),
        )
        .expect("signature verifies against the published key");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap()
}

#[tokio::test]
async fn an_access_token_verifies_against_the_jwks_with_another_library() {
    let app = spawn_app().await;
    let token = app.registered(&GILDONG).await.access;
    let (cache, keys) = jwks(&app).await;
    assert_eq!(cache.as_deref(), Some("public, max-age=300"));
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1);
    let claims = verify_with_jwks(&token, &keys);
    assert_eq!(claims["iss"], "emailauth");
    assert_eq!(claims["aud"], "emailauth-api");
    assert_eq!(
        claims["sub"].as_str().unwrap(),
        app.users().await[0].get_object_id("_id").unwrap().to_hex()
    );
    // A tampered payload does not verify with the other library either.
    let parts: Vec<&str> = token.split('.').collect();
    let forged = json!({"sub": "someone-else", "exp": 9_999_999_999u64});
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(forged.to_string()),
        parts[2]
    );
    assert!(std::panic::catch_unwind(|| verify_with_jwks(&forged, &keys)).is_err());

    // HS256 publishes nothing: its secret is not a public key.
    let hs = spawn_app_with(&[("APP_JWT_ALGORITHM", "HS256")]).await;
    assert_eq!(jwks(&hs).await.1, json!({"keys": []}));
    let token = hs.registered(&GILDONG).await.access;
    assert_eq!(hs.nick(&token).await.status(), 200);
}

#[tokio::test]
async fn after_a_rotation_the_previous_key_verifies_until_it_is_dropped() {
    let before = spawn_app().await;
    let old_token = before.registered(&GILDONG).await.access;
    let old_keys = jwks(&before).await.1;

    // The next deployment: a new private key, the old public key kept as previous.
    let previous =
        backend::auth::Ed25519Key::derived_from(&secrecy::SecretString::from(JWT_SECRET))
            .public_pem();
    let rotated = before
        .second_instance(&[
            ("APP_JWT_PRIVATE_KEY", PEM),
            ("APP_JWT_PREVIOUS_PUBLIC_KEY", &previous),
        ])
        .await;
    let keys = jwks(&rotated).await.1;
    let published = keys["keys"].as_array().unwrap();
    assert_eq!(published.len(), 2, "{keys}");
    assert_eq!(
        published[1], old_keys["keys"][0],
        "the previous key is still published"
    );
    assert_eq!(
        rotated.nick(&old_token).await.status(),
        200,
        "old token still verifies"
    );
    verify_with_jwks(&old_token, &keys);
    let new_token = rotated.token_for(GILDONG.username).await;
    verify_with_jwks(&new_token, &keys);
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(published[0]["x"].as_str().unwrap())
            .unwrap(),
        URL_SAFE_NO_PAD
            .decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
            .unwrap(),
        "signed with the configured key"
    );
    assert_eq!(
        before.nick(&new_token).await.status(),
        401,
        "not the old key"
    );

    // Once the old tokens have expired the previous key goes; a token of it is refused.
    let dropped = before
        .second_instance(&[("APP_JWT_PRIVATE_KEY", PEM)])
        .await;
    assert_eq!(jwks(&dropped).await.1["keys"].as_array().unwrap().len(), 1);
    assert_problem(dropped.nick(&old_token).await, 401, "invalid_token").await;
    assert_eq!(dropped.nick(&new_token).await.status(), 200);
}

async fn introspect(
    app: &TestApp,
    secret: Option<&str>,
    form: Option<&str>,
    json: Option<Value>,
) -> reqwest::Response {
    let mut request = app.client.post(app.url("/api/token/introspect"));
    if let Some(secret) = secret {
        request = request.bearer_auth(secret);
    }
    if let Some(form) = form {
        request = request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_owned());
    }
    if let Some(json) = json {
        request = request.json(&json);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn introspection_is_absent_unless_configured() {
    let app = spawn_app().await;
    let r = introspect(&app, Some(INTROSPECTION_SECRET), Some("token=x"), None).await;
    assert_problem(r, 404, "not_found").await;
}

#[tokio::test]
async fn introspection_bodies_are_held_to_the_common_size_limit() {
    let app = spawn_app_with(&[("APP_INTROSPECTION_SECRET", INTROSPECTION_SECRET)]).await;
    let big = format!("token={}", "a".repeat(20_000));
    let r = introspect(&app, Some(INTROSPECTION_SECRET), Some(&big), None).await;
    assert_problem(r, 413, "payload_too_large").await;
}

#[tokio::test]
async fn introspection_answers_active_with_claims_or_exactly_inactive() {
    let app = spawn_app_with(&[
        ("APP_INTROSPECTION_SECRET", INTROSPECTION_SECRET),
        ("APP_JWT_TTL_SECS", "60"),
    ])
    .await;
    let (token, _) = app.registered(&GILDONG).await.tokens();

    // The client must prove the shared secret.
    for wrong in [None, Some("wrong"), Some(&INTROSPECTION_SECRET[1..])] {
        let r = introspect(&app, wrong, Some(&format!("token={token}")), None).await;
        assert_problem(r, 401, "invalid_token").await;
    }

    let r = introspect(
        &app,
        Some(INTROSPECTION_SECRET),
        Some(&format!("token={token}")),
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["active"], true);
    assert_eq!(body["username"], "Hong_Gildong");
    assert_eq!(body["token_type"], "Bearer");
    let sid = app.collection("sessions").await[0]
        .get_str("_id")
        .unwrap()
        .to_owned();
    assert_eq!(body["sid"], sid.as_str());
    assert_eq!(
        body["exp"].as_u64().unwrap() - body["iat"].as_u64().unwrap(),
        60
    );
    let json_body: Value = introspect(
        &app,
        Some(INTROSPECTION_SECRET),
        None,
        Some(json!({"token": token})),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(json_body["active"], true);
    assert_eq!(json_body["sub"], body["sub"]);

    let inactive = |t: String| {
        let app = &app;
        async move {
            let r = introspect(
                app,
                Some(INTROSPECTION_SECRET),
                None,
                Some(json!({"token": t})),
            )
            .await;
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    // Garbage, and a token of another issuer's key.
    assert_eq!(inactive("garbage".into()).await, json!({"active": false}));
    let other =
        spawn_app_with(&[("APP_JWT_SECRET", "another-jwt-secret-0123456789abcdef0123")]).await;
    let foreign = other.registered(&GILDONG).await.access;
    assert_eq!(inactive(foreign).await, json!({"active": false}));

    // A session ended by logout: inactive at once, long before the token's expiry.
    let (second, _) = app.session_for(GILDONG.username).await;
    let r = app
        .client
        .post(app.url("/api/logout"))
        .bearer_auth(&second)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(inactive(second).await, json!({"active": false}));

    // Expired.
    app.clock.advance(std::time::Duration::from_secs(60));
    assert_eq!(inactive(token).await, json!({"active": false}));
}
