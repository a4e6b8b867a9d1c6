//! Claims of docs/testing.md that had no test of their own: introspection answers exactly
//! `{"active": false}` for a disabled account's token, whichever of the two marks (the
//! account's, its sessions') a disabling left; and 60 addresses of one IPv6 /64 share one
//! hourly mail cap.

use mongodb::bson::{doc, oid::ObjectId};
use serde_json::{json, Value};

use crate::helpers::*;

const INTROSPECTION_SECRET: &str = "introspection-secret-0123456789abcdefghij";

async fn introspect(app: &TestApp, token: &str) -> Value {
    let r = app
        .client
        .post(app.url("/api/token/introspect"))
        .bearer_auth(INTROSPECTION_SECRET)
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn user_id(app: &TestApp, username: &str) -> ObjectId {
    let users = app.collection("users").await;
    let user = users
        .iter()
        .find(|u| u.get_str("username") == Ok(username))
        .expect("the account");
    user.get_object_id("_id").unwrap()
}

/// Three accounts, each disabled differently: by the store's own `disable_user` (what `backend
/// admin disable` and the admin API call: the account and its sessions), by the account's mark
/// alone (a session started by a login that read the account just before), and by the
/// sessions' mark alone. Each of the two checks of the introspection is needed by one of them.
#[tokio::test]
async fn a_disabled_accounts_token_is_exactly_inactive() {
    let app = spawn_app_with(&[("APP_INTROSPECTION_SECRET", INTROSPECTION_SECRET)]).await;
    let third = Signup {
        username: "third_one",
        nickname: "셋째",
        email: "third@example.com",
    };
    let mut tokens = vec![];
    for s in [&GILDONG, &OTHER, &third] {
        app.sign_up(s).await;
        let token = app.token_for(s.username).await;
        assert_eq!(introspect(&app, &token).await["active"], true);
        tokens.push(token);
    }
    let store = backend::store::Store::on_database(app.db.clone());
    let gildong = user_id(&app, GILDONG.username).await;
    assert_eq!(store.disable_user(gildong).await.unwrap(), Some(1));
    let other = user_id(&app, OTHER.username).await;
    app.db
        .collection::<mongodb::bson::Document>("users")
        .update_one(doc! { "_id": other }, doc! { "$set": { "disabled": true } })
        .await
        .unwrap();
    let third = user_id(&app, third.username).await;
    app.db
        .collection::<mongodb::bson::Document>("sessions")
        .update_many(
            doc! { "user_id": third },
            doc! { "$set": { "disabled": true } },
        )
        .await
        .unwrap();
    // The session cache has seen the changes through its stream.
    app.caught_up().await;
    for (token, who) in tokens
        .iter()
        .zip(["both marks", "account only", "sessions only"])
    {
        assert_eq!(
            introspect(&app, token).await,
            json!({"active": false}),
            "{who}"
        );
    }
}

/// The hourly cap on codes mailed per client counts an IPv6 client's whole /64: 60 different
/// addresses of one /64 get 20 codes between them (the cap) and 40 refusals, and no mail for
/// a refused one.
#[tokio::test]
async fn sixty_addresses_of_one_ipv6_64_share_one_hourly_mail_cap() {
    let app = spawn_app_with(&[
        ("APP_TRUSTED_PROXIES", "127.0.0.1"),
        ("APP_CODES_PER_IP_PER_HOUR", "20"),
    ])
    .await;
    let mut sent = 0;
    for i in 1..=60 {
        let email = format!("person{i}@example.com");
        let body = json!({
            "username": format!("person{i}"),
            "nickname": format!("사람{i}"),
            "email": email,
        });
        let ip = format!("2001:db8:1:2::{i:x}");
        let r = app.post_from(&ip, "/api/email_auth", &body).await;
        if i <= 20 {
            assert_eq!(r.status(), 202, "address {i} of the /64");
            sent += 1;
        } else {
            assert!(r.headers().contains_key("retry-after"));
            assert_problem(r, 429, "too_many_codes").await;
            assert!(app.mail.mails_to(&email).is_empty());
        }
    }
    assert_eq!(app.mail.count(), sent);
    // The neighbouring /64 has its own allowance.
    let body = json!({"username": "next_door", "nickname": "이웃", "email": "next@example.com"});
    let r = app
        .post_from("2001:db8:1:3::1", "/api/email_auth", &body)
        .await;
    assert_eq!(r.status(), 202);
}
