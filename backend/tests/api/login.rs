use serde_json::Value;

use crate::helpers::*;

const GILDONG: Signup = Signup {
    username: "Hong_Gildong",
    nickname: "길동",
    email: "gildong@example.com",
};

#[tokio::test]
async fn login_returns_a_bearer_token() {
    let app = spawn_app().await;
    app.sign_up(&GILDONG).await;
    // Usernames are case-insensitive at login too.
    let r = app.login("hong_gildong", PASSWORD).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["access_token"].as_str().unwrap().split('.').count(), 3);
}

#[tokio::test]
async fn unknown_user_and_wrong_password_are_indistinguishable() {
    let app = spawn_app().await;
    app.sign_up(&GILDONG).await;
    let wrong = app.login("hong_gildong", "not the password").await;
    let unknown = app.login("nobody_here", "not the password").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    let a = wrong.text().await.unwrap();
    let b = unknown.text().await.unwrap();
    assert_eq!(a, b);
    assert!(a.contains("invalid_credentials"));
}

#[tokio::test]
async fn empty_fields_are_422() {
    let app = spawn_app().await;
    let p = assert_problem(app.login("", "").await, 422, "validation_failed").await;
    assert_eq!(
        field_codes(&p),
        vec![
            ("username".into(), "required".into()),
            ("password".into(), "required".into())
        ]
    );
}
