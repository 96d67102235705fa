//! Where every store keeps its state: one documented key layout.
//!
//! | store | key | hash tag (cluster slot) |
//! |---|---|---|
//! | rate limit | `P ratelimit:{CLIENT}:ENDPOINT_HASH` | the client |
//! | lockout, per network | `P lockout:{IP}:ip` | the network |
//! | lockout, per (user, network) | `P lockout:{IP}:pair:USER` | the network |
//! | lockout, per account | `P lockout:{USER}:account` | the user |
//! | revoked or consumed token id | `P rev:jti:{JTI}` | the id |
//! | revoked refresh family | `P rev:family:{FAMILY}` | the family |
//! | a user's revocation cutoff | `P rev:user:{USER}` | the user |
//! | DPoP proof seen | `P dpop:{HEX}` | the proof's replay key |
//!
//! `P` is the configured prefix. `ENDPOINT_HASH` is the first 16 hex digits
//! of the SHA-256 of the endpoint (scope) name, so a long or odd route never
//! makes a long key. Every script and every atomic command touches exactly one
//! key, so it never spans two slots; the braces put all of one client's rate
//! limits (and one network's lockout keys) on one node, where the operator's
//! listing finds them together. In the variable parts, `{`, `}`, `%`, space and
//! control characters are written `%XX`, so a client cannot move its key to
//! another slot or into another client's keys.

use portcullis::jose::dpop::ReplayKey;
use ring::digest;

use crate::error::Error;

/// The prefix and the key names of every store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyLayout {
    prefix: String,
}

/// Characters refused in a prefix: braces (slots) and glob syntax (listing).
const PREFIX_REFUSED: &[char] = &['{', '}', '*', '?', '[', ']', '\\'];

impl KeyLayout {
    /// A layout with every key under `prefix`.
    ///
    /// # Errors
    /// [`Error::Config`] for a prefix with braces, glob characters or control
    /// characters.
    pub fn new(prefix: &str) -> Result<Self, Error> {
        if prefix
            .chars()
            .any(|c| PREFIX_REFUSED.contains(&c) || c.is_control())
        {
            return Err(Error::Config {
                setting: "prefix",
                expected: "text without braces, glob characters (*?[]\\) or control characters",
            });
        }
        Ok(Self {
            prefix: prefix.to_owned(),
        })
    }

    /// The prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The rate-limit key of `client` (a `ClientKey` string such as
    /// `ip:203.0.113.7` or `user:42`) on `endpoint` (a scope or route name).
    ///
    /// ```
    /// let layout = portcullis_redis::KeyLayout::new("app:")?;
    /// let key = layout.rate_limit("user:42", "login");
    /// assert!(key.starts_with("app:ratelimit:{user:42}:"));
    /// assert_eq!(key.len(), "app:ratelimit:{user:42}:".len() + 16);
    /// # Ok::<(), portcullis_redis::Error>(())
    /// ```
    pub fn rate_limit(&self, client: &str, endpoint: &str) -> String {
        format!(
            "{}ratelimit:{{{}}}:{}",
            self.prefix,
            escape(client),
            endpoint_hash(endpoint)
        )
    }

    /// The lockout keys of `username` from `ip` (a `ClientKey` string):
    /// `[pair, ip, account]`, the order of `LoginStates`' fields.
    pub fn lockout(&self, username: &str, ip: &str) -> [String; 3] {
        let (p, ip, user) = (&self.prefix, escape(ip), escape(username));
        [
            format!("{p}lockout:{{{ip}}}:pair:{user}"),
            format!("{p}lockout:{{{ip}}}:ip"),
            format!("{p}lockout:{{{user}}}:account"),
        ]
    }

    /// The key of a revoked or consumed token id.
    pub fn revoked_jti(&self, jti: &str) -> String {
        format!("{}rev:jti:{{{}}}", self.prefix, escape(jti))
    }

    /// The key of a revoked refresh family.
    pub fn revoked_family(&self, family: &str) -> String {
        format!("{}rev:family:{{{}}}", self.prefix, escape(family))
    }

    /// The key of a user's revocation cutoff.
    pub fn user_cutoff(&self, user: &str) -> String {
        format!("{}rev:user:{{{}}}", self.prefix, escape(user))
    }

    /// The key recording a DPoP proof.
    pub fn replay(&self, key: &ReplayKey) -> String {
        format!("{}dpop:{{{}}}", self.prefix, key.to_hex())
    }

    /// A `SCAN MATCH` pattern for the rate-limit keys of `client` (all when
    /// `None`) on `endpoint` (all when `None`).
    pub fn rate_limit_pattern(&self, client: Option<&str>, endpoint: Option<&str>) -> String {
        format!(
            "{}ratelimit:{{{}}}:{}",
            glob_escape(&self.prefix),
            client.map_or_else(|| "*".to_owned(), |c| glob_escape(&escape(c))),
            endpoint.map_or_else(|| "*".to_owned(), endpoint_hash)
        )
    }

    /// A `SCAN MATCH` pattern for the lockout keys naming `client` (a network
    /// or a username; all when `None`).
    pub fn lockout_pattern(&self, client: Option<&str>) -> String {
        format!(
            "{}lockout:{{{}}}:*",
            glob_escape(&self.prefix),
            client.map_or_else(|| "*".to_owned(), |c| glob_escape(&escape(c)))
        )
    }

    /// The parts of a rate-limit key: `(client, endpoint_hash)`, the client as
    /// written in the key (escaped).
    pub fn parse_rate_limit<'k>(&self, key: &'k str) -> Option<(&'k str, &'k str)> {
        let rest = key
            .strip_prefix(&self.prefix)?
            .strip_prefix("ratelimit:{")?;
        let (client, hash) = rest.rsplit_once("}:")?;
        Some((client, hash))
    }

    /// The parts of a lockout key: `(client, kind)` with kind `ip`, `account`
    /// or `pair:USER`, as written in the key (escaped).
    pub fn parse_lockout<'k>(&self, key: &'k str) -> Option<(&'k str, &'k str)> {
        let rest = key.strip_prefix(&self.prefix)?.strip_prefix("lockout:{")?;
        rest.split_once("}:")
    }
}

/// The Redis Cluster slot of every key naming `client` in braces (its rate
/// limits, and the lockout keys of that network or user): CRC16/XMODEM of the
/// escaped client, modulo 16384.
pub fn client_slot(client: &str) -> u16 {
    crc16::State::<crc16::XMODEM>::calculate(escape(client).as_bytes()) % 16_384
}

/// The first 16 hex digits of the SHA-256 of `endpoint`.
pub fn endpoint_hash(endpoint: &str) -> String {
    let digest = digest::digest(&digest::SHA256, endpoint.as_bytes());
    digest
        .as_ref()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `%XX` for the bytes that would change a key's slot or meaning.
fn escape(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    for c in part.chars() {
        if matches!(c, '{' | '}' | '%' | ' ') || c.is_control() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A backslash before each glob character, for `SCAN MATCH`.
fn glob_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_in_a_client_cannot_move_its_key() {
        let layout = KeyLayout::default();
        let key = layout.rate_limit("user:{x}", "login");
        assert!(key.starts_with("ratelimit:{user:%7Bx%7D}:"), "{key}");
        assert_eq!(key.matches('{').count(), 1);
        assert_eq!(
            layout.parse_rate_limit(&key).map(|p| p.0),
            Some("user:%7Bx%7D")
        );
    }

    #[test]
    fn patterns_escape_glob_characters() {
        let layout = KeyLayout::new("a.b:").unwrap_or_default();
        assert_eq!(
            layout.lockout_pattern(Some("ip:*")),
            "a.b:lockout:{ip:\\*}:*"
        );
        assert!(KeyLayout::new("x{").is_err());
        assert!(KeyLayout::new("x*").is_err());
    }

    #[test]
    fn lockout_keys_share_the_network_slot() {
        let [pair, ip, account] = KeyLayout::default().lockout("alice", "ip:192.0.2.1");
        assert_eq!(pair, "lockout:{ip:192.0.2.1}:pair:alice");
        assert_eq!(ip, "lockout:{ip:192.0.2.1}:ip");
        assert_eq!(account, "lockout:{alice}:account");
    }
}
