//! `keyhound respond`: scan, verify, disable the live keys of the user's own
//! account and report what was done, through the binary, against the
//! emulators.

use super::{CI_USER, World, audited, pair, world};
use crate::cam::emulator::cdnetworks::CdnEmulator;
use crate::util::{RunExt, TestEnv, fake};
use keyhound::finding::{Secret, SecretKind};
use serde_json::Value;

fn leak(dir: &TestEnv, path: &str, id: &str, key: &str) {
    dir.write(
        path,
        format!("TENCENTCLOUD_SECRET_ID={id}\nTENCENTCLOUD_SECRET_KEY={key}\n"),
    );
}

fn respond(env: &TestEnv, w: &World, extra: &[&str]) -> (Value, i32, String) {
    let out = audited(
        env,
        w,
        &[&["respond", ".", "--format", "json"], extra].concat(),
    );
    (out.json(), out.code, out.stderr)
}

fn by_id<'a>(doc: &'a Value, id: &str) -> &'a Value {
    let shown = Secret::new(id, SecretKind::Identifier).redacted();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["secret"] == shown.as_str())
        .unwrap_or_else(|| panic!("no finding {shown}: {doc}"))
}

#[test]
fn respond_is_a_dry_run_that_says_what_it_would_do() {
    let w = world();
    let env = TestEnv::new();
    let dead = pair("AKID", 4242);
    leak(&env, "a/.env", &w.ci.0, &w.ci.1);
    leak(&env, "b/.env", &dead.0, &dead.1);
    leak(&env, "c/.env", &w.foreign.0, &w.foreign.1);
    let (doc, code, stderr) = respond(&env, &w, &[]);
    assert_eq!(code, 1, "a live key is left live by a dry run: {stderr}");
    let ci = by_id(&doc, &w.ci.0);
    assert_eq!(ci["verification"]["outcome"], "live");
    assert_eq!(ci["response"]["action"], "would_disable", "{ci}");
    assert!(ci["response"]["detail"].as_str().unwrap().contains("--yes"));
    let d = by_id(&doc, &dead.0);
    assert_eq!(d["verification"]["outcome"], "not_live");
    assert_eq!(d["response"]["action"], "nothing_to_do", "{d}");
    let f = by_id(&doc, &w.foreign.0);
    assert_eq!(f["response"]["action"], "refused", "{f}");
    let why = f["response"]["detail"].as_str().unwrap();
    assert!(
        why.contains("200000000001") && why.contains("1250000002") && why.contains("notify"),
        "{why}"
    );
    assert_eq!(w.em.calls("UpdateAccessKey"), 0);
    assert_eq!(w.em.status(&w.ci.0).as_deref(), Some("Active"));
    assert!(stderr.contains("dry run"), "{stderr}");
    assert!(!env.path().join("keyhound-journal.jsonl").exists() && !env.default_journal().exists());
}

#[test]
fn respond_yes_disables_own_live_keys_and_sarif_says_so() {
    let w = world();
    let env = TestEnv::new();
    let dead = pair("AKID", 4343);
    leak(&env, "a/.env", &w.ci.0, &w.ci.1);
    leak(&env, "b/.env", &dead.0, &dead.1);
    let out = audited(
        &env,
        &w,
        &[
            "respond", ".", "--yes", "--format", "sarif", "--output", "k.sarif",
        ],
    );
    // Every live key of the account disabled, the rest not live.
    out.code(0);
    assert_eq!(w.em.status(&w.ci.0).as_deref(), Some("Inactive"));
    assert_eq!(w.em.calls("UpdateAccessKey"), 1);
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(env.path().join("k.sarif")).unwrap())
            .unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let actions: Vec<(&str, &str)> = results
        .iter()
        .map(|r| {
            (
                r["properties"]["verification"]["outcome"].as_str().unwrap(),
                r["properties"]["response"]["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(actions.contains(&("live", "disabled")), "{actions:?}");
    assert!(
        actions.contains(&("not_live", "nothing_to_do")),
        "{actions:?}"
    );
    let disabled = results
        .iter()
        .find(|r| r["properties"]["response"]["action"] == "disabled")
        .unwrap();
    let detail = disabled["properties"]["response"]["detail"]
        .as_str()
        .unwrap();
    assert!(
        detail.contains(&CI_USER.to_string()) && detail.contains("has 2 keys"),
        "the two-key limit is told: {detail}"
    );
    assert!(disabled["properties"]["response"]["request_id"].is_string());
    let journal = std::fs::read_to_string(env.default_journal()).unwrap();
    assert!(journal.contains("confirmed"), "{journal}");
    let sarif_text = std::fs::read_to_string(env.path().join("k.sarif")).unwrap();
    assert!(!sarif_text.contains(&w.ci.0) && !sarif_text.contains(&w.ci.1));

    // Run again: the key is no longer live, nothing is left to do.
    let (doc, code, stderr) = respond(&env, &w, &["--yes"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(by_id(&doc, &w.ci.0)["response"]["action"], "nothing_to_do");
    assert_eq!(w.em.calls("UpdateAccessKey"), 1, "idempotent");
}

#[test]
fn respond_leaves_what_it_cannot_settle_to_a_human() {
    let w = world();
    let cdn = CdnEmulator::start();
    let env = TestEnv::new();
    let (ak, sk) = (fake("", 36, 77), fake("", 32, 78));
    cdn.key(&ak, &sk, true);
    env.write(
        "cdn.yml",
        format!("cdnetworks:\n  access_key: {ak}\n  secret_key: {sk}\n"),
    );
    let (doc, code, stderr) = respond(&env, &w, &["--cdnetworks-endpoint", &cdn.url()]);
    assert_eq!(code, 1, "{stderr}");
    let f = by_id(&doc, &ak);
    assert_eq!(f["verification"]["outcome"], "live", "{f}");
    assert_eq!(f["response"]["action"], "not_acted", "{f}");
    assert!(
        f["response"]["detail"]
            .as_str()
            .unwrap()
            .contains("CDNetworks console")
    );
}

#[test]
fn respond_needs_auditor_credentials_before_scanning() {
    let env = TestEnv::new();
    env.write("a.txt", "nothing here");
    let out = env.cmd().args(["respond", "."]).run();
    let err = out.stderr.as_str();
    out.code(2);
    assert!(err.contains("auditor credentials"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn servers_echoing_the_callers_id_never_show_it_whole() {
    let w = world();
    w.em.echo_caller_id();
    // The auditor may not read CloudAudit: the refusal quotes its SecretId;
    // the unknown key's refusal quotes the key's.
    w.em.deny(super::AUDITOR, "DescribeEvents");
    let env = TestEnv::new();
    let dead = pair("AKID", 4646);
    leak(&env, "a/.env", &w.ci.0, &w.ci.1);
    leak(&env, "b/.env", &dead.0, &dead.1);
    let mut seen = String::new();
    for format in ["sarif", "json", "human"] {
        let out = audited(&env, &w, &["respond", ".", "--format", format]);
        out.code(1);
        let all = format!("{}{}", out.stdout, out.stderr);
        for (what, id) in [
            ("auditor", &w.auditor.0),
            ("ci", &w.ci.0),
            ("dead", &dead.0),
        ] {
            assert!(
                !all.contains(id.as_str()),
                "-f {format} shows the {what} id:\n{all}"
            );
        }
        for key in [&w.auditor.1, &w.ci.1, &dead.1] {
            assert!(!all.contains(key.as_str()), "-f {format} shows a key");
        }
        seen.push_str(&all);
    }
    let auditor = Secret::new(w.auditor.0.as_str(), SecretKind::Identifier).redacted();
    assert!(
        seen.contains(&format!("(SecretId {auditor})")),
        "the echo reached the report, shortened: {seen}"
    );
}
