//! The only module that speaks HTTP: the admin API on this page's own origin, with the key
//! as `Authorization: Bearer` on every request.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use shared::{Locale, Problem};

use crate::texts::{t, Text};

/// Why a call did not give its answer.
#[derive(Clone, Debug)]
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

/// The writes: each answers with nothing the page needs.
#[derive(Clone, Copy)]
pub enum Write {
    Post,
    Delete,
}

/// `request` sent with the key; its response when the status is 2xx.
async fn call(request: RequestBuilder, key: &str) -> Result<Response, Failure> {
    let response = request
        .header("Authorization", &format!("Bearer {key}"))
        .send()
        .await
        .map_err(|_| Failure::Network)?;
    if response.ok() {
        return Ok(response);
    }
    Err(match response.json::<Problem>().await {
        Ok(problem) => Failure::Problem(problem),
        Err(_) => Failure::Unexpected(response.status()),
    })
}

pub async fn get<T: DeserializeOwned>(key: &str, path: &str) -> Result<T, Failure> {
    let response = call(Request::get(path), key).await?;
    response
        .json()
        .await
        .map_err(|_| Failure::Unexpected(response.status()))
}

pub async fn send(key: &str, method: Write, path: &str) -> Result<(), Failure> {
    let request = match method {
        Write::Post => Request::post(path),
        Write::Delete => Request::delete(path),
    };
    call(request, key).await.map(drop)
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
