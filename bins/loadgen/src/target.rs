//! The server under test: its URL, and the rule that keeps load on loopback.

use std::net::IpAddr;

use reqwest::Url;

/// A checked target: loopback, or the one remote host the operator named.
#[derive(Debug, Clone)]
pub struct Target {
    base: Url,
}

impl Target {
    /// Parses `url` and refuses it unless its host is loopback
    /// (127.0.0.0/8, ::1, `localhost`) or exactly `allow_remote`.
    pub fn parse(url: &str, allow_remote: Option<&str>) -> Result<Target, String> {
        let base = Url::parse(url).map_err(|err| format!("`{url}` is not a URL: {err}"))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(format!("`{url}`: only http:// and https:// targets"));
        }
        let host = base
            .host_str()
            .ok_or_else(|| format!("`{url}` has no host"))?
            .to_owned();
        if !is_loopback(&host) {
            let named = allow_remote.is_some_and(|allowed| {
                host.trim_matches(['[', ']'])
                    .eq_ignore_ascii_case(allowed.trim_matches(['[', ']']))
            });
            if !named {
                return Err(format!(
                    "refusing to load `{host}`: not a loopback address; \
                     pass --allow-remote {host} if you mean it"
                ));
            }
        }
        Ok(Target { base })
    }

    /// The URL of `path` (which starts with `/`) on the target.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base.as_str().trim_end_matches('/'), path)
    }

    /// The WebSocket URL of `path` (`ws://` or `wss://`).
    pub fn ws_url(&self, path: &str) -> String {
        let http = self.url(path);
        match http.strip_prefix("https://") {
            Some(rest) => format!("wss://{rest}"),
            None => format!("ws://{}", http.trim_start_matches("http://")),
        }
    }

    /// The TCP port the target listens on.
    pub fn port(&self) -> Option<u16> {
        self.base.port_or_known_default()
    }
}

/// Whether `host` (as in a URL, IPv6 in brackets) is a loopback host.
pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_matches(['[', ']']);
    if bare.eq_ignore_ascii_case("localhost") {
        return true;
    }
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognised() {
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("127.1.2.3"));
        assert!(is_loopback("localhost"));
        assert!(is_loopback("LOCALHOST"));
        assert!(is_loopback("[::1]"));
        assert!(is_loopback("::1"));
    }

    #[test]
    fn other_hosts_are_not_loopback() {
        assert!(!is_loopback("10.0.0.1"));
        assert!(!is_loopback("128.0.0.1"));
        assert!(!is_loopback("0.0.0.0"));
        assert!(!is_loopback("localhost.example.com"));
        assert!(!is_loopback("example.com"));
        assert!(!is_loopback("[::2]"));
    }

    #[test]
    fn a_loopback_target_is_accepted() {
        let target = Target::parse("http://127.0.0.1:8080", None).expect("loopback");
        assert_eq!(target.url("/ready"), "http://127.0.0.1:8080/ready");
        assert_eq!(target.ws_url("/api/v1/ws"), "ws://127.0.0.1:8080/api/v1/ws");
        assert_eq!(target.port(), Some(8080));
        assert!(Target::parse("http://[::1]:9000/", None).is_ok());
        assert!(Target::parse("http://localhost", None).is_ok());
    }

    #[test]
    fn a_remote_target_needs_to_be_named() {
        assert!(Target::parse("http://10.1.2.3:8080", None).is_err());
        assert!(Target::parse("http://10.1.2.3:8080", Some("10.1.2.4")).is_err());
        assert!(Target::parse("http://10.1.2.3:8080", Some("10.1.2.3")).is_ok());
        assert!(Target::parse("https://bench.example.com", Some("bench.example.com")).is_ok());
        assert!(Target::parse("https://bench.example.com", Some("example.com")).is_err());
    }

    #[test]
    fn non_http_targets_are_refused() {
        assert!(Target::parse("ftp://127.0.0.1", None).is_err());
        assert!(Target::parse("not a url", None).is_err());
    }
}
