//! The numbers of `GET /admin/api/stats`, none of them a scan per request:
//!
//! - sign-ups and sign-ins per UTC day: counters in `daily_counts` (one document per day),
//!   incremented by the events sink `events::daily_counts` as accounts are created and
//!   sessions start, and read back here as a 30-document `_id` range;
//! - accounts: the collection's count from its metadata;
//! - live sessions: a count on the `expires_at` index.
//!
//! The answer is cached per instance for [`TTL_MS`] (by the state's clock).

use std::sync::Mutex;

use mongodb::bson::DateTime;
use shared::admin::{AdminStats, DayCounts};

use crate::{error::ApiError, events::daily_counts::day_of, state::AppState};

/// How long an answer is reused, in milliseconds.
pub const TTL_MS: i64 = 60_000;
/// Days the answer covers, today included.
pub const DAYS: i64 = 30;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// The last answer and when it expires (clock milliseconds).
#[derive(Default)]
pub struct StatsCache(Mutex<Option<(i64, AdminStats)>>);

impl StatsCache {
    fn fresh(&self, now: i64) -> Option<AdminStats> {
        let held = self.0.lock().ok()?;
        held.as_ref()
            .filter(|(until, _)| *until > now)
            .map(|(_, stats)| stats.clone())
    }

    fn keep(&self, until: i64, stats: &AdminStats) {
        if let Ok(mut held) = self.0.lock() {
            *held = Some((until, stats.clone()));
        }
    }
}

/// The numbers, from the cache while it is fresh.
pub async fn read(state: &AppState, cache: &StatsCache) -> Result<AdminStats, ApiError> {
    let now = state.clock.now_millis();
    if let Some(stats) = cache.fresh(now) {
        return Ok(stats);
    }
    let days: Vec<String> = (0..DAYS)
        .rev()
        .map(|ago| day_of(DateTime::from_millis(now - ago * DAY_MS)))
        .collect();
    let stored = state.store.days_since(&days[0]).await?;
    let number = |doc: &mongodb::bson::Document, field: &str| match doc.get(field) {
        Some(mongodb::bson::Bson::Int64(n)) => u64::try_from(*n).unwrap_or(0),
        Some(mongodb::bson::Bson::Int32(n)) => u64::try_from(*n).unwrap_or(0),
        _ => 0,
    };
    let days = days
        .into_iter()
        .map(|day| {
            let doc = stored.iter().find(|d| d.get_str("_id").ok() == Some(&day));
            DayCounts {
                sign_ups: doc.map_or(0, |d| number(d, "sign_ups")),
                sign_ins: doc.map_or(0, |d| number(d, "sign_ins")),
                day,
            }
        })
        .collect();
    let stats = AdminStats {
        accounts: state.store.count_accounts().await?,
        live_sessions: state
            .store
            .count_live_sessions(DateTime::from_millis(now))
            .await?,
        days,
        computed_at: DateTime::from_millis(now)
            .try_to_rfc3339_string()
            .unwrap_or_default(),
    };
    cache.keep(now + TTL_MS, &stats);
    Ok(stats)
}
