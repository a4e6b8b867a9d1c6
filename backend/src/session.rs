//! The session life cycle shared by the token endpoints: start one at login, rotate its
//! refresh token, answer with a token pair (in the body for API clients, in an `HttpOnly`
//! cookie for the browser).
//!
//! Rotation rules: a refresh token is single-use. Presented while current, it is exchanged for
//! the next generation by one conditional update, so concurrent refreshes of one token yield
//! one successor. The token just replaced is answered with the session's *current* pair for a
//! short grace period (two tabs refreshing at once); presented after that, or any older
//! generation at any time, it can only be a copy, and the whole session ends.

use crate::clock::after as add;
use actix_web::{http::header, HttpRequest, HttpResponse};
use mongodb::bson::{oid::ObjectId, DateTime};
use shared::LoginResponse;

use crate::{
    auth::{new_session_id, token_hash, AuthUser, RefreshClaim},
    error::ApiError,
    events::{self, Context, EndReason, Event},
    state::AppState,
    store::{seconds_until, Rotation, SessionDoc},
};

/// The refresh cookie of the browser client: `HttpOnly`, `SameSite=Strict`, read only by the
/// token endpoints. In development it is sent only to them (`Path=/api/token`). In production
/// it is `__Host-emailauth_refresh`: the prefix makes browsers refuse it unless it is `Secure`,
/// host-only and `Path=/`, so no sibling subdomain can plant one that shadows ours; the price is
/// that the browser sends it with every request to the origin, and the server reads it only at
/// `POST /api/token/refresh` (scoped by name, not by path).
pub const REFRESH_COOKIE: &str = "emailauth_refresh";
pub const REFRESH_COOKIE_PATH: &str = "/api/token";
/// The production name of the refresh cookie.
pub const HOST_REFRESH_COOKIE: &str = "__Host-emailauth_refresh";
/// Request header by which a browser client asks for the cookie transport.
pub const TRANSPORT_HEADER: &str = "x-token-transport";
/// Longest `User-Agent` kept with a session, in characters.
const MAX_USER_AGENT_CHARS: usize = 256;

/// Where the refresh token travels in a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// In the JSON body (API clients).
    Body,
    /// In the `HttpOnly` cookie only (the browser: page script never sees it).
    Cookie,
}

impl Transport {
    /// What the request asked for with `X-Token-Transport: cookie`; the body otherwise.
    pub fn requested(req: &HttpRequest) -> Self {
        let cookie = req
            .headers()
            .get(TRANSPORT_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("cookie"));
        if cookie {
            Transport::Cookie
        } else {
            Transport::Body
        }
    }
}

/// Who is on the other end, as kept with a session.
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}

impl ClientInfo {
    pub fn of(req: &HttpRequest) -> Self {
        let ip = crate::throttle::ClientIp::of(req).display();
        Self {
            ip,
            user_agent: user_agent(req),
        }
    }
}

/// The request's `User-Agent` as kept: without control characters, at most
/// `MAX_USER_AGENT_CHARS` characters.
pub fn user_agent(req: &HttpRequest) -> String {
    req.headers()
        .get(header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_USER_AGENT_CHARS)
        .collect()
}

/// A token pair for one session.
pub struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    pub refresh_expires_in: u64,
    pub session_id: String,
}

/// When a session used at `now` ends unless used again: idle expiry, capped by the absolute.
fn idle_deadline(state: &AppState, now: DateTime, absolute: DateTime) -> DateTime {
    add(now, state.sessions.idle_ttl).min(absolute)
}

/// The pair for `session` at its current generation, with a fresh access token.
fn pair(state: &AppState, session: &SessionDoc, now: DateTime) -> Result<Issued, ApiError> {
    let generation = u64::try_from(session.generation)
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("session with a negative generation")))?;
    let refresh_token = state
        .refresh
        .token(&session.id, generation)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("malformed session id")))?;
    let access_token = state
        .jwt
        .issue(
            &session.user_id.to_hex(),
            &session.id,
            state.clock.now_secs(),
        )
        .map_err(ApiError::Internal)?;
    Ok(Issued {
        access_token,
        refresh_token,
        // Rounded up: a cookie must not die before its session.
        refresh_expires_in: seconds_until(now, session.expires_at),
        session_id: session.id.clone(),
    })
}

/// Starts a session for `user_id` (a sign-in that succeeded, by `method`) and issues its first
/// pair.
pub async fn start(
    state: &AppState,
    user_id: ObjectId,
    client: ClientInfo,
    method: &str,
) -> Result<Issued, ApiError> {
    let now = state.clock.now();
    let absolute = add(now, state.sessions.absolute_ttl);
    let id = new_session_id();
    let first = state
        .refresh
        .token(&id, 0)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("malformed session id")))?;
    let session = SessionDoc {
        id,
        user_id,
        created_at: now,
        last_used_at: now,
        absolute_expires_at: absolute,
        expires_at: idle_deadline(state, now, absolute),
        ip: client.ip,
        user_agent: client.user_agent,
        generation: 0,
        refresh_hash: token_hash(&first),
        rotated_at: None,
        disabled: false,
        method: Some(method.to_owned()),
        stepped_up_at: None,
    };
    state.store.insert_session(&session).await?;
    pair(state, &session, now)
}

/// Exchanges `token` for the session's next pair (or, within the grace period after its
/// rotation, the current one). Every refusal is `InvalidRefreshToken`.
pub async fn refresh(
    state: &AppState,
    token: &str,
    client: ClientInfo,
) -> Result<Issued, ApiError> {
    let claim = state
        .refresh
        .check(token)
        .ok_or(ApiError::InvalidRefreshToken)?;
    let Ok(generation) = i64::try_from(claim.generation) else {
        return Err(ApiError::InvalidRefreshToken);
    };
    let now = state.clock.now();
    let store = &state.store;
    let Some(mut session) = store.find_session(&claim.sid).await? else {
        return Err(ApiError::InvalidRefreshToken);
    };
    if session.disabled && session.expires_at > now {
        return Err(ApiError::AccountDisabled);
    }
    if session.generation == generation && session.expires_at > now {
        if session.refresh_hash != token_hash(token) {
            // Ours by its tag, yet not what the session recorded: refuse, change nothing.
            return Err(ApiError::InvalidRefreshToken);
        }
        let next = state
            .refresh
            .token(&session.id, claim.generation + 1)
            .ok_or(ApiError::InvalidRefreshToken)?;
        let rotated = store
            .rotate_session(
                session.clone(),
                Rotation {
                    refresh_hash: &token_hash(&next),
                    now,
                    expires_at: idle_deadline(state, now, session.absolute_expires_at),
                    ip: &client.ip,
                    user_agent: &client.user_agent,
                },
            )
            .await?;
        match rotated {
            Some(rotated) => {
                tracing::info!(event = "refresh", user_id = %rotated.user_id, session = %rotated.id, ip = %client.ip, "session refreshed");
                return pair(state, &rotated, now);
            }
            // Another request rotated it first: decide as for a token one generation old.
            None => match store.find_session(&claim.sid).await? {
                Some(latest) if latest.disabled => return Err(ApiError::AccountDisabled),
                Some(latest) => session = latest,
                None => return Err(ApiError::InvalidRefreshToken),
            },
        }
    }
    if session.expires_at <= now {
        return Err(ApiError::InvalidRefreshToken);
    }
    decide_old(state, &session, &claim, generation, now).await
}

/// `claim` names an earlier generation of the live `session`.
async fn decide_old(
    state: &AppState,
    session: &SessionDoc,
    claim: &RefreshClaim,
    generation: i64,
    now: DateTime,
) -> Result<Issued, ApiError> {
    let within_grace = session.generation == generation + 1
        && session
            .rotated_at
            .is_some_and(|at| now < add(at, state.sessions.refresh_grace));
    if within_grace {
        return pair(state, session, now);
    }
    if generation < session.generation {
        // A token already exchanged, presented again after the grace period: one of the two
        // holders is not the owner. End the session, so neither the copy nor its successors
        // work any more.
        state.store.end_session(&claim.sid).await?;
        let event = Event::SessionEnded {
            session_id: session.id.clone(),
            reason: EndReason::Reuse,
        };
        events::emit(state, &Context::system(state, session.user_id), event).await;
        tracing::warn!(event = "refresh_reuse", user_id = %session.user_id, session = %session.id, "a rotated refresh token was reused: session ended");
    }
    Err(ApiError::InvalidRefreshToken)
}

/// The refresh cookie's name and path: `__Host-` and `/` in production.
fn refresh_cookie_scope(state: &AppState) -> (&'static str, &'static str) {
    if state.throttle.secure_cookies {
        (HOST_REFRESH_COOKIE, "/")
    } else {
        (REFRESH_COOKIE, REFRESH_COOKIE_PATH)
    }
}

fn refresh_cookie(state: &AppState, value: &str, max_age: u64, secure: bool) -> String {
    let (name, path) = refresh_cookie_scope(state);
    format!(
        "{name}={value}; Max-Age={max_age}; Path={path}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Removes the refresh cookie.
pub fn clear_cookie(state: &AppState, secure: bool) -> String {
    refresh_cookie(state, "", 0, secure)
}

/// What a sign-out ends: the session of the request, or every session of its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignOut {
    ThisSession,
    Everywhere,
}

/// Ends what `which` names for `auth`'s account (on every instance at once: their tokens are
/// refused from the next request on), tells the events, and answers [`signed_out`].
pub async fn sign_out(
    state: &AppState,
    req: &HttpRequest,
    client: &impl events::Origin,
    auth: &AuthUser,
    which: SignOut,
) -> Result<HttpResponse, ApiError> {
    let (user_id, sid) = (auth.user_id, &auth.session.id);
    let ip = client.ip_text();
    let (ended, reason) = match which {
        SignOut::ThisSession => {
            let ended = state.store.delete_session(sid, user_id).await?;
            tracing::info!(event = "logout", %user_id, session = %sid, %ip, "session ended");
            (
                ended.then(|| sid.clone()).into_iter().collect(),
                EndReason::Logout,
            )
        }
        SignOut::Everywhere => {
            let ended = state.store.end_sessions_of(user_id, None).await?;
            tracing::info!(event = "logout_all", %user_id, sessions = ended.len(), %ip, "every session ended");
            (ended, EndReason::LogoutAll)
        }
    };
    let context = Context::of(state, user_id, client, Some(sid));
    events::emit_all(state, &context, events::sessions_ended(ended, reason)).await;
    Ok(signed_out(state, req))
}

/// `204 No Content` that clears the refresh cookie: the answer of every request that ends
/// this browser's session (logout, logout everywhere, deleting the account).
pub fn signed_out(state: &AppState, req: &HttpRequest) -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((
            header::SET_COOKIE,
            clear_cookie(state, secure_cookies(state, req)),
        ))
        .finish()
}

/// Whether cookies for this request get `Secure`: always, except for a development server
/// reached on a loopback address over plain HTTP (where a `Secure` cookie would be dropped).
pub fn secure_cookies(state: &AppState, req: &HttpRequest) -> bool {
    if state.throttle.secure_cookies {
        return true;
    }
    let info = req.connection_info();
    let host = info.host();
    let hostname = host
        .strip_prefix('[')
        .and_then(|h| h.split_once(']').map(|(h, _)| h))
        .unwrap_or_else(|| host.rsplit_once(':').map_or(host, |(h, _)| h));
    let loopback = hostname.eq_ignore_ascii_case("localhost")
        || hostname
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    !(loopback && info.scheme() == "http")
}

/// The `200` answer carrying `issued`.
pub fn respond(
    issued: Issued,
    transport: Transport,
    state: &AppState,
    secure: bool,
) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    let refresh_token = match transport {
        Transport::Body => Some(issued.refresh_token),
        Transport::Cookie => {
            response.append_header((
                header::SET_COOKIE,
                refresh_cookie(
                    state,
                    &issued.refresh_token,
                    issued.refresh_expires_in,
                    secure,
                ),
            ));
            None
        }
    };
    response.json(LoginResponse {
        access_token: issued.access_token,
        token_type: "Bearer".into(),
        expires_in: state.jwt.ttl().as_secs(),
        refresh_token,
        refresh_expires_in: issued.refresh_expires_in,
    })
}

/// What the request's refresh cookie holds.
#[derive(Debug, PartialEq, Eq)]
pub enum CookieToken {
    None,
    One(String),
    /// More than one value: a cookie planted beside ours (say, by a sibling subdomain with a
    /// longer path, which the browser sends first) must never decide whose session this is.
    Several,
}

/// The refresh token in the request's cookie.
pub fn cookie_token(state: &AppState, req: &HttpRequest) -> CookieToken {
    let (name, _) = refresh_cookie_scope(state);
    let mut values = crate::auth::device::cookie_values(req, name).filter(|v| !v.is_empty());
    match (values.next(), values.next()) {
        (None, _) => CookieToken::None,
        (Some(one), None) => CookieToken::One(one.to_owned()),
        (Some(_), Some(_)) => CookieToken::Several,
    }
}

/// Whether a cookie-carried refresh comes from the app's own pages: the `Origin` header must be
/// present and name the configured public origin, or (unset) the request's own host. A page on
/// another site cannot make the browser send our `SameSite=Strict` cookie anyway; this is the
/// second lock, for browsers or proxies that get that wrong.
pub fn same_origin(state: &AppState, req: &HttpRequest) -> bool {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
    else {
        return false;
    };
    if let Some(expected) = &state.sessions.public_origin {
        return &origin == expected;
    }
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase)
        .or_else(|| {
            req.uri()
                .authority()
                .map(|a| a.as_str().to_ascii_lowercase())
        });
    matches!(scheme, "http" | "https") && host.as_deref() == Some(authority)
}
