//! Where webhooks may connect. In production, never to this machine, a private network, a
//! link-local or cloud-metadata address (SSRF): an endpoint URL is checked when the
//! configuration is read (an address written in it), and every address a name resolves to is
//! checked again when a connection is made ([`GuardedResolver`]), so a name that resolves to
//! a public address at start-up and to `127.0.0.1` later (DNS rebinding) is refused then.
//! `APP_WEBHOOK_ALLOW_PRIVATE` lists the exceptions (hosts, addresses or networks).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use anyhow::bail;

/// What `APP_WEBHOOK_ALLOW_PRIVATE` lists.
#[derive(Debug, Clone)]
enum Allowed {
    Net(ipnet::IpNet),
    Host(String),
}

/// The SSRF rule: enforced in production only.
#[derive(Debug, Clone)]
pub struct Policy {
    enforce: bool,
    allowed: Vec<Allowed>,
}

impl Policy {
    pub fn parse(enforce: bool, allow_private: Option<&str>) -> anyhow::Result<Self> {
        let allowed = allow_private
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|entry| {
                if let Ok(net) = entry.parse::<ipnet::IpNet>() {
                    return Ok(Allowed::Net(net));
                }
                if let Some(ip) = literal_ip(entry) {
                    return Ok(Allowed::Net(ipnet::IpNet::from(ip)));
                }
                let host = entry.trim_end_matches('.').to_ascii_lowercase();
                if host.is_empty() || host.contains(['/', ':', '@', ' ']) {
                    bail!(
                        "APP_WEBHOOK_ALLOW_PRIVATE: `{entry}` is not a host name, an address \
                         or a network"
                    );
                }
                Ok(Allowed::Host(host))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { enforce, allowed })
    }

    /// Whether a connection for `host` may go to `ip`.
    pub fn permits(&self, host: &str, ip: IpAddr) -> bool {
        if !self.enforce || is_public(ip) {
            return true;
        }
        let ip = ip.to_canonical();
        let host = host.trim_end_matches('.');
        self.allowed.iter().any(|a| match a {
            Allowed::Net(net) => net.contains(&ip),
            Allowed::Host(name) => name.eq_ignore_ascii_case(host),
        })
    }
}

/// An address written as a URL host (`127.0.0.1`, `[::1]`).
pub fn literal_ip(host: &str) -> Option<IpAddr> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

/// `localhost` or a loopback address: where plain http may go outside production.
pub fn is_loopback_host(host: &str, ip: Option<IpAddr>) -> bool {
    host.trim_end_matches('.').eq_ignore_ascii_case("localhost")
        || ip.is_some_and(|ip| ip.to_canonical().is_loopback())
}

/// Not loopback, private, shared (CGNAT), link-local (which holds 169.254.169.254, the cloud
/// metadata service), unspecified, broadcast, multicast or documentation space; for IPv6 also
/// not unique-local (which holds `fd00:ec2::254`), link-local, or an IPv4 address of those
/// kinds written as IPv6 (mapped, NAT64).
pub fn is_public(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // 100.64.0.0/10: carrier-grade NAT, also Alibaba's metadata 100.100.100.200.
        || (a == 100 && (64..128).contains(&b))
        // 192.0.0.0/24: IETF protocol assignments (192.0.0.192 is Oracle's metadata).
        || (a == 192 && b == 0 && c == 0)
        // 198.18.0.0/15: benchmarking; 240.0.0.0/4: reserved.
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    // 64:ff9b::/96 (NAT64): the IPv4 address in its last 32 bits decides.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., hi, lo] = segments;
        let v4 = Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
        return is_public_v4(v4);
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00
        || (segments[0] & 0xffc0) == 0xfe80
        // 2001:db8::/32: documentation.
        || (segments[0] == 0x2001 && segments[1] == 0xdb8))
}

/// The resolver of the webhook client: the system's answer, less every address the policy
/// refuses; none left is an error ([`Blocked`]) and no connection is made.
pub struct GuardedResolver {
    policy: Policy,
}

impl GuardedResolver {
    pub fn new(policy: Policy) -> Self {
        Self { policy }
    }
}

/// A connection refused by the policy.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` resolves only to addresses refused in production (loopback, private, link-local or metadata); see APP_WEBHOOK_ALLOW_PRIVATE")]
pub struct Blocked(pub String);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let permitted: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|a| policy.permits(&host, a.ip()))
                .collect();
            if permitted.is_empty() {
                return Err(Box::new(Blocked(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(permitted.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_metadata_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.100.100.200",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.215.14",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "64:ff9b::101:101",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn the_allow_list_takes_hosts_addresses_and_networks() {
        let p = Policy::parse(true, Some("10.0.0.0/8, 127.0.0.1, hooks.internal")).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(p.permits("x", ip("10.9.9.9")));
        assert!(p.permits("x", ip("127.0.0.1")));
        assert!(!p.permits("x", ip("127.0.0.2")));
        assert!(p.permits("hooks.internal", ip("192.168.0.1")));
        assert!(!p.permits("other.internal", ip("192.168.0.1")));
        assert!(p.permits("anything", ip("1.1.1.1")));
        assert!(Policy::parse(false, None)
            .unwrap()
            .permits("x", ip("127.0.0.1")));
        assert!(Policy::parse(true, Some("http://x/")).is_err());
    }
}
