//! Who is signing in: everything a sign-in, a second step or a step-up needs to know about the
//! client, read from the request once.

use std::net::IpAddr;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use crate::{
    auth::device::{device_cookies, DeviceOwner},
    session::{self, ClientInfo, Transport},
    state::AppState,
    store::UserDoc,
    throttle::ClientIp,
};

/// The client of a request, as the sign-in rules see it.
#[derive(Debug, Clone)]
pub struct Client {
    /// Its address, as the trusted proxies tell it.
    pub ip: Option<IpAddr>,
    /// Its network as every per-IP limit keys it (an IPv4 address, an IPv6 network): what a
    /// "known network" of an account is.
    pub network: Option<String>,
    /// `User-Agent`, without control characters, at most 256 characters.
    pub user_agent: String,
    /// Every device cookie value it sent (a browser may hold several, from different paths).
    device_cookies: Vec<String>,
    /// Where the refresh token of a new session goes.
    pub transport: Transport,
    /// Whether cookies set for it get `Secure`.
    pub secure_cookies: bool,
}

impl Client {
    pub fn of(state: &AppState, req: &HttpRequest) -> Self {
        let ClientIp(ip) = ClientIp::of(req);
        Self {
            ip,
            network: ip.map(|ip| state.proxies.rate_key_of(ip).to_string()),
            user_agent: session::user_agent(req),
            device_cookies: device_cookies(req).map(str::to_owned).collect(),
            transport: Transport::requested(req),
            secure_cookies: session::secure_cookies(state, req),
        }
    }

    /// The address for logs and records; empty when unknown.
    pub fn ip_text(&self) -> String {
        self.ip.map(|ip| ip.to_string()).unwrap_or_default()
    }

    /// What a session keeps of its client.
    pub fn info(&self) -> ClientInfo {
        ClientInfo {
            ip: self.ip_text(),
            user_agent: self.user_agent.clone(),
        }
    }

    /// The id of the device this client proves to be, for `user` under its current
    /// credentials: the first of its device cookies that verifies.
    pub fn device_of(&self, state: &AppState, user: &UserDoc) -> Option<String> {
        let owner = DeviceOwner {
            account: &user.id,
            epoch: &user.credential_epoch,
        };
        self.device_cookies
            .iter()
            .find_map(|value| state.device_keys.verify(owner, value))
    }
}

impl crate::events::Origin for Client {
    fn ip_text(&self) -> String {
        Client::ip_text(self)
    }

    fn user_agent(&self) -> &str {
        &self.user_agent
    }
}

impl FromRequest for Client {
    type Error = crate::error::ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let client = req
            .app_data::<web::Data<AppState>>()
            .map(|state| Client::of(state, req))
            .ok_or_else(|| {
                crate::error::ApiError::Internal(anyhow::anyhow!("no application state"))
            });
        std::future::ready(client)
    }
}
