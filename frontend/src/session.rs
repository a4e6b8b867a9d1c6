//! What the browser keeps, and where.
//!
//! Nothing long-lived is readable by page script. The access token (15 minutes) lives in this
//! module's memory only: not in `localStorage`, `sessionStorage` or `document.cookie`. The
//! refresh token never reaches script at all: the server keeps it in an `HttpOnly`,
//! `SameSite=Strict` cookie sent only to `/api/token` (the login asks for that with
//! `X-Token-Transport: cookie`). A reload or a new tab starts with no access token and gets one
//! by refreshing; a refresh is scheduled before the token expires; one refresh runs at a time,
//! and every caller waiting for a token awaits that same one. The language choice and a dismissed
//! passkey offer (per account) live in `localStorage`.

use std::{cell::Cell, cell::RefCell, future::Future, time::Duration};

use futures_util::future::{FutureExt, LocalBoxFuture, Shared};
use shared::LoginResponse;

use crate::api::{self, ApiError};

const LANG_KEY: &str = "lang";
/// A flag, not a secret: this browser had a session, so a refresh that fails means it ended
/// (say so) rather than that there never was one (just show the login page).
const SIGNED_IN_KEY: &str = "signed_in";

type Refreshing = Shared<LocalBoxFuture<'static, Result<String, ApiError>>>;

thread_local! {
    static ACCESS: RefCell<Option<String>> = const { RefCell::new(None) };
    static IN_FLIGHT: RefCell<Option<Refreshing>> = const { RefCell::new(None) };
    /// Bumped by every new token and by `clear`: a scheduled refresh of an older one is void.
    static GENERATION: Cell<u64> = const { Cell::new(0) };
    /// Bumped by `clear` only: a refresh that was in flight when the person logged out must
    /// not bring the session back into memory.
    static LOGOUTS: Cell<u64> = const { Cell::new(0) };
    /// A sign-in by password or code happened in this tab: offer a passkey once.
    static OFFER: Cell<bool> = const { Cell::new(false) };
}

/// The access token in memory, if any.
pub fn token() -> Option<String> {
    ACCESS.with(|a| a.borrow().clone())
}

/// Keeps the access token of a login or refresh, and schedules the next refresh.
pub fn start(tokens: &LoginResponse) {
    ACCESS.with(|a| *a.borrow_mut() = Some(tokens.access_token.clone()));
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(SIGNED_IN_KEY, "1");
    }
    let generation = GENERATION.with(|g| {
        g.set(g.get() + 1);
        g.get()
    });
    leptos::prelude::set_timeout(
        move || {
            if GENERATION.with(Cell::get) == generation {
                leptos::task::spawn_local(async {
                    // The session ended meanwhile (elsewhere): start the app over, which
                    // shows the login page and says so. A network failure waits for the
                    // next request instead.
                    if matches!(refresh().await, Err(err) if err.is_unauthorized()) {
                        if let Some(window) = web_sys::window() {
                            let _ = window.location().assign("/");
                        }
                    }
                });
            }
        },
        refresh_delay(tokens.expires_in),
    );
}

/// Forgets the access token (the server ends the session; its cookie is cleared there).
pub fn clear() {
    ACCESS.with(|a| *a.borrow_mut() = None);
    GENERATION.with(|g| g.set(g.get() + 1));
    LOGOUTS.with(|l| l.set(l.get() + 1));
    forget_signed_in();
}

/// Whether this browser had a session (and forget that it had): after a failed refresh,
/// `true` means the session ended.
pub fn forget_signed_in() -> bool {
    let Some(storage) = local_storage() else {
        return false;
    };
    let had = storage.get_item(SIGNED_IN_KEY).ok().flatten().is_some();
    let _ = storage.remove_item(SIGNED_IN_KEY);
    had
}

/// When to refresh a token that lives `expires_in` seconds: a fifth of its life early, at
/// most a minute early, never sooner than in a second, and never later than a browser timer
/// can wait (2^31 - 1 ms; a longer delay would fire at once).
pub fn refresh_delay(expires_in: u64) -> Duration {
    let lead = (expires_in / 5).min(60);
    let delay = Duration::from_secs(expires_in.saturating_sub(lead).max(1));
    delay.min(Duration::from_millis(i32::MAX as u64))
}

/// A new access token from the refresh cookie. Concurrent callers share one request.
pub async fn refresh() -> Result<String, ApiError> {
    let running = IN_FLIGHT.with(|f| f.borrow().clone());
    let refreshing = running.unwrap_or_else(|| {
        let logouts = LOGOUTS.with(Cell::get);
        let refreshing = async move {
            let result = api::refresh().await.and_then(|tokens| {
                if LOGOUTS.with(Cell::get) != logouts {
                    // Logged out while this was in flight: the answer is not wanted.
                    return Err(ApiError::Network);
                }
                start(&tokens);
                Ok(tokens.access_token)
            });
            if result.is_err() {
                ACCESS.with(|a| *a.borrow_mut() = None);
            }
            IN_FLIGHT.with(|f| *f.borrow_mut() = None);
            result
        }
        .boxed_local()
        .shared();
        IN_FLIGHT.with(|f| *f.borrow_mut() = Some(refreshing.clone()));
        refreshing
    });
    refreshing.await
}

/// The access token, refreshing when there is none in memory (a reload, a new tab); `None`
/// when there is no session.
pub async fn access() -> Option<String> {
    match token() {
        Some(token) => Some(token),
        None => refresh().await.ok(),
    }
}

/// Runs an authenticated call with the current token. When the token is refused (expired
/// while the tab slept, or the session ended), refreshes once and tries again; when the
/// refresh fails too, its error (unauthorized) says the session is over.
pub async fn authed<T, F, Fut>(call: F) -> Result<T, ApiError>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let used = match token() {
        Some(token) => token,
        None => refresh().await?,
    };
    match call(used.clone()).await {
        Err(err) if err.is_unauthorized() => {
            // Another call may have refreshed meanwhile: use its token rather than rotating
            // the cookie again.
            let fresh = match token() {
                Some(token) if token != used => token,
                _ => refresh().await?,
            };
            call(fresh).await
        }
        other => other,
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn saved_lang() -> Option<String> {
    local_storage()?.get_item(LANG_KEY).ok().flatten()
}

pub fn save_lang(tag: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(LANG_KEY, tag);
    }
}

/// The browser's language preferences, most preferred first.
pub fn browser_languages() -> Vec<String> {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
        return Vec::new();
    };
    let mut tags: Vec<String> = navigator
        .languages()
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    if tags.is_empty() {
        tags.extend(navigator.language());
    }
    tags
}

/// A readable name for a session's `User-Agent`: browser and system, e.g. `Chrome · Linux`;
/// `None` when neither is recognised.
pub fn describe_user_agent(ua: &str) -> Option<String> {
    match user_agent_parts(ua) {
        (Some(b), Some(s)) => Some(format!("{b} · {s}")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (None, None) => None,
    }
}

/// The browser and the system a `User-Agent` names, each when recognised.
pub fn user_agent_parts(ua: &str) -> (Option<&'static str>, Option<&'static str>) {
    // The name of the first marker `ua` contains (the order matters: Edge says Chrome too).
    let named = |names: [(&str, &'static str); 8]| {
        names
            .into_iter()
            .find(|(marker, _)| ua.contains(marker))
            .map(|(_, name)| name)
    };
    let browser = named([
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]);
    let system = named([
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("CrOS", "ChromeOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Macintosh", "macOS"),
        ("Linux", "Linux"),
    ]);
    (browser, system)
}

/// Whether the passkey offer may be shown after this tab's sign-in (set by a sign-in with a
/// password or a code, taken by the main page): the offer comes once per sign-in.
pub fn offer_passkey_after_sign_in(offer: bool) {
    OFFER.with(|o| o.set(offer));
}

/// Takes the flag `offer_passkey_after_sign_in` set.
pub fn take_passkey_offer() -> bool {
    OFFER.with(|o| o.replace(false))
}

fn dismissed_key(username: &str) -> String {
    format!("passkey_offer_dismissed:{}", username.to_lowercase())
}

/// Whether the person dismissed the passkey offer for `username` in this browser.
pub fn passkey_offer_dismissed(username: &str) -> bool {
    local_storage()
        .and_then(|s| s.get_item(&dismissed_key(username)).ok().flatten())
        .is_some()
}

/// Remembers in `localStorage` that the offer for `username` was dismissed.
pub fn dismiss_passkey_offer(username: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(&dismissed_key(username), "1");
    }
}
