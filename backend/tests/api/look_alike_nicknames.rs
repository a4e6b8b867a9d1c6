//! Nicknames that look like an existing one in another script are taken, and keys stored by
//! earlier versions are recomputed at start-up.

use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};

use crate::helpers::*;

/// All-Cyrillic р а у р а ӏ: one script, so the mixed-script rule lets it through.
const CYRILLIC_PAYPAL: &str = "\u{440}\u{430}\u{443}\u{440}\u{430}\u{4CF}";

#[tokio::test]
async fn a_nickname_that_looks_like_a_taken_one_in_another_script_is_taken() {
    let app = spawn_app().await;
    let impostor = person("impostor", CYRILLIC_PAYPAL, "impostor@example.com");
    // The impostor's code is requested while the nickname is still free…
    let code = app.request_code(&impostor).await;
    app.sign_up(&person("paypal_official", "PayPal", "paypal@example.com"))
        .await;
    // …and registering is refused by the unique index on the confusable skeleton.
    let r = app.register(&impostor, PASSWORD, &code).await;
    assert_field_problem(r, 409, "nickname_taken", "nickname", "nickname_taken").await;
    // A new signup with it is told at once.
    let r = app
        .email_auth(&person(
            "impostor2",
            CYRILLIC_PAYPAL,
            "impostor2@example.com",
        ))
        .await;
    assert_problem(r, 409, "nickname_taken").await;
    // Digits that pass for letters count too.
    let impostor3 = person("impostor3", "paypa1", "impostor3@example.com");
    let r = app.email_auth(&impostor3).await;
    assert_problem(r, 409, "nickname_taken").await;
    assert_eq!(app.users().await.len(), 1);
}

/// An account as an earlier version stored it: nickname key lowercase, no key version.
fn legacy_user(username: &str, nickname: &str) -> Document {
    doc! {
        "_id": ObjectId::new(),
        "username": username,
        "username_key": username.to_lowercase(),
        "nickname": nickname,
        "nickname_key": nickname.to_lowercase(),
        "email": format!("{username}@example.com"),
        "email_key": format!("{username}@example.com"),
        "password_hash": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
        "created_at": DateTime::now(),
        "token_version": 0_i64,
    }
}

#[tokio::test]
async fn start_up_recomputes_nickname_keys_stored_the_old_way() {
    let db_name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let uri = mongodb_uri();
    let users = mongodb::Client::with_uri_str(&uri)
        .await
        .unwrap()
        .database(&db_name)
        .collection::<Document>("users");
    // Oldest first: the Latin one, then its Cyrillic look-alike (which the old keys allowed),
    // then an unrelated one.
    let latin = legacy_user("latin", "PayPal");
    let cyrillic = legacy_user("cyrillic", CYRILLIC_PAYPAL);
    let other = legacy_user("other", "길동");
    users
        .insert_many([latin.clone(), cyrillic.clone(), other.clone()])
        .await
        .unwrap();

    let app = spawn_instance(&uri, &db_name, MailServer::start(), &[]).await;
    let stored = |doc: &Document| {
        let id = doc.get_object_id("_id").unwrap();
        let users = users.clone();
        async move { users.find_one(doc! {"_id": id}).await.unwrap().unwrap() }
    };
    let latin_now = stored(&latin).await;
    assert_eq!(latin_now.get_i32("nickname_key_v"), Ok(2));
    assert_eq!(latin_now.get_str("nickname_key"), Ok("paypal"));
    let other_now = stored(&other).await;
    assert_eq!(other_now.get_i32("nickname_key_v"), Ok(2));
    assert_ne!(other_now.get_str("nickname_key"), Ok("길동"), "recomputed");
    // The younger look-alike cannot take the older one's key: skipped, left as it was.
    let cyrillic_now = stored(&cyrillic).await;
    assert_eq!(
        cyrillic_now.get_str("nickname_key"),
        cyrillic.get_str("nickname_key")
    );
    assert!(cyrillic_now.get("nickname_key_v").is_none());

    // Migrated keys are the ones new signups are checked against.
    let newcomer = person("newcomer", "paypal", "newcomer@example.com");
    let r = app.email_auth(&newcomer).await;
    assert_problem(r, 409, "nickname_taken").await;
    let newcomer = person("newcomer", "길동", "newcomer@example.com");
    let r = app.email_auth(&newcomer).await;
    assert_problem(r, 409, "nickname_taken").await;

    // Starting again changes nothing and starts fine (the migration is idempotent).
    let before: Vec<Document> = app.users().await;
    let again = spawn_instance(&uri, &db_name, MailServer::start(), &[]).await;
    assert_eq!(again.users().await, before);
}
