//! Email addresses whose domain is an IP address are refused before anything is sent.

use crate::helpers::*;

const IP_LITERALS: [&str; 5] = [
    "x@[10.0.0.5]",
    "x@127.0.0.1",
    "x@[IPv6:::1]",
    "x@[::1]",
    "x@169.254.169.254",
];

/// A `422` whose only field error is `invalid_format` on `email`.
async fn assert_bad_format(r: reqwest::Response, email: &str) {
    let p = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(
        field_codes(&p),
        vec![("email".into(), "invalid_format".into())],
        "{email}"
    );
}

#[tokio::test]
async fn signup_refuses_ip_literal_email_domains() {
    let app = spawn_app().await;
    for email in IP_LITERALS {
        let r = app.email_auth(&person("hong_gildong", "길동", email)).await;
        assert_bad_format(r, email).await;
    }
    assert_eq!(app.mail.count(), 0, "nothing handed to the relay");
    assert!(app.collection("verification_codes").await.is_empty());
}

#[tokio::test]
async fn password_reset_refuses_ip_literal_email_domains() {
    let app = spawn_app().await;
    for email in IP_LITERALS {
        let r = app.reset_request(email).await;
        assert_bad_format(r, email).await;
    }
    assert_eq!(app.mail.count(), 0, "nothing handed to the relay");
}
