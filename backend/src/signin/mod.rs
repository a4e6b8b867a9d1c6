//! Sign-in: how a proved identity becomes a session. Every way of proving who one is ends in
//! [`finish`], so the rules that apply to all of them live here once:
//!
//! ```text
//!  first factor ─┬─ password        (password.rs)   one factor
//!                ├─ emailed code    (email_code.rs) one factor
//!                └─ passkey alone   (passkey.rs)    two factors (possession + user verification)
//!        │  each attempt counted in its pool first (pools.rs); a wrong one is 401/400
//!        ▼
//!  finish(proof) ── account disabled?        → 403 account_disabled (said only after a right proof)
//!                ── TOTP on, one factor so far → a ticket, not a session (second_step.rs):
//!                       200 {mfa_required, mfa_token, methods}; no token, no cookie
//!                ── otherwise: remember the network, set the device cookie, start the session,
//!                   end the account's least recently used sessions beyond APP_SESSIONS_MAX, then
//!                   read the account again (the fence): a password change or reset, a second-factor
//!                   reset or a disabling that landed meanwhile ends the new session at once.
//!  ticket ─ second factor (TOTP code, recovery code, passkey) ─→ finish(proof + second factor)
//! ```
//!
//! The one second-factor policy: an account with TOTP on needs two factors on every path, so
//! a password or an emailed code is followed by the second step, and a passkey (user-verified)
//! is both. Signed-in changes to the factors themselves need a fresh proof of them
//! ([`step_up`]): a stolen access token alone can add no passkey and turn on no TOTP.
//! The answer of every path is [`respond`]'s: the token pair (body or cookie transport) and
//! the device cookie, or the ticket.

pub mod alert;
mod client;
pub mod email_code;
pub mod passkey;
pub mod password;
pub mod pools;
pub mod second_step;
pub mod step_up;

use actix_web::{
    http::header::{self, HeaderValue},
    HttpResponse,
};
use shared::{MfaChallenge, MfaMethod};

pub use client::Client;

use crate::{
    auth::device::{set_device_cookie, DeviceOwner},
    error::ApiError,
    events::{self, Context, Event},
    session::{self, Issued},
    state::AppState,
    store::UserDoc,
};

/// How the first factor was proved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Password,
    EmailCode,
    Passkey,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Password => "password",
            Method::EmailCode => "email_code",
            Method::Passkey => "passkey",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [Method::Password, Method::EmailCode, Method::Passkey]
            .into_iter()
            .find(|m| m.as_str() == name)
    }

    /// Whether it proves two factors on its own: a user-verified passkey is something the
    /// person has and something they know or are; a password or a mailbox is one.
    fn is_two_factors(self) -> bool {
        matches!(self, Method::Passkey)
    }
}

fn second_name(method: MfaMethod) -> &'static str {
    match method {
        MfaMethod::Totp => "totp",
        MfaMethod::RecoveryCode => "recovery_code",
        MfaMethod::Passkey => "passkey",
    }
}

/// What a person proved: the account (as read before the proof), how, and the second factor
/// when there was a second step.
pub struct Proof {
    pub user: UserDoc,
    pub method: Method,
    pub second: Option<MfaMethod>,
}

impl Proof {
    pub fn first(user: UserDoc, method: Method) -> Self {
        Self {
            user,
            method,
            second: None,
        }
    }

    /// How the session was signed in to, as recorded and listed: `password`, `passkey`,
    /// `password+totp`, …
    pub fn label(&self) -> String {
        match self.second {
            None => self.method.as_str().to_owned(),
            Some(second) => format!("{}+{}", self.method.as_str(), second_name(second)),
        }
    }
}

/// Where a sign-in ended.
pub enum Outcome {
    /// A new session.
    SignedIn(Box<SignedIn>),
    /// A second factor is needed first: the ticket.
    SecondStep(MfaChallenge),
}

pub struct SignedIn {
    pub issued: Issued,
    pub user: UserDoc,
    /// The `Set-Cookie` value of the device cookie.
    device_cookie: String,
}

/// The end of every way of signing in: applies the rules above and starts the session, or
/// asks for the second step.
pub async fn finish(state: &AppState, client: &Client, proof: Proof) -> Result<Outcome, ApiError> {
    let ip = client.ip_text();
    let user = &proof.user;
    if user.disabled {
        tracing::info!(event = "login_refused", user_id = %user.id, method = %proof.label(), reason = "account_disabled", %ip, "sign-in refused");
        return Err(ApiError::AccountDisabled);
    }
    if user.totp.is_some() && proof.second.is_none() && !proof.method.is_two_factors() {
        // One factor proved, the second not yet: no session and no cookie; the network and
        // device are remembered only once the second step succeeds.
        let challenge = second_step::challenge(state, user, proof.method, &ip).await?;
        return Ok(Outcome::SecondStep(challenge));
    }
    // A new device: no valid device cookie of the account, a network it never signed in from,
    // on an account that has signed in before (asked before this sign-in is remembered).
    let known_device = client.device_of(state, user);
    let known_network = match &client.network {
        Some(net) => store_knows(state, user, net).await,
        None => false,
    };
    let new_device = known_device.is_none() && !known_network && user.last_sign_in.is_some();
    remember_network(state, user, client).await;
    let owner = DeviceOwner {
        account: &user.id,
        epoch: &user.credential_epoch,
    };
    let device = match known_device {
        Some(id) => state.device_keys.sign(owner, &id),
        None => state.device_keys.issue(owner),
    };
    let label = proof.label();
    let issued = session::start(state, user.id, client.info(), &label).await?;
    let store = &state.store;
    match store
        .trim_sessions(user.id, state.sessions.max_per_account)
        .await
    {
        Ok(0) => {}
        Ok(ended) => {
            tracing::info!(event = "sessions_trimmed", user_id = %user.id, ended, "least recently used sessions ended")
        }
        Err(e) => tracing::warn!(error = %e, user_id = %user.id, "could not trim sessions"),
    }
    // The fence: a password change or reset, a second-factor reset or a disabling that landed
    // while this sign-in was being proved ended every session before ours existed (or marked
    // them): look again, and give up ours if what it proved is gone.
    let current = store.find_user_by_id(&user.id.to_hex()).await?;
    if current.as_ref().is_some_and(|c| c.disabled) {
        store.end_session(&issued.session_id).await?;
        return Err(ApiError::AccountDisabled);
    }
    let fenced = current.is_some_and(|current| {
        current.password_hash == user.password_hash
            && current.credential_epoch == user.credential_epoch
    });
    if !fenced {
        store.end_session(&issued.session_id).await?;
        tracing::info!(event = "login_failed", user_id = %user.id, reason = "credentials_changed", %ip, "sign-in refused");
        return Err(ApiError::InvalidCredentials);
    }
    tracing::info!(event = "login", user_id = %user.id, session = %issued.session_id, method = %label, %ip, new_device, "signed in");
    if let Err(e) = store
        .record_sign_in(user.id, state.clock.now(), &label, &ip)
        .await
    {
        tracing::warn!(error = %e, user_id = %user.id, "last sign-in not recorded");
    }
    events::emit(
        state,
        &Context::of(state, user.id, client, Some(&issued.session_id)),
        Event::SignedIn {
            session_id: issued.session_id.clone(),
            method: label.clone(),
            new_device,
        },
    )
    .await;
    if new_device {
        alert::new_sign_in(state, client, user, &issued.session_id, &label).await;
    }
    Ok(Outcome::SignedIn(Box::new(SignedIn {
        issued,
        user: proof.user,
        device_cookie: set_device_cookie(
            &device,
            state.throttle.device_cookie_ttl,
            state.throttle.secure_cookies,
        ),
    })))
}

/// Whether `user` signed in from `network` before (a read error counts as known: it only
/// decides whether to tell the owner of a new device).
async fn store_knows(state: &AppState, user: &UserDoc, network: &str) -> bool {
    state
        .store
        .is_known_network(user.id, network, state.clock.now())
        .await
        .unwrap_or(true)
}

/// Remembers the network of a proved sign-in for the account. Best effort: the person proved
/// who they are; failing to remember where from must not turn that into an error.
async fn remember_network(state: &AppState, user: &UserDoc, client: &Client) {
    if let Some(net) = &client.network {
        let (now, ttl) = (state.clock.now(), state.throttle.known_network_ttl);
        if let Err(e) = state.store.remember_network(user.id, net, now, ttl).await {
            tracing::warn!(error = %e, "could not remember the network of a sign-in");
        }
    }
}

/// Records a wrong factor for `user` (the activity log counts them), after the answer: only
/// accounts get the record, and its write must not make their answers slower than those for
/// names no account has.
pub(crate) async fn refused(
    state: &AppState,
    client: &Client,
    user: &UserDoc,
    factor: &'static str,
    pool: &pools::Pool,
) {
    let context = Context::of(state, user.id, client, None);
    let event = Event::SignInRefused {
        factor,
        pool: pool.name(),
    };
    state
        .deferred
        .later(move |state| async move { events::emit(&state, &context, event).await });
}

/// The answer of every way of signing in.
pub fn respond(
    state: &AppState,
    client: &Client,
    outcome: Outcome,
) -> Result<HttpResponse, ApiError> {
    match outcome {
        Outcome::SecondStep(challenge) => Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(challenge)),
        Outcome::SignedIn(signed_in) => {
            let signed_in = *signed_in;
            let mut response = session::respond(
                signed_in.issued,
                client.transport,
                state,
                client.secure_cookies,
            );
            response.headers_mut().append(
                header::SET_COOKIE,
                HeaderValue::from_str(&signed_in.device_cookie)
                    .map_err(|e| ApiError::Internal(e.into()))?,
            );
            Ok(response)
        }
    }
}
