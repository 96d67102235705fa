//! The cluster slot of every key each script and atomic command touches,
//! computed here with Redis Cluster's CRC16/XMODEM and hash-tag rule (no
//! server needed): each touches one slot, and the hash tags group the keys the
//! layout documents as grouped.

use portcullis::jose::dpop::ReplayKey;
use portcullis_redis::KeyLayout;
use portcullis_redis::keys::client_slot;

/// CRC16/XMODEM (polynomial 0x1021, initial 0), as Redis Cluster uses.
fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in bytes {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The slot of `key`: the CRC16 of its hash tag (the text between the first `{`
/// and the first `}` after it, when not empty), else of the whole key.
fn slot(key: &str) -> u16 {
    let bytes = key.as_bytes();
    let tagged = bytes.iter().position(|&b| b == b'{').and_then(|open| {
        let rest = &bytes[open + 1..];
        let close = rest.iter().position(|&b| b == b'}')?;
        (close > 0).then(|| &rest[..close])
    });
    crc16(tagged.unwrap_or(bytes)) % 16_384
}

/// One slot for all of `keys`.
fn one_slot(what: &str, keys: &[String]) {
    let slots: Vec<u16> = keys.iter().map(|k| slot(k)).collect();
    assert!(
        slots.windows(2).all(|w| w[0] == w[1]),
        "{what}: {keys:?} span slots {slots:?}"
    );
}

#[test]
fn the_slot_function_matches_redis_clusters_reference_values() {
    // The CRC16 check value, and slots from the Redis Cluster specification.
    assert_eq!(crc16(b"123456789"), 0x31C3);
    assert_eq!(slot("foo"), 12_182);
    assert_eq!(slot("bar"), 5_061);
    assert_eq!(slot("{user1000}.following"), slot("{user1000}.followers"));
    assert_eq!(slot("foo{}{bar}"), crc16(b"foo{}{bar}") % 16_384);
    assert_eq!(slot("foo{{bar}}zap"), crc16(b"{bar") % 16_384);
}

#[test]
fn every_script_touches_one_slot() {
    for prefix in ["", "myapp:", "a.b-c:"] {
        let layout = KeyLayout::new(prefix).expect("a prefix");
        for client in [
            "ip:203.0.113.7",
            "user:42",
            "user:{evil}",
            "ip:2001:db8::/56",
        ] {
            // The compare-and-swap script: one rate-limit key per call.
            one_slot("rate limit", &[layout.rate_limit(client, "login")]);
            // All of one client's rate limits share its slot (the operator's listing).
            one_slot(
                "one client's limits",
                &[
                    layout.rate_limit(client, "login"),
                    layout.rate_limit(client, "/api/v1/search?q={x}"),
                ],
            );
            // The operator's scan goes to the node of `client_slot`.
            assert_eq!(slot(&layout.rate_limit(client, "x")), client_slot(client));
            // Lockout: each counter is its own compare-and-swap; the pair and the
            // network's counter share the network's slot.
            let [pair, ip, account] = layout.lockout("alice{x}", client);
            one_slot("lockout pair and network", &[pair, ip]);
            one_slot("lockout account", &[account]);
        }
        // Consume and revoke scripts: one key each.
        for id in ["0123abcd", "{id}", "a}b{c"] {
            one_slot("consume", &[layout.revoked_jti(id)]);
            one_slot("revoke family", &[layout.revoked_family(id)]);
            one_slot("revoke user", &[layout.user_cutoff(id)]);
        }
        // SET NX of a DPoP proof.
        one_slot("dpop", &[layout.replay(&ReplayKey::new("jkt", "jti"))]);
    }
}

#[test]
fn a_brace_in_a_client_cannot_choose_its_slot() {
    let layout = KeyLayout::default();
    // A client "}x{victim" must not land in the slot of the client "victim".
    let crafted = layout.rate_limit("}x{victim", "login");
    let victim = layout.rate_limit("victim", "login");
    assert_ne!(slot(&crafted), slot(&victim));
    assert_eq!(crafted.matches('{').count(), 1, "{crafted}");
}
