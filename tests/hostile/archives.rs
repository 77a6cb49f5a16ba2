//! Hostile archives: what one does to the rest of the run. Every warning
//! class is counted in the JSON stats and SARIF notifications, a flood of
//! one class is summed up on stderr, and SARIF says the run failed only
//! where something could not be read.

use crate::archive::{dotenv, zip};
use crate::util::TestEnv;

/// A 42.zip in small: twelve archives, each holding one too deep to open
/// with `--archive-depth 2`: twelve warnings of one class.
fn nested_flood(env: &TestEnv) {
    let innermost = zip(&[("deep.env", &dotenv(7).1)]);
    let inner: Vec<(String, Vec<u8>)> = (0..12)
        .map(|i| (format!("p{i:02}.zip"), zip(&[("d.zip", &innermost)])))
        .collect();
    let entries: Vec<(&str, &[u8])> = inner
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    env.write("flood.zip", zip(&entries));
}

#[test]
fn archive_warning_flood_is_counted_per_class_and_summed_up_on_stderr() {
    let env = TestEnv::new();
    nested_flood(&env);
    let run = env.run(&["scan", ".", "--archive-depth", "2", "-f", "json"]);
    run.code(0);
    let report = run.json();
    assert_eq!(
        report["stats"]["warnings"],
        serde_json::json!({"archive-depth": 12}),
        "{run}"
    );
    let shown = run
        .stderr
        .lines()
        .filter(|l| l.contains("nested archive not opened"))
        .count();
    assert_eq!(shown, 5, "{run}");
    run.stderr_has(
        "warning: 7 more warnings like these not shown (7 more nested archives deeper than \
         --archive-depth, not opened; class archive-depth",
    );
    assert_eq!(run.stderr.lines().count(), 6, "{run}");

    let sarif = env
        .run(&["scan", ".", "--archive-depth", "2", "-f", "sarif"])
        .json();
    let run0 = &sarif["runs"][0];
    let inv = &run0["invocations"][0];
    assert_eq!(inv["executionSuccessful"], true, "limits are no failure");
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{inv}");
    assert_eq!(notes[0]["descriptor"]["id"], "archive-depth");
    assert_eq!(notes[0]["level"], "warning");
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("12 nested archives"),
        "{inv}"
    );
    assert_eq!(
        run0["tool"]["driver"]["notifications"][0]["id"],
        "archive-depth"
    );
}

#[test]
fn archive_that_cannot_be_read_fails_the_sarif_run_and_counts_as_corrupt() {
    let env = TestEnv::new();
    let mut broken = zip(&[("z.env", &dotenv(8).1)]);
    let n = broken.len();
    broken[n - 22..].fill(0xEE);
    env.write("broken.zip", broken);
    let report = env.run(&["scan", ".", "-f", "json"]).json();
    assert_eq!(
        report["stats"]["warnings"],
        serde_json::json!({"archive-corrupt": 1})
    );
    let sarif = env.run(&["scan", ".", "-f", "sarif"]).json();
    let inv = &sarif["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false, "{inv}");
    assert_eq!(
        inv["toolExecutionNotifications"][0]["descriptor"]["id"],
        "archive-corrupt"
    );
    assert_eq!(inv["toolExecutionNotifications"][0]["level"], "error");
}

/// A file with a hole of `hole` bytes before an invented pair.
fn holey(path: &std::path::Path, hole: u64) -> String {
    use std::io::{Seek, SeekFrom, Write};
    let (id, text) = dotenv(9);
    let mut f = std::fs::File::create(path).unwrap();
    f.seek(SeekFrom::Start(hole)).unwrap();
    f.write_all(&text).unwrap();
    f.set_len(hole * 2).unwrap();
    id
}

#[test]
fn archive_sparse_tar_members_gnu_and_pax_are_expanded_and_found() {
    let src = tempfile::tempdir().unwrap();
    let id = holey(&src.path().join("app.env"), 1 << 20);
    let env = TestEnv::new();
    for (tar_name, format) in [("gnu.tar", "--format=gnu"), ("pax.tar", "--format=posix")] {
        let st = std::process::Command::new("tar")
            .args(["--sparse", format, "-cf"])
            .arg(env.path().join(tar_name))
            .args(["-C"])
            .arg(src.path())
            .arg("app.env")
            .status()
            .expect("GNU tar runs");
        assert!(st.success());
    }
    let run = env.run(&["scan", ".", "-f", "json", "--show-secrets"]);
    run.code(1);
    let report = run.json();
    let mut paths: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["secret"] == id.as_str())
        .flat_map(|f| f["locations"].as_array().unwrap())
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    paths.sort();
    assert_eq!(paths, ["./gnu.tar!app.env", "./pax.tar!app.env"], "{run}");
    assert!(report["stats"]["warnings"].is_null(), "{run}");
    assert_eq!(report["stats"]["archive_members"], 2, "{run}");
}

#[test]
fn archive_member_with_an_empty_name_is_reported_by_its_place() {
    let env = TestEnv::new();
    let (id, text) = dotenv(10);
    env.write(
        "x.zip",
        zip(&[("first.txt", b"nothing here\n"), ("", &text)]),
    );
    let run = env.run(&["scan", ".", "-f", "json", "--show-secrets"]);
    run.code(1);
    let report = run.json();
    let f = &report["findings"][0];
    assert_eq!(f["secret"], id.as_str());
    let l = &f["locations"][0];
    assert_eq!(l["path"], "./x.zip!<member #2>", "{run}");
    assert_eq!(l["member"], "<member #2>");
    assert_eq!(
        (l["line"].as_u64(), l["column"].as_u64()),
        (Some(2), Some(24))
    );
    env.run(&["scan", "."])
        .code(1)
        .stdout_has("./x.zip!<member #2>:2:24");
}
