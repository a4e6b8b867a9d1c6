//! The SMTP connections the app keeps: shared between mails, bounded in number, and replaced
//! when the server has closed them.

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::helpers::*;

fn signup(n: usize) -> serde_json::Value {
    json!({
        "username": format!("pool{n}"),
        "nickname": format!("풀{n}"),
        "email": format!("pool{n}@example.com"),
    })
}

#[tokio::test]
async fn mails_share_a_bounded_set_of_connections() {
    let app = spawn_app().await;
    let bodies: Vec<_> = (0..48).map(signup).collect();
    let answers =
        futures_util::future::join_all(bodies.iter().map(|b| app.post("/api/email_auth", b))).await;
    assert!(answers.iter().all(|r| r.status() == 202));
    assert_eq!(app.mail.count(), 48);
    let opened = app.mail.connections();
    // At most 16 at once, however many mails are in flight.
    assert!((1..=16).contains(&opened), "{opened} connections");
    // One after another, the open ones carry the next mails.
    for n in 48..52 {
        assert_eq!(app.post("/api/email_auth", &signup(n)).await.status(), 202);
    }
    assert_eq!(app.mail.count(), 52);
    assert_eq!(app.mail.connections(), opened);
}

/// A test-only fault a real server cannot be asked for on cue: an SMTP server that takes one
/// message per connection and then hangs up, as servers do with clients idle too long.
/// Answers how many connections it accepted and how many messages it took.
async fn one_message_per_connection() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let taken = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = taken.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 fault.test\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 fault.test\r\n",
                        "DATA" => {
                            write.write_all(b"354 go on\r\n").await.unwrap();
                            while let Ok(Some(body)) = lines.next_line().await {
                                if body == "." {
                                    break;
                                }
                            }
                            counter.fetch_add(1, Ordering::SeqCst);
                            write.write_all(b"250 taken\r\n").await.unwrap();
                            // Hang up without a word, as an idle-timeout does.
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(answer).await.unwrap();
                }
            });
        }
    });
    (port, taken)
}

#[tokio::test]
async fn a_connection_the_server_closed_is_replaced_without_failing_a_mail() {
    let (port, taken) = one_message_per_connection().await;
    let app = spawn_app_with(&[("APP_SMTP_PORT", &port.to_string())]).await;
    for n in 0..3 {
        assert_eq!(app.post("/api/email_auth", &signup(n)).await.status(), 202);
    }
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 3);
}
