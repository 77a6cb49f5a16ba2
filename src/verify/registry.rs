//! The one registry of the providers on the seam (each implements
//! [`super::provider::Provider`]) with their default endpoints, and the
//! checkers of one run (each provider connected on first use, each distinct
//! credential asked about once).
//!
//! Adding a provider: its module under `verify/`, its `VerifyWith` variant,
//! one row in [`PROVIDERS`] and one arm in `connect`. Rules name their
//! provider with `verify = "<name>"`; endpoints are overridden with
//! `--provider-endpoint <name>=URL`.

use super::http::{ClientError, Endpoint, EndpointError};
use super::provider::Provider;
use super::{Verification, alibaba, baidu, cdnetworks, huawei, qiniu, volcengine};
use crate::finding::{Finding, Fingerprint, Secret};
use crate::rule::{Rule, VerifyWith};
use std::collections::HashMap;
use std::time::Duration;

/// Every provider checked through the seam: its rules' `verify` value, its
/// name on the command line and its default endpoint. (Tencent Cloud
/// implements the trait too, but is connected by its caller: auditor mode,
/// sites, incidents and disable/enable need more than an endpoint.)
pub const PROVIDERS: &[(VerifyWith, &str, &str)] = &[
    (
        VerifyWith::Cdnetworks,
        "cdnetworks",
        cdnetworks::DEFAULT_ENDPOINT,
    ),
    (VerifyWith::Alibaba, "alibaba", alibaba::DEFAULT_ENDPOINT),
    (VerifyWith::Qiniu, "qiniu", qiniu::DEFAULT_ENDPOINT),
    (
        VerifyWith::Volcengine,
        "volcengine",
        volcengine::DEFAULT_ENDPOINT,
    ),
    (VerifyWith::Huawei, "huawei", huawei::DEFAULT_ENDPOINT),
    (VerifyWith::Baidu, "baidu", baidu::DEFAULT_ENDPOINT),
];

/// Deadline of one HTTP exchange with a provider.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Builds the checker of `with` sending to `endpoint`; `None` for a
/// provider not on the seam.
fn connect(
    with: VerifyWith,
    endpoint: &Endpoint,
) -> Option<Result<Box<dyn Provider>, ClientError>> {
    Some(match with {
        VerifyWith::Tencent => return None,
        VerifyWith::Cdnetworks => cdnetworks::Checker::new(endpoint.clone(), TIMEOUT)
            .map(|c| Box::new(c) as Box<dyn Provider>),
        VerifyWith::Alibaba => alibaba::Checker::new(endpoint.clone(), TIMEOUT)
            .map(|c| Box::new(c) as Box<dyn Provider>),
        VerifyWith::Qiniu => {
            qiniu::Checker::new(endpoint.clone(), TIMEOUT).map(|c| Box::new(c) as Box<dyn Provider>)
        }
        VerifyWith::Volcengine => volcengine::Checker::new(endpoint.clone(), TIMEOUT)
            .map(|c| Box::new(c) as Box<dyn Provider>),
        VerifyWith::Huawei => huawei::Checker::new(endpoint.clone(), TIMEOUT)
            .map(|c| Box::new(c) as Box<dyn Provider>),
        VerifyWith::Baidu => {
            baidu::Checker::new(endpoint.clone(), TIMEOUT).map(|c| Box::new(c) as Box<dyn Provider>)
        }
    })
}

/// Why a `--provider-endpoint` value was refused.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// Not `NAME=URL`.
    #[error("--provider-endpoint {0:?}: expected PROVIDER=URL")]
    Shape(String),
    /// An unknown provider name.
    #[error("--provider-endpoint {0:?}: unknown provider {1:?} (known: {2})")]
    Provider(String, String, String),
    /// A URL that is not a usable endpoint.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
}

/// The endpoints of one run: each provider's default unless overridden.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints(Vec<(VerifyWith, Endpoint)>);

impl Endpoints {
    /// Every provider's endpoint, with `overrides` (`NAME=URL`) applied.
    pub fn resolve<S: AsRef<str>>(overrides: &[S]) -> Result<Endpoints, SpecError> {
        let mut list: Vec<(VerifyWith, Endpoint)> = PROVIDERS
            .iter()
            .map(|(w, _, url)| (*w, Endpoint::builtin(url)))
            .collect();
        for o in overrides {
            let o = o.as_ref();
            let (name, url) = o
                .split_once('=')
                .ok_or_else(|| SpecError::Shape(o.into()))?;
            let Some(slot) = PROVIDERS.iter().position(|(_, n, _)| *n == name.trim()) else {
                let known: Vec<&str> = PROVIDERS.iter().map(|(_, n, _)| *n).collect();
                return Err(SpecError::Provider(o.into(), name.into(), known.join(", ")));
            };
            list[slot].1 = Endpoint::custom(url.trim())?;
        }
        Ok(Endpoints(list))
    }

    /// Replaces one provider's endpoint.
    pub fn set(&mut self, with: VerifyWith, endpoint: Endpoint) {
        if let Some(slot) = self.0.iter_mut().find(|(w, _)| *w == with) {
            slot.1 = endpoint;
        }
    }

    /// One provider's endpoint.
    pub fn get(&self, with: VerifyWith) -> Option<&Endpoint> {
        self.0.iter().find(|(w, _)| *w == with).map(|(_, e)| e)
    }
}

/// The checkers of one run.
pub struct Checkers {
    endpoints: Endpoints,
    live: HashMap<VerifyWith, Box<dyn Provider>>,
    asked: HashMap<Fingerprint, Verification>,
}

impl Checkers {
    /// Checkers sending to `endpoints`; none connects before its first check.
    pub fn new(endpoints: Endpoints) -> Checkers {
        Checkers {
            endpoints,
            live: HashMap::new(),
            asked: HashMap::new(),
        }
    }

    /// The provider of `rule_id` among `rules`, when it is on the seam.
    pub fn provider_of(rules: &[Rule], rule_id: &str) -> Option<VerifyWith> {
        rules
            .iter()
            .find(|r| r.id == rule_id)
            .and_then(|r| r.verify)
            .filter(|w| PROVIDERS.iter().any(|(p, _, _)| p == w))
    }

    /// Checks one credential with `with`'s checker, each distinct
    /// credential once per run; `None` for a provider not on the seam.
    pub fn check(
        &mut self,
        with: VerifyWith,
        id: &Secret,
        key: Option<&Secret>,
        token: Option<&Secret>,
    ) -> Option<Result<Verification, ClientError>> {
        let name = PROVIDERS.iter().find(|(w, _, _)| *w == with)?.1;
        let asked = Fingerprint::of(name, id, key);
        if let Some(v) = self.asked.get(&asked) {
            return Some(Ok(v.clone()));
        }
        if !self.live.contains_key(&with) {
            let endpoint = self.endpoints.get(with)?;
            match connect(with, endpoint)? {
                Ok(c) => self.live.insert(with, c),
                Err(e) => return Some(Err(e)),
            };
        }
        let mut v = self.live.get_mut(&with)?.check(id, key, token);
        // A server's message may quote the id it was sent.
        v.detail = crate::rule::echo::redact_ids(&v.detail).into_owned();
        self.asked.insert(asked, v.clone());
        Some(Ok(v))
    }

    /// Fills `verification` of every finding whose rule names a provider on
    /// the seam.
    pub fn verify_findings(
        &mut self,
        rules: &[Rule],
        findings: &mut [Finding],
    ) -> Result<(), ClientError> {
        for f in findings.iter_mut() {
            let Some(with) = Checkers::provider_of(rules, &f.rule) else {
                continue;
            };
            if let Some(v) = self.check(with, &f.secret, f.key.as_ref(), f.token.as_ref()) {
                f.verification = Some(v?);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_default_per_provider_and_overrides_are_checked() {
        let e = Endpoints::resolve::<&str>(&[]).unwrap();
        assert_eq!(
            e.get(VerifyWith::Alibaba),
            Some(&Endpoint::builtin(alibaba::DEFAULT_ENDPOINT))
        );
        let e = Endpoints::resolve(&["alibaba=http://127.0.0.1:9/"]).unwrap();
        assert!(e.get(VerifyWith::Alibaba).unwrap().is_loopback());
        assert!(!e.get(VerifyWith::Cdnetworks).unwrap().is_loopback());
        assert!(matches!(
            Endpoints::resolve(&["nope=https://x.example/"]),
            Err(SpecError::Provider(..))
        ));
        assert!(matches!(
            Endpoints::resolve(&["alibaba"]),
            Err(SpecError::Shape(_))
        ));
        assert!(matches!(
            Endpoints::resolve(&["alibaba=http://sts.example.com/"]),
            Err(SpecError::Endpoint(EndpointError::InsecureHttp(_)))
        ));
    }
}
