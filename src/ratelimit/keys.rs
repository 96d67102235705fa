//! Who a request counts against: a user id, or a client address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::RateLimitError;

/// The client's address, trusting `X-Forwarded-For` only as far as configured.
///
/// `remote_addr` is the peer of the TCP connection. With `trusted_proxies = 0`
/// (the safe default: the header is attacker-controlled) it is the answer. With
/// `N > 0` proxies in front of the service, each appending the address it saw,
/// the client is the `N`-th address from the right of `forwarded_for` (the
/// comma-joined header values), as DRF's `NUM_PROXIES` reads it; a header with
/// fewer entries yields its leftmost. An entry that is not an address (with an
/// optional port or IPv6 brackets) falls back to `remote_addr`.
///
/// ```
/// use std::net::IpAddr;
/// use portcullis::ratelimit::client_ip;
///
/// let proxy: IpAddr = "10.0.0.2".parse().unwrap();
/// let xff = Some("203.0.113.9, 198.51.100.7");
/// assert_eq!(client_ip(proxy, xff, 0), proxy); // never trusted by default
/// assert_eq!(client_ip(proxy, xff, 1).to_string(), "198.51.100.7");
/// assert_eq!(client_ip(proxy, xff, 2).to_string(), "203.0.113.9");
/// ```
pub fn client_ip(
    remote_addr: IpAddr,
    forwarded_for: Option<&str>,
    trusted_proxies: usize,
) -> IpAddr {
    let Some(header) = forwarded_for.filter(|_| trusted_proxies > 0) else {
        return remote_addr;
    };
    let entries = header.split(',').map(str::trim).filter(|e| !e.is_empty());
    let count = entries.clone().count();
    if count == 0 {
        return remote_addr;
    }
    let index = count.saturating_sub(trusted_proxies);
    entries
        .clone()
        .nth(index)
        .and_then(parse_forwarded_addr)
        .unwrap_or(remote_addr)
}

fn parse_forwarded_addr(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .and_then(|e| e.parse().ok())
        })
}

/// The identity a request is counted against.
///
/// IPv6 clients are grouped by their /56 by default ([`DEFAULT_V6_PREFIX`]; a
/// residential subscriber is commonly delegated a /56, so per-/64 keys would
/// give one home 256 quotas); [`ClientKey::ip_grouped`] picks other lengths.
/// IPv4-mapped (`::ffff:a.b.c.d`) and NAT64 (`64:ff9b::a.b.c.d`, RFC 6052's
/// well-known prefix) addresses count as the IPv4 client they carry, so a NAT64
/// gateway does not put every IPv4 client behind it into one key.
///
/// ```
/// use portcullis::ratelimit::ClientKey;
///
/// let a = ClientKey::ip("2001:db8:1:2:aaaa::1".parse().unwrap());
/// let b = ClientKey::ip("2001:db8:1:ff:bbbb::9".parse().unwrap());
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "ip:2001:db8:1::/56");
/// assert_eq!(ClientKey::ip("64:ff9b::c000:201".parse().unwrap()).to_string(), "ip:192.0.2.1");
/// assert_eq!(ClientKey::user("42").to_string(), "user:42");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClientKey {
    /// An authenticated user, by id.
    User(String),
    /// An anonymous client: its address masked to `prefix` bits.
    Ip {
        /// The masked address.
        network: IpAddr,
        /// The prefix length kept.
        prefix: u8,
    },
}

impl ClientKey {
    /// The key for an authenticated user.
    pub fn user(id: impl Into<String>) -> Self {
        Self::User(id.into())
    }

    /// The key for an anonymous client: IPv4 as is, IPv6 grouped by
    /// [`DEFAULT_V6_PREFIX`].
    pub fn ip(addr: IpAddr) -> Self {
        Self::ip_grouped(addr, 32, DEFAULT_V6_PREFIX).unwrap_or(Self::Ip {
            network: addr,
            prefix: 128,
        })
    }

    /// The key for an anonymous client with chosen prefix lengths (for example
    /// IPv4 /24 or IPv6 /48); IPv4-mapped and NAT64 addresses take `v4_prefix`.
    ///
    /// # Errors
    ///
    /// [`RateLimitError::InvalidConfig`] when `v4_prefix > 32` or `v6_prefix > 128`.
    pub fn ip_grouped(addr: IpAddr, v4_prefix: u8, v6_prefix: u8) -> Result<Self, RateLimitError> {
        if v4_prefix > 32 {
            return Err(RateLimitError::InvalidConfig {
                setting: "v4_prefix",
                expected: "0 to 32",
            });
        }
        if v6_prefix > 128 {
            return Err(RateLimitError::InvalidConfig {
                setting: "v6_prefix",
                expected: "0 to 128",
            });
        }
        let addr = match addr {
            IpAddr::V6(v6) => embedded_ipv4(v6).map_or(addr, IpAddr::V4),
            IpAddr::V4(_) => addr,
        };
        Ok(match addr {
            IpAddr::V4(v4) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(v4_prefix)).unwrap_or(0);
                Self::Ip {
                    network: IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask)),
                    prefix: v4_prefix,
                }
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(v6_prefix))
                    .unwrap_or(0);
                Self::Ip {
                    network: IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask)),
                    prefix: v6_prefix,
                }
            }
        })
    }

    /// Whether this is an authenticated user.
    pub const fn is_user(&self) -> bool {
        matches!(self, Self::User(_))
    }
}

/// The IPv6 prefix length [`ClientKey::ip`] groups by: 56, as express-rate-limit.
pub const DEFAULT_V6_PREFIX: u8 = 56;

/// RFC 6052's well-known NAT64 prefix, `64:ff9b::/96`, as its top 96 bits.
const NAT64_PREFIX: u128 = 0x0064_ff9b_0000_0000_0000_0000_0000_0000;

/// The IPv4 address an IPv4-mapped or NAT64 IPv6 address carries.
fn embedded_ipv4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let bits = u128::from(v6);
    let low = u32::try_from(bits & u128::from(u32::MAX)).ok()?;
    (bits & !u128::from(u32::MAX) == NAT64_PREFIX).then(|| Ipv4Addr::from(low))
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User(id) => write!(f, "user:{id}"),
            Self::Ip {
                network: IpAddr::V4(v4),
                prefix: 32,
            } => write!(f, "ip:{v4}"),
            Self::Ip {
                network: IpAddr::V6(v6),
                prefix: 128,
            } => write!(f, "ip:{v6}"),
            Self::Ip { network, prefix } => write!(f, "ip:{network}/{prefix}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_read_from_the_right() {
        let peer = ip("10.0.0.1");
        assert_eq!(client_ip(peer, None, 3), peer);
        assert_eq!(client_ip(peer, Some(""), 1), peer);
        assert_eq!(client_ip(peer, Some(" , "), 1), peer);
        assert_eq!(client_ip(peer, Some("1.1.1.1"), 5), ip("1.1.1.1"));
        assert_eq!(client_ip(peer, Some("1.1.1.1,2.2.2.2"), 1), ip("2.2.2.2"));
        assert_eq!(client_ip(peer, Some("garbage, 2.2.2.2"), 2), peer);
        assert_eq!(
            client_ip(peer, Some("[2001:db8::1]:443"), 1),
            ip("2001:db8::1")
        );
        assert_eq!(client_ip(peer, Some("[2001:db8::1]"), 1), ip("2001:db8::1"));
        assert_eq!(client_ip(peer, Some("1.2.3.4:80"), 1), ip("1.2.3.4"));
    }

    #[test]
    fn addresses_are_grouped() {
        assert_eq!(ClientKey::ip(ip("1.2.3.4")).to_string(), "ip:1.2.3.4");
        assert_eq!(
            ClientKey::ip(ip("::ffff:1.2.3.4")).to_string(),
            "ip:1.2.3.4"
        );
        assert_eq!(
            ClientKey::ip_grouped(ip("1.2.3.4"), 24, 56)
                .unwrap()
                .to_string(),
            "ip:1.2.3.0/24"
        );
        assert_eq!(
            ClientKey::ip_grouped(ip("2001:db8:aa:bbcc::1"), 32, 56)
                .unwrap()
                .to_string(),
            "ip:2001:db8:aa:bb00::/56"
        );
        assert_eq!(
            ClientKey::ip_grouped(ip("2001:db8::1"), 0, 128)
                .unwrap()
                .to_string(),
            "ip:2001:db8::1"
        );
        assert_eq!(
            ClientKey::ip_grouped(ip("9.9.9.9"), 0, 0)
                .unwrap()
                .to_string(),
            "ip:0.0.0.0/0"
        );
        assert!(ClientKey::ip_grouped(ip("1.2.3.4"), 33, 64).is_err());
        assert!(ClientKey::ip_grouped(ip("1.2.3.4"), 32, 129).is_err());
        assert!(ClientKey::user("7").is_user());
    }

    #[test]
    fn ipv6_groups_by_56_and_nat64_maps_to_ipv4() {
        let a = ClientKey::ip(ip("2001:db8:aa:bb01::1"));
        let b = ClientKey::ip(ip("2001:db8:aa:bbff:ffff::9"));
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "ip:2001:db8:aa:bb00::/56");
        assert_ne!(a, ClientKey::ip(ip("2001:db8:aa:bc00::1")));
        // NAT64 (RFC 6052's well-known prefix) and IPv4-mapped: the IPv4 client.
        assert_eq!(
            ClientKey::ip(ip("64:ff9b::c000:201")).to_string(),
            "ip:192.0.2.1"
        );
        assert_eq!(
            ClientKey::ip(ip("64:ff9b::c000:202")).to_string(),
            "ip:192.0.2.2"
        );
        assert_eq!(
            ClientKey::ip(ip("::ffff:192.0.2.1")),
            ClientKey::ip(ip("192.0.2.1"))
        );
        assert_eq!(
            ClientKey::ip_grouped(ip("64:ff9b::c000:201"), 24, 48)
                .unwrap()
                .to_string(),
            "ip:192.0.2.0/24"
        );
        // Only the /96 itself is NAT64: an address beside it stays IPv6.
        assert!(
            ClientKey::ip(ip("64:ff9b:1::c000:201"))
                .to_string()
                .ends_with("/56")
        );
    }
}
