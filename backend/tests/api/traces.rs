//! OpenTelemetry traces: the real binary with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at an
//! OTLP/HTTP receiver in this test exports the spans of a request, its database calls and its
//! SMTP send, and its JSON log lines carry the trace id.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpListener,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

use crate::helpers::*;

/// A minimal OTLP/HTTP receiver: keeps every request body, answers 200.
fn receiver() -> (u16, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let kept = kept.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut length = 0usize;
                    let mut line = String::new();
                    // Request line and headers.
                    let mut first = true;
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" && !first {
                            break;
                        }
                        first = false;
                        if let Some((name, value)) = line.split_once(':') {
                            if name.eq_ignore_ascii_case("content-length") {
                                length = value.trim().parse().unwrap_or(0);
                            }
                        }
                    }
                    let mut body = vec![0u8; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    kept.lock().unwrap().push(body);
                    let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
                    if writer.write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, bodies)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn with_an_otlp_endpoint_requests_database_calls_and_mails_are_traced() {
    let (otlp_port, bodies) = receiver();
    let mail = MailServer::start();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::env::temp_dir().join(format!("traces-{}.log", uuid::Uuid::new_v4()));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_backend"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("APP_PORT", port.to_string())
        .env("APP_MONGODB_URI", mongodb_uri())
        .env(
            "APP_MONGODB_DB",
            format!("test_{}", uuid::Uuid::new_v4().simple()),
        )
        .env("APP_SMTP_PORT", mail.port.to_string())
        .env("APP_JWT_SECRET", JWT_SECRET)
        .env("APP_CODE_PEPPER", PEPPER)
        .env("APP_STATIC_DIR", "/nonexistent")
        .env("APP_LOG_FORMAT", "json")
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{otlp_port}"),
        )
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .current_dir(std::env::temp_dir())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let address = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        if let Ok(r) = client.get(format!("{address}/health/ready")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(30), "never ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = client
        .post(format!("{address}/api/email_auth"))
        .json(&json!({"username": "traced", "nickname": "추적", "email": "traced@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);

    // Spans arrive in batches.
    let wanted: [&[u8]; 3] = [b"request", b"db", b"smtp.send"];
    let started = Instant::now();
    let all = loop {
        let all: Vec<u8> = bodies.lock().unwrap().concat();
        if wanted.iter().all(|name| contains(&all, name))
            || started.elapsed() > Duration::from_secs(20)
        {
            break all;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    for name in wanted {
        assert!(
            contains(&all, name),
            "no `{}` span exported",
            String::from_utf8_lossy(name)
        );
    }
    assert!(contains(&all, b"emailauth-backend"), "service name");

    // The request's log line names its trace, and that trace was exported.
    let logs = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    let trace_id = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        // The request's fields are those of its span.
        .find(|l| l["span"]["path"] == "/api/email_auth" && l["status"] == 202)
        .and_then(|l| l["span"]["trace_id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no trace_id in the request's log line:\n{logs}"));
    assert_eq!(trace_id.len(), 32, "{trace_id}");
    let raw = hex::decode(&trace_id).unwrap();
    assert!(contains(&all, &raw), "the logged trace id was not exported");
}
