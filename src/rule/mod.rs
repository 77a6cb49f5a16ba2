//! The rule schema, the built-in rules and the one rule loader (keyhound
//! TOML, gitleaks/Betterleaks TOML). Rules are data (`rules/*.toml`,
//! embedded in the binary); this module reads them and neither compiles nor
//! scans: `rulecheck` runs them through the engine.
//!
//! The types below are the contract the engine, the importer and the
//! reports rely on. Fields may be added (with serde defaults); existing ones
//! keep their names.

use serde::{Deserialize, Serialize};

/// How bad a leak of this credential is; drives SARIF `security-severity`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Low impact or low confidence.
    Low,
    /// Worth a look.
    #[default]
    Medium,
    /// A real credential to a real service.
    High,
    /// Controls a whole cloud account.
    Critical,
}

/// Which provider can check a rule's credential live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerifyWith {
    /// Tencent Cloud STS/CAM.
    Tencent,
    /// CDNetworks' API (CNC-HMAC-SHA256).
    Cdnetworks,
    /// Alibaba Cloud STS (RPC signature, HMAC-SHA1).
    Alibaba,
    /// Qiniu's bucket list (management token, HMAC-SHA1).
    Qiniu,
    /// Volcengine STS (HMAC-SHA256 signature).
    Volcengine,
    /// Huawei Cloud IAM (SDK-HMAC-SHA256 signature).
    Huawei,
    /// Baidu AI Cloud BOS bucket list (bce-auth-v1 signature).
    Baidu,
}

/// The second half of a credential, searched for near each match of the rule
/// (Tencent SecretKey near a SecretId, AWS secret near an access key id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairSpec {
    /// What the key is called in reports ("SecretKey").
    pub name: String,
    /// Regex for a key candidate; the named group `secret` (or group 1) is the key.
    pub pattern: String,
    /// How many lines before or after the identifier a key may sit.
    #[serde(default = "default_within_lines")]
    pub within_lines: u32,
    /// Case-insensitive words that, on the key's line or the line before it,
    /// mark a candidate as the key (`secretkey`, `secret_key`, `sk`).
    #[serde(default)]
    pub hints: Vec<String>,
    /// Words that, as a candidate's label, say it is something else (`token`,
    /// `md5`, `request_id`): such a candidate is not a key unless it is the
    /// next argument after the identifier.
    #[serde(default)]
    pub not_hints: Vec<String>,
    /// Candidates below this Shannon entropy (bits per char) are ignored.
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// When true, a match without a key is not reported at all.
    #[serde(default)]
    pub required: bool,
    /// Regexes over a candidate: a candidate matching one is only taken when
    /// a hint names it or it directly follows the identifier as the next
    /// argument (a 32-hex MD5 is not a Tencent SecretKey on its own).
    #[serde(default)]
    pub needs_hint: Vec<String>,
    /// Regex for the session token of a temporary credential, searched within
    /// the same lines; its `secret` group (or group 1) is the token.
    #[serde(default)]
    pub token: Option<String>,
    /// Labels that name this key and nothing else (`SecretKey`,
    /// `TmpSecretKey`); a looser `hints` word such as `secret` is not enough
    /// for a `needs_key_hint` candidate.
    #[serde(default)]
    pub key_hints: Vec<String>,
    /// Regexes over a candidate: one matching is taken only where a
    /// `key_hints` label names it, never by position (a 32-hex WeChat app
    /// secret or MD5 is not a SecretKey because it follows an id).
    #[serde(default)]
    pub needs_key_hint: Vec<String>,
    /// A key further than `within_lines` but within this many lines still
    /// pairs when the id is labelled as one (`…Id`) and the key by the same
    /// name ending in `key`/`secret` (`CosId` … `CosKey`) or by a `key_hints`
    /// label: a class with many fields, a long YAML block. 0 turns it off.
    #[serde(default)]
    pub labelled_within_lines: u32,
    /// Regexes over the identifier: a match of one is this rule's only when
    /// a session token is found with it or its own or its key's label has a
    /// `token_words` part (an all-alphanumeric temporary SecretId).
    #[serde(default)]
    pub needs_token: Vec<String>,
    /// Label parts that say a credential is temporary (`tmp`, `temp`).
    #[serde(default)]
    pub token_words: Vec<String>,
    /// Label parts that only name the provider (`tencentcloud`, `qcloud`):
    /// `TENCENTCLOUD_SECRET_ID` and `SECRET_KEY` qualify the same
    /// credential, `PROD_SECRET_ID` and `DEV_SECRET_KEY` do not.
    #[serde(default)]
    pub label_words: Vec<String>,
    /// Ids of rules whose match over the same bytes is dropped where this
    /// rule keeps its match (a temporary id is not also a long-term one).
    #[serde(default)]
    pub supersedes: Vec<String>,
}

fn default_within_lines() -> u32 {
    4
}

/// Things a rule must not report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Allowlist {
    /// Regexes; a secret matching any of them is dropped.
    #[serde(default)]
    pub regexes: Vec<String>,
    /// Case-insensitive substrings; a secret containing one is dropped.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Regexes over the path; matches in such files are dropped.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Regexes over the line holding a match: a match there without a paired
    /// key is dropped. For identifiers in signed requests and request logs
    /// (`SecretId=AKID…&…&Signature=`), which show that the key was kept
    /// back, not leaked.
    #[serde(default)]
    pub unpaired_lines: Vec<String>,
    /// Regexes over the identifier's line and the pair's `within_lines`
    /// lines on either side: a match there without a paired key is dropped
    /// (signed requests written one parameter per line, `&SecretId=…` then
    /// `&Signature=…`).
    #[serde(default)]
    pub unpaired_near: Vec<String>,
    /// Last parts of a label that make its value a value being looked up,
    /// not a credential (`AttributeValue=AKID…`, `secret_id_list`,
    /// `Username`): a match so labelled without a paired key is dropped.
    #[serde(default)]
    pub unpaired_labels: Vec<String>,
    /// Values published in the provider's own documentation and reused on
    /// many pages; a secret or key equal to one is not reported.
    #[serde(default)]
    pub published: Vec<Published>,
    /// Drop a match inside an encoded block: a PEM body, an integrity hash
    /// (`sha512-…`), a data URI, an ssh key, a source map's `mappings`, or
    /// a base64 run of 100+ characters it is glued into by `+` or `/`. A
    /// value next to a `/` in a path or URL is still reported.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub encoded_blocks: bool,
}

/// One example value from the provider's documentation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Published {
    /// The value, exactly as printed.
    pub value: String,
    /// Where it is published.
    pub page: String,
}

/// One detection rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable id, `provider.kind-of-credential` (`tencent.secret-id`).
    pub id: String,
    /// Human name ("Tencent Cloud SecretId").
    pub name: String,
    /// What it finds and why it matters.
    #[serde(default)]
    pub description: String,
    /// Case-insensitive literals; the rule's regex only runs where one occurs.
    pub keywords: Vec<String>,
    /// Regex; the named group `secret` (or group 1) is the secret.
    pub pattern: String,
    /// Secrets below this Shannon entropy (bits per char) are ignored.
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// Secrets (and paired keys) with one character repeated more than this
    /// many times in a row are placeholders (`AKIDxxxx…`) and ignored.
    #[serde(default)]
    pub max_repeat: Option<usize>,
    /// How many lines after a keyword's line the rule's regex may reach (PEM
    /// blocks span lines); 0 keeps it to the keyword's line.
    #[serde(default)]
    pub window_lines: u32,
    /// How many lines before a keyword's line the rule's regex may reach:
    /// where the keyword is context (`from qiniu import Auth` after the
    /// keys it is given), not part of the match. 0 keeps it to the
    /// keyword's line.
    #[serde(default)]
    pub window_lines_before: u32,
    /// A catch-all rule: its matches are dropped where a specific rule
    /// matched the same bytes (as secret, paired key or token).
    #[serde(default)]
    pub generic: bool,
    /// Severity of a leak.
    #[serde(default)]
    pub severity: Severity,
    /// Regex over the path: when set, the rule only applies to matching paths.
    #[serde(default)]
    pub path: Option<String>,
    /// The key searched for near each match.
    #[serde(default)]
    pub pair: Option<PairSpec>,
    /// What not to report.
    #[serde(default)]
    pub allow: Allowlist,
    /// Live check provider.
    #[serde(default)]
    pub verify: Option<VerifyWith>,
    /// Whether a match is a temporary (STS) credential.
    #[serde(default)]
    pub temporary: bool,
    /// Links to the provider's documentation of the format.
    #[serde(default)]
    pub references: Vec<String>,
    /// Texts the rule must find something in.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Texts the rule must find nothing in.
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

/// An ordered set of rules with unique ids.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    /// The rules, in load order.
    pub rules: Vec<Rule>,
}

impl RuleSet {
    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

pub mod bound;
mod builtin;
pub mod echo;
pub mod gitleaks;
pub mod load;

pub use builtin::{BUILTIN_FILES, is_builtin};
pub use load::{Format, RulesFile};

/// Why rules could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("{origin}{}: {reason}", rule.as_ref().map(|r| format!(": rule {r}")).unwrap_or_default())]
pub struct LoadError {
    /// The file (or `builtin:NAME`) the rule came from.
    pub origin: String,
    /// The rule id, when the problem is inside one rule.
    pub rule: Option<String>,
    /// What is wrong.
    pub reason: String,
}

/// Parses a keyhound rule file (`[[rule]]` tables). `origin` names it in errors.
///
/// Each rule is read on its own so an unknown field is reported with the
/// rule's id (or its position, when it has no id). Patterns are not compiled
/// here; `rulecheck::validate` does that.
pub fn parse(text: &str, origin: &str) -> Result<Vec<Rule>, LoadError> {
    let err = |rule: Option<String>, reason: String| LoadError {
        origin: origin.to_string(),
        rule,
        reason: reason.trim_end().replace('\n', " "),
    };
    let table: toml::Table = toml::from_str(text).map_err(|e| err(None, e.to_string()))?;
    if let Some(k) = table.keys().find(|k| *k != "rule") {
        return Err(err(
            None,
            format!("unknown top-level key `{k}`, expected `[[rule]]` tables"),
        ));
    }
    let tables = match table.get("rule") {
        None => return Ok(Vec::new()),
        Some(toml::Value::Array(a)) => a,
        Some(_) => {
            return Err(err(
                None,
                "`rule` must be an array of tables (`[[rule]]`)".into(),
            ));
        }
    };
    let mut rules = Vec::with_capacity(tables.len());
    for (i, v) in tables.iter().enumerate() {
        let name = v
            .get("id")
            .and_then(|id| id.as_str())
            .map_or_else(|| format!("#{}", i + 1), str::to_string);
        let rule: Rule = v
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| err(Some(name), e.to_string()))?;
        rules.push(rule);
    }
    Ok(rules)
}

impl RuleSet {
    /// The rules embedded in the binary.
    pub fn builtin() -> RuleSet {
        let mut set = RuleSet::default();
        for f in load::builtin_files() {
            set.rules.extend(f.rules);
        }
        set
    }

    /// Adds rules; a rule whose id already exists replaces the old one.
    pub fn extend(&mut self, rules: impl IntoIterator<Item = Rule>) {
        for r in rules {
            match self.rules.iter_mut().find(|x| x.id == r.id) {
                Some(old) => *old = r,
                None => self.rules.push(r),
            }
        }
    }

    /// Drops the rules with these ids.
    pub fn disable(&mut self, ids: &[String]) {
        self.rules.retain(|r| !ids.contains(&r.id));
    }
}
