use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use mongodb::bson::DateTime;
use shared::{EmailAuthRequest, EmailAuthResponse};

use crate::{
    domain::{NewSignup, VerificationCode},
    error::ApiError,
    startup::AppState,
    store::{LockOutcome, SendKind},
};

const HOUR: Duration = Duration::from_secs(3600);

/// Mails a six-digit code to the address (or, when the address already has an account, a
/// mail saying so, with the same answer here so that nobody can probe for accounts).
#[utoipa::path(post, path = "/api/email_auth", tag = "signup",
    request_body = EmailAuthRequest,
    responses(
        (status = 202, description = "A mail is on its way (the code is only in the mail)", body = EmailAuthResponse),
        (status = 400, description = "`malformed_body`", body = shared::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`username_taken` or `nickname_taken`", body = shared::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = shared::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`, every bad field in `errors`", body = shared::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`resend_cooldown` (one code per address per cooldown) or \
          `too_many_codes` (hourly cap per address or per client IP)", body = shared::Problem,
         content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "`mail_unavailable` (nothing was used up; retry) or `service_unavailable`",
         body = shared::Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn email_auth(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<EmailAuthRequest>,
) -> Result<HttpResponse, ApiError> {
    let signup = NewSignup::try_from(body.into_inner())?;
    let store = &state.store;
    // Usernames and nicknames are public, so saying they are taken reveals nothing.
    if store
        .user_exists("username_key", &signup.username.key())
        .await?
    {
        return Err(ApiError::UsernameTaken);
    }
    if store
        .user_exists("nickname_key", &signup.nickname.key())
        .await?
    {
        return Err(ApiError::NicknameTaken);
    }
    let email_key = signup.email.key();
    let registered = store.user_exists("email_key", &email_key).await?;

    let now = DateTime::now();
    let lock = match store
        .acquire_send_lock(&email_key, now, state.codes.resend_cooldown)
        .await?
    {
        LockOutcome::Acquired(lock) => lock,
        LockOutcome::Cooldown(free_at) => {
            tracing::info!(
                event = "throttled",
                limit = "resend_cooldown",
                "code request refused"
            );
            return Err(ApiError::ResendCooldown {
                retry_after: seconds_until(now, free_at),
            });
        }
    };
    let ip = super::client_ip(&req);
    match send_under_lock(&state, &signup, registered, &email_key, &ip, now).await {
        Ok(()) => {
            tracing::info!(event = "code_sent", registered, "verification mail sent");
            Ok(HttpResponse::Accepted().json(EmailAuthResponse {
                expires_in: state.codes.ttl.as_secs(),
                resend_after: state.codes.resend_cooldown.as_secs(),
            }))
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

/// Everything after the cooldown lock is held: the hourly caps, the mail, the code. On error,
/// nothing it did is left behind except the lock, which the caller releases.
async fn send_under_lock(
    state: &AppState,
    signup: &NewSignup,
    registered: bool,
    email_key: &str,
    ip: &str,
    now: DateTime,
) -> Result<(), ApiError> {
    let store = &state.store;
    let limits = &state.codes;
    // Log the IP's send first and count it with the others, so that concurrent requests from
    // one address can never together exceed the cap.
    let ip_send = store.record_send(SendKind::Ip, ip, now, HOUR).await?;
    let result = async {
        let (ip_sends, ip_free_at) = store.sends_in_window(SendKind::Ip, ip, now, HOUR).await?;
        if ip_sends > u64::from(limits.max_per_ip_per_hour) {
            tracing::info!(event = "throttled", limit = "codes_per_ip", %ip, "code request refused");
            return Err(too_many(now, ip_free_at));
        }
        let (email_sends, email_free_at) =
            store.sends_in_window(SendKind::Email, email_key, now, HOUR).await?;
        if email_sends >= u64::from(limits.max_per_email_per_hour) {
            tracing::info!(event = "throttled", limit = "codes_per_email", "code request refused");
            return Err(too_many(now, email_free_at));
        }

        let sent = if registered {
            state.mailer.send_account_exists(&signup.email, signup.locale).await
        } else {
            let code = VerificationCode::generate();
            let sent = state
                .mailer
                .send_code(&signup.email, &code, limits.ttl, signup.locale)
                .await;
            if sent.is_ok() {
                let expires_at = DateTime::from_millis(now.timestamp_millis() + limits.ttl.as_millis() as i64);
                store
                    .put_code(email_key, state.code_mac.tag(&signup.email, &code), now, expires_at)
                    .await?;
            }
            sent
        };
        if let Err(e) = sent {
            tracing::warn!(event = "mail_failed", error = %e, "verification mail not sent");
            return Err(ApiError::MailUnavailable);
        }
        store.record_send(SendKind::Email, email_key, now, HOUR).await?;
        Ok(())
    }
    .await;
    if result.is_err() {
        if let Err(e) = store.forget_send(ip_send).await {
            tracing::warn!(error = %e, "could not undo the IP send record");
        }
    }
    result
}

fn too_many(now: DateTime, free_at: Option<DateTime>) -> ApiError {
    ApiError::TooManyCodes {
        retry_after: free_at.map_or(HOUR.as_secs(), |t| seconds_until(now, t)),
    }
}

/// Whole seconds from `now` until `then`, rounded up, at least 1.
fn seconds_until(now: DateTime, then: DateTime) -> u64 {
    let millis = then
        .timestamp_millis()
        .saturating_sub(now.timestamp_millis())
        .max(0) as u64;
    millis.div_ceil(1000).max(1)
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
