//! Who a request comes from, for per-client limits: the peer address of its connection,
//! or — when that peer is a proxy listed in `WALLBOARD_TRUSTED_PROXIES` — the address
//! the proxy put in `X-Forwarded-For`. IPv6 clients are counted by their /64, the block
//! one host usually holds, so cycling addresses within it gains nothing.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;

/// The reverse proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses `WALLBOARD_TRUSTED_PROXIES`: IP addresses and CIDR ranges, comma-separated.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let bad = || {
                format!(
                    "WALLBOARD_TRUSTED_PROXIES: '{item}' is not an IP address or a CIDR range \
                     (like 10.0.0.0/8)"
                )
            };
            let (ip, bits) = match item.split_once('/') {
                Some((ip, bits)) => (ip, Some(bits)),
                None => (item, None),
            };
            let ip: IpAddr = ip.parse().map_err(|_| bad())?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                None => max,
                Some(b) => b.parse().ok().filter(|b| *b <= max).ok_or_else(bad)?,
            };
            nets.push((ip, bits));
        }
        Ok(Self(nets))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|(net, bits)| in_net(ip, *net, *bits))
    }

    /// The client behind `peer`: `peer` itself unless it is a trusted proxy, else the
    /// right-most address in `forwarded_for` that is not a trusted proxy.
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.trusts(peer) {
            return canonical(peer);
        }
        let Some(list) = forwarded_for else {
            return canonical(peer);
        };
        for hop in list.rsplit(',').map(str::trim) {
            match hop.parse::<IpAddr>() {
                Ok(ip) if self.trusts(ip) => continue,
                Ok(ip) => return canonical(ip),
                // Garbage from the client's side of the proxy: stop believing the list.
                Err(_) => break,
            }
        }
        canonical(peer)
    }
}

/// IPv4-mapped IPv6 addresses (a dual-stack listener's view of IPv4) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// The key a client is counted under: its IPv4 address, or its IPv6 /64.
fn key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
        v4 => v4,
    }
}

/// Open live streams per client, against `WALLBOARD_MAX_STREAMS_PER_CLIENT`.
#[derive(Debug, Default)]
pub struct StreamCounts(Mutex<HashMap<IpAddr, u32>>);

impl StreamCounts {
    /// Counts one more stream for `client` unless it already holds `max` (0: no cap);
    /// the returned key must be given back to [`StreamCounts::release`].
    pub fn take(&self, client: IpAddr, max: u32) -> Option<IpAddr> {
        let key = key(client);
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let open = counts.entry(key).or_insert(0);
        if max > 0 && *open >= max {
            if *open == 0 {
                counts.remove(&key);
            }
            return None;
        }
        *open += 1;
        Some(key)
    }

    pub fn release(&self, key: IpAddr) {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(open) = counts.get_mut(&key) {
            *open -= 1;
            if *open == 0 {
                counts.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, fd00::1").unwrap();
        assert_eq!(
            proxies.client(ip("10.1.2.3"), Some("1.1.1.1, 203.0.113.9")),
            ip("203.0.113.9")
        );
        assert_eq!(
            proxies.client(ip("10.1.2.3"), Some("203.0.113.9, 10.9.9.9")),
            ip("203.0.113.9"),
            "a chain of trusted proxies is walked back"
        );
        assert_eq!(
            proxies.client(ip("198.51.100.7"), Some("203.0.113.9")),
            ip("198.51.100.7"),
            "an untrusted peer cannot name another client"
        );
        assert_eq!(proxies.client(ip("10.1.2.3"), Some("junk")), ip("10.1.2.3"));
        assert_eq!(proxies.client(ip("::ffff:10.1.2.3"), None), ip("10.1.2.3"));
        assert!(TrustedProxies::parse("10.0.0.0/33")
            .unwrap_err()
            .starts_with("WALLBOARD_TRUSTED_PROXIES"));
    }

    #[test]
    fn one_past_the_cap_is_refused_and_a_release_makes_room() {
        let counts = StreamCounts::default();
        let a = counts.take(ip("192.0.2.1"), 2).unwrap();
        counts.take(ip("192.0.2.1"), 2).unwrap();
        assert_eq!(counts.take(ip("192.0.2.1"), 2), None);
        assert!(
            counts.take(ip("192.0.2.2"), 2).is_some(),
            "others are counted apart"
        );
        counts.release(a);
        assert!(counts.take(ip("192.0.2.1"), 2).is_some());
        assert!(counts.take(ip("192.0.2.1"), 0).is_some(), "0: no cap");
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_block() {
        let counts = StreamCounts::default();
        counts.take(ip("2001:db8:1:2::1"), 1).unwrap();
        assert_eq!(counts.take(ip("2001:db8:1:2::ffff"), 1), None);
        assert!(counts.take(ip("2001:db8:1:3::1"), 1).is_some());
    }
}
