//! The life of a verification code, shared by signup, password reset, email change and
//! sign-in by code: sending it (or a notice) under the
//! per-address resend cooldown and hourly cap and the per-client-IP hourly cap, which count
//! both kinds of mail together; and redeeming it, under the per-address daily cap on wrong
//! guesses. Whether the address has an account changes only the mail's text: the answers, the
//! stored documents and the work done are the same.

use std::{future::Future, net::IpAddr, time::Duration};

use mongodb::bson::{oid::ObjectId, DateTime};
use rand::RngCore;
use shared::{EmailAuthResponse, ErrorCode, Locale};

use crate::{
    domain::{field_error, CodePurpose, EmailAddress, VerificationCode},
    error::ApiError,
    mail::{InsteadOfCode, MailError},
    rendezvous::Point,
    state::AppState,
    store::{seconds_until, AddressCap, Admission, EventKind, Limit, LockOutcome},
};

const HOUR: Duration = Duration::from_secs(3600);
/// The window of the cap on wrong guesses per address.
const DAY: Duration = Duration::from_secs(24 * 3600);
/// Bytes of a code's tag (HMAC-SHA256), and so of a decoy's.
const TAG_BYTES: usize = 32;

/// What the mail says.
#[derive(Debug, Clone, Copy)]
pub enum Outgoing {
    /// A new code for this purpose (signup or reset), stored (as an HMAC) once the mail is
    /// accepted.
    Code(CodePurpose),
    /// A signup for an address that already has an account (a signup decoy is stored).
    AccountExists,
    /// A password reset for an address that has no account (a reset decoy is stored).
    NoAccount,
    /// An email-change code for this account, to its new address: filed under the account,
    /// so that no other account can redeem it.
    EmailChangeCode(ObjectId),
    /// An email change of this account to an address another account has: that address is
    /// told, and an email-change decoy is filed under this account.
    EmailChangeTaken(ObjectId),
    /// A sign-in code for an address that has no account (a sign-in decoy is stored).
    NoAccountSignIn,
}

impl Outgoing {
    /// The collection whose document this mail replaces: a code or a decoy.
    fn purpose(self) -> CodePurpose {
        match self {
            Outgoing::Code(purpose) => purpose,
            Outgoing::AccountExists => CodePurpose::Signup,
            Outgoing::NoAccount => CodePurpose::PasswordReset,
            Outgoing::NoAccountSignIn => CodePurpose::SignIn,
            Outgoing::EmailChangeCode(_) | Outgoing::EmailChangeTaken(_) => {
                CodePurpose::EmailChange
            }
        }
    }

    /// The notice mailed instead of a code, if this is one.
    fn instead_of_code(self) -> Option<InsteadOfCode> {
        match self {
            Outgoing::AccountExists => Some(InsteadOfCode::AccountExists),
            Outgoing::NoAccount => Some(InsteadOfCode::NoAccount),
            Outgoing::EmailChangeTaken(_) => Some(InsteadOfCode::EmailChangeTaken),
            Outgoing::NoAccountSignIn => Some(InsteadOfCode::NoAccountSignIn),
            Outgoing::Code(_) | Outgoing::EmailChangeCode(_) => None,
        }
    }

    /// The `_id` of that document: the address, or for an email change the account.
    fn slot(self, email_key: &str) -> String {
        match self {
            Outgoing::EmailChangeCode(user) | Outgoing::EmailChangeTaken(user) => user.to_hex(),
            _ => email_key.to_owned(),
        }
    }
}

/// Sends one mail under the limits and answers what the client is told, which is the same
/// whatever `outgoing` is. On any error nothing is consumed: no cooldown, no cap, no code.
pub async fn send(
    state: &AppState,
    email: &EmailAddress,
    locale: Locale,
    ip: Option<IpAddr>,
    outgoing: Outgoing,
) -> Result<EmailAuthResponse, ApiError> {
    let store = &state.store;
    let email_key = email.key();
    let now = state.clock.now();
    // An address whose guesses are used up for the day gets no new code (it could not be
    // used); asked before anything is taken or sent, and the same with or without an account.
    if let Some(retry_after) = store.peek(guess_limit(state), &email_key, now).await? {
        tracing::info!(event = "throttled", limit = "code_failures", "mail refused");
        return Err(ApiError::TooManyGuesses { retry_after });
    }
    // The per-IP cap counts by rate key: an IPv6 client's whole network, not one address.
    let ip = ip.map_or_else(
        || "unknown".to_owned(),
        |ip| state.proxies.rate_key_of(ip).to_string(),
    );
    // The cooldown and the per-address hourly cap, taken together in one write; the per-IP
    // cap is counted under the lock (send_under_lock).
    let address_cap = AddressCap {
        window: HOUR,
        max: u64::from(state.codes.max_per_email_per_hour),
    };
    let lock = match store
        .acquire_send_lock(&email_key, now, state.codes.resend_cooldown, address_cap)
        .await?
    {
        LockOutcome::Acquired(lock) => lock,
        LockOutcome::Cooldown(free_at) => {
            tracing::info!(
                event = "throttled",
                limit = "resend_cooldown",
                "mail refused"
            );
            return Err(ApiError::ResendCooldown {
                retry_after: seconds_until(now, free_at),
            });
        }
        LockOutcome::Capped(free_at) => {
            tracing::info!(event = "throttled", limit = "codes_per_email", %ip, "mail refused");
            return Err(ApiError::TooManyCodes {
                retry_after: seconds_until(now, free_at),
            });
        }
    };
    match send_under_lock(state, email, &email_key, locale, &ip, now, outgoing).await {
        Ok(()) => {
            tracing::info!(event = "code_sent", kind = ?outgoing, %ip, "mail sent");
            Ok(EmailAuthResponse {
                expires_in: state.codes.ttl.as_secs(),
                resend_after: state.codes.resend_cooldown.as_secs(),
            })
        }
        Err(e) => {
            // Nothing was sent: the person may try again at once.
            if let Err(release) = store.release_send_lock(lock).await {
                tracing::warn!(error = %release, "could not release the resend cooldown");
            }
            Err(e)
        }
    }
}

/// Everything after the cooldown lock is held (with this mail counted against the address's
/// cap): the per-IP cap, the mail, the code. On error, nothing it did is left behind except
/// the lock, which the caller releases.
async fn send_under_lock(
    state: &AppState,
    email: &EmailAddress,
    email_key: &str,
    locale: Locale,
    ip: &str,
    now: DateTime,
    outgoing: Outgoing,
) -> Result<(), ApiError> {
    let store = &state.store;
    let limits = &state.codes;
    // The cap records this mail first and counts it with the others (Store::admit), so that
    // concurrent requests can never together exceed it.
    let ip_limit = Limit {
        kind: EventKind::MailFromIp,
        window: HOUR,
        max: u64::from(limits.max_per_ip_per_hour),
    };
    let ip_event = match store.admit(ip_limit, ip, now).await? {
        Admission::Admitted(event) => event,
        Admission::Refused { retry_after } => {
            tracing::info!(event = "throttled", limit = "codes_per_ip", %ip, "mail refused");
            return Err(ApiError::TooManyCodes { retry_after });
        }
    };
    let result = async {
        let mailer = &state.mailer;
        // A notice leaves a decoy where a code would be: a tag of random bytes, which no
        // code's HMAC can equal (that would take a preimage of HMAC-SHA256). Guesses against
        // it are then answered, counted and timed exactly like guesses against a real code.
        let (sent, tag) = match outgoing.instead_of_code() {
            Some(notice) => (
                mailer.send_instead_of_code(email, notice, locale).await,
                decoy_tag(),
            ),
            None => {
                let purpose = outgoing.purpose();
                let code = VerificationCode::generate();
                let sent = mailer
                    .send_code(email, &code, purpose, limits.ttl, locale)
                    .await;
                (sent, state.code_mac.tag(purpose, email, &code))
            }
        };
        if sent.is_ok() {
            let expires_at =
                DateTime::from_millis(now.timestamp_millis() + limits.ttl.as_millis() as i64);
            let purpose = outgoing.purpose();
            let address =
                (purpose == CodePurpose::EmailChange).then_some((email.as_str(), email_key));
            store
                .put_code(
                    purpose,
                    &outgoing.slot(email_key),
                    address,
                    tag,
                    locale,
                    now,
                    expires_at,
                )
                .await?;
        }
        match sent {
            Ok(()) => {}
            Err(e @ MailError::RecipientRefused(_)) => {
                tracing::info!(event = "mail_refused", error = %e, "recipient refused");
                return Err(ApiError::Validation(vec![field_error(
                    "email",
                    ErrorCode::InvalidFormat,
                )]));
            }
            Err(e) => {
                tracing::warn!(event = "mail_failed", error = %e, "mail not sent");
                return Err(ApiError::MailUnavailable);
            }
        }
        Ok(())
    }
    .await;
    if result.is_err() {
        // Nothing was sent: the per-IP cap does not count it (nor, once the caller releases
        // the lock, the address's).
        forget(state, ip_event, "IP mail").await;
    }
    result
}

/// Checks `code` against the live code of `email` and, when it matches, runs `action`, and
/// answers its result with the locale the code was requested in. The code is consumed only if
/// the action succeeds; a right code whose action fails for another reason (a name taken
/// meanwhile, a refused password) keeps its attempt.
///
/// An attempt is taken before the comparison, atomically, so no number of concurrent guesses
/// gets more than `max_attempts` comparisons per code; and each guess is logged as a failure
/// before that and counted with the address's others of the last 24 hours, so no number of
/// concurrent guesses, resends and purposes gets more than `max_failures_per_day` wrong ones.
///
/// `slot` is where the code is filed when that is not its address (an email change, filed
/// under the account); guesses are counted against the address the code went to either way.
/// `action` gets the locale the code was requested in.
pub async fn redeem<T, Fut>(
    state: &AppState,
    purpose: CodePurpose,
    slot: Option<&str>,
    email: &EmailAddress,
    code: &VerificationCode,
    action: impl FnOnce(Locale) -> Fut,
) -> Result<(T, Locale), ApiError>
where
    Fut: Future<Output = Result<T, ApiError>>,
{
    let store = &state.store;
    let max = state.codes.max_attempts;
    let email_key = email.key();
    let slot = slot.unwrap_or(&email_key);
    let now = state.clock.now();
    let guess = match store.admit(guess_limit(state), &email_key, now).await? {
        Admission::Admitted(guess) => guess,
        Admission::Refused { retry_after } => {
            tracing::info!(
                event = "throttled",
                limit = "code_failures",
                ?purpose,
                "guess refused"
            );
            return Err(ApiError::TooManyGuesses { retry_after });
        }
    };
    // On a database error the record stays: the attempt may have been taken.
    let Some(live) = store.take_code_attempt(purpose, slot, now, max).await? else {
        // Nothing was compared, so nothing was guessed.
        forget_guess(state, guess).await;
        return Err(ApiError::CodeExpired);
    };
    store.rendezvous().pass(Point::RedeemCode).await;
    if !state.code_mac.verify(purpose, email, code, &live.tag.bytes) {
        let attempts_left = max.saturating_sub(u32::try_from(live.attempts).unwrap_or(max));
        tracing::info!(event = "code_failed", ?purpose, attempts_left, "wrong code");
        return Err(ApiError::InvalidCode { attempts_left });
    }
    // A right code is no failure, whatever the action makes of it.
    forget_guess(state, guess).await;
    match action(live.locale).await {
        Ok(done) => {
            if let Err(e) = store.delete_code(purpose, &live).await {
                tracing::warn!(error = %e, "used code not deleted; it expires on its own");
            }
            Ok((done, live.locale))
        }
        Err(e) => {
            // With the database unreachable the give-back would only wait out a second
            // server-selection timeout before failing too: answer the 503 now.
            if !matches!(e, ApiError::Unavailable(_)) {
                if let Err(give_back) = store.return_code_attempt(purpose, &live).await {
                    tracing::warn!(error = %give_back, "could not return a code attempt");
                }
            }
            Err(e)
        }
    }
}

/// Random bytes of a tag's length.
fn decoy_tag() -> Vec<u8> {
    let mut decoy = vec![0u8; TAG_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut decoy);
    decoy
}

async fn forget_guess(state: &AppState, guess: ObjectId) {
    forget(state, guess, "code guess").await;
}

/// Undoes an event record for something that turned out not to happen.
async fn forget(state: &AppState, event: ObjectId, what: &'static str) {
    if let Err(e) = state.store.forget_event(event).await {
        tracing::warn!(error = %e, what, "could not undo an event record");
    }
}

/// Wrong guesses per address per day, every purpose together.
fn guess_limit(state: &AppState) -> Limit {
    Limit {
        kind: EventKind::CodeFailure,
        window: DAY,
        max: u64::from(state.codes.max_failures_per_day),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_up() {
        let now = DateTime::from_millis(1_000_000);
        assert_eq!(seconds_until(now, DateTime::from_millis(1_000_001)), 1);
        assert_eq!(seconds_until(now, DateTime::from_millis(1_060_000)), 60);
        assert_eq!(seconds_until(now, DateTime::from_millis(1_059_001)), 60);
        assert_eq!(seconds_until(now, DateTime::from_millis(900_000)), 1);
    }
}
