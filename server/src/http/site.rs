//! The names this server answers for and the origins browsers may call it from:
//! `WALLBOARD_PUBLIC_URL`, `WALLBOARD_ALLOWED_HOSTS`, and always the loopback names of
//! its own port. A request naming any other `Host` is refused, so a DNS-rebinding page
//! (whose requests carry the attacker's host name) cannot drive the editor's API.

use std::net::{IpAddr, SocketAddr};

/// One name the server answers for. `scheme` is known for the public URL only; `port`
/// `None` means the scheme's default port (a `Host` header without a port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    scheme: Option<Scheme>,
    /// Lower case, without a trailing dot; IPv6 in brackets (`[::1]`).
    host: String,
    port: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// What `WALLBOARD_PUBLIC_URL` and `WALLBOARD_ALLOWED_HOSTS` name, as read from the
/// environment (the loopback names are added once the port is known).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    pub public_url: Option<Name>,
    pub allowed_hosts: Vec<Name>,
}

impl Names {
    /// Parses `WALLBOARD_PUBLIC_URL` (`https://wall.example.com`, no path) and
    /// `WALLBOARD_ALLOWED_HOSTS` (comma-separated `host[:port]`).
    pub fn parse(public_url: Option<&str>, allowed_hosts: Option<&str>) -> Result<Self, String> {
        let public_url = match public_url.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => Some(parse_public_url(raw)?),
        };
        let mut hosts = Vec::new();
        for item in allowed_hosts
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            hosts.push(parse_host(item).ok_or_else(|| {
                format!(
                    "WALLBOARD_ALLOWED_HOSTS: '{item}' is not a host name or address with an \
                     optional port (like wall.example.com or 10.0.0.5:3000)"
                )
            })?);
        }
        Ok(Self {
            public_url,
            allowed_hosts: hosts,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.public_url.is_none() && self.allowed_hosts.is_empty()
    }

    /// `WALLBOARD_PUBLIC_URL` as a base for links (`https://wall.example.com`).
    pub fn public_base(&self) -> Option<String> {
        let name = self.public_url.as_ref()?;
        let scheme = name.scheme?;
        let (text, default) = match scheme {
            Scheme::Http => ("http", 80),
            Scheme::Https => ("https", 443),
        };
        Some(match name.port {
            Some(port) if port != default => format!("{text}://{}:{port}", name.host),
            _ => format!("{text}://{}", name.host),
        })
    }
}

fn parse_public_url(raw: &str) -> Result<Name, String> {
    let bad = |why: &str| {
        format!("WALLBOARD_PUBLIC_URL: '{raw}' {why} (give it like https://wall.example.com)")
    };
    let url = url::Url::parse(raw).map_err(|e| bad(&format!("is not a URL: {e}")))?;
    let scheme = match url.scheme() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        _ => return Err(bad("must start with http:// or https://")),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry a user name or password"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "must be the site's root: Wallboard cannot be served under a path",
        ));
    }
    let host = url.host_str().ok_or_else(|| bad("names no host"))?;
    Ok(Name {
        scheme: Some(scheme),
        host: normalize_host(host),
        port: url.port_or_known_default(),
    })
}

/// `host[:port]` as in a `Host` header; `None` if it is not one.
fn parse_host(raw: &str) -> Option<Name> {
    if raw.is_empty() || raw.len() > 300 {
        return None;
    }
    let authority: axum::http::uri::Authority = raw.parse().ok()?;
    if authority.as_str().contains('@') {
        return None;
    }
    let host = authority.host();
    let valid = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        v6.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
    };
    if !valid {
        return None;
    }
    Some(Name {
        scheme: None,
        host: normalize_host(host),
        port: authority.port_u16(),
    })
}

fn normalize_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// Why a request's `Host` or `Origin` was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No `Host` header (and no authority in the request target).
    NoHost,
    /// A `Host` this server does not answer for.
    Host(String),
    /// An `Origin` that is not one of this site's.
    Origin(String),
}

impl Refused {
    /// The status (421 for a foreign host, 400 without one, 403 for a foreign origin) and
    /// a message saying what to do. The names are cut short and shown as text only.
    pub fn status_and_message(&self) -> (u16, String) {
        match self {
            Refused::NoHost => (
                400,
                "no Host: a request must name the host it is for".to_string(),
            ),
            Refused::Host(host) => (
                421,
                format!(
                    "'{}' is not a name this server answers for: open it by its configured \
                     address, or have the operator add the name to WALLBOARD_PUBLIC_URL or \
                     WALLBOARD_ALLOWED_HOSTS",
                    shown(host)
                ),
            ),
            Refused::Origin(origin) => (
                403,
                format!(
                    "cross-site request refused: the page at '{}' is not this site \
                     (WALLBOARD_PUBLIC_URL names the site's own origin)",
                    shown(origin)
                ),
            ),
        }
    }
}

fn shown(text: &str) -> String {
    text.chars()
        .take(100)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect()
}

/// The names and origins one running server accepts.
#[derive(Debug, Clone)]
pub struct Site {
    names: Vec<Name>,
    /// Nothing configured and listening on every interface: any IP address is accepted
    /// as a host (a DNS-rebinding page always names a host *name*), names are not.
    any_ip: bool,
    https: bool,
    /// Origins embed widgets may frame (`WALLBOARD_EMBED_ORIGINS`).
    frames: Vec<String>,
}

impl Site {
    /// The configured names, plus `127.0.0.1`, `localhost` and `[::1]` at the bound
    /// port, plus the bound address itself when it is a specific one.
    pub fn new(names: &Names, bound: SocketAddr) -> Self {
        let port = Some(bound.port());
        let mut all: Vec<Name> = ["127.0.0.1", "localhost", "[::1]"]
            .into_iter()
            .map(|host| Name {
                scheme: None,
                host: host.to_string(),
                port,
            })
            .collect();
        if !bound.ip().is_unspecified() && !bound.ip().is_loopback() {
            all.push(Name {
                scheme: None,
                host: host_of(bound.ip()),
                port,
            });
        }
        all.extend(names.public_url.iter().cloned());
        all.extend(names.allowed_hosts.iter().cloned());
        Self {
            names: all,
            any_ip: names.is_empty() && bound.ip().is_unspecified(),
            https: names
                .public_url
                .as_ref()
                .is_some_and(|n| n.scheme == Some(Scheme::Https)),
            frames: Vec::new(),
        }
    }

    /// The site with the origins embed widgets may frame.
    pub fn with_frame_origins(mut self, origins: &[String]) -> Self {
        self.frames = origins.to_vec();
        self
    }

    /// Origins pages may frame (`frame-src`).
    pub fn frame_origins(&self) -> &[String] {
        &self.frames
    }

    /// Whether every IP address is accepted as a host (nothing configured, listening
    /// on all interfaces).
    pub fn accepts_any_ip(&self) -> bool {
        self.any_ip
    }

    /// Whether the public URL is `https://` (responses then carry HSTS).
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// Checks the `Host` of a request (`host[:port]`).
    pub fn check_host(&self, host: Option<&str>) -> Result<(), Refused> {
        let raw = host.map(str::trim).filter(|h| !h.is_empty());
        let Some(raw) = raw else {
            return Err(Refused::NoHost);
        };
        let name = parse_host(raw).ok_or_else(|| Refused::Host(raw.to_string()))?;
        if self.any_ip && is_ip(&name.host) {
            return Ok(());
        }
        if self.names.iter().any(|n| host_matches(n, &name)) {
            Ok(())
        } else {
            Err(Refused::Host(raw.to_string()))
        }
    }

    /// Checks the `Origin` a browser sent with a request whose (accepted) `Host` is
    /// `host`: it must be this site's own origin.
    pub fn check_origin(&self, origin: &str, host: Option<&str>) -> Result<(), Refused> {
        let refused = || Refused::Origin(origin.to_string());
        let url = url::Url::parse(origin).map_err(|_| refused())?;
        let scheme = match url.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return Err(refused()),
        };
        let (Some(h), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return Err(refused());
        };
        let h = normalize_host(h);
        let explicit_port = url.port().is_some();
        let named = self.names.iter().any(|n| {
            n.host == h
                && match (n.scheme, n.port) {
                    (Some(s), p) => s == scheme && p == Some(port),
                    (None, Some(p)) => p == port,
                    (None, None) => !explicit_port,
                }
        });
        if named {
            return Ok(());
        }
        // With any IP address accepted, the page must be the one the request is for.
        let same_as_host = host
            .and_then(parse_host)
            .is_some_and(|req| req.host == h && req.port.unwrap_or(scheme.default_port()) == port);
        if self.any_ip && is_ip(&h) && same_as_host {
            return Ok(());
        }
        Err(refused())
    }
}

fn host_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

fn is_ip(host: &str) -> bool {
    host.parse::<std::net::Ipv4Addr>().is_ok()
        || host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .is_some_and(|h| h.parse::<std::net::Ipv6Addr>().is_ok())
}

/// A `Host` without a port means the scheme's default one: it matches a name without a
/// port, or one at 80 or 443.
fn host_matches(name: &Name, host: &Name) -> bool {
    if name.host != host.host {
        return false;
    }
    let default = |p: Option<u16>| p.is_none_or(|p| p == 80 || p == 443);
    match (name.port, host.port) {
        (Some(a), Some(b)) => a == b,
        (a, b) => default(a) && default(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(public: Option<&str>, hosts: Option<&str>, bound: &str) -> Site {
        Site::new(
            &Names::parse(public, hosts).unwrap(),
            bound.parse().unwrap(),
        )
    }

    #[test]
    fn with_nothing_configured_the_loopback_names_of_the_port_are_accepted() {
        let s = site(None, None, "127.0.0.1:3000");
        for host in [
            "127.0.0.1:3000",
            "localhost:3000",
            "LOCALHOST:3000",
            "[::1]:3000",
        ] {
            assert_eq!(s.check_host(Some(host)), Ok(()), "{host}");
        }
        for host in [
            "evil.example:3000",
            "localhost:3001",
            "localhost",
            "10.0.0.5:3000",
        ] {
            assert!(s.check_host(Some(host)).is_err(), "{host}");
        }
        assert_eq!(s.check_host(None), Err(Refused::NoHost));
    }

    #[test]
    fn a_rebinding_origin_is_refused_even_when_it_matches_its_host() {
        let s = site(None, None, "127.0.0.1:3000");
        assert!(s
            .check_origin("http://evil.example:3000", Some("evil.example:3000"))
            .is_err());
        assert_eq!(
            s.check_origin("http://localhost:3000", Some("localhost:3000")),
            Ok(())
        );
        assert!(s.check_origin("null", Some("localhost:3000")).is_err());
    }

    #[test]
    fn the_public_url_pins_its_host_and_its_origin_with_the_scheme() {
        let s = site(Some("https://Wall.Example.com"), None, "0.0.0.0:3000");
        assert!(s.is_https());
        assert!(!s.accepts_any_ip());
        for host in [
            "wall.example.com",
            "wall.example.com:443",
            "wall.example.com.",
        ] {
            assert_eq!(s.check_host(Some(host)), Ok(()), "{host}");
        }
        assert!(s.check_host(Some("wall.example.com:3000")).is_err());
        assert!(s.check_host(Some("10.0.0.5:3000")).is_err());
        assert!(s.check_host(Some("localhost:3000")).is_ok());
        assert_eq!(
            s.check_origin("https://wall.example.com", Some("wall.example.com")),
            Ok(())
        );
        assert!(s
            .check_origin("http://wall.example.com", Some("wall.example.com"))
            .is_err());
    }

    #[test]
    fn allowed_hosts_are_matched_with_their_ports_and_either_scheme() {
        let s = site(
            None,
            Some("wall.lan:3000, 10.0.0.5:3000,proxy.lan"),
            "0.0.0.0:3000",
        );
        assert!(s.check_host(Some("wall.lan:3000")).is_ok());
        assert!(s.check_host(Some("wall.lan")).is_err());
        assert!(s.check_host(Some("proxy.lan")).is_ok());
        assert!(
            s.check_host(Some("10.0.0.6:3000")).is_err(),
            "only the named IP"
        );
        assert!(s.check_origin("http://wall.lan:3000", None).is_ok());
        assert!(s.check_origin("https://proxy.lan", None).is_ok());
        assert!(s.check_origin("https://proxy.lan:8443", None).is_err());
    }

    #[test]
    fn on_all_interfaces_with_nothing_configured_ip_hosts_are_accepted_and_names_are_not() {
        let s = site(None, None, "0.0.0.0:3000");
        assert!(s.accepts_any_ip());
        assert!(s.check_host(Some("192.168.1.20:3000")).is_ok());
        assert!(s.check_host(Some("[fd00::1]:8080")).is_ok());
        assert!(s.check_host(Some("wall.lan:3000")).is_err());
        assert!(s
            .check_origin("http://192.168.1.20:3000", Some("192.168.1.20:3000"))
            .is_ok());
        assert!(
            s.check_origin("http://6.6.6.6", Some("192.168.1.20:3000"))
                .is_err(),
            "another address's page"
        );
    }

    #[test]
    fn a_specific_listen_address_is_one_of_the_names() {
        let s = site(None, None, "192.168.1.20:3000");
        assert!(!s.accepts_any_ip());
        assert!(s.check_host(Some("192.168.1.20:3000")).is_ok());
        assert!(s.check_host(Some("192.168.1.21:3000")).is_err());
    }

    #[test]
    fn bad_settings_name_their_variable() {
        for url in [
            "wall.example.com",
            "ftp://x",
            "https://u:p@x",
            "https://x/wall",
        ] {
            let err = Names::parse(Some(url), None).unwrap_err();
            assert!(err.starts_with("WALLBOARD_PUBLIC_URL"), "{err}");
        }
        for host in ["a b", "x/y", "u@x", "[zz]:1"] {
            let err = Names::parse(None, Some(host)).unwrap_err();
            assert!(err.starts_with("WALLBOARD_ALLOWED_HOSTS"), "{err}");
        }
    }

    #[test]
    fn refusals_say_what_to_set_and_do_not_echo_control_characters() {
        let (status, message) = Refused::Host("evil\r\n.example".into()).status_and_message();
        assert_eq!(status, 421);
        assert!(message.contains("WALLBOARD_PUBLIC_URL"));
        assert!(!message.contains('\r'));
    }
}
