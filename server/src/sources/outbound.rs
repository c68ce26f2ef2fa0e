//! The outbound guard: which addresses data sources may reach.
//!
//! A source URL comes from whoever edits a dashboard, so without a guard the server
//! would fetch anything it can reach: its own network, a database's admin port, the
//! cloud metadata service. Targets on loopback, private, link-local, CGNAT, multicast,
//! reserved and cloud-metadata addresses are refused unless the operator allows them
//! (`WALLBOARD_ALLOW_TARGETS`). The check runs on the addresses a name *resolves to*
//! (a resolver that drops forbidden ones, so DNS tricks do not pass) and again for
//! every redirect; IP literals are checked before the request and on every redirect
//! (by `http`, which follows redirects itself).
//! Cloud-metadata addresses are allowed only when named exactly, never by a category.
//! The server's own loopback port (where the demo's JSON lives) is always allowed.
//!
//! The client ignores `HTTP_PROXY`, `HTTPS_PROXY` and `ALL_PROXY`: a proxy resolves
//! names itself, where the guard never sees them. Only an explicit
//! `WALLBOARD_HTTP_PROXY` sends requests through one (then names are the proxy's to
//! check; IP literals are still checked here). The client follows no redirect: reqwest
//! would drop `Authorization` across hosts but keep an API-key header, so `http`
//! follows each one and decides what the target receives.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Why an address is not public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Loopback,
    Private,
    LinkLocal,
    Cgnat,
    Metadata,
    Multicast,
    Unspecified,
    Reserved,
}

impl Category {
    fn name(self) -> &'static str {
        match self {
            Category::Loopback => "loopback",
            Category::Private => "private",
            Category::LinkLocal => "link-local",
            Category::Cgnat => "CGNAT",
            Category::Metadata => "cloud-metadata",
            Category::Multicast => "multicast",
            Category::Unspecified => "unspecified",
            Category::Reserved => "reserved",
        }
    }

    fn keyword(self) -> Option<&'static str> {
        match self {
            Category::Loopback => Some("loopback"),
            Category::Private => Some("private"),
            Category::LinkLocal => Some("link-local"),
            Category::Cgnat => Some("cgnat"),
            _ => None,
        }
    }
}

/// The category of `ip`, or `None` for a public address.
pub fn category(ip: IpAddr) -> Option<Category> {
    match ip {
        IpAddr::V4(v4) => category_v4(v4),
        IpAddr::V6(v6) => category_v6(v6),
    }
}

fn category_v4(ip: Ipv4Addr) -> Option<Category> {
    let o = ip.octets();
    let in_net = |net: [u8; 4], bits: u32| {
        let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
        (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
    };
    Some(
        if ip == Ipv4Addr::new(169, 254, 169, 254)
            || ip == Ipv4Addr::new(168, 63, 129, 16)
            || ip == Ipv4Addr::new(100, 100, 100, 200)
        {
            Category::Metadata
        } else if o[0] == 127 {
            Category::Loopback
        } else if o[0] == 10 || in_net([172, 16, 0, 0], 12) || in_net([192, 168, 0, 0], 16) {
            Category::Private
        } else if in_net([169, 254, 0, 0], 16) {
            Category::LinkLocal
        } else if in_net([100, 64, 0, 0], 10) {
            Category::Cgnat
        } else if o[0] == 0 {
            Category::Unspecified
        } else if in_net([224, 0, 0, 0], 4) {
            Category::Multicast
        } else if in_net([240, 0, 0, 0], 4)
            || in_net([192, 0, 0, 0], 24)
            || in_net([198, 18, 0, 0], 15)
            || in_net([192, 0, 2, 0], 24)
            || in_net([198, 51, 100, 0], 24)
            || in_net([203, 0, 113, 0], 24)
        {
            Category::Reserved
        } else {
            return None;
        },
    )
}

fn category_v6(ip: Ipv6Addr) -> Option<Category> {
    let s = ip.segments();
    // Addresses that carry an IPv4 address inside are judged by it.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return category_v4(v4);
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return category_v4(Ipv4Addr::new(
            (s[6] >> 8) as u8,
            s[6] as u8,
            (s[7] >> 8) as u8,
            s[7] as u8,
        ));
    }
    if s[0] == 0x2002 {
        return category_v4(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    Some(
        if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
            Category::Metadata
        } else if ip.is_loopback() {
            Category::Loopback
        } else if ip.is_unspecified() {
            Category::Unspecified
        } else if s[0] & 0xfe00 == 0xfc00 {
            Category::Private
        } else if s[0] & 0xffc0 == 0xfe80 {
            Category::LinkLocal
        } else if s[0] & 0xff00 == 0xff00 {
            Category::Multicast
        } else if s[0] == 0x2001 && s[1] == 0x0db8 {
            Category::Reserved
        } else {
            return None;
        },
    )
}

/// One entry of `WALLBOARD_ALLOW_TARGETS`.
#[derive(Debug, Clone, PartialEq)]
enum Allowed {
    Category(&'static str),
    Net(IpAddr, u8),
}

/// The operator's exceptions, and the server's own address.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    allowed: Vec<Allowed>,
    /// The server's own port: `127.0.0.1:{port}` (and `[::1]`) is always allowed.
    own_port: Option<u16>,
}

impl Guard {
    /// Parses `WALLBOARD_ALLOW_TARGETS`: `loopback`, `private`, `link-local`, `cgnat`,
    /// IP addresses and CIDR ranges, comma-separated.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut allowed = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let entry = match item.to_ascii_lowercase().as_str() {
                "loopback" => Allowed::Category("loopback"),
                "private" => Allowed::Category("private"),
                "link-local" => Allowed::Category("link-local"),
                "cgnat" => Allowed::Category("cgnat"),
                _ => {
                    let (ip, bits) = match item.split_once('/') {
                        Some((ip, bits)) => (ip, Some(bits)),
                        None => (item, None),
                    };
                    let ip: IpAddr = ip.parse().map_err(|_| {
                        format!(
                            "WALLBOARD_ALLOW_TARGETS: '{item}' is not loopback, private, \
                             link-local, cgnat, an IP address or a CIDR range"
                        )
                    })?;
                    let max = if ip.is_ipv4() { 32 } else { 128 };
                    let bits = match bits {
                        None => max,
                        Some(b) => b.parse().ok().filter(|b| *b <= max).ok_or_else(|| {
                            format!("WALLBOARD_ALLOW_TARGETS: '{item}' has a bad prefix length")
                        })?,
                    };
                    Allowed::Net(ip, bits)
                }
            };
            allowed.push(entry);
        }
        Ok(Self {
            allowed,
            own_port: None,
        })
    }

    /// Allows the server's own loopback port (set once the listener is bound).
    pub fn with_own_port(mut self, port: u16) -> Self {
        self.own_port = Some(port);
        self
    }

    fn allows(&self, ip: IpAddr) -> Result<(), Category> {
        let Some(category) = category(ip) else {
            return Ok(());
        };
        let listed = self.allowed.iter().any(|a| match a {
            Allowed::Category(k) => category.keyword() == Some(k),
            Allowed::Net(net, bits) => in_net(ip, *net, *bits),
        });
        if listed {
            Ok(())
        } else {
            Err(category)
        }
    }

    /// Checks an address with its port (the own-port exception needs the port).
    pub fn check_addr(&self, host: &str, addr: SocketAddr) -> Result<(), String> {
        if addr.ip().is_loopback() && Some(addr.port()) == self.own_port {
            return Ok(());
        }
        self.allows(addr.ip())
            .map_err(|category| refusal(host, addr.ip(), category))
    }

    /// Checks a URL whose host is an IP literal (names are checked when resolved).
    pub fn check_url(&self, url: &reqwest::Url) -> Result<(), String> {
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            _ => return Ok(()),
        };
        let port = url.port_or_known_default().unwrap_or(80);
        self.check_addr(&ip.to_string(), SocketAddr::new(ip, port))
    }
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

fn refusal(host: &str, ip: IpAddr, category: Category) -> String {
    let how = match category.keyword() {
        Some(k) => format!("WALLBOARD_ALLOW_TARGETS={k} allows them"),
        None => format!("only WALLBOARD_ALLOW_TARGETS={ip} would allow it"),
    };
    if host == ip.to_string() {
        format!(
            "refused: {ip} is a {} address, which sources may not reach ({how})",
            category.name()
        )
    } else {
        format!(
            "refused: {host} resolves to {ip}, a {} address, which sources may not reach ({how})",
            category.name()
        )
    }
}

/// A refusal, carried through reqwest's error chain so the author sees why.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// The refusal in `err`'s chain, if the guard caused it.
pub fn refused_in(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(r) = e.downcast_ref::<Refused>() {
            return Some(r.0.clone());
        }
        current = e.source();
    }
    None
}

/// A resolver that keeps only the addresses the guard allows.
pub struct GuardedResolver(pub Arc<Guard>);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut first_refusal = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match guard.allows(addr.ip()) {
                    Ok(()) => true,
                    Err(category) => {
                        first_refusal.get_or_insert_with(|| refusal(&host, addr.ip(), category));
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                let why = first_refusal.unwrap_or_else(|| format!("{host} has no address"));
                return Err(Box::new(Refused(why)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client for sources: guarded resolution, no redirects followed (the caller
/// follows them, so that it decides what each target receives), no `Referer`, and no
/// proxy but `proxy` (`WALLBOARD_HTTP_PROXY`), whatever the environment says.
pub fn client(guard: Arc<Guard>, proxy: Option<&str>) -> reqwest::Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .user_agent(concat!("Wallboard/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(GuardedResolver(guard)))
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .no_proxy();
    match proxy {
        Some(proxy) => builder.proxy(reqwest::Proxy::all(proxy)?).build(),
        None => builder.build(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(ip: &str) -> Option<Category> {
        category(ip.parse().unwrap())
    }

    #[test]
    fn non_public_addresses_are_recognized() {
        assert_eq!(cat("127.0.0.1"), Some(Category::Loopback));
        assert_eq!(cat("10.1.2.3"), Some(Category::Private));
        assert_eq!(cat("172.20.0.1"), Some(Category::Private));
        assert_eq!(cat("192.168.1.1"), Some(Category::Private));
        assert_eq!(cat("169.254.10.1"), Some(Category::LinkLocal));
        assert_eq!(cat("169.254.169.254"), Some(Category::Metadata));
        assert_eq!(cat("100.64.0.1"), Some(Category::Cgnat));
        assert_eq!(cat("0.0.0.0"), Some(Category::Unspecified));
        assert_eq!(cat("224.0.0.1"), Some(Category::Multicast));
        assert_eq!(cat("::1"), Some(Category::Loopback));
        assert_eq!(cat("fd12::1"), Some(Category::Private));
        assert_eq!(cat("fe80::1"), Some(Category::LinkLocal));
        assert_eq!(cat("fd00:ec2::254"), Some(Category::Metadata));
        assert_eq!(cat("::ffff:10.0.0.1"), Some(Category::Private), "v4-mapped");
        assert_eq!(cat("64:ff9b::a9fe:a9fe"), Some(Category::Metadata), "NAT64");
        assert_eq!(cat("2002:7f00:1::"), Some(Category::Loopback), "6to4");
        assert_eq!(cat("93.184.216.34"), None);
        assert_eq!(cat("2606:4700::1111"), None);
        assert_eq!(cat("172.32.0.1"), None, "just outside 172.16/12");
    }

    #[test]
    fn the_allow_list_opens_categories_and_ranges_but_metadata_only_by_name() {
        let g = Guard::parse("loopback, 10.0.0.0/8, link-local").unwrap();
        assert!(g.allows("127.0.0.1".parse().unwrap()).is_ok());
        assert!(g.allows("10.9.9.9".parse().unwrap()).is_ok());
        assert!(g.allows("192.168.0.1".parse().unwrap()).is_err());
        assert_eq!(
            g.allows("169.254.169.254".parse().unwrap()),
            Err(Category::Metadata),
            "link-local does not open the metadata service"
        );
        let exact = Guard::parse("169.254.169.254").unwrap();
        assert!(exact.allows("169.254.169.254".parse().unwrap()).is_ok());
        assert!(Guard::parse("intranet").unwrap_err().contains("'intranet'"));
        assert!(Guard::parse("10.0.0.0/33").unwrap_err().contains("prefix"));
    }

    /// A server on loopback that answers every request with `body`, counting them.
    fn answering(body: &'static str) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = hits.clone();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        (url, hits)
    }

    /// Set by the parent test below to the fake proxy's URL; unset, this does nothing.
    const CHILD: &str = "WALLBOARD_TEST_PROXY_CHILD";

    /// Runs in a child process whose environment names a proxy (see the test below).
    #[tokio::test]
    async fn proxy_child_reads_with_the_environment_naming_a_proxy() {
        let Ok(proxy) = std::env::var(CHILD) else {
            return;
        };
        let (direct, _) = answering("direct");
        let guard = Arc::new(Guard::parse("loopback").unwrap());
        let read = |client: reqwest::Client| {
            let direct = direct.clone();
            async move {
                let answer = client.get(direct).send().await.unwrap();
                answer.text().await.unwrap()
            }
        };
        // A default client obeys the environment: the variables do name a proxy.
        assert_eq!(read(reqwest::Client::new()).await, "proxied");
        assert_eq!(read(client(guard.clone(), None).unwrap()).await, "direct");
        let through = client(guard, Some(&proxy)).unwrap();
        assert_eq!(read(through).await, "proxied");
        println!("proxy child ran");
    }

    #[test]
    fn a_proxy_in_the_environment_is_ignored_and_only_the_configured_one_is_used() {
        // The proxy variables go to a child process (this test binary, running the test
        // above) so that no other test here sees them.
        let (proxy, proxied) = answering("proxied");
        let mut child = std::process::Command::new(std::env::current_exe().unwrap());
        child
            .args([
                "--exact",
                "sources::outbound::tests::proxy_child_reads_with_the_environment_naming_a_proxy",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, &proxy)
            .env_remove("NO_PROXY")
            .env_remove("no_proxy");
        for var in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
        ] {
            child.env(var, &proxy);
        }
        let out = child.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("proxy child ran"),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            proxied.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "only the default client and the configured proxy reached the proxy"
        );
    }

    #[test]
    fn refusals_say_what_and_how_to_allow_it() {
        let g = Guard::default();
        let url = reqwest::Url::parse("http://127.0.0.1:9/x").unwrap();
        let why = g.check_url(&url).unwrap_err();
        assert!(why.contains("127.0.0.1 is a loopback address"), "{why}");
        assert!(why.contains("WALLBOARD_ALLOW_TARGETS=loopback"), "{why}");
        let own = Guard::default().with_own_port(9);
        assert!(
            own.check_url(&url).is_ok(),
            "the server's own port is allowed"
        );
        let other = reqwest::Url::parse("http://127.0.0.1:10/x").unwrap();
        assert!(own.check_url(&other).is_err());
        let name = reqwest::Url::parse("http://example.com/x").unwrap();
        assert!(
            g.check_url(&name).is_ok(),
            "names are checked when resolved"
        );
    }
}
