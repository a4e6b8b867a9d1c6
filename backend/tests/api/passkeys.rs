//! Passkeys against the real app: a software authenticator (ES256 key, `none` attestation,
//! a discoverable credential with the account's user handle) answers the options the server
//! gives, and sends `PublicKeyCredential.toJSON()`-shaped JSON as a browser does.

use std::time::Duration;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
use mongodb::bson::doc;
use openssl::{
    bn::{BigNum, BigNumContext},
    ec::{EcGroup, EcKey},
    hash::MessageDigest,
    nid::Nid,
    pkey::{PKey, Private},
    sign::Signer,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::*;

/// The origin the app's relying party expects by default (`APP_WEBAUTHN_RP_ORIGIN`).
pub(crate) const ORIGIN: &str = "http://localhost:8080";

/// A platform authenticator holding one discoverable credential.
pub(crate) struct SoftPasskey {
    key: EcKey<Private>,
    credential_id: Vec<u8>,
    /// The user handle the registration options carried (what a discoverable login returns).
    user_handle: Vec<u8>,
    counter: u32,
}

fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

/// CBOR head of major type `major` with argument `n` (what this authenticator needs of it).
fn cbor_head(major: u8, n: usize) -> Vec<u8> {
    let m = major << 5;
    match n {
        0..=23 => vec![m | n as u8],
        24..=255 => vec![m | 24, n as u8],
        _ => vec![m | 25, (n >> 8) as u8, n as u8],
    }
}

fn cbor_text(s: &str) -> Vec<u8> {
    let mut out = cbor_head(3, s.len());
    out.extend_from_slice(s.as_bytes());
    out
}

fn cbor_bytes(b: &[u8]) -> Vec<u8> {
    let mut out = cbor_head(2, b.len());
    out.extend_from_slice(b);
    out
}

impl SoftPasskey {
    pub(crate) fn new() -> Self {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let mut credential_id = vec![0u8; 32];
        openssl::rand::rand_bytes(&mut credential_id).unwrap();
        Self {
            key: EcKey::generate(&group).unwrap(),
            credential_id,
            user_handle: Vec::new(),
            counter: 0,
        }
    }

    /// The public key as a COSE_Key (EC2, ES256, P-256).
    fn cose_key(&self) -> Vec<u8> {
        let group = self.key.group();
        let (mut x, mut y) = (BigNum::new().unwrap(), BigNum::new().unwrap());
        let mut ctx = BigNumContext::new().unwrap();
        self.key
            .public_key()
            .affine_coordinates(group, &mut x, &mut y, &mut ctx)
            .unwrap();
        let mut out = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        out.extend(cbor_bytes(&x.to_vec_padded(32).unwrap()));
        out.push(0x22);
        out.extend(cbor_bytes(&y.to_vec_padded(32).unwrap()));
        out
    }

    fn client_data(kind: &str, options: &Value, origin: &str) -> Vec<u8> {
        let challenge = options["publicKey"]["challenge"]
            .as_str()
            .expect("challenge");
        json!({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    /// `navigator.credentials.create()` answered, as `toJSON()` gives it.
    pub(crate) fn register(&mut self, options: &Value, origin: &str) -> Value {
        let public_key = &options["publicKey"];
        let rp_id = public_key["rp"]["id"].as_str().expect("rp.id");
        self.user_handle = B64
            .decode(public_key["user"]["id"].as_str().expect("user.id"))
            .expect("user.id is base64url");
        let client_data = Self::client_data("webauthn.create", options, origin);
        // Flags: user present, user verified, attested credential data.
        let mut auth_data = sha256(rp_id.as_bytes());
        auth_data.push(0x45);
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        auth_data.extend_from_slice(&[0u8; 16]);
        auth_data.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend(self.cose_key());
        let mut attestation = vec![0xa3];
        attestation.extend(cbor_text("fmt"));
        attestation.extend(cbor_text("none"));
        attestation.extend(cbor_text("attStmt"));
        attestation.push(0xa0);
        attestation.extend(cbor_text("authData"));
        attestation.extend(cbor_bytes(&auth_data));
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {"credProps": {"rk": true}},
            "response": {
                "clientDataJSON": b64(&client_data),
                "attestationObject": b64(&attestation),
                "authenticatorData": b64(&auth_data),
                "publicKeyAlgorithm": -7,
                "transports": ["internal", "hybrid"],
            },
        })
    }

    /// `navigator.credentials.get()` answered with the next signature counter.
    pub(crate) fn assert(&mut self, options: &Value, origin: &str) -> Value {
        self.counter += 1;
        self.assert_with_counter(options, origin, self.counter)
    }

    /// An assertion carrying `counter` whatever this authenticator counted (a clone's).
    pub(crate) fn assert_with_counter(&self, options: &Value, origin: &str, counter: u32) -> Value {
        let rp_id = options["publicKey"]["rpId"].as_str().expect("rpId");
        let client_data = Self::client_data("webauthn.get", options, origin);
        let mut auth_data = sha256(rp_id.as_bytes());
        auth_data.push(0x05); // user present, user verified
        auth_data.extend_from_slice(&counter.to_be_bytes());
        let pkey = PKey::from_ec_key(self.key.clone()).unwrap();
        let mut signer = Signer::new(MessageDigest::sha256(), &pkey).unwrap();
        signer.update(&auth_data).unwrap();
        signer.update(&sha256(&client_data)).unwrap();
        let signature = signer.sign_to_vec().unwrap();
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64(&client_data),
                "authenticatorData": b64(&auth_data),
                "signature": b64(&signature),
                "userHandle": b64(&self.user_handle),
            },
        })
    }
}

impl TestApp {
    pub(crate) async fn bearer_post(
        &self,
        token: &str,
        path: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub(crate) async fn passkeys(&self, token: &str) -> Vec<Value> {
        let r = self
            .client
            .get(self.url("/api/passkeys"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        body["passkeys"].as_array().unwrap().clone()
    }

    /// Deletes passkey `id`, stepping up with the password.
    pub(crate) async fn delete_passkey(&self, token: &str, id: &str) -> reqwest::Response {
        self.client
            .delete(self.url(&format!("/api/passkeys/{id}")))
            .bearer_auth(token)
            .json(&json!({ "password": PASSWORD }))
            .send()
            .await
            .unwrap()
    }

    /// `(challenge_id, options)` of a registration start, stepping up with the password.
    pub(crate) async fn register_start(&self, token: &str) -> (String, Value) {
        self.register_start_with(token, json!({ "password": PASSWORD }))
            .await
    }

    /// `(challenge_id, options)` of a registration start with this step-up proof.
    pub(crate) async fn register_start_with(&self, token: &str, proof: Value) -> (String, Value) {
        let r = self
            .bearer_post(token, "/api/passkeys/register/start", &proof)
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let body: Value = r.json().await.unwrap();
        (
            body["challenge_id"].as_str().unwrap().to_owned(),
            body["options"].clone(),
        )
    }

    pub(crate) async fn register_finish(
        &self,
        token: &str,
        challenge_id: &str,
        name: &str,
        credential: &Value,
    ) -> reqwest::Response {
        self.bearer_post(
            token,
            "/api/passkeys/register/finish",
            &json!({"challenge_id": challenge_id, "name": name, "credential": credential}),
        )
        .await
    }

    /// Registers `key` for the account of `token` under `name`; its `PasskeyInfo`.
    pub(crate) async fn add_passkey(
        &self,
        token: &str,
        key: &mut SoftPasskey,
        name: &str,
    ) -> Value {
        self.add_passkey_with(token, key, name, json!({ "password": PASSWORD }))
            .await
    }

    /// [`Self::add_passkey`] with this step-up proof.
    pub(crate) async fn add_passkey_with(
        &self,
        token: &str,
        key: &mut SoftPasskey,
        name: &str,
        proof: Value,
    ) -> Value {
        let (id, options) = self.register_start_with(token, proof).await;
        let credential = key.register(&options, ORIGIN);
        let r = self.register_finish(token, &id, name, &credential).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    pub(crate) async fn login_start(&self) -> (String, Value) {
        let r = self.post("/api/passkeys/login/start", &json!({})).await;
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        (
            body["challenge_id"].as_str().unwrap().to_owned(),
            body["options"].clone(),
        )
    }

    pub(crate) async fn login_finish(
        &self,
        challenge_id: &str,
        credential: &Value,
    ) -> reqwest::Response {
        self.post(
            "/api/passkeys/login/finish",
            &json!({"challenge_id": challenge_id, "credential": credential}),
        )
        .await
    }

    /// A whole passkey login with the authenticator's next counter.
    pub(crate) async fn passkey_login(&self, key: &mut SoftPasskey) -> reqwest::Response {
        let (id, options) = self.login_start().await;
        let credential = key.assert(&options, ORIGIN);
        self.login_finish(&id, &credential).await
    }
}

/// Gildong signed up and signed in: the app and his access token.
async fn signed_in() -> (TestApp, String) {
    let app = spawn_app().await;
    app.sign_up(&GILDONG).await;
    let token = app.token_for(GILDONG.username).await;
    (app, token)
}

#[tokio::test]
async fn a_passkey_is_registered_listed_and_deleted_by_its_owner_only() {
    let (app, token) = signed_in().await;
    let (id, options) = app.register_start(&token).await;
    // A discoverable credential with user verification, for this relying party, named by a
    // random handle (not the username).
    let public_key = &options["publicKey"];
    assert_eq!(public_key["rp"]["id"], "localhost");
    assert_eq!(public_key["timeout"], 300_000, "the challenge's lifetime");
    assert_eq!(
        public_key["authenticatorSelection"]["residentKey"],
        "required"
    );
    assert_eq!(
        public_key["authenticatorSelection"]["requireResidentKey"],
        true
    );
    assert_eq!(
        public_key["authenticatorSelection"]["userVerification"],
        "required"
    );
    assert_eq!(public_key["user"]["name"], GILDONG.username);
    let handle = B64
        .decode(public_key["user"]["id"].as_str().unwrap())
        .unwrap();
    assert_eq!(handle.len(), 16, "a UUID");
    assert_ne!(handle, GILDONG.username.as_bytes());

    let mut key = SoftPasskey::new();
    let credential = key.register(&options, ORIGIN);
    let r = app
        .register_finish(&token, &id, "  내 노트북 ", &credential)
        .await;
    assert_eq!(r.status(), 201);
    let info: Value = r.json().await.unwrap();
    assert_eq!(info["name"], "내 노트북");
    assert!(info["created_at"].as_i64().unwrap() > 0);
    assert!(info.get("last_used_at").is_none());

    let list = app.passkeys(&token).await;
    assert_eq!(list, vec![info.clone()]);
    // The next registration excludes it, and keeps the same user handle.
    let (_, options) = app.register_start(&token).await;
    assert_eq!(
        options["publicKey"]["excludeCredentials"][0]["id"],
        b64(&key.credential_id)
    );
    assert_eq!(
        B64.decode(options["publicKey"]["user"]["id"].as_str().unwrap())
            .unwrap(),
        handle
    );

    // Another account can neither see nor delete it.
    app.sign_up(&OTHER).await;
    let other = app.token_for(OTHER.username).await;
    assert!(app.passkeys(&other).await.is_empty());
    let id = info["id"].as_str().unwrap();
    assert_problem(app.delete_passkey(&other, id).await, 404, "not_found").await;
    assert_problem(
        app.delete_passkey(&token, "not-an-id").await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(app.passkeys(&token).await.len(), 1);

    assert_eq!(app.delete_passkey(&token, id).await.status(), 204);
    assert!(app.passkeys(&token).await.is_empty());
    assert_problem(app.delete_passkey(&token, id).await, 404, "not_found").await;
    // Without a token: nothing.
    assert_eq!(app.get("/api/passkeys").await.status(), 401);
}

#[tokio::test]
async fn a_registration_is_verified_named_and_unique() {
    let (app, token) = signed_in().await;
    let mut key = SoftPasskey::new();
    // From another origin: rejected.
    let (id, options) = app.register_start(&token).await;
    let credential = key.register(&options, "http://evil.example:8080");
    let r = app.register_finish(&token, &id, "key", &credential).await;
    assert_problem(r, 400, "passkey_rejected").await;
    // An answer to another challenge: rejected.
    let (_, other_options) = app.register_start(&token).await;
    let (id, _) = app.register_start(&token).await;
    let credential = key.register(&other_options, ORIGIN);
    let r = app.register_finish(&token, &id, "key", &credential).await;
    assert_problem(r, 400, "passkey_rejected").await;
    // Not a credential at all.
    let (id, _) = app.register_start(&token).await;
    let r = app
        .register_finish(&token, &id, "key", &json!({"id": "x"}))
        .await;
    assert_problem(r, 400, "passkey_rejected").await;
    // A bad name is refused before the challenge is spent.
    let (id, options) = app.register_start(&token).await;
    let credential = key.register(&options, ORIGIN);
    for name in ["", "   ", &"a".repeat(65)] {
        let r = app.register_finish(&token, &id, name, &credential).await;
        assert_problem(r, 422, "validation_failed").await;
    }
    let r = app.register_finish(&token, &id, "key", &credential).await;
    assert_eq!(r.status(), 201);

    // The same credential again (the exclusion list is only advice to the browser), for
    // this account or another: taken.
    let (id, options) = app.register_start(&token).await;
    let credential = key.register(&options, ORIGIN);
    let r = app.register_finish(&token, &id, "again", &credential).await;
    assert_problem(r, 409, "passkey_taken").await;
    app.sign_up(&OTHER).await;
    let other = app.token_for(OTHER.username).await;
    let (id, options) = app.register_start(&other).await;
    let credential = key.register(&options, ORIGIN);
    let r = app.register_finish(&other, &id, "mine", &credential).await;
    assert_problem(r, 409, "passkey_taken").await;
    assert_eq!(app.passkeys(&token).await.len(), 1);
}

#[tokio::test]
async fn a_challenge_is_used_once_and_by_its_own_account() {
    let (app, token) = signed_in().await;
    let mut key = SoftPasskey::new();
    let (id, options) = app.register_start(&token).await;
    let credential = key.register(&options, ORIGIN);
    // Another account cannot finish it (and does not spend it).
    app.sign_up(&OTHER).await;
    let other = app.token_for(OTHER.username).await;
    let r = app.register_finish(&other, &id, "key", &credential).await;
    assert_problem(r, 400, "invalid_challenge").await;
    assert_eq!(
        app.register_finish(&token, &id, "key", &credential)
            .await
            .status(),
        201
    );
    let r = app.register_finish(&token, &id, "key", &credential).await;
    assert_problem(r, 400, "invalid_challenge").await;
    let r = app
        .register_finish(&token, "no-such-challenge", "key", &credential)
        .await;
    assert_problem(r, 400, "invalid_challenge").await;

    // A login challenge: once, even when the first use failed.
    let (id, options) = app.login_start().await;
    let wrong_origin = key.assert(&options, "http://evil.example:8080");
    assert_problem(
        app.login_finish(&id, &wrong_origin).await,
        401,
        "invalid_credentials",
    )
    .await;
    let credential = key.assert(&options, ORIGIN);
    assert_problem(
        app.login_finish(&id, &credential).await,
        400,
        "invalid_challenge",
    )
    .await;
    // A registration challenge is no login challenge.
    let (id, _) = app.register_start(&token).await;
    assert_problem(
        app.login_finish(&id, &credential).await,
        400,
        "invalid_challenge",
    )
    .await;
}

#[tokio::test]
async fn a_challenge_expires() {
    let (app, token) = signed_in().await;
    let mut key = SoftPasskey::new();
    let (id, options) = app.register_start(&token).await;
    let credential = key.register(&options, ORIGIN);
    app.clock.advance(Duration::from_secs(301));
    let r = app.register_finish(&token, &id, "key", &credential).await;
    assert_problem(r, 400, "invalid_challenge").await;

    let token = app.token_for(GILDONG.username).await;
    app.add_passkey(&token, &mut key, "key").await;
    let (id, options) = app.login_start().await;
    app.clock.advance(Duration::from_secs(299));
    let (fresh_id, fresh_options) = app.login_start().await;
    app.clock.advance(Duration::from_secs(2));
    let credential = key.assert(&options, ORIGIN);
    assert_problem(
        app.login_finish(&id, &credential).await,
        400,
        "invalid_challenge",
    )
    .await;
    // One issued 2 s ago still works.
    let credential = key.assert(&fresh_options, ORIGIN);
    assert_eq!(app.login_finish(&fresh_id, &credential).await.status(), 200);
}

#[tokio::test]
async fn a_passkey_alone_signs_in_like_a_password() {
    let (app, token) = signed_in().await;
    let mut key = SoftPasskey::new();
    app.add_passkey(&token, &mut key, "phone").await;

    let (id, options) = app.login_start().await;
    // Discoverable: no credentials listed; user verification required; modal, not autofill.
    let public_key = &options["publicKey"];
    assert!(public_key["allowCredentials"]
        .as_array()
        .is_none_or(|a| a.is_empty()));
    assert_eq!(public_key["userVerification"], "required");
    assert_eq!(public_key["rpId"], "localhost");
    assert!(options.get("mediation").is_none());

    let credential = key.assert(&options, ORIGIN);
    let r = app.login_finish(&id, &credential).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["refresh_token"].as_str().unwrap().starts_with("rt1_"));
    let access = body["access_token"].as_str().unwrap();
    let r = app.nick(access).await;
    assert_eq!(r.status(), 200);
    let profile: Value = r.json().await.unwrap();
    assert_eq!(profile["username"], GILDONG.username);
    // A session like a password login's, and the passkey's use is recorded.
    let refreshed = app.refresh(body["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refreshed.status(), 200);
    assert!(app.passkeys(&token).await[0]["last_used_at"]
        .as_i64()
        .is_some());
    let stored = app.collection("passkeys").await;
    assert_eq!(stored[0].get_i64("sign_count").unwrap(), 1);

    // The browser's transport: the refresh token only in the cookie.
    let (id, options) = app.login_start().await;
    let credential = key.assert(&options, ORIGIN);
    let r = app
        .client
        .post(app.url("/api/passkeys/login/finish"))
        .header("x-token-transport", "cookie")
        .json(&json!({"challenge_id": id, "credential": credential}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("emailauth_refresh="))
        .expect("refresh cookie");
    assert!(cookie.contains("HttpOnly"));
    let body: Value = r.json().await.unwrap();
    assert!(body.get("refresh_token").is_none());
}

#[tokio::test]
async fn a_sign_counter_that_does_not_grow_is_refused() {
    let (app, token) = signed_in().await;
    let mut key = SoftPasskey::new();
    app.add_passkey(&token, &mut key, "key").await;
    key.counter = 4;
    assert_eq!(app.passkey_login(&mut key).await.status(), 200); // counter 5
    for counter in [3, 5] {
        let (id, options) = app.login_start().await;
        let clone = key.assert_with_counter(&options, ORIGIN, counter);
        assert_problem(
            app.login_finish(&id, &clone).await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    let stored = app.collection("passkeys").await;
    assert_eq!(stored[0].get_i64("sign_count").unwrap(), 5);
    // The genuine authenticator goes on.
    assert_eq!(app.passkey_login(&mut key).await.status(), 200);
}

#[tokio::test]
async fn assertions_that_do_not_verify_are_refused() {
    let (app, token) = signed_in().await;
    let mut key = SoftPasskey::new();
    app.add_passkey(&token, &mut key, "key").await;
    let refused = |r: reqwest::Response| assert_problem(r, 401, "invalid_credentials");

    // Another origin (a phishing site relaying the challenge).
    let (id, options) = app.login_start().await;
    let credential = key.assert(&options, "https://evil.example");
    refused(app.login_finish(&id, &credential).await).await;

    // A signature by another key over the same credential id.
    let mut impostor = SoftPasskey::new();
    impostor.credential_id = key.credential_id.clone();
    impostor.user_handle = key.user_handle.clone();
    let (id, options) = app.login_start().await;
    let credential = impostor.assert(&options, ORIGIN);
    refused(app.login_finish(&id, &credential).await).await;

    // The right key naming another account's user handle.
    app.sign_up(&OTHER).await;
    let other = app.token_for(OTHER.username).await;
    let mut other_key = SoftPasskey::new();
    app.add_passkey(&other, &mut other_key, "other").await;
    let mut confused = SoftPasskey {
        key: key.key.clone(),
        credential_id: key.credential_id.clone(),
        user_handle: other_key.user_handle.clone(),
        counter: 10,
    };
    let (id, options) = app.login_start().await;
    let credential = confused.assert(&options, ORIGIN);
    refused(app.login_finish(&id, &credential).await).await;

    // A credential the server never registered; garbage.
    let mut unknown = SoftPasskey::new();
    unknown.user_handle = key.user_handle.clone();
    let (id, options) = app.login_start().await;
    let credential = unknown.assert(&options, ORIGIN);
    refused(app.login_finish(&id, &credential).await).await;
    let (id, _) = app.login_start().await;
    refused(app.login_finish(&id, &json!({"id": "x"})).await).await;

    // After all that the real one still works.
    assert_eq!(app.passkey_login(&mut key).await.status(), 200);
}

#[tokio::test]
async fn a_deleted_passkey_or_account_signs_nobody_in() {
    let (app, token) = signed_in().await;
    let mut kept = SoftPasskey::new();
    let mut removed = SoftPasskey::new();
    app.add_passkey(&token, &mut kept, "kept").await;
    let info = app.add_passkey(&token, &mut removed, "removed").await;
    assert_eq!(
        app.delete_passkey(&token, info["id"].as_str().unwrap())
            .await
            .status(),
        204
    );
    assert_problem(
        app.passkey_login(&mut removed).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(app.passkey_login(&mut kept).await.status(), 200);

    // Deleting the account deletes its passkeys.
    let r = app
        .client
        .delete(app.url("/api/account"))
        .bearer_auth(&token)
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(app.collection("passkeys").await.is_empty());
    assert_problem(
        app.passkey_login(&mut kept).await,
        401,
        "invalid_credentials",
    )
    .await;
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_with_a_passkey() {
    let (app, token) = signed_in().await;
    let mut key = SoftPasskey::new();
    app.add_passkey(&token, &mut key, "key").await;
    app.db
        .collection::<mongodb::bson::Document>("users")
        .update_one(
            doc! { "username_key": GILDONG.username },
            doc! { "$set": { "disabled": true } },
        )
        .await
        .unwrap();
    assert_problem(app.passkey_login(&mut key).await, 403, "account_disabled").await;
    // Nobody learns it without the passkey.
    let mut stranger = SoftPasskey::new();
    stranger.user_handle = key.user_handle.clone();
    assert_problem(
        app.passkey_login(&mut stranger).await,
        401,
        "invalid_credentials",
    )
    .await;
}

// The passkey as the second step of a password login.

/// Turns TOTP on for the account of `token` (so that a password login asks for a second step).
async fn enable_totp(app: &TestApp, token: &str) {
    let r = app
        .bearer_post(
            token,
            "/api/mfa/totp/setup",
            &json!({ "password": PASSWORD }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let secret = totp_rs::Secret::Encoded(body["secret"].as_str().unwrap().to_owned())
        .to_bytes()
        .unwrap();
    let totp =
        totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, secret, None, "t".into());
    let code = totp.generate(app.clock.now_secs());
    let r = app
        .bearer_post(token, "/api/mfa/totp/enable", &json!({"code": code}))
        .await;
    assert_eq!(r.status(), 200);
}

/// The password step: the `MfaChallenge`.
async fn password_step(app: &TestApp) -> Value {
    let r = app.login(GILDONG.username, PASSWORD).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["mfa_required"], true, "{body}");
    body
}

impl TestApp {
    pub(crate) async fn mfa_passkey_start(&self, ticket: &str) -> reqwest::Response {
        self.post(
            "/api/login/mfa/passkey/start",
            &json!({"mfa_token": ticket}),
        )
        .await
    }

    /// The options of the passkey method for `ticket`.
    pub(crate) async fn mfa_passkey_options(&self, ticket: &str) -> Value {
        let r = self.mfa_passkey_start(ticket).await;
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        assert!(body["challenge_id"].as_str().is_some_and(|c| !c.is_empty()));
        body["options"].clone()
    }

    pub(crate) async fn mfa_with_passkey(
        &self,
        ticket: &str,
        assertion: &Value,
    ) -> reqwest::Response {
        self.post(
            "/api/login/mfa",
            &json!({"mfa_token": ticket, "passkey": assertion}),
        )
        .await
    }
}

#[tokio::test]
async fn a_passkey_passes_the_second_step_of_a_password_login_once() {
    let (app, token) = signed_in().await;
    let mut key = SoftPasskey::new();
    app.add_passkey(&token, &mut key, "key").await;
    // A passkey alone does not make the password login ask for more.
    let r = app.login(GILDONG.username, PASSWORD).await;
    let body: Value = r.json().await.unwrap();
    assert!(body["access_token"].is_string(), "{body}");

    enable_totp(&app, &token).await;
    let r = app
        .client
        .get(app.url("/api/mfa"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let status: Value = r.json().await.unwrap();
    assert_eq!(status["passkeys"], 1);
    assert_eq!(status["totp_enabled"], true);

    let challenge = password_step(&app).await;
    assert_eq!(
        challenge["methods"],
        json!(["totp", "recovery_code", "passkey"])
    );
    let ticket = challenge["mfa_token"].as_str().unwrap();
    let options = app.mfa_passkey_options(ticket).await;
    // Limited to this account's passkeys, user verification required.
    let allowed = options["publicKey"]["allowCredentials"].as_array().unwrap();
    assert_eq!(allowed.len(), 1);
    assert_eq!(allowed[0]["id"], b64(&key.credential_id));
    assert_eq!(options["publicKey"]["userVerification"], "required");

    let assertion = key.assert(&options, ORIGIN);
    let r = app.mfa_with_passkey(ticket, &assertion).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        app.nick(body["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    // The ticket, and the state kept on it, are spent.
    assert_problem(
        app.mfa_with_passkey(ticket, &assertion).await,
        401,
        "invalid_token",
    )
    .await;
    assert_problem(app.mfa_passkey_start(ticket).await, 401, "invalid_token").await;
    assert!(app.collection("mfa_tickets").await.is_empty());
}

#[tokio::test]
async fn a_wrong_passkey_at_the_second_step_counts_like_a_wrong_code() {
    let (app, token) = signed_in().await;
    let mut key = SoftPasskey::new();
    app.add_passkey(&token, &mut key, "key").await;
    app.sign_up(&OTHER).await;
    let other = app.token_for(OTHER.username).await;
    let mut other_key = SoftPasskey::new();
    app.add_passkey(&other, &mut other_key, "other").await;
    // Its counter is known: 1.
    assert_eq!(app.passkey_login(&mut key).await.status(), 200);
    enable_totp(&app, &token).await;
    let challenge = password_step(&app).await;
    let ticket = challenge["mfa_token"].as_str().unwrap();

    // Before any start: nothing to answer.
    let (_, login_options) = app.login_start().await;
    let assertion = key.assert(&login_options, ORIGIN);
    let p = assert_problem(
        app.mfa_with_passkey(ticket, &assertion).await,
        400,
        "invalid_code",
    )
    .await;
    assert_eq!(p.attempts_left, Some(4));

    let options = app.mfa_passkey_options(ticket).await;
    // Another origin; another account's passkey; a counter that did not grow; garbage.
    let wrong_origin = key.assert(&options, "https://evil.example");
    let others = other_key.assert(&options, ORIGIN);
    let replayed = key.assert_with_counter(&options, ORIGIN, 1);
    for (assertion, left) in [(wrong_origin, 3), (others, 2), (replayed, 1)] {
        let p = assert_problem(
            app.mfa_with_passkey(ticket, &assertion).await,
            400,
            "invalid_code",
        )
        .await;
        assert_eq!(p.attempts_left, Some(left));
    }
    // The right one still passes on the last attempt.
    let assertion = key.assert(&options, ORIGIN);
    assert_eq!(app.mfa_with_passkey(ticket, &assertion).await.status(), 200);
}

#[tokio::test]
async fn the_passkey_method_needs_a_passkey_and_a_live_ticket() {
    let (app, token) = signed_in().await;
    enable_totp(&app, &token).await;
    let challenge = password_step(&app).await;
    assert_eq!(challenge["methods"], json!(["totp", "recovery_code"]));
    let ticket = challenge["mfa_token"].as_str().unwrap();
    assert_problem(app.mfa_passkey_start(ticket).await, 400, "passkey_rejected").await;
    assert_problem(
        app.mfa_passkey_start("mfa1_not-a-ticket").await,
        401,
        "invalid_token",
    )
    .await;
    // A ticket dies after its five minutes, its passkey start with it. (Turning TOTP on just
    // now was this session's step-up: no proof needed again for a few minutes.)
    let mut key = SoftPasskey::new();
    app.add_passkey_with(&token, &mut key, "key", json!({}))
        .await;
    let ticket = password_step(&app).await["mfa_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let options = app.mfa_passkey_options(&ticket).await;
    app.clock.advance(Duration::from_secs(301));
    let assertion = key.assert(&options, ORIGIN);
    assert_problem(
        app.mfa_with_passkey(&ticket, &assertion).await,
        401,
        "invalid_token",
    )
    .await;
}
