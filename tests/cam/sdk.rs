//! Conformance with Tencent's official Python SDK: it calls the emulator
//! (which must accept its signatures and whose answers, errors included, it
//! must parse), and keyhound's signer must reproduce the Authorization the
//! SDK builds for the same request. Ignored unless asked for: it needs
//! `KEYHOUND_SDK_PYTHON` (a python with tencentcloud-sdk-python-{common,cam,sts};
//! `.ci/sdk-venv.sh` sets one up), and fails without it. `.ci/run` runs it.

use super::{AUDITOR, CI_USER, OTHER_OWNER, OWNER};
use keyhound::verify::tencent::sign::{SignInput, authorization};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

#[test]
#[ignore = "needs Tencent's Python SDK: KEYHOUND_SDK_PYTHON=$(bash .ci/sdk-venv.sh) cargo test -- --ignored official_sdk_conforms (.ci/run does)"]
fn official_sdk_conforms() {
    let python = std::env::var_os("KEYHOUND_SDK_PYTHON").expect(
        "KEYHOUND_SDK_PYTHON is not set: run KEYHOUND_SDK_PYTHON=$(bash .ci/sdk-venv.sh) cargo test -- --ignored official_sdk_conforms",
    );
    let w = super::world();
    w.em.budget("GetAccountSummary", 0);
    let unknown = super::pair("AKID", 88);
    w.em.alarm(super::emulator::Alarm {
        key: w.ci.0.clone(),
        kind: 1,
        name: "AccessKey leaked".into(),
        level: 5,
        first: 1_795_000_000,
        last: 1_795_086_400,
        leak_evidence: vec!["https://github.com/acme/app/blob/main/deploy.env".into()],
        ..Default::default()
    });
    let world = json!({
        "owner_uin": OWNER, "sub_uin": CI_USER, "admin_uin": AUDITOR, "foreign_uin": OTHER_OWNER,
        "app_id": 1_250_000_001u64, "sub_last_used": "2026-11-20",
        "root": [w.root.0, w.root.1], "sub": [w.ci.0, w.ci.1], "admin": [w.auditor.0, w.auditor.1],
        "unknown": [unknown.0, unknown.1],
    });
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/conformance.py");
    let out = Command::new(python)
        .arg(script)
        .arg(w.em.port().to_string())
        .arg(world.to_string())
        .env("NO_PROXY", "127.0.0.1")
        .output()
        .expect("run the SDK conformance script");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "SDK conformance failed:\n{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let calls = lines.iter().filter(|l| l["kind"] == "call").count();
    assert_eq!(calls, 26, "{stdout}");
    let sdk_requests =
        w.em.requests()
            .iter()
            .filter(|r| {
                r.header("x-tc-requestclient")
                    .is_some_and(|c| c.starts_with("SDK_PYTHON"))
            })
            .count();
    assert_eq!(sdk_requests, calls, "every SDK call reached the emulator");

    let signs: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "sign").collect();
    assert_eq!(signs.len(), 8, "{stdout}");
    for s in signs {
        let text = |k: &str| s[k].as_str().unwrap().to_string();
        let (host, ct, body) = (text("host"), text("content_type"), text("body"));
        let headers = [("content-type", ct.as_str()), ("host", host.as_str())];
        let input = SignInput {
            method: "POST",
            query: "",
            headers: &headers,
            payload: body.as_bytes(),
            service: s["service"].as_str().unwrap(),
            timestamp: s["timestamp"].as_i64().unwrap(),
        };
        assert_eq!(
            authorization(&w.root.0, &w.root.1, &input),
            text("authorization"),
            "{} {} on {host}",
            s["service"],
            s["action"]
        );
    }
}
