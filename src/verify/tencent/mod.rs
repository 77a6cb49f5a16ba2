//! Tencent Cloud STS, CAM and CloudAudit: the API actions, TC3 signing,
//! the HTTP client and the checks and incident reads built on them.
//!
//! [`Verifier`] checks each distinct (SecretId, SecretKey) pair once, with a
//! call signed by that pair, and, in auditor mode, attributes every found
//! SecretId (with or without its key) using the user's own credentials.

pub mod account_index;
pub mod answer;
pub mod api;
pub mod check;
pub mod client;
pub mod credential;
mod endpoint;
pub mod incident;
mod last_used;
pub mod sign;
pub mod snapshot;

pub use account_index::{AccountIndex, KeyInfo, UserInfo};
pub use api::{Action, Service};
pub use client::{ApiError, CallError, Client, ClientOptions, Credential, Endpoints, Site};

use crate::finding::incident::Incident;
use crate::finding::{Finding, Fingerprint, Secret, SecretKind, SignedCheck};
use crate::verify::{KeyStatus, Outcome, Owner, Verification};
pub use incident::LeakedSince;
use std::collections::HashMap;

/// The auditor: the user's own credentials and the index of their account.
#[derive(Debug)]
pub struct Auditor {
    /// The credentials.
    pub credential: Credential,
    /// Their account's keys.
    pub index: AccountIndex,
}

/// Checks found credentials, each distinct pair once.
#[derive(Debug)]
pub struct Verifier {
    client: Client,
    other_site: Option<Client>,
    auditor: Option<Auditor>,
    cache: HashMap<Fingerprint, Verification>,
    last_used: HashMap<String, Option<String>>,
    incidents: HashMap<(String, LeakedSince), Option<Incident>>,
    earlier: HashMap<String, Earlier>,
}

/// What an earlier run recorded about a key: the calls it signed with it
/// and whether it found the key never used.
#[derive(Debug, Default)]
struct Earlier {
    calls: Vec<SignedCheck>,
    never_used: bool,
}

/// The cache key of a pair: a fingerprint over id and key only, so the same
/// pair found by two rules is checked once.
fn pair_key(id: &str, key: Option<&Secret>) -> Fingerprint {
    Fingerprint::of("tencent", &Secret::new(id, SecretKind::Identifier), key)
}

/// Pairs checked at the same time by [`Verifier::prefetch_pairs`].
const PARALLEL_CHECKS: usize = 4;

/// Tencent Cloud on the provider seam: one credential is verified and
/// concluded (incident picture, last use) with its leak time unknown; a
/// batch of findings goes through [`Verifier::verify_findings`].
impl crate::verify::provider::Provider for Verifier {
    fn check(&mut self, id: &Secret, key: Option<&Secret>, token: Option<&Secret>) -> Verification {
        let mut v = self.verify(id.expose(), key, token);
        self.conclude(id.expose(), &mut v, LeakedSince::Unknown);
        v
    }

    fn verify_findings(&mut self, findings: &mut [Finding], mine: &dyn Fn(&Finding) -> bool) {
        Verifier::verify_findings(self, findings, mine);
    }
}

/// Whether a value looks like a Tencent Cloud SecretId.
pub fn is_secret_id(s: &str) -> bool {
    (s.starts_with("AKID") || s.starts_with("IKID"))
        && s.len() >= 36
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Verifier {
    /// A verifier; with `auditor`, found ids are also looked up in the
    /// auditor's account.
    pub fn new(client: Client, auditor: Option<Auditor>) -> Verifier {
        Verifier {
            other_site: client.other_site(),
            client,
            auditor,
            cache: HashMap::new(),
            last_used: HashMap::new(),
            incidents: HashMap::new(),
            earlier: HashMap::new(),
        }
    }

    /// Takes what an earlier run's report says about `id` (its
    /// verification as written): the calls keyhound signed with the key
    /// and a "never used" verdict, so this run leaves those calls out.
    pub fn remember(&mut self, id: &str, before: &Verification) {
        let e = self.earlier.entry(id.to_string()).or_default();
        e.calls.extend(before.keyhound_calls.iter().cloned());
        let recognised = before
            .incident
            .as_ref()
            .and_then(|i| i.activity.as_ref())
            .into_iter()
            .flat_map(|a| &a.keyhound_calls);
        e.calls.extend(recognised.map(|ev| SignedCheck {
            time: ev.time.clone(),
            action: ev.name.clone(),
            request_id: ev.request_id.clone(),
            client: String::new(),
        }));
        e.calls.sort();
        e.calls.dedup_by(|a, b| {
            a.action == b.action
                && a.time == b.time
                && (a.request_id == b.request_id || a.client.is_empty())
        });
        e.never_used |= before.never_used;
    }

    /// Every call keyhound is known to have signed with `id`: this run's
    /// and those earlier runs recorded.
    fn calls_with(&self, id: &str) -> Vec<SignedCheck> {
        let mut out: Vec<SignedCheck> = self
            .client
            .signed_with(id)
            .iter()
            .chain(
                self.other_site
                    .iter()
                    .flat_map(|o| o.signed_with(id))
                    .collect::<Vec<_>>()
                    .iter(),
            )
            .map(client::SignedCall::recorded)
            .collect();
        if let Some(e) = self.earlier.get(id) {
            out.extend(e.calls.iter().cloned());
        }
        out.sort();
        out.dedup();
        out
    }

    /// Finishes the verification `v` of `id`: the incident picture (see
    /// [`Verifier::incident`]), the calls keyhound signed with the key,
    /// and its last use with keyhound's own calls told apart.
    pub fn conclude(&mut self, id: &str, v: &mut Verification, leaked: LeakedSince) {
        v.incident = self.incident(id, v, leaked);
        let calls = self.calls_with(id);
        let never_before = self.earlier.get(id).is_some_and(|e| e.never_used);
        let created = self
            .auditor
            .as_ref()
            .and_then(|a| a.index.get(id))
            .and_then(|k| k.created.as_deref())
            .and_then(snapshot::parse_time);
        let known = last_used::Known {
            calls: &calls,
            never_before,
            auditor_read: self.last_used.contains_key(id),
            created,
        };
        last_used::settle(v, &known);
        v.keyhound_calls = calls;
    }

    /// The incident picture of `id`, verified as `v`, when there is an
    /// auditor and the key is live or one of the auditor's account: read once per id and leak time, after the
    /// checks, so keyhound's own calls with the key are known and left out.
    pub fn incident(
        &mut self,
        id: &str,
        v: &Verification,
        leaked: LeakedSince,
    ) -> Option<Incident> {
        let auditor = self.auditor.as_ref()?;
        // A disabled key of the auditor's account still has a history and
        // may have left keys behind.
        if v.outcome != Outcome::Live && auditor.index.get(id).is_none() {
            return None;
        }
        let key = (id.to_string(), leaked);
        if let Some(done) = self.incidents.get(&key) {
            return done.clone();
        }
        let mut own = self.client.signed_with(id);
        if let Some(o) = &self.other_site {
            own.extend(o.signed_with(id));
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let earlier: &[SignedCheck] = self.earlier.get(id).map_or(&[], |e| &e.calls);
        let got = incident::picture(&self.client, auditor, id, v, &own, earlier, leaked, now);
        self.incidents.insert(key, got.clone());
        got
    }

    /// The auditor, when in auditor mode.
    pub fn auditor(&self) -> Option<&Auditor> {
        self.auditor.as_ref()
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Asks the auditor's account for the last use of these ids at once
    /// (batches of 10); later [`Verifier::verify`] calls use the answers.
    /// Called before any call is signed with a found key, so the figures
    /// are the key's own use, not keyhound's check.
    pub fn prefetch_last_used(&mut self, ids: &[&str]) {
        if let Some(a) = &self.auditor {
            let got = a.index.last_used(&self.client, &a.credential, ids);
            self.last_used.extend(got);
        }
    }

    /// Checks the distinct pairs not checked yet, a few at a time: the work
    /// is waiting on the network, and the client's per-action limits hold
    /// whatever the number of threads.
    pub fn prefetch_pairs(&mut self, pairs: &[(&str, &Secret, Option<&Secret>)]) {
        let mut seen = std::collections::HashSet::new();
        let todo: Vec<(Fingerprint, &str, &Secret, Option<&Secret>)> = pairs
            .iter()
            .map(|&(id, k, t)| (pair_key(id, Some(k)), id, k, t))
            .filter(|(ck, id, ..)| {
                !self.cache.contains_key(ck)
                    && self.decided(id).is_none()
                    && seen.insert(ck.clone())
            })
            .collect();
        if todo.is_empty() {
            return;
        }
        let (client, other) = (&self.client, self.other_site.as_ref());
        let known = &self.last_used;
        let run = || -> Vec<(Fingerprint, Verification)> {
            use rayon::prelude::*;
            todo.par_iter()
                .map(|(ck, id, k, t)| {
                    let cred = Credential::new(*id, k.expose()).with_token(t.cloned());
                    let own = !known.contains_key(*id);
                    (ck.clone(), check::check_pair(client, other, &cred, own))
                })
                .collect()
        };
        let checked = match rayon::ThreadPoolBuilder::new()
            .num_threads(PARALLEL_CHECKS)
            .build()
        {
            Ok(pool) => pool.install(run),
            Err(_) => run(),
        };
        self.cache.extend(checked);
    }

    /// The verdict the auditor's answers already give for `id`, so that no
    /// call is signed with the found key: the key is in the auditor's
    /// account and either Inactive (not live) or never used, or used only
    /// by checks an earlier run recorded (its status is the verdict, and
    /// the key stays unused). `None` when the key has been used, is not
    /// the account's, or the auditor could not read its last use.
    fn decided(&self, id: &str) -> Option<Verification> {
        let k = self.auditor.as_ref()?.index.get(id)?;
        let (outcome, detail) = if k.status == KeyStatus::Inactive {
            (
                Outcome::NotLive,
                "no call signed with the found key: the auditor's account decides",
            )
        } else if self.unused_but_for_keyhound(id) {
            (
                Outcome::Live,
                "Active and never used in the auditor's account: no call signed with the found key, so \
                 its SecretKey was not exercised and the key stays unused",
            )
        } else {
            return None;
        };
        Some(check::verification(outcome, detail.to_string(), None))
    }

    /// The auditor's GetSecurityLastUsed has no date for `id`, or its
    /// precise date is a check an earlier run recorded after finding the
    /// key never used.
    fn unused_but_for_keyhound(&self, id: &str) -> bool {
        let earlier = self.earlier.get(id).filter(|e| e.never_used);
        match (self.last_used.get(id), earlier) {
            (Some(None), _) => true,
            (Some(Some(l)), Some(e)) if l.len() > 10 => snapshot::parse_time(l).is_some_and(|t| {
                e.calls
                    .iter()
                    .filter_map(|c| snapshot::parse_time(&c.time))
                    .any(|c| (c - t).abs() <= incident::events::OWN_SLACK)
            }),
            _ => false,
        }
    }

    /// Checks one SecretId with its key (if found) and token; a pair is
    /// asked about once, later calls answer from the cache. In auditor
    /// mode a key the auditor's answers decide is not signed with (see
    /// [`Verifier::decided`]).
    pub fn verify(
        &mut self,
        id: &str,
        key: Option<&Secret>,
        token: Option<&Secret>,
    ) -> Verification {
        let ck = pair_key(id, key);
        let decided = key.and_then(|_| self.decided(id));
        let signed = key.is_some() && decided.is_none();
        let mut v = match (decided, self.cache.get(&ck), key) {
            (Some(d), ..) => d,
            (None, Some(v), _) => v.clone(),
            (None, None, Some(k)) => {
                let cred = Credential::new(id, k.expose()).with_token(token.cloned());
                let own = !self.last_used.contains_key(id);
                let v = check::check_pair(&self.client, self.other_site.as_ref(), &cred, own);
                self.cache.insert(ck, v.clone());
                v
            }
            (None, None, None) => {
                crate::verify::http::verdict(Outcome::Skipped, "no SecretKey found".to_string())
            }
        };
        if let Some(a) = &self.auditor {
            attribute(&mut v, &a.index, id, key.is_some());
            if signed && a.index.get(id).is_some() {
                v.detail = format!(
                    "{}; signed with the found key: the auditor's answers do not decide (the \
                     key has been used, or its last use could not be read)",
                    v.detail
                );
            }
        }
        match self.last_used.get(id) {
            Some(Some(l)) => {
                v.last_used = Some(l.clone());
                v.last_used_note = Some(
                    "GetSecurityLastUsed, read with the auditor's credentials before any call \
                     signed with the found key"
                        .to_string(),
                );
            }
            Some(None) => {
                v.last_used = None;
                v.never_used = true;
                v.last_used_note = Some(
                    "never used: GetSecurityLastUsed, read with the auditor's credentials, has \
                     no date for the key"
                        .to_string(),
                );
            }
            None => {}
        }
        v
    }

    /// Fills `verification` of every finding `verifiable` accepts whose
    /// secret is a SecretId.
    pub fn verify_findings(
        &mut self,
        findings: &mut [Finding],
        verifiable: impl Fn(&Finding) -> bool,
    ) {
        let chosen = |f: &Finding| verifiable(f) && is_secret_id(f.secret.expose());
        let mut ids: Vec<&str> = findings
            .iter()
            .filter(|f| chosen(f))
            .map(|f| f.secret.expose())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        self.prefetch_last_used(&ids);
        let refs: Vec<(&str, &Secret, Option<&Secret>)> = findings
            .iter()
            .filter(|f| chosen(f))
            .filter_map(|f| Some((f.secret.expose(), f.key.as_ref()?, f.token.as_ref())))
            .collect();
        self.prefetch_pairs(&refs);
        let near = keys_by_file(findings);
        for f in findings.iter_mut() {
            if !chosen(f) {
                continue;
            }
            let mut v = self.verify(f.secret.expose(), f.key.as_ref(), f.token.as_ref());
            if v.outcome == Outcome::WrongKey {
                v = self.other_keys(f, &near).unwrap_or(v);
            }
            f.verification = Some(v);
        }
        for f in findings.iter_mut().filter(|f| chosen(f)) {
            let leaked = f
                .matches
                .iter()
                .filter_map(|m| match &m.provenance {
                    crate::source::Provenance::Git { commit, .. }
                    | crate::source::Provenance::CommitMessage { commit }
                    | crate::source::Provenance::TagMessage { commit, .. } => Some(commit.time),
                    _ => None,
                })
                .min()
                .map_or(LeakedSince::Unknown, LeakedSince::Commit);
            let id = f.secret.expose().to_string();
            if let Some(mut v) = f.verification.take() {
                self.conclude(&id, &mut v, leaked);
                f.verification = Some(v);
            }
        }
    }

    /// After a wrong key: the other keys found in the same files as `f`,
    /// tried in turn; the first that authenticates (or settles the id as
    /// not live) is the verdict.
    fn other_keys(
        &mut self,
        f: &Finding,
        near: &HashMap<String, Vec<Secret>>,
    ) -> Option<Verification> {
        let mut tried = std::collections::HashSet::new();
        let own = f.key.as_ref().map(Secret::expose);
        for m in &f.matches {
            for k in near.get(&file_of(m)).into_iter().flatten() {
                if Some(k.expose()) == own || !tried.insert(k.expose().to_string()) {
                    continue;
                }
                let mut v = self.verify(f.secret.expose(), Some(k), None);
                if v.outcome != Outcome::WrongKey {
                    v.detail = format!(
                        "{} with another SecretKey found near the id ({}), not the one paired with it",
                        v.detail,
                        k.redacted()
                    );
                    return Some(v);
                }
            }
        }
        None
    }
}

/// The file (or blob) a match was found in.
fn file_of(m: &crate::finding::Match) -> String {
    format!("{:?}", m.provenance)
}

/// Every SecretKey found, by the files it was found in.
fn keys_by_file(findings: &[Finding]) -> HashMap<String, Vec<Secret>> {
    let mut out: HashMap<String, Vec<Secret>> = HashMap::new();
    for f in findings {
        let Some(k) = &f.key else { continue };
        for m in &f.matches {
            out.entry(file_of(m)).or_default().push(k.clone());
        }
    }
    out
}

/// Adds what the auditor's account knows about `id` to `v`.
fn attribute(v: &mut Verification, index: &AccountIndex, id: &str, had_key: bool) {
    let Some(k) = index.get(id) else {
        let note = if index.root_unchecked {
            format!(
                "not checked against the auditor's account {}: its root keys need the root \
                 account to list (OperationDenied.SubUin)",
                index.owner_uin
            )
        } else {
            format!("not in the auditor's account {}", index.owner_uin)
        };
        v.detail = if had_key {
            format!("{}; {note}", v.detail)
        } else {
            format!("no SecretKey found; {note}")
        };
        return;
    };
    let owner = v.owner.get_or_insert_with(Owner::default);
    owner
        .owner_uin
        .get_or_insert_with(|| index.owner_uin.clone());
    owner.uin.get_or_insert_with(|| k.uin.clone());
    owner.app_id = owner.app_id.or(index.app_id);
    owner.principal = Some(k.principal.clone());
    owner.name = k.name.clone();
    v.status = Some(k.status);
    v.created = k.created.clone();
    if !had_key {
        let (outcome, detail) = if k.status == KeyStatus::Active {
            (
                Outcome::Live,
                "Active in the auditor's account (no SecretKey found to test it)",
            )
        } else {
            (
                Outcome::NotLive,
                "Inactive (disabled) in the auditor's account",
            )
        };
        v.outcome = outcome;
        v.detail = detail.to_string();
    } else if v.outcome == Outcome::NotLive && k.status == KeyStatus::Inactive {
        v.detail = format!(
            "{}; the key is Inactive (disabled) in the auditor's account",
            v.detail
        );
    }
}
