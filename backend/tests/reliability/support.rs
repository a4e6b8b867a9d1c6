//! What the reliability tests need beyond `tests/api/helpers.rs`: a database server process of
//! their own (so stopping it never disturbs the shared test database), the app spawned against
//! it, and the real `backend` binary as a child process.

use std::{
    fs,
    io::Read,
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use crate::helpers::{spawn_instance, MailServer, TestApp};

/// The database server binary: `SECANTUS_BIN`, else `$TOOLS_DIR/bin/secantusd-rs`, else the
/// workspace's `.tools/bin/secantusd-rs`.
pub fn secantus_bin() -> PathBuf {
    if let Ok(path) = std::env::var("SECANTUS_BIN") {
        return path.into();
    }
    let mut candidates = vec![];
    if let Ok(dir) = std::env::var("TOOLS_DIR") {
        candidates.push(PathBuf::from(dir).join("bin/secantusd-rs"));
    }
    // scripts/lib.sh's default TOOLS_DIR, where `just setup` puts it.
    let cache = std::env::var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|_| std::env::var("HOME").map(|home| PathBuf::from(home).join(".cache")));
    if let Ok(cache) = cache {
        candidates.push(cache.join("emailauth-tools/bin/secantusd-rs"));
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/bin/secantusd-rs"));
    candidates
        .iter()
        .find(|p| p.exists())
        .cloned()
        .unwrap_or_else(|| {
            panic!("no database server binary: set SECANTUS_BIN (tried {candidates:?})")
        })
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind port 0")
        .local_addr()
        .unwrap()
        .port()
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> Self {
        let path = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()));
        fs::create_dir_all(&path).expect("create temp dir");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Sends `signal` (`TERM`, `KILL`, …) to `pid` with the `kill` command.
pub fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// Waits for `child` to exit, at most `limit`.
pub fn wait_exit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until something accepts connections on the loopback `port`.
pub fn wait_port(port: u16, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// A database server process owned by one test: its own port and data directory.
pub struct DbServer {
    pub port: u16,
    dir: TempDir,
    child: Option<Child>,
    extra_args: Vec<String>,
}

impl DbServer {
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    /// Starts with extra server flags (e.g. `--sync-on-commit`), kept across restarts.
    pub fn start_with(extra_args: &[&str]) -> Self {
        Self::start_on_with(free_port(), extra_args)
    }

    /// Starts on `port` (which must be free) with a fresh data directory.
    pub fn start_on(port: u16) -> Self {
        Self::start_on_with(port, &[])
    }

    fn start_on_with(port: u16, extra_args: &[&str]) -> Self {
        let mut db = Self {
            port,
            dir: TempDir::new("reliability-db"),
            child: None,
            extra_args: extra_args.iter().map(|a| (*a).to_owned()).collect(),
        };
        db.restart();
        db
    }

    pub fn uri(&self) -> String {
        format!("mongodb://127.0.0.1:{}", self.port)
    }

    /// (Re)starts the server on the same port and data directory; returns once it accepts
    /// connections.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "database server already running");
        let log = fs::File::options()
            .create(true)
            .append(true)
            .open(self.dir.0.join("server.log"))
            .expect("open db log");
        let child = Command::new(secantus_bin())
            .args(["--host", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .arg("--storage-path")
            .arg(self.dir.0.join("data"))
            .args(["--cache-size", "256M"])
            .args(&self.extra_args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", secantus_bin().display()));
        self.child = Some(child);
        assert!(
            wait_port(self.port, Duration::from_secs(30)),
            "database server did not listen on {} (log: {})",
            self.port,
            self.log()
        );
    }

    /// Sends `signal` and waits for the process to exit (SIGKILL after 20 s). Returns how long
    /// it took to go away.
    pub fn stop(&mut self, signal: &str) -> Duration {
        let mut child = self.child.take().expect("database server not running");
        let started = Instant::now();
        send_signal(child.id(), signal);
        if wait_exit(&mut child, Duration::from_secs(20)).is_none() {
            let _ = child.kill();
            let _ = child.wait();
        }
        started.elapsed()
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.0.join("server.log")).unwrap_or_default()
    }
}

impl Drop for DbServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The app in-process on port 0 against `db_uri` (a fresh database), with a fresh SMTP server.
pub async fn spawn_app_on(db_uri: &str, overrides: &[(&str, &str)]) -> TestApp {
    let db_name = format!("rel_{}", uuid::Uuid::new_v4().simple());
    // Load from one address and repeated wrong passwords are the point of these tests; the
    // throttles have tests of their own. `overrides` come later and win.
    let mut all = vec![("APP_LOGIN_MAX_FAILURES", "100000")];
    all.extend_from_slice(overrides);
    spawn_instance(db_uri, &db_name, MailServer::start(), &all).await
}

/// Polls `/health/ready` until it answers 200; returns how long that took.
pub async fn wait_ready(client: &reqwest::Client, address: &str, limit: Duration) -> Duration {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Ok(r) = client.get(format!("{address}/health/ready")).send().await {
            if r.status() == 200 {
                return started.elapsed();
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{address} not ready after {limit:?}");
}

/// Status, content type and `Retry-After` of a response, and its body as text.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub retry_after: Option<String>,
    pub body: String,
}

impl Answer {
    pub async fn read(r: reqwest::Response) -> Result<Self, reqwest::Error> {
        let header = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header("content-type").unwrap_or_default();
        let retry_after = header("retry-after");
        let status = r.status().as_u16();
        let body = r.text().await?;
        Ok(Self {
            status,
            content_type,
            retry_after,
            body,
        })
    }

    /// The problem's `code` when this is a well-formed problem+json whose `status` matches.
    pub fn problem_code(&self) -> Option<String> {
        if self.content_type != "application/problem+json" {
            return None;
        }
        let problem: shared::Problem = serde_json::from_str(&self.body).ok()?;
        (problem.status == self.status).then(|| problem.code.as_str().to_owned())
    }

    /// A 503 `service_unavailable` problem with a `Retry-After`.
    pub fn is_unavailable(&self) -> bool {
        self.status == 503
            && self.problem_code().as_deref() == Some("service_unavailable")
            && self.retry_after.is_some()
    }
}

/// The real `backend` binary as a child process, with only the variables given (plus `PATH`),
/// run in an empty directory so no `.env` or development secrets file is picked up.
pub struct Backend {
    pub child: Child,
    pub port: u16,
    dir: TempDir,
}

impl Backend {
    pub fn spawn(vars: &[(&str, &str)]) -> Self {
        let port = free_port();
        let dir = TempDir::new("reliability-backend");
        let log = fs::File::create(dir.0.join("stderr.log")).expect("create log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_backend"));
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("APP_PORT", port.to_string())
            .env("APP_STATIC_DIR", "/nonexistent")
            .env("APP_LOG_FORMAT", "pretty")
            // Given, so that production starts; the refusals of the other secrets are the
            // subject of the start-up tests.
            .env("APP_MFA_ENCRYPTION_KEY", crate::helpers::MFA_KEY)
            .env("RUST_LOG", "info")
            .current_dir(&dir.0)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        for (k, v) in vars {
            command.env(k, v);
        }
        let child = command.spawn().expect("spawn backend binary");
        Self { child, port, dir }
    }

    pub fn address(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Everything the process wrote to stdout and stderr so far.
    pub fn output(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = fs::File::open(self.dir.0.join("stderr.log")) {
            let _ = f.read_to_string(&mut text);
        }
        text
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every document `find` answers, in its order.
pub async fn documents(
    find: mongodb::action::Find<'_, mongodb::bson::Document>,
) -> Vec<mongodb::bson::Document> {
    use futures_util::TryStreamExt;
    find.await.unwrap().try_collect().await.unwrap()
}
