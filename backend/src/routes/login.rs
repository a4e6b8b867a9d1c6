use actix_web::{
    http::header::{self, HeaderValue},
    web, HttpRequest, HttpResponse,
};
use shared::LoginRequest;

use crate::{
    auth::{
        device::{device_cookies, set_device_cookie},
        DeviceKeys,
    },
    domain::Credentials,
    error::ApiError,
    session::{self, ClientInfo, Transport},
    state::AppState,
    store::{Admission, EventKind, Limit},
    throttle::ClientIp,
};

/// Whose failures a login attempt is counted with (OWASP's device cookies, plus known
/// networks): failures from strangers never block the owner on a device or network that
/// has logged in before, and strangers together still get at most the cap.
enum Pool {
    /// A client presenting a valid device cookie of this account: counted against that
    /// device alone.
    Device(String),
    /// A client on a network this account logged in from before: counted against that
    /// (account, network) alone.
    Network(String),
    /// Everyone else: one shared pool per account (and per unknown username alike).
    Untrusted,
}

impl Pool {
    /// The event kind and key this pool's failures are logged under.
    fn events(&self, account: &str) -> (EventKind, String) {
        match self {
            Pool::Device(id) => (EventKind::LoginFailureFromDevice, format!("{account} {id}")),
            Pool::Network(net) => (
                EventKind::LoginFailureFromNetwork,
                format!("{account} {net}"),
            ),
            Pool::Untrusted => (EventKind::LoginFailure, account.to_owned()),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Pool::Device(_) => "device",
            Pool::Network(_) => "network",
            Pool::Untrusted => "untrusted",
        }
    }
}

/// Exchanges a username and password for a new session: a short-lived access token and a
/// single-use refresh token (in the body, or with `X-Token-Transport: cookie` only in the
/// `HttpOnly` cookie `emailauth_refresh`). Unknown users and wrong passwords get the same
/// answer after the same work (a dummy hash is verified when there is no user).
/// Every success also sets the device cookie (`emailauth_device`, `HttpOnly`,
/// `SameSite=Strict`, `Path=/api/login`) and remembers the client's network for the account:
/// later failed logins from that device or network are counted apart from strangers', so
/// nobody else can lock the owner out there.
#[utoipa::path(post, path = "/api/login", tag = "account",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in: a new session (`LoginResponse`); or, when the \
          account has TOTP on, no session yet but an `MfaChallenge` (`mfa_required: true`, a \
          ticket for `POST /api/login/mfa`, no token and no cookie)", body = super::login_mfa::LoginAnswer,
         headers(("Set-Cookie" = String, description = "The device cookie `emailauth_device`, \
           sent back with later logins to this account from this client; with \
           `X-Token-Transport: cookie` also the refresh cookie `emailauth_refresh` \
           (`HttpOnly; SameSite=Strict; Path=/api/token`)")),
         links(("nick" = (operation_id = "nick",
            description = "Read the profile with the token: `Authorization: Bearer <access_token>`",
            parameters(("header.Authorization" = "Bearer {$response.body#/access_token}")))),
           ("refresh" = (operation_id = "refresh",
            description = "Exchange the refresh token for a new pair before the access token expires",
            request_body = json!({"refresh_token": "$response.body#/refresh_token"}))),
           ("sessions" = (operation_id = "list_sessions",
            description = "List this account's sessions with the token",
            parameters(("header.Authorization" = "Bearer {$response.body#/access_token}")))))),
        (status = 400, description = "`malformed_body`", body = shared::Problem),
        (status = 401, description = "`invalid_credentials`", body = shared::Problem),
        (status = 403, description = "`account_disabled`: the password is right but an operator \
          disabled the account", body = shared::Problem),
        (status = 413, description = "`payload_too_large`", body = shared::Problem),
        (status = 415, description = "`unsupported_media_type`", body = shared::Problem),
        (status = 422, description = "`validation_failed`: empty or over-long fields", body = shared::Problem),
        (status = 429, description = "`too_many_attempts`: too many failed logins for this account \
          within the window, counted per known device (device cookie), per known network, and for all \
          other clients together; or `rate_limited`: too many requests from this client address",
         body = shared::Problem),
        (status = 503, description = "`service_unavailable`: the database does not answer, \
          or every password-hashing thread is busy and its queue is full (`Retry-After: 1`)", body = shared::Problem),
    ))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let transport = Transport::requested(&req);
    let credentials = Credentials::try_from(body.into_inner())?;
    let store = &state.store;
    let limits = &state.throttle;
    let key = credentials.username.to_ascii_lowercase();
    let ClientIp(client) = ClientIp::of(&req);
    let ip = client.map(|ip| ip.to_string()).unwrap_or_default();
    // A known network is the same rate key every per-IP limit uses: an IPv4 address or an
    // IPv6 network (APP_IPV6_PREFIX).
    let network = client.map(|ip| state.proxies.rate_key_of(ip).to_string());
    let now = state.clock.now();

    // Which pool this attempt counts in. The same steps run for unknown usernames: a cookie
    // check is arithmetic on the username as typed, and the network lookup is one read
    // whether or not the account exists. The device key is derived per request (two HMACs)
    // so that it needs no state of its own.
    let devices = DeviceKeys::new(&state.codes.pepper);
    let device = device_cookies(&req).find_map(|value| devices.verify(&key, value));
    let pool = match (device, &network) {
        (Some(id), _) => Pool::Device(id),
        (None, Some(net)) if store.is_known_network(&key, net, now).await? => {
            Pool::Network(net.clone())
        }
        _ => Pool::Untrusted,
    };
    let (kind, pool_key) = pool.events(&key);

    // Count this attempt as a failure before evaluating it, so that concurrent guesses in one
    // pool can never together evaluate more than the limit.
    let limit = Limit {
        kind,
        window: limits.login_failure_window,
        max: u64::from(limits.max_login_failures),
    };
    let attempt = match store.admit(limit, &pool_key, now).await? {
        Admission::Admitted(attempt) => attempt,
        Admission::Refused { retry_after } => {
            tracing::info!(event = "throttled", limit = "login_failures", pool = pool.name(), %ip, "login refused");
            return Err(ApiError::TooManyAttempts { retry_after });
        }
    };

    let user = store.find_user_by_username_key(&key).await?;
    let stored = user.as_ref().map(|u| u.password_hash.as_str());
    let verified = match state.hasher.verify(&credentials.password, stored).await {
        Ok(verified) => verified,
        Err(e) => {
            // Nothing was evaluated (the hash queue was full): not a failed login.
            if let Err(undo) = store.forget_event(attempt).await {
                tracing::warn!(error = %undo, "could not undo a login attempt record");
            }
            return Err(e.into());
        }
    };
    let user = match (verified, user) {
        (true, Some(user)) => user,
        (_, user) => {
            let user_id = user.map(|u| u.id.to_hex()).unwrap_or_default();
            tracing::info!(event = "login_failed", user_id, pool = pool.name(), %ip, "login refused");
            return Err(ApiError::InvalidCredentials);
        }
    };
    // A success clears the failures of the pool it was counted in, and no other.
    store.clear_events(kind, &pool_key).await?;
    // Said only to whoever proved the password: others cannot learn that an account is
    // disabled.
    if user.disabled {
        tracing::info!(event = "login_refused", user_id = %user.id, reason = "account_disabled", %ip, "login refused");
        return Err(ApiError::AccountDisabled);
    }
    if user.totp.is_some() {
        // The password is proved (its pool's failures are cleared above), the second factor
        // not yet: no session and no cookie, and the network and device are remembered only
        // once the second step succeeds (`login_mfa`).
        return super::login_mfa::challenge(&state, &user, &ip).await;
    }
    remember_network(&state, &key, network.as_deref()).await;
    let cookie = match &pool {
        Pool::Device(id) => devices.sign(&key, id),
        _ => devices.issue(&key),
    };
    sign_in(&state, &req, user, transport, cookie, pool.name(), &ip).await
}

/// Remembers the network of a proved login for the account. Best effort: the person proved
/// who they are; failing to remember where from must not turn that into an error.
pub(crate) async fn remember_network(state: &AppState, key: &str, network: Option<&str>) {
    if let Some(net) = network {
        let (now, ttl) = (state.clock.now(), state.throttle.known_network_ttl);
        if let Err(e) = state.store.remember_network(key, net, now, ttl).await {
            tracing::warn!(error = %e, "could not remember the network of a login");
        }
    }
}

/// The end of every successful login (one step, or two): starts the session of `user` (as
/// read before the proof), answers with its tokens by `transport` and sets the device cookie
/// `cookie`.
pub(crate) async fn sign_in(
    state: &AppState,
    req: &HttpRequest,
    user: crate::store::UserDoc,
    transport: Transport,
    cookie: String,
    pool: &str,
    ip: &str,
) -> Result<HttpResponse, ApiError> {
    let store = &state.store;
    let limits = &state.throttle;
    let issued = session::start(state, user.id, ClientInfo::of(req)).await?;
    // A password reset that landed while this login was hashing ended every session before
    // ours existed: look again, and give up the session if the password it proved is gone.
    // The same for an operator disabling the account meanwhile (it disables the account,
    // then marks its sessions: ours either was marked or sees the flag here).
    let current = store.find_user_by_id(&user.id.to_hex()).await?;
    if current.as_ref().is_some_and(|c| c.disabled) {
        store.end_session(&issued.session_id).await?;
        return Err(ApiError::AccountDisabled);
    }
    let fenced = current.is_some_and(|current| current.password_hash == user.password_hash);
    if !fenced {
        store.end_session(&issued.session_id).await?;
        tracing::info!(event = "login_failed", user_id = %user.id, reason = "password_changed", %ip, "login refused");
        return Err(ApiError::InvalidCredentials);
    }
    tracing::info!(event = "login", user_id = %user.id, session = %issued.session_id, pool, %ip, "signed in");
    let secure = session::secure_cookies(state, req);
    let mut response = session::respond(issued, transport, state, secure);
    let device = set_device_cookie(&cookie, limits.device_cookie_ttl, limits.secure_cookies);
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&device).map_err(|e| ApiError::Internal(e.into()))?,
    );
    Ok(response)
}
