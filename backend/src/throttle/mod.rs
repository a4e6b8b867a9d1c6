//! Who the client is, and how fast it may go: the client address behind trusted proxies, the
//! key every per-IP limit counts by (an IPv4 address or an IPv6 network), and the per-key token
//! bucket in front of every authentication endpoint. (Per-account and per-email limits live in
//! the database, in `store`, so that every instance shares them.)

mod client_ip;
mod ip_limiter;
mod rate_key;

pub use client_ip::{ClientIp, TrustedProxies};
pub use ip_limiter::{limit_by_ip, IpLimiter};
pub use rate_key::{Ipv6Prefix, RateKey};
