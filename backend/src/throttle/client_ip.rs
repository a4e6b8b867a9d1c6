use std::net::{IpAddr, SocketAddr};

use actix_web::{http::header::HeaderMap, HttpRequest};
use ipnet::{IpNet, Ipv4Net};

use super::rate_key::{Ipv6Prefix, RateKey};

/// The reverse proxies whose `X-Forwarded-For` is believed, and how a client address becomes
/// the key of the per-IP limits. Any peer that is not a trusted proxy is the client itself,
/// whatever headers it sends, so a client cannot pick its own address.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    ipv6_prefix: Ipv6Prefix,
}

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self {
            // Addresses are compared in canonical form (see `canonical`), so a proxy listed as
            // `::ffff:10.0.0.1` is the IPv4 proxy `10.0.0.1`.
            nets: nets.into_iter().map(canonical_net).collect(),
            ipv6_prefix: Ipv6Prefix::default(),
        }
    }

    /// How IPv6 clients are grouped by [`Self::rate_key`] (`APP_IPV6_PREFIX`).
    pub fn with_ipv6_prefix(self, ipv6_prefix: Ipv6Prefix) -> Self {
        Self {
            ipv6_prefix,
            ..self
        }
    }

    fn trusts(&self, ip: &IpAddr) -> bool {
        self.nets.iter().any(|net| net.contains(ip))
    }

    /// The client's full address, for logs. Limits count by [`Self::rate_key`] instead.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        Some(self.resolve(peer, req.headers()))
    }

    /// What every per-IP limit (the token bucket, the hourly mail cap, login throttling) counts
    /// by: the client's IPv4 address or IPv6 network.
    pub fn rate_key(&self, req: &HttpRequest) -> Option<RateKey> {
        self.client_ip(req).map(|ip| self.rate_key_of(ip))
    }

    /// The [`RateKey`] of an already resolved client address.
    pub fn rate_key_of(&self, ip: IpAddr) -> RateKey {
        RateKey::new(ip, self.ipv6_prefix)
    }

    /// The peer, or — when the peer is a trusted proxy — the client as the proxy chain saw it.
    ///
    /// Each proxy appends the address it received the request from, so `X-Forwarded-For` is
    /// read from the right: trusted proxies are passed over, and the first entry that is not
    /// one is the client. Everything to its left was written by the client and proves nothing.
    /// An entry that is not an address (`junk`, `unknown`, the empty entry after a trailing
    /// comma) cannot have been appended by a trusted proxy, so the walk stops there and the
    /// last trusted hop is the client: a client cannot hide behind a malformed entry of its
    /// own making, and a fresh forged prefix never yields a fresh address.
    pub fn resolve(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(&peer) {
            return peer;
        }
        // Several header lines are one comma-separated list, in order. A line that is not
        // visible ASCII is one unreadable entry.
        let lines: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .map(|v| v.to_str().unwrap_or(""))
            .collect();
        let mut client = peer;
        for entry in lines.iter().rev().flat_map(|line| line.rsplit(',')) {
            match parse_hop(entry) {
                Some(hop) if self.trusts(&hop) => client = hop,
                Some(hop) => return hop,
                None => break,
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, optionally with a port (`203.0.113.9:5678`,
/// `[2001:db8::1]:443`) or in brackets (`[2001:db8::1]`), as some proxies write them.
fn parse_hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let ip = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')?
                .strip_suffix(']')?
                .parse::<std::net::Ipv6Addr>()
                .ok()
                .map(IpAddr::V6)
        })?;
    Some(canonical(ip))
}

/// An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, what a dual-stack socket reports for an
/// IPv4 peer) is that IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

fn canonical_net(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.network().to_ipv4_mapped() {
            Some(v4) => Ipv4Net::new(v4, v6.prefix_len() - 96).map_or(net, IpNet::V4),
            None => net,
        },
        _ => net,
    }
}

/// The client's address, as the trusted proxies tell it (`None` when it cannot be known):
/// an extractor, so handlers take `ClientIp` instead of each asking the proxies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    pub fn of(req: &HttpRequest) -> Self {
        let state = req.app_data::<actix_web::web::Data<crate::state::AppState>>();
        Self(state.and_then(|state| state.proxies.client_ip(req)))
    }

    /// For log lines and session records: the address, or empty when unknown.
    pub fn display(self) -> String {
        self.0.map(|ip| ip.to_string()).unwrap_or_default()
    }
}

impl actix_web::FromRequest for ClientIp {
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Ok(Self::of(req)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in xff {
            map.append(
                HeaderName::from_static("x-forwarded-for"),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn untrusted_peers_are_the_client_whatever_they_claim() {
        let proxies = TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap()]);
        assert_eq!(
            proxies.resolve(ip("198.51.100.7"), &headers(&["203.0.113.9"])),
            ip("198.51.100.7")
        );
        assert_eq!(
            TrustedProxies::default().resolve(ip("127.0.0.1"), &headers(&["203.0.113.9"])),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn trusted_proxies_yield_the_rightmost_untrusted_hop() {
        let proxies = TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap()]);
        // The client forged the first entry; the proxy chain appended the real one.
        let h = headers(&["1.2.3.4, 203.0.113.9, 10.0.0.2"]);
        assert_eq!(proxies.resolve(ip("10.0.0.1"), &h), ip("203.0.113.9"));
        let h = headers(&["203.0.113.9", "10.0.0.3"]);
        assert_eq!(proxies.resolve(ip("10.0.0.1"), &h), ip("203.0.113.9"));
        // No header, or garbage: the peer.
        assert_eq!(
            proxies.resolve(ip("10.0.0.1"), &headers(&[])),
            ip("10.0.0.1")
        );
        assert_eq!(
            proxies.resolve(ip("10.0.0.1"), &headers(&["unknown"])),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn a_malformed_entry_cannot_hide_the_real_client() {
        let proxies = TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap()]);
        let peer = ip("10.0.0.1");
        // The client wrote `6.6.6.6, junk` (or a trailing comma, or `unknown`); the proxy
        // appended the address it saw.
        for forged in [
            "6.6.6.6, junk",
            "6.6.6.6,",
            "6.6.6.6, unknown",
            "junk",
            "6.6.6.6,,",
        ] {
            // Appended to the same line, or as a line of its own.
            let joined = format!("{forged}, 203.0.113.9");
            assert_eq!(
                proxies.resolve(peer, &headers(&[&joined])),
                ip("203.0.113.9"),
                "{joined}"
            );
            assert_eq!(
                proxies.resolve(peer, &headers(&[forged, "203.0.113.9"])),
                ip("203.0.113.9"),
                "{forged}"
            );
        }
        // Junk right after trusted hops: the last trusted hop is the client, never the
        // client-written address to the left of the junk.
        assert_eq!(
            proxies.resolve(peer, &headers(&["6.6.6.6, unknown, 10.0.0.2"])),
            ip("10.0.0.2")
        );
        assert_eq!(
            proxies.resolve(peer, &headers(&["6.6.6.6, 10.0.0.3, , 10.0.0.2"])),
            ip("10.0.0.2")
        );
        assert_eq!(
            proxies.resolve(peer, &headers(&["6.6.6.6,"])),
            ip("10.0.0.1")
        );
        assert_eq!(proxies.resolve(peer, &headers(&[""])), ip("10.0.0.1"));
        // Every entry trusted: the left-most one.
        assert_eq!(
            proxies.resolve(peer, &headers(&["10.0.0.5, 10.0.0.4", "10.0.0.3"])),
            ip("10.0.0.5")
        );
        // Several trusted hops are passed over.
        assert_eq!(
            proxies.resolve(
                peer,
                &headers(&["6.6.6.6, 203.0.113.9, 10.0.0.4", "10.0.0.3"])
            ),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn entries_with_ports_and_brackets_are_addresses() {
        let proxies = TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap()]);
        let peer = ip("10.0.0.1");
        let cases = [
            ("6.6.6.6, 203.0.113.9:5678", "203.0.113.9"),
            ("6.6.6.6, [2001:db8::1]:443", "2001:db8::1"),
            ("6.6.6.6, [2001:db8::1]", "2001:db8::1"),
            ("6.6.6.6, 2001:db8::1", "2001:db8::1"),
            ("6.6.6.6, 203.0.113.9, 10.0.0.2:80", "203.0.113.9"),
            ("6.6.6.6, 203.0.113.9, [::ffff:10.0.0.2]:80", "203.0.113.9"),
            ("6.6.6.6, ::ffff:203.0.113.9", "203.0.113.9"),
            // Not addresses: the walk ends at the peer.
            ("6.6.6.6, [203.0.113.9]", "10.0.0.1"),
            ("6.6.6.6, 203.0.113.9:", "10.0.0.1"),
            ("6.6.6.6, [2001:db8::1", "10.0.0.1"),
            ("6.6.6.6, _hidden", "10.0.0.1"),
        ];
        for (xff, client) in cases {
            assert_eq!(proxies.resolve(peer, &headers(&[xff])), ip(client), "{xff}");
        }
    }

    #[test]
    fn ipv4_mapped_peers_and_proxies_are_ipv4() {
        // A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d.
        let proxies = TrustedProxies::new(vec![IpNet::from(ip("127.0.0.1"))]);
        let h = headers(&["203.0.113.9"]);
        assert_eq!(
            proxies.resolve(ip("::ffff:127.0.0.1"), &h),
            ip("203.0.113.9")
        );
        assert_eq!(
            TrustedProxies::default().resolve(ip("::ffff:198.51.100.7"), &h),
            ip("198.51.100.7")
        );
        // A proxy listed in its IPv4-mapped form is that IPv4 proxy.
        let mapped_net = ipnet::Ipv6Net::new("::ffff:10.0.0.0".parse().unwrap(), 104).unwrap();
        let proxies = TrustedProxies::new(vec![
            IpNet::V6(mapped_net),
            IpNet::from(ip("::ffff:192.0.2.1")),
        ]);
        assert_eq!(proxies.resolve(ip("10.1.2.3"), &h), ip("203.0.113.9"));
        assert_eq!(proxies.resolve(ip("192.0.2.1"), &h), ip("203.0.113.9"));
        assert_eq!(proxies.resolve(ip("11.0.0.1"), &h), ip("11.0.0.1"));
    }

    #[test]
    fn rate_keys_group_ipv6_networks() {
        let proxies = TrustedProxies::default();
        assert_eq!(
            proxies.rate_key_of(ip("2001:db8:1:2::7")),
            proxies.rate_key_of(ip("2001:db8:1:2:ffff::1"))
        );
        let wide = TrustedProxies::default().with_ipv6_prefix("48".parse().unwrap());
        assert_eq!(
            wide.rate_key_of(ip("2001:db8:1:2::7")).to_string(),
            "2001:db8:1::/48"
        );
        assert_eq!(
            proxies.rate_key_of(ip("::ffff:203.0.113.9")).to_string(),
            "203.0.113.9"
        );
    }
}
