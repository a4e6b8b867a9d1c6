//! Work that must not sit on an answer's path: recording a refused attempt against an
//! account. Whether an account exists must not show in how long an answer takes, and such a
//! record exists only for accounts; so the request hands the work to this queue and answers.
//! One task per process runs the queue (`run`); a full queue drops the job and counts it as a
//! sink failure, like any other failed record.
//!
//! The queue is generic over the state its jobs receive, so that the state can hold it without
//! this module knowing the state.

use std::{future::Future, pin::Pin, sync::Mutex};

use actix_web::web;
use tokio::sync::mpsc;

/// Jobs waiting at most; past it a job is dropped and counted.
const CAPACITY: usize = 10_000;

type Job<S> =
    Box<dyn FnOnce(web::Data<S>) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + 'static>;

/// The sending side, held in the state; the receiving side is taken once by [`run`].
pub struct Deferred<S> {
    tx: mpsc::Sender<Job<S>>,
    rx: Mutex<Option<mpsc::Receiver<Job<S>>>>,
}

impl<S> Default for Deferred<S> {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel(CAPACITY);
        Self {
            tx,
            rx: Mutex::new(Some(rx)),
        }
    }
}

impl<S: 'static> Deferred<S> {
    /// Queues `job`; it runs after the answer, in order, on the process's queue task.
    pub fn later<F, Fut>(&self, job: F)
    where
        F: FnOnce(web::Data<S>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let job: Job<S> = Box::new(move |state| Box::pin(job(state)));
        if self.tx.try_send(job).is_err() {
            tracing::warn!(
                event = "event_sink_failed",
                sink = "deferred",
                "deferred work dropped: the queue is full"
            );
            metrics::counter!("events_sink_failures_total", "sink" => "deferred").increment(1);
        }
    }
}

/// Runs the jobs queued in `state`'s queue (`queue_of`) until the process ends (started once
/// per server).
pub async fn run<S: 'static>(state: web::Data<S>, queue_of: fn(&S) -> &Deferred<S>) {
    let rx = queue_of(&state).rx.lock().ok().and_then(|mut rx| rx.take());
    let Some(mut rx) = rx else {
        return;
    };
    while let Some(job) = rx.recv().await {
        job(state.clone()).await;
    }
}
