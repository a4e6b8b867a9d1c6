//! Test hook: holds requests at a named point between the read and the write of a
//! compare-and-set, so a test forces the interleaving it is about (both read before either
//! writes; or one read, then others write, then it writes) instead of hoping the scheduler
//! produces it. Like the clock, the hook travels in `Settings`: production builds the inert
//! one ([`Rendezvous::default`]), whose [`Rendezvous::pass`] returns at once; only tests
//! build an armable one ([`Rendezvous::armable`]). Like the cache's stall injection, it is
//! always compiled, so the code under test is the code that ships.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;

/// Where a request can be held: each right after the read its write depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    /// A refresh has read the session (generation and liveness checked), before the
    /// compare-and-set that moves it to the next generation.
    RotateSession,
    /// A passkey assertion has been verified against the stored counter, before the
    /// conditional update that records the new counter.
    RecordPasskeyUse,
    /// A code attempt has been taken (the live code read), before it is compared and its
    /// action (creating the account, changing the password...) runs.
    RedeemCode,
}

#[derive(Clone, Default)]
pub struct Rendezvous(Option<Arc<Inner>>);

struct Inner {
    /// The armed point and how many more arrivals it holds.
    armed: Mutex<Option<(Point, usize)>>,
    /// How many requests are held at the armed point now.
    held: watch::Sender<usize>,
    /// Bumped by [`Rendezvous::release`]: every held request goes on.
    releases: watch::Sender<u64>,
}

impl std::fmt::Debug for Rendezvous {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Rendezvous(armable)"
        } else {
            "Rendezvous(inert)"
        })
    }
}

impl Rendezvous {
    /// A hook tests can arm (unarmed until [`Rendezvous::hold`]).
    pub fn armable() -> Self {
        Self(Some(Arc::new(Inner {
            armed: Mutex::new(None),
            held: watch::Sender::new(0),
            releases: watch::Sender::new(0),
        })))
    }

    /// The next `arrivals` requests that reach `point` wait there until [`Rendezvous::release`];
    /// later ones pass. No-op on the inert hook.
    pub fn hold(&self, point: Point, arrivals: usize) {
        if let Some(inner) = &self.0 {
            *lock(&inner.armed) = Some((point, arrivals));
            inner.held.send_replace(0);
        }
    }

    /// Waits until `count` requests are held (at once, on the inert hook).
    pub async fn held(&self, count: usize) {
        if let Some(inner) = &self.0 {
            let mut held = inner.held.subscribe();
            // The sender lives as long as `self`: the wait cannot fail.
            let _ = held.wait_for(|&n| n >= count).await;
        }
    }

    /// Lets every held request go on, and disarms the point.
    pub fn release(&self) {
        if let Some(inner) = &self.0 {
            *lock(&inner.armed) = None;
            inner.releases.send_modify(|n| *n += 1);
        }
    }

    /// Called by the code at `point`: waits there while the point is armed for this arrival.
    pub async fn pass(&self, point: Point) {
        let Some(inner) = &self.0 else {
            return;
        };
        // Subscribed before looking at the point: a release after this is seen.
        let mut releases = inner.releases.subscribe();
        {
            let mut armed = lock(&inner.armed);
            match armed.as_mut() {
                Some((at, left)) if *at == point && *left > 0 => *left -= 1,
                _ => return,
            }
        }
        inner.held.send_modify(|n| *n += 1);
        let _ = releases.changed().await;
        inner.held.send_modify(|n| *n = n.saturating_sub(1));
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
