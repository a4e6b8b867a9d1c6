//! "Now", injected: handlers and stores that decide on time (session expiry, token expiry) take
//! it from the [`Clock`] in the state, so tests can move time forward instead of sleeping.

use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mongodb::bson::DateTime;

/// The system clock, optionally shifted forward by an offset that tests control. Production
/// never builds an adjustable one (`Settings` starts with [`Clock::system`]); the offset only
/// ever grows, so time seen through one clock never runs backwards.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Self {
        Self { offset_ms: None }
    }

    /// A clock that starts at the system time and that [`Clock::advance`] moves forward.
    pub fn adjustable() -> Self {
        Self {
            offset_ms: Some(Arc::new(AtomicI64::new(0))),
        }
    }

    /// Moves an adjustable clock (and every copy of it) forward; no-op on the system clock.
    pub fn advance(&self, by: Duration) {
        if let Some(offset) = &self.offset_ms {
            let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
            offset.fetch_add(ms, Ordering::SeqCst);
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_millis(&self) -> i64 {
        let system = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let offset = self
            .offset_ms
            .as_ref()
            .map_or(0, |o| o.load(Ordering::SeqCst));
        system.saturating_add(offset)
    }

    pub fn now(&self) -> DateTime {
        DateTime::from_millis(self.now_millis())
    }

    /// Whole seconds since the Unix epoch (JWT times).
    pub fn now_secs(&self) -> u64 {
        u64::try_from(self.now_millis() / 1000).unwrap_or(0)
    }
}

/// `d` after `t`, saturating at the end of representable time (a configured duration of
/// years can never wrap around into the past).
pub fn after(t: DateTime, d: Duration) -> DateTime {
    DateTime::from_millis(t.timestamp_millis().saturating_add(millis(d)))
}

/// `d` before `t`, saturating at the start of representable time.
pub fn before(t: DateTime, d: Duration) -> DateTime {
    DateTime::from_millis(t.timestamp_millis().saturating_sub(millis(d)))
}

/// A duration in milliseconds, saturating.
pub fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_arithmetic_saturates() {
        let t = DateTime::from_millis(1_000);
        assert_eq!(after(t, Duration::from_secs(1)).timestamp_millis(), 2_000);
        assert_eq!(before(t, Duration::from_secs(1)).timestamp_millis(), 0);
        assert_eq!(after(t, Duration::MAX).timestamp_millis(), i64::MAX);
        assert_eq!(
            before(t, Duration::MAX).timestamp_millis(),
            1_000 - i64::MAX
        );
        let start = DateTime::from_millis(i64::MIN + 5);
        assert_eq!(
            before(start, Duration::from_secs(1)).timestamp_millis(),
            i64::MIN
        );
    }

    #[test]
    fn an_adjustable_clock_moves_forward_for_every_copy_and_the_system_clock_does_not() {
        let clock = Clock::adjustable();
        let copy = clock.clone();
        let before = copy.now_millis();
        clock.advance(Duration::from_secs(7 * 24 * 3600));
        let after = copy.now_millis();
        assert!(after - before >= 7 * 24 * 3600 * 1000, "{before} → {after}");

        let system = Clock::system();
        let s = system.now_millis();
        system.advance(Duration::from_secs(3600));
        assert!(system.now_millis() - s < 3_600_000);
    }
}
