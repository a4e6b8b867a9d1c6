//! What the browser keeps between page loads.
//!
//! The access token lives in `sessionStorage`: it survives a reload of the tab but not the
//! closing of it, and is not shared with other tabs. Any script on the page could read it (as
//! with any storage a SPA can use); the page loads no third-party script. The language choice
//! lives in `localStorage`.

const TOKEN_KEY: &str = "access_token";
const LANG_KEY: &str = "lang";

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn token() -> Option<String> {
    session_storage()?
        .get_item(TOKEN_KEY)
        .ok()
        .flatten()
        .filter(|t| !t.is_empty())
}

pub fn set_token(token: &str) {
    if let Some(storage) = session_storage() {
        let _ = storage.set_item(TOKEN_KEY, token);
    }
}

pub fn clear_token() {
    if let Some(storage) = session_storage() {
        let _ = storage.remove_item(TOKEN_KEY);
    }
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
