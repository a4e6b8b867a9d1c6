//! `bench scale`: how each request's cost grows with the number of accounts and sessions.
//!
//! The rule: every size is reached by seeding straight into the database copies of one real
//! account and one real session (documents read back from the database after a real
//! `email_auth` + `register` + `login` through the API, so their shape is the backend's own and
//! the argon2 hash is a real one, for the password every seeded account then shares). At each
//! size, once the database server and the backends are quiet after the seeding ([`settle`]), one
//! client measures the median and p99 of each hot path, with nothing else running; then a
//! refresh storm is run while a probe writes to `sessions` (and a control probe to a collection
//! nothing else writes to), against the same probes idle.
//!
//! Usage: bench scale --api URL --api-nocache URL --maildev URL --mongodb URI --db NAME
//!                    --sizes 1000,100000,1000000 [--op-secs 20] [--out bench/results.json]
//!                    [--pids db=P,backend=P+P] [--budget-secs S]
//!
//! `--budget-secs`: a size whose seeding (at the rate the step before it seeded) and measuring
//! would end past the budget is skipped, and listed in `skipped_sizes` with the prediction.
//!
//! `--api-nocache` is a second instance on the same database with its session cache off
//! (`APP_SESSION_CACHE_CAPACITY=0`). `--pids db=P,backend=P+P` adds, per operation, the CPU
//! time the database server and the backends spent per call (from `/proc`): on a machine
//! shared with other work the wall-clock medians carry the machine's load, the CPU a call
//! costs the server much less so, and a scan shows in it as surely as in the latency.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use mongodb::Collection;
use serde_json::{json, Value};

use crate::{ours_user, parse_args, required, round, signup_body, tag, Procs, PASSWORD};

/// The operations measured at each size, in report order.
const OPS: [&str; 9] = [
    "login",
    "refresh",
    "nick_cache_on",
    "nick_cache_off",
    "sessions",
    "email_auth_new",
    "register_wrong_code",
    "logout",
    "sessions_write_idle",
];
/// Samples per operation at each size (fewer when `--op-secs` runs out first).
const SAMPLES: usize = 200;
/// Samples of the operations that cost a password hash (login, logout needs a login first).
const HASH_SAMPLES: usize = 60;
/// Clients rotating refresh tokens in the storm.
const STORM_CLIENTS: usize = 16;
/// Documents per `insert_many` and seeders in flight (each writes its users and its sessions
/// at once: two collections, two write locks on the local server). Large batches: one round
/// trip and one commit per 5,000 documents.
const BATCH: usize = 5000;
/// [`settle`]: CPU ticks a second (100 are a core) below which a process group is quiet, quiet
/// seconds in a row wanted, and the longest wait.
const SETTLE_CPU: u64 = 15;
const SETTLE_QUIET: usize = 5;
const SETTLE_MAX: Duration = Duration::from_secs(180);
const SEEDERS: usize = 2;

struct Opts {
    api: String,
    nocache: String,
    maildev: String,
    mongodb: String,
    db: String,
    sizes: Vec<u64>,
    op_secs: Duration,
    out: String,
    procs: Procs,
    /// Seconds the whole scale part may take (`--budget-secs`).
    budget: Option<Duration>,
}

/// Latencies of one operation at one size, in ms.
#[derive(Default)]
struct Samples {
    ms: Vec<f64>,
    errors: u64,
    /// CPU ms per call of each process group while the samples were taken.
    cpu_ms_per_call: BTreeMap<String, f64>,
}

impl Samples {
    fn push(&mut self, started: Instant, ok: bool) {
        self.ms.push(started.elapsed().as_secs_f64() * 1e3);
        if !ok {
            self.errors += 1;
        }
    }

    fn pct(&self, p: f64) -> f64 {
        let mut v = self.ms.clone();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            return f64::NAN;
        }
        let i = ((p / 100.0) * v.len() as f64).ceil() as usize;
        v[i.clamp(1, v.len()) - 1]
    }

    fn json(&self) -> Value {
        let cpu: serde_json::Map<String, Value> = self
            .cpu_ms_per_call
            .iter()
            .map(|(k, v)| (k.clone(), round(*v, 2).into()))
            .collect();
        json!({
            "median_ms": round(self.pct(50.0), 2),
            "p99_ms": round(self.pct(99.0), 2),
            "samples": self.ms.len(),
            "errors": self.errors,
            "cpu_ms_per_call": cpu,
        })
    }
}

/// CPU ticks of each group now, to charge to the calls made until [`charge`].
fn ticks(procs: &Procs) -> BTreeMap<String, u64> {
    procs.ticks()
}

/// The CPU each group spent since `before`, per call of `calls`, in ms (ticks are 10 ms).
fn charge(procs: &Procs, before: &BTreeMap<String, u64>, calls: usize) -> BTreeMap<String, f64> {
    procs
        .ticks()
        .into_iter()
        .filter(|(k, _)| k != "driver")
        .map(|(k, now)| {
            let spent = now.saturating_sub(before.get(&k).copied().unwrap_or(now));
            (k, spent as f64 * 10.0 / calls.max(1) as f64)
        })
        .collect()
}

/// Whether a loop of `n` samples may take one more: below `n` and within the time budget, or
/// still under the minimum of 10 samples.
fn more(done: usize, n: usize, started: Instant, budget: Duration) -> bool {
    done < 10 || (done < n && started.elapsed() < budget)
}

pub async fn main() {
    let a = parse_args();
    let arg = |k: &str| required(&a, k);
    let o = Opts {
        api: arg("api"),
        nocache: arg("api-nocache"),
        maildev: arg("maildev"),
        mongodb: arg("mongodb"),
        db: arg("db"),
        sizes: arg("sizes")
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect(),
        op_secs: Duration::from_secs_f64(a.get("op-secs").map_or(20.0, |s| s.parse().unwrap())),
        out: crate::out_path(&a),
        procs: Procs::parse(a.get("pids").map_or("", String::as_str)),
        budget: a
            .get("budget-secs")
            .and_then(|s| s.parse().ok())
            .map(Duration::from_secs_f64),
    };
    let c = reqwest::Client::new();
    let mongo = mongodb::Client::with_uri_str(&o.mongodb)
        .await
        .expect("connect to the database");
    let db = mongo.database(&o.db);
    let users: Collection<Document> = db.collection("users");
    let sessions: Collection<Document> = db.collection("sessions");

    // The template: a real account and its real session.
    let (name, _token) = ours_user(&c, &o.api, &o.maildev).await;
    let user = users
        .find_one(doc! {"username": &name})
        .await
        .expect("read the template user")
        .expect("the template user exists");
    let uid = user.get_object_id("_id").expect("user _id");
    let session = sessions
        .find_one(doc! {"user_id": uid})
        .await
        .expect("read the template session")
        .expect("the template user's session exists");
    eprintln!(
        "scale: template account {name}, seeding sizes {:?}",
        o.sizes
    );

    let mut seeded = 0u64;
    let mut sizes = Vec::new();
    let mut per_size = BTreeMap::new();
    let t_all = Instant::now();
    let mut skipped = Vec::new();
    // Documents a second of the last seeding step, and how long measuring a size took.
    let mut pace: Option<(f64, f64)> = None;
    for &size in &o.sizes {
        // A size whose seeding and measuring, at the pace of the last step, would not end
        // within `--budget-secs` is skipped and recorded as such.
        if let (Some(budget), Some((rate, measure_secs))) = (o.budget, pace) {
            let docs = size.saturating_sub(seeded) as f64 * 2.0;
            // A quarter more than the last pace: inserts slow down as the collections outgrow
            // the server's cache.
            let predicted = 1.25 * (docs / rate.max(1.0) + measure_secs);
            let left = budget.as_secs_f64() - t_all.elapsed().as_secs_f64();
            if predicted > left {
                eprintln!(
                    "scale: {size} skipped: seeding {docs} documents at {rate:.0}/s and measuring \
                     would take ~{predicted:.0} s, {left:.0} s of the budget left"
                );
                skipped.push(json!({
                    "size": size, "predicted_seconds": round(predicted, 0),
                    "seed_docs_per_s_last": round(rate, 0), "budget_left_seconds": round(left, 0),
                }));
                continue;
            }
        }
        let t = Instant::now();
        seed(&users, &sessions, &user, &session, seeded, size).await;
        let seed_secs = t.elapsed().as_secs_f64();
        let before = seeded;
        seeded = size.max(seeded);
        let counts = (
            users.estimated_document_count().await.unwrap_or(0),
            sessions.estimated_document_count().await.unwrap_or(0),
        );
        eprintln!(
            "scale: {size} seeded in {seed_secs:.1} s (users {}, sessions {})",
            counts.0, counts.1
        );
        let (settle_secs, settled) = settle(&o.procs).await;
        eprintln!("scale: {size} settled: {settled} after {settle_secs:.1} s");
        let t = Instant::now();
        let mut m = measure(&c, &o, &sessions, size).await;
        if let Some(obj) = m.as_object_mut() {
            obj.insert("seed_seconds".into(), round(seed_secs, 1).into());
            obj.insert("settle_seconds".into(), round(settle_secs, 1).into());
            obj.insert("settled".into(), settled.into());
            // Accounts and sessions written per second while reaching this size.
            let added = size.saturating_sub(before) as f64 * 2.0;
            obj.insert(
                "seed_docs_per_s".into(),
                round(added / seed_secs.max(0.001), 0).into(),
            );
            obj.insert("users".into(), counts.0.into());
            obj.insert("sessions".into(), counts.1.into());
            obj.insert(
                "measure_seconds".into(),
                round(t.elapsed().as_secs_f64(), 1).into(),
            );
        }
        let measure_secs = t.elapsed().as_secs_f64();
        if size > before {
            pace = Some((
                (size - before) as f64 * 2.0 / seed_secs.max(0.001),
                measure_secs,
            ));
        }
        sizes.push(size);
        per_size.insert(size.to_string(), m);
        report(&o, &sizes, &per_size, &skipped, t_all, false);
    }

    report(&o, &sizes, &per_size, &skipped, t_all, true);
}

/// The scale figures of the sizes measured so far, merged into `--out` (after every size, so
/// that a run cut short keeps what it measured); the table too once `finished`.
fn report(
    o: &Opts,
    sizes: &[u64],
    per_size: &BTreeMap<String, Value>,
    skipped: &[Value],
    t_all: Instant,
    finished: bool,
) {
    let first = sizes.first().map(|s| s.to_string()).unwrap_or_default();
    let last = sizes.last().map(|s| s.to_string()).unwrap_or_default();
    let med = |size: &str, op: &str| {
        per_size[size]["ops"][op]["median_ms"]
            .as_f64()
            .unwrap_or(f64::NAN)
    };
    let mut growth = serde_json::Map::new();
    let mut worst = (f64::NEG_INFINITY, String::new());
    for op in OPS {
        let r = med(&last, op) / med(&first, op);
        growth.insert(op.into(), round(r, 2).into());
        if r > worst.0 {
            worst = (r, op.to_owned());
        }
    }
    // The same ratio over the database server's CPU per call: the machine's load moves it
    // much less than it moves the latency (ticks are 10 ms, so only where both are measurable).
    let db_cpu = |size: &str, op: &str| {
        per_size[size]["ops"][op]["cpu_ms_per_call"]["db"]
            .as_f64()
            .unwrap_or(f64::NAN)
    };
    let mut cpu_growth = serde_json::Map::new();
    for op in OPS {
        let (a, b) = (db_cpu(&first, op), db_cpu(&last, op));
        let r = if a > 0.0 { b / a } else { f64::NAN };
        cpu_growth.insert(
            op.into(),
            if r.is_finite() {
                round(r, 2).into()
            } else {
                Value::Null
            },
        );
    }
    let storm = &per_size[&last]["refresh_storm"];
    let storm_ratio = storm["median_ratio"].as_f64().unwrap_or(f64::NAN);
    let scale = json!({
        "sizes": sizes,
        "per_size": per_size,
        "growth_largest_over_smallest": growth,
        "db_cpu_growth_largest_over_smallest": cpu_growth,
        "seconds": round(t_all.elapsed().as_secs_f64(), 1),
        "skipped_sizes": skipped,
    });
    let headline = json!({
        "scale_growth_max": {
            "value": round(worst.0, 2), "worst_op": worst.1,
            "sizes": format!("{first} -> {last} accounts (+ as many sessions)"),
            "goal": "<= 1.5", "met": worst.0 <= 1.5,
        },
        "scale_sessions_write_under_refresh_storm": {
            "value": round(storm_ratio, 2),
            "p99_ratio": storm["p99_ratio"],
            "idle_median_ms": storm["idle"]["median_ms"], "storm_median_ms": storm["storm"]["median_ms"],
            "idle_p99_ms": storm["idle"]["p99_ms"], "storm_p99_ms": storm["storm"]["p99_ms"],
            "at_size": last,
            "goal": "median within 2x of idle", "met": storm_ratio <= 2.0,
        },
    });
    if finished {
        print!("{}", table(&scale, &headline));
        for s in skipped {
            println!("skipped: {s}");
        }
    }
    crate::merge_results(&o.out, "scale", scale, headline);
    eprintln!("scale: wrote {}", o.out);
}

/// The Markdown table: one row per operation, median / p99 ms per size, and the growth.
fn table(scale: &Value, headline: &Value) -> String {
    let sizes: Vec<String> = scale["sizes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| s.to_string())
        .collect();
    let at = |z: &str| &scale["per_size"][z];
    let mut s = header(
        "operation (1 client)",
        &sizes,
        |z| format!("{z}: median / p99 ms"),
        "growth (median, largest / smallest)",
    );
    for op in OPS {
        let v = |z: &str| &at(z)["ops"][op];
        let growth = scale["growth_largest_over_smallest"][op].to_string();
        s += &row(
            op,
            &sizes,
            |z| format!("{} / {}", v(z)["median_ms"], v(z)["p99_ms"]),
            &growth,
        );
    }
    let storm = |z: &str| &at(z)["refresh_storm"]["storm"];
    s += &row(
        "sessions write during a refresh storm",
        &sizes,
        |z| format!("{} / {}", storm(z)["median_ms"], storm(z)["p99_ms"]),
        "",
    );
    s += &row(
        "seeding (s)",
        &sizes,
        |z| at(z)["seed_seconds"].to_string(),
        "",
    );
    let g = &headline["scale_growth_max"];
    let w = &headline["scale_sessions_write_under_refresh_storm"];
    s += &format!(
        "\nscale_growth_max {} ({}; goal <= 1.5, met: {}); sessions write under a refresh storm: {}x idle median, {}x p99 (goal <= 2, met: {})\n",
        g["value"], g["worst_op"], g["met"], w["value"], w["p99_ratio"], w["met"]
    );
    s += "\n";
    s += &header(
        "database server CPU ms per call",
        &sizes,
        str::to_owned,
        "growth",
    );
    for op in OPS {
        let growth = scale["db_cpu_growth_largest_over_smallest"][op].to_string();
        let cpu = |z: &str| at(z)["ops"][op]["cpu_ms_per_call"]["db"].to_string();
        s += &row(op, &sizes, cpu, &growth);
    }
    s
}

/// A table's header row (`first`, a column per size named by `name`, `last`) and the line
/// under it (the size and last columns right-aligned).
fn header(first: &str, sizes: &[String], name: impl Fn(&str) -> String, last: &str) -> String {
    let mut s = row(first, sizes, name, last);
    s += "|---|";
    s += &"---:|".repeat(sizes.len() + 1);
    s += "\n";
    s
}

/// One table row: `label`, a cell per size, and `last` (an empty last cell when it is empty).
fn row(label: &str, sizes: &[String], cell: impl Fn(&str) -> String, last: &str) -> String {
    let mut s = format!("| {label} |");
    for z in sizes {
        s += &format!(" {} |", cell(z));
    }
    if last.is_empty() {
        s += " |\n";
    } else {
        s += &format!(" {last} |\n");
    }
    s
}

/// Waits until the database server and the backends are quiet after seeding: [`SETTLE_QUIET`]
/// seconds in a row in which each group took at most [`SETTLE_CPU`] of a core (ticks are 100 a
/// second), for [`SETTLE_MAX`] at most; how long it waited and whether they were quiet. Right
/// after a bulk insert the server writes the new data out (its checkpoint) and the backends'
/// change streams still deliver the inserts: measured then, a login at a million accounts took
/// 90-300 ms and 71 ms of the server's CPU, a minute later 55-130 ms and 20 ms, as at a
/// thousand. That is the seeding's cost, not the size's. Without `--pids` nothing is waited for.
async fn settle(procs: &Procs) -> (f64, bool) {
    let t = Instant::now();
    if procs.pids("db").is_empty() {
        return (0.0, false);
    }
    let mut quiet = 0;
    let mut before = procs.ticks();
    while t.elapsed() < SETTLE_MAX {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = procs.ticks();
        let busy = ["db", "backend"].iter().any(|g| {
            now.get(*g).copied().unwrap_or(0) - before.get(*g).copied().unwrap_or(0) > SETTLE_CPU
        });
        before = now;
        quiet = if busy { 0 } else { quiet + 1 };
        if quiet == SETTLE_QUIET {
            return (t.elapsed().as_secs_f64(), true);
        }
    }
    (t.elapsed().as_secs_f64(), false)
}

/// Inserts copies of the template account and session until there are `to` of each.
async fn seed(
    users: &Collection<Document>,
    sessions: &Collection<Document>,
    user: &Document,
    session: &Document,
    from: u64,
    to: u64,
) {
    let mut set = tokio::task::JoinSet::new();
    let starts: Vec<u64> = (from..to).step_by(BATCH).collect();
    let chunks: Vec<Vec<u64>> = (0..SEEDERS)
        .map(|k| starts.iter().copied().skip(k).step_by(SEEDERS).collect())
        .collect();
    for chunk in chunks {
        let (users, sessions, user, session) = (
            users.clone(),
            sessions.clone(),
            user.clone(),
            session.clone(),
        );
        set.spawn(async move {
            for start in chunk {
                let end = (start + BATCH as u64).min(to);
                let (mut us, mut ss) = (Vec::new(), Vec::new());
                for i in start..end {
                    let (u, s) = copies(&user, &session, i);
                    us.push(u);
                    ss.push(s);
                }
                let (u, s) = tokio::join!(
                    users.insert_many(us).ordered(false),
                    sessions.insert_many(ss).ordered(false)
                );
                u.expect("seed users");
                s.expect("seed sessions");
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.expect("seeder task");
    }
}

/// Account `i` (`sc{i}`, password hash copied) and its one session.
fn copies(user: &Document, session: &Document, i: u64) -> (Document, Document) {
    let name = format!("sc{i}");
    let id = ObjectId::new();
    let mut u = user.clone();
    u.insert("_id", id);
    u.insert("username", &name);
    u.insert("username_key", &name);
    u.insert("nickname", &name);
    u.insert("nickname_key", nickname_key(&name));
    u.insert("email", format!("{name}@example.com"));
    u.insert("email_key", format!("{name}@example.com"));
    let mut s = session.clone();
    s.insert("_id", format!("5ca1e{i:027x}"));
    s.insert("user_id", id);
    s.insert("refresh_hash", format!("{i:064x}"));
    (u, s)
}

/// The backend's `domain::nickname_key` (lowercase, UTS #39 skeleton, lowercase).
fn nickname_key(normalized: &str) -> String {
    unicode_security::skeleton(&normalized.to_lowercase())
        .collect::<String>()
        .to_lowercase()
}

async fn login(c: &reqwest::Client, api: &str, user: &str) -> (Instant, Option<Value>) {
    let t = Instant::now();
    let r = c
        .post(format!("{api}/api/login"))
        .json(&json!({"username": user, "password": PASSWORD}))
        .send()
        .await;
    let v = match r {
        Ok(r) if r.status().as_u16() == 200 => r.json::<Value>().await.ok(),
        _ => None,
    };
    (t, v)
}

async fn status(r: reqwest::RequestBuilder) -> u16 {
    match r.send().await {
        Ok(r) => {
            let s = r.status().as_u16();
            let _ = r.bytes().await;
            s
        }
        Err(_) => 0,
    }
}

/// Every operation of [`OPS`] at this size, and the refresh storm.
async fn measure(
    c: &reqwest::Client,
    o: &Opts,
    sessions: &Collection<Document>,
    size: u64,
) -> Value {
    let (api, nc) = (&o.api, &o.nocache);
    let budget = o.op_secs;
    let pick = |k: u64| format!("sc{}", (k.wrapping_mul(2_654_435_761)) % size);
    let mut ops: BTreeMap<&str, Samples> = BTreeMap::new();

    // login (a different seeded account each time), each followed by its logout.
    let (mut li, mut lo) = (Samples::default(), Samples::default());
    let t0 = Instant::now();
    let cpu0 = ticks(&o.procs);
    let mut k = 0;
    while more(li.ms.len(), HASH_SAMPLES, t0, budget * 2) {
        k += 1;
        let (t, v) = login(c, api, &pick(k)).await;
        li.push(t, v.is_some());
        let Some(v) = v else { continue };
        let tok = v["access_token"].as_str().unwrap_or_default().to_owned();
        let t = Instant::now();
        let s = status(c.post(format!("{api}/api/logout")).bearer_auth(&tok)).await;
        lo.push(t, s == 204);
    }
    // One login and one logout a round: their CPU together, per round, on both.
    li.cpu_ms_per_call = charge(&o.procs, &cpu0, li.ms.len());
    lo.cpu_ms_per_call = li.cpu_ms_per_call.clone();
    ops.insert("login", li);
    ops.insert("logout", lo);

    // One signed-in seeded account for the reads and the refresh chain.
    let me = pick(7);
    let (_, v) = login(c, api, &me).await;
    let v = v.expect("login of a seeded account");
    let token = v["access_token"].as_str().expect("access token").to_owned();
    let mut refresh = v["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();

    for (op, base) in [("nick_cache_on", api), ("nick_cache_off", nc)] {
        let url = format!("{base}/api/nick");
        for _ in 0..10 {
            status(c.get(&url).bearer_auth(&token)).await;
        }
        let mut s = Samples::default();
        let t0 = Instant::now();
        let cpu0 = ticks(&o.procs);
        while more(s.ms.len(), SAMPLES, t0, budget) {
            let t = Instant::now();
            let st = status(c.get(&url).bearer_auth(&token)).await;
            s.push(t, st == 200);
        }
        s.cpu_ms_per_call = charge(&o.procs, &cpu0, s.ms.len());
        ops.insert(op, s);
    }

    let mut s = Samples::default();
    let t0 = Instant::now();
    let cpu0 = ticks(&o.procs);
    while more(s.ms.len(), SAMPLES, t0, budget) {
        let t = Instant::now();
        let st = status(c.get(format!("{api}/api/sessions")).bearer_auth(&token)).await;
        s.push(t, st == 200);
    }
    s.cpu_ms_per_call = charge(&o.procs, &cpu0, s.ms.len());
    ops.insert("sessions", s);

    let mut s = Samples::default();
    let t0 = Instant::now();
    let cpu0 = ticks(&o.procs);
    while more(s.ms.len(), SAMPLES, t0, budget) {
        let t = Instant::now();
        let r = c
            .post(format!("{api}/api/token/refresh"))
            .json(&json!({"refresh_token": refresh}))
            .send()
            .await;
        let v = match r {
            Ok(r) if r.status().as_u16() == 200 => r.json::<Value>().await.ok(),
            _ => None,
        };
        s.push(t, v.is_some());
        match v.as_ref().and_then(|v| v["refresh_token"].as_str()) {
            Some(next) => refresh = next.to_owned(),
            None => break,
        }
    }
    s.cpu_ms_per_call = charge(&o.procs, &cpu0, s.ms.len());
    ops.insert("refresh", s);

    // email_auth for a new address, then a wrong code at register for it.
    let (mut ea, mut wc) = (Samples::default(), Samples::default());
    let tg = tag();
    let t0 = Instant::now();
    let cpu0 = ticks(&o.procs);
    // Each round from its own client address (a trusted proxy names it).
    let post_from = |xff: &str, path: &str, body: &Value| {
        let request = c.post(format!("{api}{path}")).json(body);
        status(request.header("x-forwarded-for", xff))
    };
    let mut n = 0;
    while more(ea.ms.len(), HASH_SAMPLES, t0, budget * 2) {
        n += 1;
        let mut body = signup_body(tg, n, "w");
        let [_, a, b, d] = (n as u32).to_be_bytes();
        let xff = format!("10.{a}.{b}.{d}");
        let t = Instant::now();
        let st = post_from(&xff, "/api/email_auth", &body).await;
        ea.push(t, st == 202);
        body["code"] = "000000".into();
        body["password"] = PASSWORD.into();
        let t = Instant::now();
        let st = post_from(&xff, "/api/register", &body).await;
        // A wrong code answers 400 invalid_code (a right guess of 000000 would be 201).
        wc.push(t, st == 400);
    }
    // One of each a round: their CPU together, per round, on both.
    ea.cpu_ms_per_call = charge(&o.procs, &cpu0, ea.ms.len());
    wc.cpu_ms_per_call = ea.cpu_ms_per_call.clone();
    ops.insert("email_auth_new", ea);
    ops.insert("register_wrong_code", wc);

    // The write probe on `sessions`: update_one by _id of a seeded session.
    let probe = |n: usize| {
        let sessions = sessions.clone();
        async move {
            let mut s = Samples::default();
            for k in 0..n {
                let sid = format!("5ca1e{:027x}", (k as u64 * 7919) % size);
                let t = Instant::now();
                let r = sessions
                    .update_one(
                        doc! {"_id": sid},
                        doc! {"$set": {"last_used_at": DateTime::now()}},
                    )
                    .await;
                s.push(t, matches!(r, Ok(ref u) if u.matched_count == 1));
            }
            s
        }
    };
    // The control: the same write to a collection nothing else writes to. What the storm adds
    // to both is the machine's CPU; what it adds to the `sessions` probe alone is waiting for
    // that collection.
    let control_coll = sessions
        .client()
        .database(&sessions.namespace().db)
        .collection::<Document>("scale_probe");
    let control = |n: usize| {
        let coll = control_coll.clone();
        async move {
            let mut s = Samples::default();
            for k in 0..n {
                let t = Instant::now();
                let r = coll
                    .update_one(
                        doc! {"_id": (k % 100) as i64},
                        doc! {"$set": {"at": DateTime::now()}},
                    )
                    .upsert(true)
                    .await;
                s.push(t, r.is_ok());
            }
            s
        }
    };
    let cpu0 = ticks(&o.procs);
    let mut idle = probe(SAMPLES).await;
    idle.cpu_ms_per_call = charge(&o.procs, &cpu0, idle.ms.len());
    let control_idle = control(SAMPLES).await;

    // The storm: clients each with its own session, rotating as fast as answers come, while the
    // probe runs again.
    let stop = Arc::new(AtomicBool::new(false));
    let signed_in = Arc::new(AtomicUsize::new(0));
    let mut storm = tokio::task::JoinSet::new();
    for i in 0..STORM_CLIENTS {
        let (c, api, stop, user) = (c.clone(), api.clone(), stop.clone(), pick(1000 + i as u64));
        let signed_in = signed_in.clone();
        storm.spawn(async move {
            let (_, v) = login(&c, &api, &user).await;
            signed_in.fetch_add(1, Relaxed);
            let mut rt = v.and_then(|v| v["refresh_token"].as_str().map(str::to_owned));
            let (mut ok, mut bad) = (0u64, 0u64);
            while let (Some(tok), false) = (rt.clone(), stop.load(Relaxed)) {
                let r = c
                    .post(format!("{api}/api/token/refresh"))
                    .json(&json!({"refresh_token": tok}))
                    .send()
                    .await;
                rt = match r {
                    Ok(r) if r.status().as_u16() == 200 => r
                        .json::<Value>()
                        .await
                        .ok()
                        .and_then(|v| v["refresh_token"].as_str().map(str::to_owned)),
                    _ => None,
                };
                if rt.is_some() {
                    ok += 1
                } else {
                    bad += 1
                }
            }
            (ok, bad)
        });
    }
    // Until the logins (argon2) are done, so that the probe meets the rotations, not the hashes.
    let wait = Instant::now();
    while signed_in.load(Relaxed) < STORM_CLIENTS && wait.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t_storm = Instant::now();
    let under = probe(SAMPLES).await;
    let control_under = control(SAMPLES).await;
    let storm_secs = t_storm.elapsed().as_secs_f64();
    stop.store(true, Relaxed);
    let (mut rot, mut rot_bad) = (0, 0);
    while let Some(r) = storm.join_next().await {
        let (ok, bad) = r.expect("storm client");
        rot += ok;
        rot_bad += bad;
    }
    let storm_json = json!({
        "clients": STORM_CLIENTS,
        "idle": idle.json(),
        "storm": under.json(),
        "median_ratio": round(under.pct(50.0) / idle.pct(50.0), 2),
        "p99_ratio": round(under.pct(99.0) / idle.pct(99.0), 2),
        "control": {
            "idle": control_idle.json(), "storm": control_under.json(),
            "median_ratio": round(control_under.pct(50.0) / control_idle.pct(50.0), 2),
            "probe": "update_one {_id} $set at, upsert, on scale_probe (a collection nothing else writes to)",
        },
        "rotations": rot, "rotation_failures": rot_bad,
        "rotations_per_s_approx": round(rot as f64 / storm_secs.max(0.001), 1),
        "probe": "update_one {_id: a seeded session} $set last_used_at, one client, through the driver",
    });
    ops.insert("sessions_write_idle", idle);

    let mut line = format!("scale {size:>8}:");
    for (op, s) in &ops {
        line += &format!(" {op} {:.2}/{:.2}", s.pct(50.0), s.pct(99.0));
    }
    eprintln!(
        "{line} ms (median/p99); storm write {:.2}/{:.2} ms",
        under.pct(50.0),
        under.pct(99.0)
    );
    let ops: serde_json::Map<String, Value> = ops
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.json()))
        .collect();
    json!({"ops": ops, "refresh_storm": storm_json})
}
