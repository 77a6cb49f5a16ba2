//! Rules through the binary: `rules list`, `rules check`, `--rules` errors,
//! and Tencent pairs in the file formats people leak them in.

use crate::util::{RunExt, TestEnv, fake};
use predicates::prelude::*;
use predicates::str::contains;

fn id(seed: u64) -> String {
    fake("AKID", 32, seed)
}

fn key(seed: u64) -> String {
    fake("", 32, seed + 500)
}

#[test]
fn rules_list_shows_id_name_severity_keywords() {
    let env = TestEnv::new();
    env.cmd()
        .args(["rules", "list"])
        .assert()
        .code(0)
        .stdout(contains("tencent.secret-id").and(contains("Tencent Cloud SecretId")))
        .stdout(contains("critical").and(contains("[akid, ikid]")))
        .stdout(contains("aws.access-key-id").and(contains("pem.private-key")));
}

#[test]
fn rules_check_passes_on_builtins() {
    let env = TestEnv::new();
    env.cmd()
        .args(["rules", "check"])
        .assert()
        .code(0)
        .stdout(contains("rules ok"))
        .stderr("");
}

#[test]
fn rules_check_reports_one_line_per_problem() {
    let env = TestEnv::new();
    env.write(
        "mine.toml",
        "[[rule]]\nid = \"acme.token\"\nname = \"Acme\"\nkeywords = [\"acme_\"]\n\
         pattern = '(?P<secret>acme_[a-z0-9]{8})'\n\
         examples = [\"acme_1234\"]\nnegative_examples = [\"acme_a1b2c3d4\"]\n\
         [[rule]]\nid = \"Acme_Bad\"\nname = \"Bad id\"\nkeywords = [\"zz\"]\n\
         pattern = '(zz[0-9]{4})'\nexamples = [\"zz1234\"]\n",
    );
    let out = env.cmd().args(["rules", "check", "mine.toml"]).run();
    out.code(2);
    let err = out.stderr;
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines,
        vec![
            "keyhound: error: mine.toml: rule acme.token: example 1 is not found: acme_1234",
            "keyhound: error: mine.toml: rule acme.token: negative example 1 is found: acme_a1b2c3d4",
            "keyhound: error: mine.toml: rule Acme_Bad: id is not `provider.kind` in lower-case kebab-case",
        ],
        "{err}"
    );
}

#[test]
fn rules_file_with_bad_regex_or_unknown_field_names_the_rule() {
    let env = TestEnv::new();
    env.write("a.txt", "nothing\n");
    env.write(
        "bad.toml",
        "[[rule]]\nid = \"acme.token\"\nname = \"Acme\"\nkeywords = [\"acme\"]\npattern = '(acme'\n",
    );
    env.cmd()
        .args(["scan", "a.txt", "--rules", "bad.toml"])
        .assert()
        .code(2)
        .stderr(contains("bad.toml").and(contains("rule acme.token: invalid pattern")));
    env.cmd()
        .args(["rules", "check", "bad.toml"])
        .assert()
        .code(2)
        .stderr(contains("bad.toml: rule acme.token: invalid pattern"));
    env.write(
        "typo.toml",
        "[[rule]]\nid = \"acme.token\"\nname = \"Acme\"\nkeywords = [\"acme\"]\n\
         pattern = '(acme_[0-9]+)'\nmin_entropie = 3.0\n",
    );
    env.cmd()
        .args(["scan", "a.txt", "--rules", "typo.toml"])
        .assert()
        .code(2)
        .stderr(
            contains("typo.toml").and(contains("rule acme.token: unknown field `min_entropie`")),
        );
}

#[test]
fn rules_file_adds_a_rule_to_the_scan() {
    let env = TestEnv::new();
    let tok = fake("acme_", 24, 3);
    env.write("a.txt", format!("token: {tok}\n"));
    env.write(
        "acme.toml",
        "[[rule]]\nid = \"acme.token\"\nname = \"Acme\"\nkeywords = [\"acme_\"]\n\
         pattern = '(?P<secret>acme_[A-Za-z0-9]{24})'\nexamples = [\"acme_aB3dE5gH7jK9mN1pQ3sT5vX7\"]\n",
    );
    let out = env
        .cmd()
        .args([
            "scan",
            "a.txt",
            "--rules",
            "acme.toml",
            "-f",
            "json",
            "--show-secrets",
        ])
        .run();
    out.code(1);
    let doc: serde_json::Value = out.json();
    assert_eq!(doc["findings"][0]["rule"], "acme.token");
    assert_eq!(doc["findings"][0]["secret"], tok.as_str());
}

/// Writes a file holding the SecretId and SecretKey given.
type Layout = fn(&str, &str) -> String;

/// Every common credential file format: each file holds one pair, which must come back
/// as one finding carrying its own key.
#[test]
fn tencent_pairs_in_common_formats_are_paired() {
    let env = TestEnv::new();
    let files: Vec<(&str, Layout)> = vec![
        (
            "app/client.py",
            (|i, k| {
                format!(
                    "from tencentcloud.common import credential\n\ncred = credential.Credential(\"{i}\", \"{k}\")\n"
                )
            }),
        ),
        (
            "cmd/main.go",
            (|i, k| {
                format!(
                    "func main() {{\n\tcredential := common.NewCredential(\n\t\t\"{i}\",\n\t\t\"{k}\",\n\t)\n}}\n"
                )
            }),
        ),
        (
            "src/Main.java",
            (|i, k| {
                format!(
                    "class Main {{\n    Credential cred = new Credential(\"{i}\", \"{k}\");\n    COSCredentials c = null;\n}}\n"
                )
            }),
        ),
        (
            "deploy/values.yaml",
            (|i, k| {
                format!(
                    "tencentcloud:\n  region: ap-guangzhou\n  secretId: {i}\n  secretKey: {k}\n"
                )
            }),
        ),
        (
            ".env",
            (|i, k| {
                format!("APP_ENV=prod\nTENCENTCLOUD_SECRET_ID={i}\nTENCENTCLOUD_SECRET_KEY={k}\n")
            }),
        ),
        (
            ".tccli/default.credential",
            (|i, k| {
                format!(
                    "{{\n    \"secretId\": \"{i}\",\n    \"secretKey\": \"{k}\",\n    \"region\": \"ap-guangzhou\"\n}}\n"
                )
            }),
        ),
        (
            "infra/main.tf",
            (|i, k| {
                format!(
                    "provider \"tencentcloud\" {{\n  secret_id  = \"{i}\"\n  secret_key = \"{k}\"\n  region     = \"ap-guangzhou\"\n}}\n"
                )
            }),
        ),
    ];
    let mut want = Vec::new();
    for (n, (path, make)) in files.iter().enumerate() {
        let (i, k) = (id(n as u64), key(n as u64));
        env.write(path, make(&i, &k));
        want.push((path.to_string(), i, k));
    }
    // Noise that must not pair with anything or be reported.
    env.write(
        "app/settings.py",
        "SECRET_ID = os.environ[\"TENCENTCLOUD_SECRET_ID\"]\nSECRET_KEY = os.environ[\"TENCENTCLOUD_SECRET_KEY\"]\n\
         DOC_ID = \"AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE\"\n",
    );
    let out = env
        .cmd()
        .args(["scan", ".", "-f", "json", "--show-secrets"])
        .run();
    out.code(1);
    let doc: serde_json::Value = out.json();
    let mut got: Vec<(String, String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["rule"], "tencent.secret-id", "{f}");
            let path = f["locations"][0]["path"].as_str().unwrap();
            (
                path.trim_start_matches("./").to_string(),
                f["secret"].as_str().unwrap().to_string(),
                f["key"].as_str().unwrap_or("<none>").to_string(),
            )
        })
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn sts_credentials_are_one_finding_and_signed_request_ids_are_not_reported() {
    let env = TestEnv::new();
    let tid = format!(
        "AKID{}-{}_{}",
        fake("", 24, 90),
        fake("", 20, 91),
        fake("", 18, 92)
    );
    let tkey = format!("{}+{}=", fake("", 20, 93), fake("", 22, 94));
    let token = format!("{}-{}", fake("", 80, 95), fake("", 60, 96));
    env.write(
        "sts.json",
        format!(
            "{{\"Credentials\": {{\"Token\": \"{token}\",\n \"TmpSecretId\": \"{tid}\",\n \"TmpSecretKey\": \"{tkey}\"}},\n \"ExpiredTime\": 1700000000}}\n"
        ),
    );
    env.write(
        "README.md",
        format!(
            "INFO: send request, request url: https://cvm.ap-shanghai.tencentcloudapi.com/?Nonce=367595572&Action=DescribeInstances&SecretId={}&Region=ap-shanghai&Timestamp=1599729270&Signature=DcGRPdq%3D\n",
            id(97)
        ),
    );
    let out = env
        .cmd()
        .args(["scan", ".", "-f", "json", "--show-secrets"])
        .run();
    out.code(1);
    let doc: serde_json::Value = out.json();
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f["rule"], "tencent.temporary-secret-id");
    assert_eq!(f["secret"], tid.as_str());
    assert_eq!(f["key"], tkey.as_str());
    assert_eq!(f["token"], token.as_str());
}

#[test]
fn rules_check_accepts_every_file_rules_accepts() {
    let gitleaks =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/gitleaks/gitleaks.toml");
    let out = TestEnv::new()
        .cmd()
        .args(["rules", "check"])
        .arg(&gitleaks)
        .run();
    let err = out.stderr.as_str();
    out.code(0);
    assert_eq!(out.stdout.as_str(), "221 rules ok\n");
    assert!(
        err.contains("gitleaks.toml: loaded 221 rules, skipped 1 (gitleaks.pkcs12-file)"),
        "{err}"
    );
}
