use std::{
    fmt,
    net::{IpAddr, Ipv6Addr},
    str::FromStr,
};

/// How many leading bits of an IPv6 address name one client for the per-IP limits
/// (`APP_IPV6_PREFIX`). An IPv6 subscriber is normally handed a whole /64 (often a /56 or a
/// /48), so keying by the full address would give one person 2^64 fresh buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Prefix(u8);

impl Ipv6Prefix {
    /// Shorter prefixes would lump whole providers together; /128 is "per address".
    pub const RANGE: std::ops::RangeInclusive<u8> = 32..=128;

    pub fn bits(self) -> u8 {
        self.0
    }
}

impl Default for Ipv6Prefix {
    fn default() -> Self {
        Self(64)
    }
}

impl TryFrom<u8> for Ipv6Prefix {
    type Error = String;

    fn try_from(bits: u8) -> Result<Self, Self::Error> {
        if Self::RANGE.contains(&bits) {
            Ok(Self(bits))
        } else {
            Err(format!(
                "an IPv6 prefix length must be between {} and {} bits, not {bits}",
                Self::RANGE.start(),
                Self::RANGE.end()
            ))
        }
    }
}

impl FromStr for Ipv6Prefix {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.strip_prefix('/').unwrap_or(s);
        let bits: u8 = s.parse().map_err(|_| {
            format!(
                "an IPv6 prefix length must be a number of bits between {} and {}",
                Self::RANGE.start(),
                Self::RANGE.end()
            )
        })?;
        Self::try_from(bits)
    }
}

/// Written as its number of bits; read from text (`64` or `/64`) through [`FromStr`], so a bad
/// value says what range is allowed.
impl serde::Serialize for Ipv6Prefix {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Ipv6Prefix {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.trim().parse().map_err(serde::de::Error::custom)
    }
}

/// What every per-IP limit counts by: an IPv4 client's address, or the network of an IPv6
/// client (its address cut to the configured prefix). An IPv4-mapped IPv6 address
/// (`::ffff:203.0.113.5`) is that IPv4 address, so a dual-stack socket cannot double a
/// client's allowance.
///
/// Shown (and stored as a database key) as `203.0.113.5` or `2001:db8:1:2::/64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateKey {
    network: IpAddr,
    prefix: u8,
}

impl RateKey {
    pub fn new(ip: IpAddr, ipv6_prefix: Ipv6Prefix) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Self {
                network: IpAddr::V4(v4),
                prefix: 32,
            },
            IpAddr::V6(v6) => {
                let bits = ipv6_prefix.bits();
                // `bits` is at least 32, so the shift is below 128.
                let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
                Self {
                    network: IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask)),
                    prefix: bits,
                }
            }
        }
    }

    /// The first address of the client's network (the address itself for IPv4).
    pub fn network(&self) -> IpAddr {
        self.network
    }
}

impl fmt::Display for RateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.network {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/{}", self.prefix),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ip: &str, prefix: u8) -> RateKey {
        RateKey::new(ip.parse().unwrap(), Ipv6Prefix::try_from(prefix).unwrap())
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_network() {
        let a = key("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64);
        assert_eq!(a, key("2001:db8:1:2::1", 64));
        assert_ne!(a, key("2001:db8:1:3::1", 64));
        assert_eq!(a.to_string(), "2001:db8:1:2::/64");
        assert_eq!(a.network(), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
        // A /48 takes in the neighbouring /64s; /128 is per address.
        assert_eq!(key("2001:db8:1:2::1", 48), key("2001:db8:1:ffff::9", 48));
        assert_eq!(key("2001:db8:1:2::1", 48).to_string(), "2001:db8:1::/48");
        assert_ne!(key("2001:db8::1", 128), key("2001:db8::2", 128));
        assert_eq!(key("2001:db8::1", 128).to_string(), "2001:db8::1/128");
        assert_eq!(key("2001:db8:ffff::1", 32).to_string(), "2001:db8::/32");
    }

    #[test]
    fn ipv4_clients_are_keyed_by_address_even_when_mapped() {
        assert_ne!(key("203.0.113.5", 64), key("203.0.113.6", 64));
        assert_eq!(key("203.0.113.5", 64).to_string(), "203.0.113.5");
        assert_eq!(key("::ffff:203.0.113.5", 64), key("203.0.113.5", 64));
        assert_ne!(key("::ffff:203.0.113.5", 64), key("::ffff:203.0.113.6", 64));
        // Only the mapped form is IPv4; `::1` is the IPv6 loopback, not 0.0.0.1.
        assert_eq!(key("::1", 128).to_string(), "::1/128");
    }

    #[test]
    fn the_prefix_length_is_bounded() {
        assert_eq!(Ipv6Prefix::default().bits(), 64);
        assert_eq!("56".parse::<Ipv6Prefix>().unwrap().bits(), 56);
        assert_eq!("/48".parse::<Ipv6Prefix>().unwrap().bits(), 48);
        assert_eq!("128".parse::<Ipv6Prefix>().unwrap().bits(), 128);
        assert_eq!("32".parse::<Ipv6Prefix>().unwrap().bits(), 32);
        for bad in ["31", "0", "129", "255", "-1", "sixty-four", ""] {
            let err = bad.parse::<Ipv6Prefix>().unwrap_err();
            assert!(err.contains("between 32 and 128"), "{bad}: {err}");
        }
    }
}
