use std::sync::Arc;

use anyhow::Context;
use argon2::{
    password_hash::{
        rand_core::OsRng, PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString,
    },
    Argon2,
};
use tokio::sync::Semaphore;

use crate::domain::Password;

/// Hashes and verifies passwords with argon2id at the OWASP parameters (m = 19456 KiB, t = 2,
/// p = 1: the `argon2` crate's defaults).
///
/// Every computation runs on tokio's blocking pool, never on an async worker, and at most
/// `concurrency` run at once: a burst of logins queues here instead of spawning hundreds of
/// threads that each allocate 19 MiB.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// A real hash of a random password, verified against when a username does not exist so
    /// that unknown users cost the same time as wrong passwords.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    pub fn new(concurrency: usize) -> anyhow::Result<Self> {
        let random = SaltString::generate(&mut OsRng);
        let dummy_hash = hash_blocking(random.as_str())?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: dummy_hash.into(),
        })
    }

    /// A PHC string `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` with a fresh random salt.
    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let plain = password.expose().to_owned();
        self.run(move || hash_blocking(&plain)).await?
    }

    /// Verifies `password` against `stored`, or against the dummy hash when there is no user:
    /// the work is the same either way and the answer for `None` is always `false`.
    pub async fn verify(&self, password: &Password, stored: Option<&str>) -> anyhow::Result<bool> {
        let plain = password.expose().to_owned();
        let (hash, real) = match stored {
            Some(h) => (h.to_owned(), true),
            None => (self.dummy_hash.to_string(), false),
        };
        let ok = self.run(move || verify_blocking(&plain, &hash)).await??;
        Ok(ok && real)
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let _permit = self.permits.acquire().await.context("hasher closed")?;
        tokio::task::spawn_blocking(f)
            .await
            .context("hashing task failed")
    }
}

fn hash_blocking(plain: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(plain.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2 hash failed: {e}"))
}

fn verify_blocking(plain: &str, stored: &str) -> anyhow::Result<bool> {
    let parsed =
        PasswordHash::new(stored).map_err(|e| anyhow::anyhow!("stored hash unreadable: {e}"))?;
    match Argon2::default().verify_password(plain.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(e) => Err(anyhow::anyhow!("argon2 verify failed: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(s: &str) -> Password {
        Password::for_login(s.into()).unwrap()
    }

    #[tokio::test]
    async fn hashes_are_salted_argon2id_at_owasp_parameters() {
        let hasher = PasswordHasher::new(2).unwrap();
        let a = hasher.hash(&pw("correct horse")).await.unwrap();
        let b = hasher.hash(&pw("correct horse")).await.unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "same password must hash differently (salt)");
        assert!(hasher.verify(&pw("correct horse"), Some(&a)).await.unwrap());
        assert!(!hasher.verify(&pw("correct horsf"), Some(&a)).await.unwrap());
    }

    #[tokio::test]
    async fn unknown_users_never_verify() {
        let hasher = PasswordHasher::new(1).unwrap();
        assert!(!hasher.verify(&pw("anything"), None).await.unwrap());
    }
}
