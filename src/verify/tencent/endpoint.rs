//! Where Tencent Cloud API requests go: the China or international site,
//! or one checked base URL standing for every service (tests, proxies), and
//! the `Host` header that is signed and sent.

use super::api::Service;
use crate::verify::http::{EndpointError, checked_base, is_loopback};

/// Which Tencent Cloud site to call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Site {
    /// `<service>.tencentcloudapi.com`.
    #[default]
    China,
    /// `<service>.intl.tencentcloudapi.com`.
    International,
}

/// Where requests go: the real site, or one base URL (tests, proxies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    site: Site,
    base: Option<reqwest::Url>,
    other_base: Option<reqwest::Url>,
}

impl Endpoints {
    /// The real endpoints of `site`.
    pub fn site(site: Site) -> Endpoints {
        Endpoints {
            site,
            base: None,
            other_base: None,
        }
    }

    /// With a custom base URL, the base URL standing for the other site
    /// (see [`Endpoints::other_site`]); checked like [`Endpoints::custom`].
    pub fn with_other_site(mut self, url: &str) -> Result<Endpoints, EndpointError> {
        self.other_base = Endpoints::custom(url)?.base;
        Ok(self)
    }

    /// The other site (China and international), where a SecretId unknown
    /// on this one is looked for; with a custom base URL, only when
    /// [`Endpoints::with_other_site`] named one.
    pub fn other_site(&self) -> Option<Endpoints> {
        let flipped = match self.site {
            Site::China => Site::International,
            Site::International => Site::China,
        };
        match &self.base {
            None => Some(Endpoints::site(flipped)),
            Some(b) => self.other_base.as_ref().map(|o| Endpoints {
                site: flipped,
                base: Some(o.clone()),
                other_base: Some(b.clone()),
            }),
        }
    }

    /// One base URL for every service: https anywhere, http only on loopback.
    pub fn custom(url: &str) -> Result<Endpoints, EndpointError> {
        Ok(Endpoints {
            site: Site::China,
            base: Some(checked_base(url)?),
            other_base: None,
        })
    }

    pub(super) fn url(&self, service: Service) -> reqwest::Url {
        if let Some(b) = &self.base {
            return b.clone();
        }
        let host = match self.site {
            Site::China => format!("https://{}.tencentcloudapi.com/", service.name()),
            Site::International => format!("https://{}.intl.tencentcloudapi.com/", service.name()),
        };
        reqwest::Url::parse(&host).expect("built-in endpoint URLs parse")
    }

    /// Whether the endpoint is on this machine.
    pub fn is_loopback(&self) -> bool {
        self.base
            .as_ref()
            .and_then(|b| b.host_str())
            .is_some_and(is_loopback)
    }
}

/// The `Host` header for a URL: host, plus `:port` when it is not the
/// scheme's default (this is what is signed, and what is sent).
pub(super) fn host_header(u: &reqwest::Url) -> String {
    let host = u.host_str().unwrap_or_default();
    match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_allow_https_and_loopback_http_only() {
        for ok in [
            "https://cam.example.com/",
            "http://127.0.0.1:8765",
            "http://127.3.4.5:1/",
            "http://[::1]:9000/",
            "http://localhost:80/",
        ] {
            assert!(Endpoints::custom(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1:8765/",
            "http://cam.tencentcloudapi.com/",
            "ftp://127.0.0.1/",
            "not a url",
            "https://cam.example.com/some/path",
        ] {
            assert!(Endpoints::custom(bad).is_err(), "{bad}");
        }
        let e = Endpoints::custom("http://192.168.1.2/").unwrap_err();
        assert!(e.to_string().contains("loopback"), "{e}");
    }

    #[test]
    fn host_header_keeps_non_default_ports() {
        let u = |s: &str| reqwest::Url::parse(s).unwrap();
        assert_eq!(host_header(&u("http://127.0.0.1:8765/")), "127.0.0.1:8765");
        assert_eq!(
            host_header(&u("https://cam.tencentcloudapi.com/")),
            "cam.tencentcloudapi.com"
        );
        assert_eq!(host_header(&u("https://h.example:443/")), "h.example");
        assert_eq!(host_header(&u("http://[::1]:9/")), "[::1]:9");
        let intl = Endpoints::site(Site::International).url(Service::Sts);
        assert_eq!(host_header(&intl), "sts.intl.tencentcloudapi.com");
    }
}
