//! X-Forwarded-For values are attacker-controlled: any header must yield either
//! the peer address or an address that appears in the header, never a panic.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use libfuzzer_sys::fuzz_target;
use portcullis::ratelimit::{ClientKey, client_ip};

fuzz_target!(|data: &[u8]| {
    let Some((&proxies, rest)) = data.split_first() else { return };
    let Ok(header) = std::str::from_utf8(rest) else { return };
    let peer = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    let ip = client_ip(peer, Some(header), usize::from(proxies % 8));
    if proxies % 8 == 0 {
        assert_eq!(ip, peer);
    }
    let key = ClientKey::ip(ip).to_string();
    assert!(key.starts_with("ip:"));
    for (v4, v6) in [(0, 0), (24, 56), (32, 128)] {
        assert!(ClientKey::ip_grouped(ip, v4, v6).is_ok());
    }
});
