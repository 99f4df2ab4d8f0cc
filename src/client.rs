//! Who is asking: the client's address, seen through the reverse proxies the installation
//! trusts, and whether the request came over HTTPS.
//!
//! Only a proxy in `--trusted-proxy` may say who the client is. A request from any other peer
//! has its `X-Forwarded-For` and `X-Forwarded-Proto` ignored: the peer is the client, and the
//! request is HTTPS only if it reached us so (it never does: helpdesk speaks plain HTTP). From a
//! trusted peer, the client is the rightmost `X-Forwarded-For` entry that is not itself a trusted
//! proxy: each proxy appends the address it was called from, so that entry was written by a
//! proxy we trust, while everything left of it is whatever the client chose to send.

use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

use axum::http::{HeaderMap, HeaderName};
use ipnet::IpNet;

/// The headers a proxy uses to say who called it and how: from anyone else they are removed.
pub const FORWARDED_HEADERS: [HeaderName; 4] = [
    HeaderName::from_static("x-forwarded-for"),
    HeaderName::from_static("x-forwarded-proto"),
    HeaderName::from_static("x-real-ip"),
    HeaderName::from_static("forwarded"),
];

/// The networks whose peers are reverse proxies of this installation (`--trusted-proxy`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Proxies in these networks.
    pub fn new(networks: Vec<IpNet>) -> TrustedProxies {
        TrustedProxies(networks)
    }

    /// Whether `ip` is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Who sent the request, and whether it came over HTTPS, given the connection's `peer`
    /// (`None` when there is no connection, as for the router called in-process) and its
    /// headers. Removes the forwarded headers when the peer is not trusted, so nothing after
    /// this reads what a client wrote in them.
    pub fn resolve(&self, peer: Option<IpAddr>, headers: &mut HeaderMap) -> Origin {
        let peer = peer.map(|p| p.to_canonical());
        let Some(peer) = peer.filter(|p| self.contains(*p)) else {
            for name in &FORWARDED_HEADERS {
                headers.remove(name);
            }
            return Origin {
                client: peer,
                https: false,
            };
        };
        let mut client = peer;
        let entries = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect::<Vec<_>>();
        for entry in entries.iter().rev() {
            match parse_entry(entry) {
                Some(ip) if self.contains(ip) => client = ip,
                Some(ip) => {
                    client = ip;
                    break;
                }
                // Not an address: nothing a trusted proxy wrote. The last trusted hop is the
                // client we know of.
                None => break,
            }
        }
        // The proxy nearest to us says how it was reached.
        let https = headers
            .get_all("x-forwarded-proto")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
        Origin {
            client: Some(client),
            https,
        }
    }
}

impl FromStr for TrustedProxies {
    type Err = String;

    /// A comma-separated list of networks (`10.0.0.0/8`) or addresses (`127.0.0.1`).
    fn from_str(s: &str) -> Result<TrustedProxies, String> {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(parse_network)
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }
}

/// A network (`192.0.2.0/24`, `2001:db8::/32`) or one address (`127.0.0.1`, `::1`).
pub fn parse_network(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    IpNet::from_str(s)
        .map(|net| net.trunc())
        .or_else(|_| IpAddr::from_str(s).map(IpNet::from))
        .map_err(|_| {
            format!("{s:?} is not a network or an address (e.g. 10.0.0.0/8, 127.0.0.1 or ::1)")
        })
}

/// One `X-Forwarded-For` entry: an address, perhaps with a port (`192.0.2.1:5000`,
/// `[2001:db8::1]:5000`), as some proxies write it.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(ip) = IpAddr::from_str(entry) {
        return Some(ip.to_canonical());
    }
    let host = match entry.strip_prefix('[') {
        Some(rest) => rest.split_once(']')?.0,
        None => entry.rsplit_once(':')?.0,
    };
    IpAddr::from_str(host).ok().map(|ip| ip.to_canonical())
}

/// Who sent a request and how it reached the installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// The client's address; `None` when the request came without a connection.
    pub client: Option<IpAddr>,
    /// Whether a trusted proxy says the client used HTTPS.
    pub https: bool,
}

impl Origin {
    /// The key per-client limits count under: the address, or for IPv6 its /64 network (one
    /// household's or one server's share, which it can fill with addresses at will).
    pub fn limit_key(&self) -> IpAddr {
        match self.client {
            Some(IpAddr::V6(ip)) => {
                let s = ip.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
            Some(ip) => ip,
            None => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn resolve(
        proxies: &str,
        peer: &str,
        xff: &[&str],
        proto: Option<&str>,
    ) -> (Origin, HeaderMap) {
        let proxies: TrustedProxies = proxies.parse().unwrap();
        let mut headers = HeaderMap::new();
        for v in xff {
            headers.append("x-forwarded-for", v.parse().unwrap());
        }
        if let Some(p) = proto {
            headers.insert("x-forwarded-proto", p.parse().unwrap());
        }
        let origin = proxies.resolve(Some(ip(peer)), &mut headers);
        (origin, headers)
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_and_forwarded_headers_are_dropped() {
        let (origin, headers) = resolve("", "127.0.0.1", &["198.51.100.24"], Some("https"));
        assert_eq!(origin.client, Some(ip("127.0.0.1")));
        assert!(!origin.https);
        assert!(headers.get("x-forwarded-for").is_none());
        assert!(headers.get("x-forwarded-proto").is_none());
    }

    #[test]
    fn an_untrusted_peer_cannot_speak_for_others() {
        let (origin, _) = resolve("10.0.0.0/8", "203.0.113.5", &["10.1.1.1"], Some("https"));
        assert_eq!(
            origin,
            Origin {
                client: Some(ip("203.0.113.5")),
                https: false
            }
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_entry_is_the_client() {
        let (origin, _) = resolve("127.0.0.1", "127.0.0.1", &["198.51.100.24"], Some("https"));
        assert_eq!(
            origin,
            Origin {
                client: Some(ip("198.51.100.24")),
                https: true
            }
        );
        // A spoofed left-most entry is what the client wrote itself: ignored.
        let (origin, _) = resolve(
            "127.0.0.1",
            "127.0.0.1",
            &["192.0.2.99, 198.51.100.24"],
            None,
        );
        assert_eq!(origin.client, Some(ip("198.51.100.24")));
        // A client pretending to be the proxy gets its own address, as the proxy appends it.
        let (origin, _) = resolve(
            "127.0.0.1",
            "127.0.0.1",
            &["127.0.0.1, 198.51.100.24"],
            None,
        );
        assert_eq!(origin.client, Some(ip("198.51.100.24")));
    }

    #[test]
    fn a_chain_of_two_trusted_proxies_is_walked_from_the_right() {
        let proxies = "127.0.0.1, 10.0.0.0/8";
        // client -> 10.0.0.7 (edge) -> 127.0.0.1 (local) -> helpdesk
        let (origin, _) = resolve(proxies, "127.0.0.1", &["203.0.113.9, 10.0.0.7"], None);
        assert_eq!(origin.client, Some(ip("203.0.113.9")));
        // Entries in two headers are one list.
        let (origin, _) = resolve(
            proxies,
            "127.0.0.1",
            &["192.0.2.1, 203.0.113.9", "10.0.0.7"],
            None,
        );
        assert_eq!(origin.client, Some(ip("203.0.113.9")));
        // Only proxies: the left-most is as far as we can see.
        let (origin, _) = resolve(proxies, "127.0.0.1", &["10.0.0.8, 10.0.0.7"], None);
        assert_eq!(origin.client, Some(ip("10.0.0.8")));
        // No header: the proxy itself.
        let (origin, _) = resolve(proxies, "127.0.0.1", &[], None);
        assert_eq!(origin.client, Some(ip("127.0.0.1")));
    }

    #[test]
    fn entries_with_ports_brackets_and_garbage() {
        let (origin, _) = resolve("127.0.0.1", "127.0.0.1", &["[2001:db8::1]:443"], None);
        assert_eq!(origin.client, Some(ip("2001:db8::1")));
        let (origin, _) = resolve("127.0.0.1", "127.0.0.1", &["192.0.2.1:5000"], None);
        assert_eq!(origin.client, Some(ip("192.0.2.1")));
        let (origin, _) = resolve("127.0.0.1", "127.0.0.1", &["unknown"], None);
        assert_eq!(origin.client, Some(ip("127.0.0.1")));
        // An IPv4 peer seen through an IPv6 socket is still the IPv4 proxy.
        let (origin, _) = resolve("127.0.0.1", "::ffff:127.0.0.1", &["192.0.2.1"], None);
        assert_eq!(origin.client, Some(ip("192.0.2.1")));
    }

    #[test]
    fn networks_parse_as_cidr_or_address_and_mistakes_say_so() {
        let p: TrustedProxies = "10.0.0.0/8, ::1,192.168.1.7".parse().unwrap();
        assert!(
            p.contains(ip("10.200.3.4")) && p.contains(ip("::1")) && p.contains(ip("192.168.1.7"))
        );
        assert!(!p.contains(ip("192.168.1.8")) && !p.contains(ip("11.0.0.1")));
        let err = "10.0.0.0/33".parse::<TrustedProxies>().unwrap_err();
        assert!(err.contains("10.0.0.0/33"), "{err}");
        assert!("proxy.example".parse::<TrustedProxies>().is_err());
    }

    #[test]
    fn ipv6_clients_are_limited_per_64_network() {
        let a = Origin {
            client: Some(ip("2001:db8:1:2:aaaa::1")),
            https: false,
        };
        let b = Origin {
            client: Some(ip("2001:db8:1:2:bbbb::2")),
            https: false,
        };
        let c = Origin {
            client: Some(ip("2001:db8:1:3::1")),
            https: false,
        };
        assert_eq!(a.limit_key(), b.limit_key());
        assert_ne!(a.limit_key(), c.limit_key());
        let v4 = Origin {
            client: Some(ip("192.0.2.1")),
            https: false,
        };
        assert_eq!(v4.limit_key(), ip("192.0.2.1"));
    }
}
