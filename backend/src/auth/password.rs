use std::{sync::Arc, time::Duration};

use anyhow::Context;
use argon2::{
    password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString},
    Algorithm, Argon2, Block, Params, Version,
};
use subtle::ConstantTimeEq;

use crate::domain::Password;

/// A hashing thread gives its memory back after this long without work.
const IDLE: Duration = Duration::from_secs(60);

/// Argon2 working memory: one per hashing thread, reused for every hash (19 MiB at the
/// default parameters), allocated on the first job after an idle period.
type Memory = Vec<Block>;
type Job = Box<dyn FnOnce(&mut Memory) + Send>;

/// Hashes and verifies passwords with argon2id at the OWASP parameters (m = 19456 KiB, t = 2,
/// p = 1: the `argon2` crate's defaults).
///
/// The work runs on `concurrency` dedicated threads, never on an async worker. Each thread
/// keeps its 19 MiB of argon2 memory for its whole life instead of allocating it per hash:
/// resident memory stays at `concurrency × 19 MiB` under any load (a fresh allocation per
/// hash on a growing pool of blocking threads left glibc holding gigabytes), no time goes to
/// faulting in fresh pages, and a real verification and the dummy one cost exactly the same.
/// A burst of logins queues for the threads; an idle thread frees its memory.
///
/// The queue is bounded (`queue` jobs waiting, besides the ones running): a flood of logins
/// for made-up usernames would otherwise queue without end and make every login, the owner's
/// included, slower without end. A job that finds the queue full is refused at once with
/// [`HashError::Busy`] (answered 503 with `Retry-After`), having cost nothing.
#[derive(Clone)]
pub struct PasswordHasher {
    jobs: crossbeam_channel::Sender<Job>,
    /// A real hash of a random password, verified against when a username does not exist so
    /// that unknown users cost the same time as wrong passwords.
    dummy_hash: Arc<str>,
}

/// Why a hash or a verification did not happen.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every hashing thread is busy and the queue is full: nothing was evaluated.
    #[error("every hashing thread is busy and the queue is full")]
    Busy,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl PasswordHasher {
    /// `concurrency` hashing threads with the default queue
    /// ([`HASH_QUEUE_PER_THREAD`](crate::config::HASH_QUEUE_PER_THREAD) per thread).
    pub fn new(concurrency: usize) -> anyhow::Result<Self> {
        let concurrency = concurrency.max(1);
        Self::with_queue(
            concurrency,
            crate::config::HASH_QUEUE_PER_THREAD * concurrency,
        )
    }

    /// `concurrency` hashing threads, and at most `queue` (at least 1) jobs waiting for them.
    pub fn with_queue(concurrency: usize, queue: usize) -> anyhow::Result<Self> {
        let (jobs, queue) = crossbeam_channel::bounded::<Job>(queue.max(1));
        for i in 0..concurrency.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    let mut memory = Memory::new();
                    loop {
                        match queue.recv_timeout(IDLE) {
                            Ok(job) => {
                                if memory.is_empty() {
                                    memory =
                                        vec![Block::default(); Params::default().block_count()];
                                }
                                job(&mut memory);
                            }
                            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                                memory = Memory::new()
                            }
                            // Every sender is gone: the application stopped.
                            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return,
                        }
                    }
                })
                .context("starting a hashing thread")?;
        }
        let mut memory = vec![Block::default(); Params::default().block_count()];
        let random = SaltString::generate(&mut OsRng);
        let dummy_hash = hash_with(random.as_str(), &mut memory)?;
        Ok(Self {
            jobs,
            dummy_hash: dummy_hash.into(),
        })
    }

    /// A PHC string `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` with a fresh random salt.
    pub async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let plain = password.expose().to_owned();
        Ok(self.run(move |memory| hash_with(&plain, memory)).await??)
    }

    /// Verifies `password` against `stored`, or against the dummy hash when there is no user:
    /// the work is the same either way and the answer for `None` is always `false`.
    pub async fn verify(
        &self,
        password: &Password,
        stored: Option<&str>,
    ) -> Result<bool, HashError> {
        let plain = password.expose().to_owned();
        let (hash, real) = match stored {
            Some(h) => (h.to_owned(), true),
            None => (self.dummy_hash.to_string(), false),
        };
        let ok = self
            .run(move |memory| verify_with(&plain, &hash, memory))
            .await??;
        Ok(ok && real)
    }

    /// Jobs waiting for a hashing thread (the running ones not counted).
    pub fn queue_depth(&self) -> usize {
        self.jobs.len()
    }

    /// Queues `f` for a hashing thread, or refuses it at once when the queue is full.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let (started, cpu) = (std::time::Instant::now(), crate::stats::thread_cpu_time());
            let value = f(memory);
            let cpu = cpu
                .zip(crate::stats::thread_cpu_time())
                .map(|(a, b)| b.saturating_sub(a));
            crate::stats::hashed(started.elapsed(), cpu);
            let _ = done.send(value);
        });
        self.jobs.try_send(job).map_err(|e| match e {
            crossbeam_channel::TrySendError::Full(_) => HashError::Busy,
            crossbeam_channel::TrySendError::Disconnected(_) => {
                HashError::Failed(anyhow::anyhow!("hashing threads stopped"))
            }
        })?;
        Ok(result.await.context("hashing job dropped")?)
    }
}

fn argon2(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_with(plain: &str, memory: &mut Memory) -> anyhow::Result<String> {
    let params = Params::default();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_buf)
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2(params.clone())
        .hash_password_into_with_memory(plain.as_bytes(), salt_bytes, &mut out, &mut memory[..])
        .map_err(|e| anyhow::anyhow!("argon2 hash failed: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| anyhow::anyhow!("params: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("output: {e}"))?),
    };
    Ok(phc.to_string())
}

fn verify_with(plain: &str, stored: &str, memory: &mut Memory) -> anyhow::Result<bool> {
    let parsed =
        PasswordHash::new(stored).map_err(|e| anyhow::anyhow!("stored hash unreadable: {e}"))?;
    let algorithm =
        Algorithm::try_from(parsed.algorithm).map_err(|e| anyhow::anyhow!("algorithm: {e}"))?;
    let version = parsed
        .version
        .map_or(Ok(Version::V0x13), Version::try_from)
        .map_err(|e| anyhow::anyhow!("version: {e}"))?;
    let params = Params::try_from(&parsed).map_err(|e| anyhow::anyhow!("params: {e}"))?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        anyhow::bail!("stored hash lacks salt or output");
    };
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_buf)
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(plain.as_bytes(), salt_bytes, &mut out, &mut memory[..])
        .map_err(|e| anyhow::anyhow!("argon2 verify failed: {e}"))?;
    Ok(bool::from(out.as_slice().ct_eq(expected.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier;

    fn pw(s: &str) -> Password {
        Password::for_login(s.into()).unwrap()
    }

    /// Whether `hasher` finds `password` to be the one `stored` hashes.
    async fn verifies(hasher: &PasswordHasher, password: &str, stored: &str) -> bool {
        hasher.verify(&pw(password), Some(stored)).await.unwrap()
    }

    #[tokio::test]
    async fn hashes_are_salted_argon2id_at_owasp_parameters() {
        let hasher = PasswordHasher::new(2).unwrap();
        let a = hasher.hash(&pw("correct horse")).await.unwrap();
        let b = hasher.hash(&pw("correct horse")).await.unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "same password must hash differently (salt)");
        assert!(verifies(&hasher, "correct horse", &a).await);
        assert!(!verifies(&hasher, "correct horsf", &a).await);
    }

    #[tokio::test]
    async fn hashes_interoperate_with_the_reference_implementation() {
        let hasher = PasswordHasher::new(1).unwrap();
        // Ours verify with the argon2 crate's own verifier…
        let ours = hasher.hash(&pw("interop password")).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"interop password", &parsed)
            .is_ok());
        // …and the crate's hashes (other parameters too) verify with ours.
        use argon2::PasswordHasher as _;
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8192, 1, 1, None).unwrap(),
        )
        .hash_password(b"interop password", &salt)
        .unwrap()
        .to_string();
        assert!(verifies(&hasher, "interop password", &theirs).await);
        assert!(!verifies(&hasher, "interop passwore", &theirs).await);
    }

    #[tokio::test]
    async fn unknown_users_never_verify() {
        let hasher = PasswordHasher::new(1).unwrap();
        assert!(!hasher.verify(&pw("anything"), None).await.unwrap());
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_the_queued_jobs_still_complete() {
        let hasher = PasswordHasher::with_queue(1, 2).unwrap();
        let stored = hasher.hash(&pw("queued password")).await.unwrap();
        // Hold the only hashing thread until told otherwise.
        let (started, is_running) = tokio::sync::oneshot::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let mut running = Box::pin(hasher.run(move |_| {
            let _ = started.send(());
            let _ = released.recv();
        }));
        assert!(futures_util::poll!(&mut running).is_pending());
        is_running.await.unwrap();
        // Two jobs fill the queue (each submits on its first poll)…
        let (queued, another) = (pw("queued password"), pw("another password"));
        let mut first = Box::pin(hasher.verify(&queued, Some(&stored)));
        let mut second = Box::pin(hasher.hash(&another));
        assert!(futures_util::poll!(&mut first).is_pending());
        assert!(futures_util::poll!(&mut second).is_pending());
        // …so the next ones are refused without waiting, whatever they are.
        assert!(matches!(
            hasher.verify(&pw("queued password"), None).await,
            Err(HashError::Busy)
        ));
        assert!(matches!(
            hasher.hash(&pw("third password")).await,
            Err(HashError::Busy)
        ));
        release.send(()).unwrap();
        running.await.unwrap();
        assert!(first.await.unwrap());
        assert!(second.await.unwrap().starts_with("$argon2id$"));
        // With the queue drained, work is accepted again.
        assert!(verifies(&hasher, "queued password", &stored).await);
    }

    #[tokio::test]
    async fn many_concurrent_jobs_all_complete() {
        let hasher = PasswordHasher::new(2).unwrap();
        let stored = hasher.hash(&pw("concurrent one")).await.unwrap();
        let results = futures_util::future::join_all((0..8).map(|i| {
            let hasher = hasher.clone();
            let stored = stored.clone();
            async move {
                let guess = if i % 2 == 0 {
                    "concurrent one"
                } else {
                    "concurrent two"
                };
                hasher.verify(&pw(guess), Some(&stored)).await.unwrap()
            }
        }))
        .await;
        assert_eq!(
            results,
            vec![true, false, true, false, true, false, true, false]
        );
    }
}
