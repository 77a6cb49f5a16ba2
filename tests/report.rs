//! Report formats through the binary: SARIF valid against the official
//! schema, JSON round-trips, redaction by default, `-o FILE`.

use crate::util::{RunExt, TestEnv, fake};
use keyhound::report::json;

fn tree() -> (TestEnv, String) {
    let env = TestEnv::new();
    let id = fake("AKID", 32, 77);
    env.write(
        "app/settings.py",
        format!("SECRET_ID = \"{id}\"\nREGION = \"ap-guangzhou\"\n"),
    );
    env.write("notes.md", format!("the old id was {id}\n"));
    (env, id)
}

fn sarif_validator() -> jsonschema::Validator {
    let schema_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/sarif/sarif-schema-2.1.0.json"
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("the SARIF schema compiles")
}

fn assert_valid_sarif(text: &[u8]) -> serde_json::Value {
    let doc: serde_json::Value = serde_json::from_slice(text).expect("SARIF is JSON");
    let v = sarif_validator();
    let errors: Vec<String> = v
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF schema errors: {errors:#?}");
    doc
}

#[test]
fn report_sarif_is_schema_valid_and_redacted() {
    let (env, id) = tree();
    let out = env
        .cmd()
        .args(["scan", ".", "-f", "sarif", "--show-secrets"])
        .run();
    out.code(1);
    let doc = assert_valid_sarif(out.stdout.as_bytes());
    let text = out.stdout;
    assert!(
        !text.contains(&id),
        "SARIF never carries a secret, even with --show-secrets"
    );
    let run = &doc["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), 2);
    assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 1);
    let r = &run["results"][0];
    assert_eq!(
        r["partialFingerprints"]["keyhound/v1"]
            .as_str()
            .unwrap()
            .len(),
        32
    );
    assert_ne!(
        r["partialFingerprints"]["keyhoundPath/v1"],
        run["results"][1]["partialFingerprints"]["keyhoundPath/v1"]
    );
    assert_eq!(
        run["tool"]["driver"]["rules"][0]["properties"]["security-severity"],
        "9.5"
    );
}

#[test]
fn report_sarif_of_a_clean_tree_is_valid() {
    let env = TestEnv::new();
    env.write("a.txt", "hello\n");
    let out = env.cmd().args(["scan", ".", "-f", "sarif"]).run();
    out.code(0);
    let doc = assert_valid_sarif(out.stdout.as_bytes());
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn report_demo_fixture_sarif_is_schema_valid() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo");
    let out = crate::util::keyhound()
        .args(["scan", demo, "-f", "sarif"])
        .run();
    out.code(1);
    assert_valid_sarif(out.stdout.as_bytes());
}

#[test]
fn report_sarif_is_schema_valid_whatever_form_the_remote_takes() {
    for remote in [
        "/srv/git/repo.git",
        "../sibling repo.git",
        "git@example.com:org/repo.git",
        "https://example.com/org/repo.git",
    ] {
        let (env, _) = tree();
        crate::util::git(env.path(), &["init", "-q"]);
        crate::util::git(env.path(), &["remote", "add", "origin", remote]);
        let out = env.cmd().args(["scan", ".", "-f", "sarif"]).run();
        assert_eq!(out.code, 1, "remote {remote}\n{out}");
        let doc = assert_valid_sarif(out.stdout.as_bytes());
        let uri = doc["runs"][0]["versionControlProvenance"][0]["repositoryUri"]
            .as_str()
            .unwrap_or_else(|| panic!("remote {remote} gives a repositoryUri"));
        assert!(uri.contains("://"), "remote {remote} became {uri}");
    }
}

#[test]
fn report_json_redacts_by_default_and_reads_back() {
    let (env, id) = tree();
    let out = env.cmd().args(["scan", ".", "-f", "json"]).run();
    let text = out.stdout;
    assert!(!text.contains(&id), "{text}");
    let doc = json::read(&text).unwrap();
    assert_eq!(doc.findings.len(), 1);
    let f = &doc.findings[0];
    assert!(f.redacted);
    assert_eq!(f.locations.len(), 2);
    assert_eq!(f.fingerprint.len(), 32);
    assert!(!f.locations[0].snippet.contains(&id));

    let shown = env
        .cmd()
        .args(["scan", ".", "-f", "json", "--show-secrets"])
        .run();
    let doc = json::read(&shown.stdout).unwrap();
    assert_eq!(doc.findings[0].secret, id);
    assert!(!doc.findings[0].redacted);
}

#[test]
fn report_human_redacts_by_default() {
    let (env, id) = tree();
    let out = env.cmd().args(["scan", "."]).run();
    let text = out.stdout;
    assert!(!text.contains(&id), "{text}");
    assert!(text.contains("1 finding in 2 files scanned"), "{text}");
}

#[test]
fn report_output_file_and_jsonl() {
    let (env, _) = tree();
    env.cmd()
        .args(["scan", ".", "-f", "jsonl", "-o", "out.jsonl"])
        .assert()
        .code(1)
        .stdout("");
    let text = std::fs::read_to_string(env.path().join("out.jsonl")).unwrap();
    assert_eq!(text.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(v["rule"], "tencent.secret-id");
}

#[test]
fn report_unwritable_output_is_an_error_naming_the_file() {
    let (env, _) = tree();
    env.cmd()
        .args(["scan", ".", "-o", "no/such/dir/out.json"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no/such/dir/out.json"));
}

#[test]
fn report_output_dash_is_standard_output() {
    let (env, _) = tree();
    let run = env.run(&["scan", ".", "-f", "json", "-o", "-"]);
    run.code(1);
    assert_eq!(run.json()["findings"][0]["rule"], "tencent.secret-id");
    assert!(!env.path().join("-").exists(), "no file named -");
}

#[cfg(unix)]
#[test]
fn report_output_writes_through_links_and_into_fifos() {
    let (env, _) = tree();
    let out = tempfile::tempdir().unwrap();
    let real = out.path().join("real.json");
    std::fs::write(&real, "old").unwrap();
    let link = out.path().join("link.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    env.cmd()
        .args(["scan", ".", "-f", "json", "-o"])
        .arg(&link)
        .assert()
        .code(1);
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&real).unwrap()).unwrap();
    assert_eq!(doc["findings"][0]["rule"], "tencent.secret-id");

    let fifo = out.path().join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.unwrap().success(), "mkfifo");
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    env.cmd()
        .args(["scan", ".", "-f", "json", "-o"])
        .arg(&fifo)
        .assert()
        .code(1);
    let doc: serde_json::Value = serde_json::from_str(&reader.join().unwrap()).unwrap();
    assert_eq!(doc["findings"][0]["rule"], "tencent.secret-id");
    use std::os::unix::fs::FileTypeExt;
    assert!(
        fifo.metadata().unwrap().file_type().is_fifo(),
        "not replaced"
    );
    let leftovers: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 3, "no temporary file left behind");
}
