//! The only module that speaks HTTP: the admin API on this page's own origin, with the key
//! as `Authorization: Bearer` on every request.

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;
use shared::{Locale, Problem};

use crate::texts::{t, Text};

/// Why a call did not give its answer.
pub enum Failure {
    Problem(Problem),
    Network,
    Unexpected(u16),
}

impl Failure {
    /// What the operator reads.
    pub fn message(&self, lang: Locale) -> String {
        match self {
            Failure::Problem(p) => match p.code.as_str() {
                "invalid_token" => t(lang, Text::BadKey).to_owned(),
                "forbidden" => t(lang, Text::ReadOnly).to_owned(),
                "rate_limited" => t(lang, Text::Throttled).to_owned(),
                "not_found" => t(lang, Text::NotFound).to_owned(),
                _ => p.detail.clone(),
            },
            Failure::Network => t(lang, Text::Network).to_owned(),
            Failure::Unexpected(status) => format!("HTTP {status}"),
        }
    }
}

async fn failure(response: Response) -> Failure {
    match response.json::<Problem>().await {
        Ok(problem) => Failure::Problem(problem),
        Err(_) => Failure::Unexpected(response.status()),
    }
}

pub async fn get<T: DeserializeOwned>(key: &str, path: &str) -> Result<T, Failure> {
    let response = Request::get(path)
        .header("Authorization", &format!("Bearer {key}"))
        .send()
        .await
        .map_err(|_| Failure::Network)?;
    if !response.ok() {
        return Err(failure(response).await);
    }
    response
        .json()
        .await
        .map_err(|_| Failure::Unexpected(response.status()))
}

/// A write (`POST` or `DELETE`) whose answer body the page does not need.
pub async fn send(key: &str, method: &str, path: &str) -> Result<(), Failure> {
    let request = match method {
        "DELETE" => Request::delete(path),
        _ => Request::post(path),
    };
    let response = request
        .header("Authorization", &format!("Bearer {key}"))
        .send()
        .await
        .map_err(|_| Failure::Network)?;
    if !response.ok() {
        return Err(failure(response).await);
    }
    Ok(())
}

/// `text` as a query-string value.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
