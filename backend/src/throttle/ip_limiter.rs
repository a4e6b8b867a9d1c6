use std::{num::NonZeroU32, time::Duration};

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    web,
};
use governor::{
    clock::{Clock, DefaultClock},
    DefaultKeyedRateLimiter, Quota, RateLimiter,
};

use super::RateKey;
use crate::{error::ApiError, state::AppState};

/// A GCRA token bucket per client [`RateKey`] (an IPv4 address or an IPv6 network; the
/// `governor` crate). Kept in memory: each instance protects itself; the limits that must hold
/// across instances live in the database.
pub struct IpLimiter {
    limiter: DefaultKeyedRateLimiter<RateKey>,
}

impl IpLimiter {
    pub fn new(per_second: u32, burst: u32) -> Self {
        let per_second = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
        }
    }

    /// `Ok` to proceed, or how long to wait.
    pub fn check(&self, key: RateKey) -> Result<(), Duration> {
        self.limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets addresses whose bucket is full again, bounding memory.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// Middleware for the authentication endpoints: `429 rate_limited` with `Retry-After` when the
/// client's bucket is empty.
pub async fn limit_by_ip(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(state) = req.app_data::<web::Data<AppState>>() {
        if let super::ClientIp(Some(ip)) = super::ClientIp::of(req.request()) {
            let key = state.proxies.rate_key_of(ip);
            if let Err(wait) = state.ip_limiter.check(key) {
                tracing::info!(event = "throttled", limit = "ip_rate", %ip, %key, "request refused");
                let retry_after = wait.as_secs_f64().ceil().max(1.0) as u64;
                return Err(ApiError::RateLimited { retry_after }.into());
            }
        }
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::throttle::Ipv6Prefix;

    fn key(ip: &str) -> RateKey {
        RateKey::new(ip.parse().unwrap(), Ipv6Prefix::default())
    }

    #[test]
    fn a_burst_then_a_wait() {
        let limiter = IpLimiter::new(1, 3);
        for _ in 0..3 {
            assert!(limiter.check(key("203.0.113.1")).is_ok());
        }
        let wait = limiter.check(key("203.0.113.1")).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        // Other addresses have their own bucket.
        assert!(limiter.check(key("203.0.113.2")).is_ok());
    }

    #[test]
    fn one_ipv6_network_shares_one_bucket() {
        let limiter = IpLimiter::new(1, 3);
        for i in 1..=3 {
            assert!(limiter.check(key(&format!("2001:db8:1:2::{i}"))).is_ok());
        }
        assert!(limiter.check(key("2001:db8:1:2:ffff::9")).is_err());
        assert!(limiter.check(key("2001:db8:1:3::1")).is_ok());
    }
}
