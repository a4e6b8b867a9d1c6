//! `bench peer`: this backend side by side with Better Auth 1.7.25 (`../shared/baselines/
//! better_auth`), both on the same database server and mail catcher, driven by the same closed
//! loops of `run` in the same run.
//!
//! The rule: each row asks both servers for the same thing a person would (the session check,
//! a password sign-in, a sign-up confirmed with the mailed code) and counts only the answers
//! that mean success: Better Auth's `get-session` answers `200 null` for a dead session, so a
//! `null` counts as a failure.
//!
//! Usage: bench peer --api URL --metrics URL --ba URL --ba-cache URL --maildev URL
//!                   --pids backend=P,ba=P,ba_cache=P,db=P,mail=P [--secs 4]
//!                   [--scrypt-cost bench/scrypt-cost.mjs] [--extra JSON] [--out bench/results.json]
//!
//! `--ba` runs with its cookie cache off (every check reads the database), `--ba-cache` with it
//! on (`COOKIE_CACHE=1`: checks answered from a signed cookie for up to 5 minutes).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::{
    extra_figures, hashing_so_far, ours_login, ours_logout, ours_user, out_path, parse_args,
    required, round, run, run_length, signup_body, tag, Check, Make, Procs, Stats, PASSWORD,
};

struct Opts {
    api: String,
    metrics: String,
    ba: String,
    ba_cache: String,
    maildev: String,
    dur: Duration,
    scrypt_cost: String,
    extra: Value,
    out: String,
    procs: Procs,
}

/// How long a sign-up waits for its code mail.
const CODE_WAIT: Duration = Duration::from_secs(15);

/// The newest six-digit code mailed to `addr`, polled every `every`, for up to [`CODE_WAIT`].
async fn poll_code(
    c: &reqwest::Client,
    maildev: &str,
    addr: &str,
    every: Duration,
) -> Option<String> {
    crate::poll_code(c, maildev, addr, every, CODE_WAIT).await
}

/// `name=value` of every `Set-Cookie`, joined as a `Cookie` header.
fn cookies(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("; ")
}

fn ba_body(name: &str) -> Value {
    json!({"email": format!("{name}@example.com"), "password": PASSWORD, "name": name, "username": name})
}

/// POSTs `body` to Better Auth's `path`: done once it answered 200 (its body read), or why not.
async fn ba_post(c: &reqwest::Client, base: &str, path: &str, body: &Value) -> Result<(), String> {
    let r = c
        .post(format!("{base}{path}"))
        .json(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status().as_u16() != 200 {
        return Err(format!("{path} {}", r.status()));
    }
    let _ = r.bytes().await;
    Ok(())
}

/// Signs up on Better Auth and confirms the mailed code: done, or why not.
async fn ba_sign_up(
    c: &reqwest::Client,
    base: &str,
    maildev: &str,
    name: &str,
    every: Duration,
) -> Result<(), String> {
    ba_post(c, base, "/api/auth/sign-up/email", &ba_body(name)).await?;
    let email = format!("{name}@example.com");
    let otp = poll_code(c, maildev, &email, every)
        .await
        .ok_or("no code mailed")?;
    let verify = json!({"email": email, "otp": otp});
    ba_post(c, base, "/api/auth/email-otp/verify-email", &verify).await
}

/// A Better Auth sign-in: the `Cookie` header of its answer.
async fn ba_sign_in(c: &reqwest::Client, base: &str, name: &str) -> String {
    let r = c
        .post(format!("{base}/api/auth/sign-in/username"))
        .json(&json!({"username": name, "password": PASSWORD}))
        .send()
        .await
        .expect("better-auth sign-in");
    assert_eq!(r.status().as_u16(), 200, "better-auth sign-in");
    cookies(&r)
}

async fn ba_session_alive(c: &reqwest::Client, base: &str, cookie: &str) -> bool {
    match c
        .get(format!("{base}/api/auth/get-session"))
        .header("cookie", cookie)
        .send()
        .await
    {
        Ok(r) if r.status().as_u16() == 200 => {
            let b = r.bytes().await.unwrap_or_default();
            !b.is_empty() && &b[..] != b"null"
        }
        _ => false,
    }
}

/// Sign out, then check the very same credentials once, immediately: does the server refuse
/// them at once?
async fn revokes_at_once(c: &reqwest::Client, o: &Opts, which: &str, user: &str) -> bool {
    if which == "ours" {
        let tok = ours_login(c, &o.api, user).await;
        let nick = |t: String| {
            let url = format!("{}/api/nick", o.api);
            async move {
                c.get(url)
                    .bearer_auth(t)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }
        };
        assert_eq!(nick(tok.clone()).await, 200);
        assert_eq!(nick(tok.clone()).await, 200);
        ours_logout(c, &o.api, &tok).await;
        return nick(tok).await == 401;
    }
    let base = if which == "ba_cache" {
        &o.ba_cache
    } else {
        &o.ba
    };
    let cookie = ba_sign_in(c, base, user).await;
    assert!(
        ba_session_alive(c, base, &cookie).await,
        "fresh better-auth session alive"
    );
    let r = c
        .post(format!("{base}/api/auth/sign-out"))
        .header("cookie", &cookie)
        .header("origin", base.as_str())
        .json(&json!({}))
        .send()
        .await
        .expect("sign-out");
    assert_eq!(r.status().as_u16(), 200, "better-auth sign-out");
    !ba_session_alive(c, base, &cookie).await
}

/// CPU seconds per request of one process group during a run.
fn cpu_per(s: &Stats, group: &str) -> f64 {
    s.cpu.get(group).copied().unwrap_or(f64::NAN) / 100.0 * s.secs / s.ok.max(1) as f64
}

/// Sign-ups confirmed end to end by `clients` closed loops: request, mail, confirm.
async fn signup_run(o: &Opts, which: &'static str, clients: usize, dur: Duration) -> Stats {
    let tg = tag();
    let every = Duration::from_millis(25);
    crate::closed_loops(&o.procs, clients, dur, u64::MAX, || {
        let c = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        let to = Arc::new((c, o.api.clone(), o.ba.clone(), o.maildev.clone()));
        move |n| {
            let to = to.clone();
            async move {
                let (c, api, ba, maildev) = &*to;
                if which == "ours" {
                    ours_signup(c, api, maildev, tg, n, every).await
                } else {
                    ba_sign_up(c, ba, maildev, &format!("b{tg}x{n}"), every)
                        .await
                        .is_ok()
                }
            }
        }
    })
    .await
}

/// A sign-up on this API from its own client address, as [`crate::ours_sign_up`]: whether it
/// went through.
async fn ours_signup(
    c: &reqwest::Client,
    api: &str,
    maildev: &str,
    tg: u64,
    n: u64,
    every: Duration,
) -> bool {
    let [_, a, b, d] = (n as u32).to_be_bytes();
    let xff = format!("10.9{}.{b}.{d}", a % 10);
    let body = signup_body(tg, n, "g");
    let wait = (every, CODE_WAIT);
    crate::ours_sign_up(c, api, maildev, body, Some(&xff), wait)
        .await
        .is_ok()
}

/// The CPU cost of one scrypt hash at Better Auth's parameters, measured by node itself
/// (`process.cpuUsage`, all threads) over sequential hashes: (cpu ms, wall ms).
fn scrypt_cost(script: &str) -> (f64, f64) {
    let out = std::process::Command::new("node").arg(script).output();
    let v: Value = out
        .ok()
        .and_then(|o| serde_json::from_slice(&o.stdout).ok())
        .unwrap_or(Value::Null);
    (
        v["cpu_ms"].as_f64().unwrap_or(f64::NAN),
        v["wall_ms"].as_f64().unwrap_or(f64::NAN),
    )
}

fn line(label: &str, s: &Stats) {
    eprintln!(
        "{label:>36} {:>8.1} req/s  p50 {:>8.2} ms  p99 {:>8.2} ms  errors {}  cpu {:?}",
        s.rps(),
        s.pct(50.0),
        s.pct(99.0),
        s.errors,
        s.cpu
    );
}

pub async fn main() {
    let a = parse_args();
    let arg = |k: &str| required(&a, k);
    let o = Opts {
        api: arg("api"),
        metrics: arg("metrics"),
        ba: arg("ba"),
        ba_cache: arg("ba-cache"),
        maildev: arg("maildev"),
        dur: run_length(&a),
        scrypt_cost: a
            .get("scrypt-cost")
            .cloned()
            .unwrap_or("bench/scrypt-cost.mjs".into()),
        extra: extra_figures(&a),
        out: out_path(&a),
        procs: Procs::parse(&arg("pids")),
    };
    let c = reqwest::Client::new();
    let every = Duration::from_millis(25);

    // One account on each side, signed in.
    let (ours_name, ours_tok) = ours_user(&c, &o.api, &o.maildev).await;
    let ba_name = format!("ba{}", tag());
    ba_sign_up(&c, &o.ba, &o.maildev, &ba_name, every)
        .await
        .expect("better-auth sign-up");
    let ba_cookie = ba_sign_in(&c, &o.ba, &ba_name).await;
    let ba_cache_cookie = ba_sign_in(&c, &o.ba_cache, &ba_name).await;
    assert!(
        ba_cache_cookie.contains("session_data"),
        "cookie cache on: {ba_cache_cookie}"
    );

    let make_ours: Make = {
        let (url, tok) = (format!("{}/api/nick", o.api), ours_tok.clone());
        Arc::new(move |c, _| c.get(&url).bearer_auth(&tok))
    };
    let make_ba = |base: &str, cookie: &str| -> Make {
        let (url, cookie) = (format!("{base}/api/auth/get-session"), cookie.to_owned());
        Arc::new(move |c, _| c.get(&url).header("cookie", &cookie))
    };
    let sessions = [
        ("ours", make_ours.clone(), Check::Status(200)),
        ("ba", make_ba(&o.ba, &ba_cookie), Check::NotNull),
        (
            "ba_cache",
            make_ba(&o.ba_cache, &ba_cache_cookie),
            Check::NotNull,
        ),
    ];
    // Warm-up (JIT, pools).
    for (_, m, ch) in &sessions {
        run(
            &o.procs,
            m.clone(),
            16,
            Duration::from_secs(2),
            u64::MAX,
            *ch,
        )
        .await;
    }
    let mut session_rows = json!({});
    for clients in [16usize, 64] {
        for (who, m, ch) in &sessions {
            let s = run(&o.procs, m.clone(), clients, o.dur, u64::MAX, *ch).await;
            line(&format!("session check {who} c={clients}"), &s);
            session_rows[who][clients.to_string()] = s.json();
        }
    }
    let revokes = json!({
        "ours": revokes_at_once(&c, &o, "ours", &ours_name).await,
        "ba": revokes_at_once(&c, &o, "ba", &ba_name).await,
        "ba_cache": revokes_at_once(&c, &o, "ba_cache", &ba_name).await,
    });
    eprintln!("revoked at once after sign-out: {revokes}");

    // Password sign-in at 16 clients.
    let (scrypt_cpu_ms, scrypt_wall_ms) = scrypt_cost(&o.scrypt_cost);
    eprintln!("scrypt N=16384 r=16 p=1 (node, alone): {scrypt_cpu_ms:.1} ms CPU ({scrypt_wall_ms:.1} ms wall)");
    let sign_dur = o.dur * 2;
    let ours_login: Make = {
        let url = format!("{}/api/login", o.api);
        let body = json!({"username": ours_name, "password": PASSWORD});
        Arc::new(move |c, _| c.post(&url).json(&body))
    };
    let ba_login: Make = {
        let url = format!("{}/api/auth/sign-in/username", o.ba);
        let body = json!({"username": ba_name, "password": PASSWORD});
        Arc::new(move |c, _| c.post(&url).json(&body))
    };
    run(
        &o.procs,
        ba_login.clone(),
        4,
        Duration::from_secs(2),
        u64::MAX,
        Check::Status(200),
    )
    .await;
    let h0 = hashing_so_far(&c, &o.metrics).await;
    let ours_si = run(
        &o.procs,
        ours_login,
        16,
        sign_dur,
        u64::MAX,
        Check::Status(200),
    )
    .await;
    let h1 = hashing_so_far(&c, &o.metrics).await;
    line("sign-in ours c=16", &ours_si);
    let ba_si = run(
        &o.procs,
        ba_login,
        16,
        sign_dur,
        u64::MAX,
        Check::Status(200),
    )
    .await;
    line("sign-in better-auth c=16", &ba_si);
    let ours_cpu = cpu_per(&ours_si, "backend") * 1e3;
    let ours_hash = (h1.1 - h0.1) / 1e3 / ours_si.ok.max(1) as f64;
    let ba_cpu = cpu_per(&ba_si, "ba") * 1e3;
    let signin = json!({
        "ours": ours_si.json(), "ba": ba_si.json(),
        "cpu_ms_per_sign_in": {
            "ours": {"total": round(ours_cpu, 1), "hash": round(ours_hash, 1), "rest": round(ours_cpu - ours_hash, 1),
                     "hash_source": "the backend's own argon2 CPU counter during the run"},
            "ba": {"total": round(ba_cpu, 1), "hash": round(scrypt_cpu_ms, 1), "rest": round(ba_cpu - scrypt_cpu_ms, 1),
                   "hash_source": "scrypt at Better Auth's parameters timed alone in node (process.cpuUsage)",
                   "scrypt_wall_ms_alone": round(scrypt_wall_ms, 1)},
            "hash_ratio_theirs_over_ours": round(scrypt_cpu_ms / ours_hash, 2),
            "rest_ratio_theirs_over_ours": round((ba_cpu - scrypt_cpu_ms) / (ours_cpu - ours_hash), 2),
        },
    });

    // Sign-up with the emailed code, end to end, at 16 clients (an empty inbox for each).
    let mut signup = json!({});
    for who in ["ours", "ba"] {
        let _ = c
            .delete(format!("{}/api/email/all", o.maildev))
            .send()
            .await;
        let s = signup_run(&o, who, 16, sign_dur).await;
        line(&format!("sign-up e2e {who} c=16"), &s);
        signup[who] = s.json();
    }

    let memory = json!({
        "ours_rss_idle_mb": o.extra["ours_rss_idle_mb"], "ba_rss_idle_mb": o.extra["ba_rss_idle_mb"],
        "ba_cache_rss_idle_mb": o.extra["ba_cache_rss_idle_mb"],
        "ours_rss_peak_mb": o.procs.mem_mb("backend", "VmHWM"), "ba_rss_peak_mb": o.procs.mem_mb("ba", "VmHWM"),
        "ba_cache_rss_peak_mb": o.procs.mem_mb("ba_cache", "VmHWM"),
        "ours_peak_note": "the backend's peak over the whole `just bench` run so far (it served the Flask comparison too)",
    });
    let cold = json!({
        "ours_ms": o.extra["ours_cold_start_ms"], "ba_ms": o.extra["ba_cold_start_ms"],
        "measured": "from spawning the process to the first 200 of its readiness endpoint (ours /health/ready, theirs /health: both ping the database)",
    });

    let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let sr = |who: &str, c: usize| session_rows[who][c.to_string()].clone();
    let ratio = |who: &str, c: usize| {
        round(
            f(&sr("ours", c), "requests_per_s") / f(&sr(who, c), "requests_per_s"),
            2,
        )
    };
    let p99_lower = |who: &str, c: usize| f(&sr("ours", c), "p99_ms") < f(&sr(who, c), "p99_ms");
    let session_met = [16, 64]
        .iter()
        .all(|&c| ratio("ba", c) >= 10.0 && p99_lower("ba", c));
    let si_ratio = round(ours_si.rps() / ba_si.rps(), 2);
    let su_ratio = round(
        f(&signup["ours"], "requests_per_s") / f(&signup["ba"], "requests_per_s"),
        2,
    );
    let headline = json!({
        "vs_better_auth_session": {
            "value": ratio("ba", 64), "at_16": ratio("ba", 16),
            "vs_cookie_cache_at_64": ratio("ba_cache", 64), "vs_cookie_cache_at_16": ratio("ba_cache", 16),
            "p99_ms_ours_64": f(&sr("ours", 64), "p99_ms"), "p99_ms_ba_64": f(&sr("ba", 64), "p99_ms"),
            "p99_ms_ba_cache_64": f(&sr("ba_cache", 64), "p99_ms"),
            "p99_ms_ours_16": f(&sr("ours", 16), "p99_ms"), "p99_ms_ba_16": f(&sr("ba", 16), "p99_ms"),
            "revokes_at_once": revokes,
            "goal": ">= 10x (cookie cache off) at 16 and 64 clients with a lower p99", "met": session_met,
        },
        "vs_better_auth_signin": {
            "value": si_ratio, "p99_ms_ours": round(ours_si.pct(99.0), 1), "p99_ms_ba": round(ba_si.pct(99.0), 1),
            "cpu_ms_per_sign_in": signin["cpu_ms_per_sign_in"],
            "goal": "ahead (req/s and p99) at 16 clients", "met": si_ratio > 1.0 && ours_si.pct(99.0) < ba_si.pct(99.0),
        },
        "vs_better_auth_signup": {
            "value": su_ratio, "p99_ms_ours": signup["ours"]["p99_ms"], "p99_ms_ba": signup["ba"]["p99_ms"],
            "goal": "ahead (flows/s and p99) at 16 clients",
            "met": su_ratio > 1.0 && f(&signup["ours"], "p99_ms") < f(&signup["ba"], "p99_ms"),
        },
    });
    let part = json!({
        "session_check": session_rows, "revokes_at_once": headline["vs_better_auth_session"]["revokes_at_once"],
        "sign_in_16": signin, "sign_up_e2e_16": signup, "memory": memory, "cold_start": cold,
        "config": "Better Auth 1.7.25, NODE_ENV=production, RATE_LIMIT=0, transactions on, mail not awaited; one node process each (cache off / cookie cache on), same database server and maildev as ours",
        "seconds_a_run": o.dur.as_secs_f64(),
    });
    print!("{}", table(&part, &headline));
    crate::merge_results(&o.out, "better_auth", part, headline);
    eprintln!("better-auth comparison written to {}", o.out);
}

/// The Markdown table of the comparison.
fn table(p: &Value, h: &Value) -> String {
    let mut s = String::from(
        "| row | clients | ours req/s | p99 ms | Better Auth req/s | p99 ms | ours / theirs |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let mut row = |name: &str, c: usize, o: &Value, t: &Value| {
        s += &format!(
            "| {name} | {c} | {:.1} | {:.2} | {:.1} | {:.2} | {:.2}x |\n",
            f(o, "requests_per_s"),
            f(o, "p99_ms"),
            f(t, "requests_per_s"),
            f(t, "p99_ms"),
            f(o, "requests_per_s") / f(t, "requests_per_s")
        );
    };
    for c in ["16", "64"] {
        let n: usize = c.parse().unwrap_or(0);
        let sc = &p["session_check"];
        row(
            "session check (cookie cache off)",
            n,
            &sc["ours"][c],
            &sc["ba"][c],
        );
        row(
            "session check (cookie cache on)",
            n,
            &sc["ours"][c],
            &sc["ba_cache"][c],
        );
    }
    row(
        "password sign-in",
        16,
        &p["sign_in_16"]["ours"],
        &p["sign_in_16"]["ba"],
    );
    row(
        "sign-up + mailed code, end to end",
        16,
        &p["sign_up_e2e_16"]["ours"],
        &p["sign_up_e2e_16"]["ba"],
    );
    let cpu = &p["sign_in_16"]["cpu_ms_per_sign_in"];
    let m = &p["memory"];
    s += &format!(
        "\nCPU ms per sign-in (total = hash + rest): ours {} = {} + {}, Better Auth {} = {} + {} (hash ratio {}x, rest ratio {}x)\n\
         revoked at once after sign-out: {}\n\
         memory MB idle / peak: ours {} / {}, Better Auth {} / {} (cookie cache on: {} / {})\n\
         cold start to first answer: ours {} ms, Better Auth {} ms\n\
         headlines: session {}x (met {}), sign-in {}x (met {}), sign-up {}x (met {})\n",
        cpu["ours"]["total"], cpu["ours"]["hash"], cpu["ours"]["rest"],
        cpu["ba"]["total"], cpu["ba"]["hash"], cpu["ba"]["rest"],
        cpu["hash_ratio_theirs_over_ours"], cpu["rest_ratio_theirs_over_ours"],
        p["revokes_at_once"],
        m["ours_rss_idle_mb"], m["ours_rss_peak_mb"], m["ba_rss_idle_mb"], m["ba_rss_peak_mb"],
        m["ba_cache_rss_idle_mb"], m["ba_cache_rss_peak_mb"],
        p["cold_start"]["ours_ms"], p["cold_start"]["ba_ms"],
        h["vs_better_auth_session"]["value"], h["vs_better_auth_session"]["met"],
        h["vs_better_auth_signin"]["value"], h["vs_better_auth_signin"]["met"],
        h["vs_better_auth_signup"]["value"], h["vs_better_auth_signup"]["met"],
    );
    s
}
