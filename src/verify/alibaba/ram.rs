//! Alibaba Cloud RAM (2015-05-01) with the user's own credentials: the
//! account (STS `GetCallerIdentity`), its users and their AccessKeys
//! (`ListUsers`, `ListAccessKeys`), a key's last use
//! (`GetAccessKeyLastUsed`) and its status changed (`UpdateAccessKey`
//! `Status=Inactive|Active`; keys are never deleted). Field names follow
//! the RAM API model of Alibaba's official SDK (`alibabacloud_ram20150501`).
//! Every call is signed with the RPC signature 1.0, like the check.

use super::{DEFAULT_ENDPOINT, STS_VERSION, signed_url, transient};
use crate::finding::{KeyStatus, Secret};
use crate::verify::http::{self, Channel, ClientError, Endpoint, field};
use crate::verify::tencent::account_index::{AccountIndex, KeyInfo, UserInfo};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// RAM's public endpoint.
pub const RAM_ENDPOINT: &str = "https://ram.aliyuncs.com/";

/// The RAM API version.
pub const RAM_VERSION: &str = "2015-05-01";

/// Answers larger than this are not read further (a page of 1000 users).
const MAX_BODY: u64 = 4 << 20;

/// Users listed per `ListUsers` page (the most RAM allows).
const PAGE: &str = "1000";

/// Pages of users read at most (a million users).
const MAX_PAGES: usize = 1000;

/// The user's own Alibaba Cloud credentials.
#[derive(Clone, Debug)]
pub struct AuditorKey {
    /// The AccessKey ID.
    pub id: String,
    /// The AccessKey secret.
    pub secret: Secret,
    /// The STS SecurityToken, for temporary credentials.
    pub token: Option<Secret>,
}

/// A RAM or STS call that failed: the error code when the server named one,
/// the text to show and the RequestId.
#[derive(Debug, Clone)]
pub struct CallError {
    /// Alibaba's error `Code`.
    pub code: Option<String>,
    /// What failed, SecretIds shortened.
    pub text: String,
    /// The RequestId of the answer, if any.
    pub request_id: Option<String>,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// RAM and STS, signed with the auditor's key.
#[derive(Debug)]
pub struct Ram {
    sts: Channel,
    ram: Channel,
    key: AuditorKey,
}

/// Tries of a read when the answer is throttling or a server error; a
/// status change is sent once (the post-check tells what happened).
const TRIES: u32 = 3;

impl Ram {
    /// RAM next to the STS `endpoint`: the public RAM endpoint beside the
    /// public STS one, else the same base URL (a proxy or an emulator
    /// serving both).
    pub fn new(sts: Endpoint, key: AuditorKey, timeout: Duration) -> Result<Ram, ClientError> {
        let ram = if sts == Endpoint::builtin(DEFAULT_ENDPOINT) {
            Endpoint::builtin(RAM_ENDPOINT)
        } else {
            sts.clone()
        };
        Ok(Ram {
            sts: Channel::new("Alibaba Cloud", sts, timeout)?,
            ram: Channel::new("Alibaba Cloud", ram, timeout)?,
            key,
        })
    }

    /// The auditor's AccessKey ID.
    pub fn auditor_id(&self) -> &str {
        &self.key.id
    }

    fn call(&self, sts: bool, params: &[(&str, &str)], tries: u32) -> Result<Value, CallError> {
        let ch = if sts { &self.sts } else { &self.ram };
        let action = params
            .iter()
            .find(|(k, _)| *k == "Action")
            .map_or("", |(_, v)| *v);
        let mut n = 0;
        loop {
            n += 1;
            let url = signed_url(
                &ch.endpoint,
                &self.key.id,
                &self.key.secret,
                self.key.token.as_ref(),
                params,
            );
            let (out, again) = match http::exchange(ch.http.get(url), &ch.endpoint.host(), MAX_BODY)
            {
                Err(why) => (
                    Err(CallError {
                        code: None,
                        text: format!("{action}: {why}"),
                        request_id: None,
                    }),
                    true,
                ),
                Ok(a) => {
                    let retry = a.worth_retrying();
                    let status = a.status;
                    match a.body.map(|b| serde_json::from_slice::<Value>(&b)) {
                        Ok(Ok(v)) => read(action, status, v, retry),
                        _ => (
                            Err(CallError {
                                code: None,
                                text: format!("{action}: unexpected answer (HTTP {status})"),
                                request_id: None,
                            }),
                            retry,
                        ),
                    }
                }
            };
            if !again || n >= tries {
                return out;
            }
            std::thread::sleep(ch.backoff * n);
        }
    }

    /// Every AccessKey of the auditor's account: the account from STS
    /// `GetCallerIdentity`, each RAM user from `ListUsers` (all pages) and
    /// its keys from `ListAccessKeys`; the root account's own keys when the
    /// auditor is the root (else `root_unchecked`). A user whose keys
    /// cannot be listed is a gap, not an error.
    pub fn index(&self) -> Result<AccountIndex, CallError> {
        let me = self.call(
            true,
            &[("Action", "GetCallerIdentity"), ("Version", STS_VERSION)],
            TRIES,
        )?;
        let account = field(&me, "AccountId").unwrap_or_default();
        let root = field(&me, "IdentityType").as_deref() == Some("Account");
        let mut index = AccountIndex {
            owner_uin: account.clone(),
            app_id: None,
            auditor_id: self.key.id.clone(),
            keys: BTreeMap::new(),
            users: Vec::new(),
            gaps: Vec::new(),
            root_unchecked: !root,
        };
        if root {
            index.users.push(UserInfo {
                uin: account.clone(),
                principal: "root".into(),
                name: None,
                created: None,
            });
            for (id, status, created) in self.keys_of(None)? {
                index.keys.insert(
                    id.clone(),
                    key_info(id, &account, "root", None, status, created),
                );
            }
        }
        let mut marker: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut params = vec![
                ("Action", "ListUsers"),
                ("Version", RAM_VERSION),
                ("MaxItems", PAGE),
            ];
            if let Some(m) = &marker {
                params.push(("Marker", m.as_str()));
            }
            let page = self.call(false, &params, TRIES)?;
            for u in list(&page, "Users", "User") {
                let (Some(name), Some(uid)) = (field(u, "UserName"), field(u, "UserId")) else {
                    continue;
                };
                index.users.push(UserInfo {
                    uin: uid.clone(),
                    principal: "sub-user".into(),
                    name: Some(name.clone()),
                    created: field(u, "CreateDate"),
                });
                match self.keys_of(Some(&name)) {
                    Ok(keys) => {
                        for (id, status, created) in keys {
                            let k = key_info(
                                id.clone(),
                                &uid,
                                "sub-user",
                                Some(name.clone()),
                                status,
                                created,
                            );
                            index.keys.insert(id, k);
                        }
                    }
                    Err(e) => index
                        .gaps
                        .push(format!("the keys of RAM user {name} were not listed: {e}")),
                }
            }
            marker = page
                .get("IsTruncated")
                .and_then(Value::as_bool)
                .unwrap_or(false)
                .then(|| field(&page, "Marker"))
                .flatten();
            if marker.is_none() {
                break;
            }
        }
        Ok(index)
    }

    /// `(AccessKeyId, Status, CreateDate)` of the keys of RAM user `user`,
    /// or of the caller itself.
    fn keys_of(
        &self,
        user: Option<&str>,
    ) -> Result<Vec<(String, KeyStatus, Option<String>)>, CallError> {
        let mut params = vec![("Action", "ListAccessKeys"), ("Version", RAM_VERSION)];
        if let Some(u) = user {
            params.push(("UserName", u));
        }
        let v = self.call(false, &params, TRIES)?;
        Ok(list(&v, "AccessKeys", "AccessKey")
            .filter_map(|k| {
                let status = KeyStatus::parse(&field(k, "Status")?)?;
                Some((field(k, "AccessKeyId")?, status, field(k, "CreateDate")))
            })
            .collect())
    }

    /// The status the account lists for `k` now (`None`: not listed).
    pub fn status(&self, k: &KeyInfo) -> Result<Option<KeyStatus>, CallError> {
        let user = (k.principal != "root")
            .then_some(k.name.as_deref())
            .flatten();
        Ok(self
            .keys_of(user)?
            .into_iter()
            .find(|(id, ..)| *id == k.id)
            .map(|(_, s, _)| s))
    }

    /// Sets `k`'s status with `UpdateAccessKey`, sent once; the RequestId.
    pub fn update(&self, k: &KeyInfo, status: KeyStatus) -> Result<Option<String>, CallError> {
        let mut params = vec![
            ("Action", "UpdateAccessKey"),
            ("Version", RAM_VERSION),
            ("UserAccessKeyId", k.id.as_str()),
            ("Status", status.as_str()),
        ];
        if k.principal != "root"
            && let Some(n) = &k.name
        {
            params.push(("UserName", n.as_str()));
        }
        self.call(false, &params, 1).map(|v| field(&v, "RequestId"))
    }

    /// When `k` was last used (`GetAccessKeyLastUsed`), `None` when RAM
    /// gives no date.
    pub fn last_used(&self, k: &KeyInfo) -> Result<Option<String>, CallError> {
        let mut params = vec![
            ("Action", "GetAccessKeyLastUsed"),
            ("Version", RAM_VERSION),
            ("UserAccessKeyId", k.id.as_str()),
        ];
        if k.principal != "root"
            && let Some(n) = &k.name
        {
            params.push(("UserName", n.as_str()));
        }
        let v = self.call(false, &params, TRIES)?;
        Ok(v.get("AccessKeyLastUsed")
            .and_then(|l| field(l, "LastUsedDate")))
    }
}

fn key_info(
    id: String,
    uin: &str,
    principal: &str,
    name: Option<String>,
    status: KeyStatus,
    created: Option<String>,
) -> KeyInfo {
    KeyInfo {
        id,
        uin: uin.to_string(),
        principal: principal.to_string(),
        name,
        status,
        created,
    }
}

/// The items of RAM's `{"Outer": {"Inner": [...]}}` lists.
fn list<'a>(v: &'a Value, outer: &str, inner: &str) -> impl Iterator<Item = &'a Value> {
    v.get(outer)
        .and_then(|o| o.get(inner))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// One answer: its JSON on success, else the error `Code` and message, and
/// whether another try may answer differently.
fn read(action: &str, status: u16, v: Value, retry: bool) -> (Result<Value, CallError>, bool) {
    let request_id = field(&v, "RequestId");
    match field(&v, "Code") {
        None if (200..300).contains(&status) => (Ok(v), false),
        code => {
            let message = crate::rule::echo::redact_ids(&field(&v, "Message").unwrap_or_default())
                .into_owned();
            let again = retry || code.as_deref().is_some_and(transient);
            let text = match &code {
                Some(c) => format!("{action}: {c}: {message} (HTTP {status})"),
                None => format!("{action}: unexpected answer (HTTP {status})"),
            };
            (
                Err(CallError {
                    code,
                    text,
                    request_id,
                }),
                again,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_are_read_by_code_and_lists_by_their_model_names() {
        let ok = json!({"RequestId": "R1", "AccessKeys": {"AccessKey": [
            {"AccessKeyId": "LTAIa", "Status": "Active"}, {"AccessKeyId": "LTAIb", "Status": "Inactive"}]}});
        let (got, again) = read("ListAccessKeys", 200, ok, false);
        let got = got.unwrap();
        assert!(!again);
        assert_eq!(list(&got, "AccessKeys", "AccessKey").count(), 2);
        let denied = json!({"RequestId": "R2", "Code": "NoPermission", "Message": "no"});
        let (got, again) = read("ListUsers", 403, denied, false);
        let e = got.unwrap_err();
        assert_eq!(e.code.as_deref(), Some("NoPermission"));
        assert_eq!(e.request_id.as_deref(), Some("R2"));
        assert!(!again);
        let throttled = json!({"Code": "Throttling.User", "Message": "slow down"});
        assert!(read("ListUsers", 400, throttled, false).1);
    }
}
