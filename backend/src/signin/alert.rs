//! "New sign-in" alerts and their "this wasn't me" link.
//!
//! The rule: a sign-in that succeeds from a client with no valid device cookie of the account
//! **and** from a network the account never signed in from, on an account that signed in
//! before, mails the owner (`APP_NEW_SIGNIN_ALERTS`, on by default) through the outbox: the
//! sign-in waits only for the outbox write, and an SMTP outage delays the mail, never loses
//! it. The mail names the browser and system, the address, the method and the time, and links
//! to `/security/not-me#token=…` (in the fragment: never in a log or a `Referer`).
//!
//! The token is 32 random bytes; only its HMAC is stored, with the account and the session
//! the alert is about, for `APP_NOT_ME_TTL_SECS` (7 days). Pressing the page's button
//! (`POST /api/security/not-me`) uses it once: every session of the account ends on every
//! instance and a password-reset code is mailed to the owner. A used, expired, forged or
//! foreign token gets the one answer `400 invalid_token`.

use base64::Engine;
use rand::RngCore;
use secrecy::ExposeSecret;

use super::Client;
use crate::{
    auth::keys,
    domain::{CodePurpose, EmailAddress},
    error::ApiError,
    events::{self, Context, EndReason, Event},
    mail::Notice,
    notices,
    state::AppState,
    store::{NotMeLink, UserDoc},
    user_agent,
    verification::{self, Outgoing},
};

/// Longest token accepted, in characters (43 are issued).
const MAX_TOKEN_CHARS: usize = 64;

fn token_hash(state: &AppState, token: &str) -> String {
    use hmac::Mac;
    let key = keys::derive(
        state.codes.pepper.expose_secret().as_bytes(),
        "emailauth not-me link v1",
    );
    let mut mac = keys::hmac(&key);
    mac.update(token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Mails the owner of `user` about the new session `session_id` of `client` (see the rule
/// above; the caller decided it is a new device). Best effort: the sign-in stands whatever
/// happens here.
pub async fn new_sign_in(
    state: &AppState,
    client: &Client,
    user: &UserDoc,
    session_id: &str,
    method: &str,
) {
    if !state.alerts.new_sign_in {
        return;
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let now = state.clock.now();
    let link = NotMeLink {
        user_id: user.id,
        session_id: session_id.to_owned(),
    };
    let expires_at = crate::clock::after(now, state.alerts.not_me_ttl);
    if let Err(e) = state
        .store
        .insert_not_me_link(&token_hash(state, &token), &link, now, expires_at)
        .await
    {
        tracing::warn!(error = %e, user_id = %user.id, "new sign-in alert not sent: its link was not stored");
        return;
    }
    let (browser, system) = user_agent::describe(&client.user_agent);
    let unknown = match user.locale {
        shared::Locale::Ko => "알 수 없음",
        shared::Locale::En => "unknown",
    };
    let notice = Notice::NewSignIn {
        browser: browser.unwrap_or(unknown).to_owned(),
        system: system.unwrap_or(unknown).to_owned(),
        ip: match client.ip {
            Some(ip) => ip.to_string(),
            None => unknown.to_owned(),
        },
        method: method.to_owned(),
        link: format!(
            "{}/security/not-me#token={token}",
            state.alerts.link_origin.trim_end_matches('/')
        ),
    };
    notices::notify(state, user, notice).await;
    tracing::info!(event = "new_sign_in_alert", user_id = %user.id, session = %session_id, "new sign-in alert queued");
    let context = Context::of(state, user.id, client, Some(session_id));
    let event = Event::NewSignInAlert {
        session_id: session_id.to_owned(),
    };
    events::emit(state, &context, event).await;
}

/// "This wasn't me": uses `token` once, ends every session of its account and mails the
/// owner a password-reset code. How many sessions ended.
pub async fn not_me(state: &AppState, client: &Client, token: &str) -> Result<u64, ApiError> {
    if token.is_empty() || token.chars().count() > MAX_TOKEN_CHARS {
        return Err(ApiError::InvalidLink);
    }
    let store = &state.store;
    let link = store
        .take_not_me_link(&token_hash(state, token), state.clock.now())
        .await?
        .ok_or(ApiError::InvalidLink)?;
    let Some(user) = store.find_user_by_id(&link.user_id.to_hex()).await? else {
        return Err(ApiError::InvalidLink);
    };
    let ended = store.end_sessions_of(user.id, None).await?;
    let count = ended.len() as u64;
    tracing::warn!(event = "not_me", user_id = %user.id, session = %link.session_id, sessions = count, ip = %client.ip_text(), "the owner says a sign-in was not them: every session ended");
    let context = Context::of(state, user.id, client, None);
    let mut happened = vec![Event::NotMe {
        session_id: link.session_id,
    }];
    happened.extend(events::sessions_ended(ended, EndReason::NotMe));
    events::emit_all(state, &context, happened).await;
    // The reset code, under the usual limits: if they refuse (a code was just sent), the
    // reset page asks for another; the sessions are ended either way.
    match EmailAddress::parse(user.email.clone()) {
        Ok(to) => {
            let outgoing = Outgoing::Code(CodePurpose::PasswordReset);
            if let Err(e) = verification::send(state, &to, user.locale, client.ip, outgoing).await {
                tracing::info!(event = "not_me_reset_code_refused", user_id = %user.id, error = %e, "no reset code mailed after not-me");
            }
        }
        Err(_) => {
            tracing::warn!(user_id = %user.id, "stored address unparsable: no reset code mailed")
        }
    }
    Ok(count)
}
