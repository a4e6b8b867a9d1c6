//! Who the client is, and how fast it may go: the client address behind trusted proxies and the
//! per-address token bucket in front of every authentication endpoint. (Per-account and
//! per-email limits live in the database, in `store`, so that every instance shares them.)

mod client_ip;
mod ip_limiter;

pub use client_ip::TrustedProxies;
pub use ip_limiter::{limit_by_ip, IpLimiter};
