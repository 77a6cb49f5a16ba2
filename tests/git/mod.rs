//! Git scans: history with provenance, ranges, staged changes, pre-push,
//! hook installation and odd repositories. Repositories are built at test
//! time from `git fast-import` streams with fixed dates, so commit ids are
//! the same on every machine.

use crate::util::{TestEnv, fake, git};
use keyhound::engine::Engine;
use keyhound::finding::Finding;
use keyhound::rule::RuleSet;
use keyhound::scan::git::{self as git_scan, GitOutput, HistoryPlan};
use keyhound::source::Provenance;
use keyhound::source::git::{Rev, Selection};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

mod hooks;

const AUTHOR: &str = "Ada Lovelace <ada@example.com>";
const ZERO: &str = "0000000000000000000000000000000000000000";

/// A `git fast-import` stream under construction.
#[derive(Default)]
struct Stream {
    text: String,
    marks: u32,
    time: i64,
}

enum Op<'a> {
    Put(&'a str, &'a str),
    Del(&'a str),
    Rename(&'a str, &'a str),
    Gitlink(&'a str),
}

impl Stream {
    /// Adds a commit on `branch` (continuing it, or starting from `from`)
    /// and returns its mark.
    fn commit(&mut self, branch: &str, from: Option<u32>, msg: &str, ops: &[Op<'_>]) -> u32 {
        self.marks += 1;
        self.time += 3600;
        let t = 1_700_000_000 + self.time;
        let mut s = format!(
            "commit refs/heads/{branch}\nmark :{}\nauthor {AUTHOR} {t} +0000\ncommitter {AUTHOR} {t} +0000\ndata {}\n{msg}\n",
            self.marks,
            msg.len()
        );
        if let Some(f) = from {
            s += &format!("from :{f}\n");
        }
        for op in ops {
            match op {
                Op::Put(path, body) => {
                    s += &format!("M 100644 inline {path}\ndata {}\n{body}\n", body.len())
                }
                Op::Del(path) => s += &format!("D {path}\n"),
                Op::Rename(a, b) => s += &format!("R {a} {b}\n"),
                Op::Gitlink(path) => {
                    s += &format!("M 160000 {} {path}\n", "1".repeat(40));
                }
            }
        }
        self.text += &s;
        self.text += "\n";
        self.marks
    }

    /// Imports the stream into a fresh repository in `env` and returns the
    /// commit id of every mark, in order.
    fn import(&self, env: &TestEnv) -> Vec<String> {
        git(env.path(), &["init", "-q", "-b", "main"]);
        let marks = env.path().join("marks");
        let mut child = Command::new("git")
            .args(["fast-import", "--quiet"])
            .arg(format!("--export-marks={}", marks.display()))
            .current_dir(env.path())
            .stdin(Stdio::piped())
            .spawn()
            .expect("git fast-import");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(self.text.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success(), "fast-import failed");
        let text = std::fs::read_to_string(&marks).unwrap();
        std::fs::remove_file(&marks).unwrap();
        let mut ids: Vec<(u32, String)> = text
            .lines()
            .map(|l| {
                let (m, id) = l.split_once(' ').unwrap();
                (m[1..].parse().unwrap(), id.to_string())
            })
            .collect();
        ids.sort();
        git(env.path(), &["checkout", "-q", "-f", "main"]);
        ids.into_iter().map(|(_, id)| id).collect()
    }
}

fn engine() -> Engine {
    Engine::new(&RuleSet::builtin()).unwrap()
}

fn id(seed: u64) -> String {
    fake("AKID", 32, seed)
}

fn history(repo: &Path, selection: Selection) -> GitOutput {
    let plan = HistoryPlan {
        repo: repo.to_path_buf(),
        selection,
        max_blob_size: 1 << 20,
        archives: Some(keyhound::source::archive::Limits::default()),
        binary_strings: true,
        threads: 2,
        progress: None,
    };
    git_scan::history(&plan, &engine()).unwrap()
}

fn secrets(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| f.secret.expose().to_string())
        .collect()
}

/// (commit sha, path, line) of every git location of a finding.
fn places(f: &Finding) -> Vec<(String, String, u32)> {
    f.matches
        .iter()
        .map(|m| match &m.provenance {
            Provenance::Git { commit, path } => (commit.sha.clone(), path.clone(), m.location.line),
            Provenance::CommitMessage { commit } => {
                (commit.sha.clone(), "<message>".into(), m.location.line)
            }
            other => panic!("unexpected provenance {other:?}"),
        })
        .collect()
}

#[test]
fn scan_git_finds_key_added_then_deleted_in_history_only() {
    let env = TestEnv::new();
    let key = id(1);
    let mut s = Stream::default();
    s.commit("main", None, "readme", &[Op::Put("README", "hello\n")]);
    let body = format!("region = ap-guangzhou\nsecret_id = {key}\n");
    s.commit(
        "main",
        None,
        "add config",
        &[Op::Put("conf/app.ini", &body)],
    );
    s.commit("main", None, "remove config", &[Op::Del("conf/app.ini")]);
    let ids = s.import(&env);

    let out = history(env.path(), Selection::default());
    assert_eq!(secrets(&out.scan.findings), vec![key]);
    let f = &out.scan.findings[0];
    assert_eq!(places(f), vec![(ids[1].clone(), "conf/app.ini".into(), 2)]);
    assert_eq!(f.in_head, Some(false));
    let commit = f.matches[0].provenance.commit().unwrap();
    assert_eq!(commit.author, "Ada Lovelace");
    assert_eq!(commit.email, "ada@example.com");
    assert_eq!(commit.summary, "add config");
    assert_eq!(commit.time, 1_700_007_200);
    // Two distinct blobs (README, app.ini), each read once.
    assert_eq!(out.scan.stats.scanned, 2);
    assert_eq!(out.repo.head.as_deref(), Some(ids[2].as_str()));
    assert_eq!(out.repo.branch.as_deref(), Some("main"));
}

#[test]
fn scan_git_finds_key_on_unmerged_branch_only_with_all_refs() {
    let env = TestEnv::new();
    let key = id(2);
    let mut s = Stream::default();
    let base = s.commit("main", None, "base", &[Op::Put("a.txt", "a\n")]);
    let body = format!("TENCENT_SECRET_ID={key}\n");
    let side = s.commit("feature", Some(base), "wip", &[Op::Put("b.env", &body)]);
    let ids = s.import(&env);

    let all = history(env.path(), Selection::default());
    assert_eq!(secrets(&all.scan.findings), vec![key]);
    assert_eq!(
        places(&all.scan.findings[0]),
        vec![(ids[side as usize - 1].clone(), "b.env".into(), 1)]
    );
    assert_eq!(all.scan.findings[0].in_head, Some(false));

    let main_only = Selection {
        include: vec![Rev::Spec("main".into())],
        ..Selection::default()
    };
    assert!(history(env.path(), main_only).scan.findings.is_empty());
    // The CLI flag for the same thing.
    env.cmd()
        .args(["scan", "--branch", "main", "-q"])
        .assert()
        .code(0);
    env.cmd()
        .args(["scan", "--branch", "feature", "-q"])
        .assert()
        .code(1);
}

#[test]
fn scan_git_credits_the_branch_commit_not_the_merge() {
    let env = TestEnv::new();
    let key = id(19);
    let mut s = Stream::default();
    let files: Vec<String> = (0..40).map(|i| format!("f{i:02}")).collect();
    let ops: Vec<Op<'_>> = files.iter().map(|f| Op::Put(f, "same\n")).collect();
    let base = s.commit("main", None, "many files", &ops);
    let body = format!("k = {key}\n");
    let side = s.commit(
        "topic",
        Some(base),
        "leak on topic",
        &[Op::Put("f17", &body)],
    );
    s.commit("main", None, "main moves on", &[Op::Put("f39", "other\n")]);
    // The merge takes topic's f17: same blob, same path as its second parent.
    s.text += &format!(
        "commit refs/heads/main\nmark :9\nauthor {AUTHOR} 1700100000 +0000\ncommitter {AUTHOR} 1700100000 +0000\ndata 5\nmerge\nmerge :{side}\nM 100644 inline f17\ndata {}\n{body}\n\n",
        body.len()
    );
    let ids = s.import(&env);

    let out = history(env.path(), Selection::default());
    assert_eq!(secrets(&out.scan.findings), vec![key]);
    assert_eq!(
        places(&out.scan.findings[0]),
        vec![(ids[side as usize - 1].clone(), "f17".into(), 1)]
    );
    assert_eq!(out.scan.findings[0].in_head, Some(true));
}

#[test]
fn scan_git_finds_key_in_commit_message() {
    let env = TestEnv::new();
    let key = id(3);
    let mut s = Stream::default();
    let msg = format!("rotate {key}\n\nold id was {key}");
    s.commit("main", None, &msg, &[Op::Put("a.txt", "a\n")]);
    let ids = s.import(&env);

    let out = history(env.path(), Selection::default());
    assert_eq!(secrets(&out.scan.findings), vec![key.clone()]);
    assert_eq!(
        places(&out.scan.findings[0]),
        vec![
            (ids[0].clone(), "<message>".into(), 1),
            (ids[0].clone(), "<message>".into(), 3)
        ]
    );
    // The summary shown with the finding does not repeat the secret.
    let summary = &out.scan.findings[0].matches[0]
        .provenance
        .commit()
        .unwrap()
        .summary;
    assert!(
        summary.starts_with("rotate ") && !summary.contains(&key),
        "{summary}"
    );
}

#[test]
fn scan_git_reports_renamed_file_at_both_paths_but_reads_blob_once() {
    let env = TestEnv::new();
    let key = id(4);
    let mut s = Stream::default();
    let body = format!("id: {key}\n");
    s.commit("main", None, "add", &[Op::Put("old.yaml", &body)]);
    s.commit(
        "main",
        None,
        "rename",
        &[Op::Rename("old.yaml", "new.yaml")],
    );
    let ids = s.import(&env);

    let out = history(env.path(), Selection::default());
    assert_eq!(secrets(&out.scan.findings), vec![key]);
    let mut got = places(&out.scan.findings[0]);
    got.sort();
    let mut want = vec![
        (ids[0].clone(), "old.yaml".to_string(), 1),
        (ids[1].clone(), "new.yaml".to_string(), 1),
    ];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(out.scan.findings[0].in_head, Some(true));
    assert_eq!(out.scan.stats.scanned, 1);
}

#[test]
fn scan_git_range_scans_exactly_the_pull_request_commits() {
    let env = TestEnv::new();
    let (old, new) = (id(5), id(6));
    let mut s = Stream::default();
    let old_body = format!("{old}\n");
    let base = s.commit("main", None, "old leak", &[Op::Put("x", &old_body)]);
    // A blank line between: the interim engine's matches cannot share a separator.
    let new_body = format!("{old}\n\n{new}\n");
    s.commit("pr", Some(base), "new leak", &[Op::Put("x", &new_body)]);
    let ids = s.import(&env);

    let out = history(env.path(), Selection::range("main..pr").unwrap());
    // The PR's version of x holds both ids; the range owns that blob.
    assert_eq!(out.scan.findings.len(), 2);
    for f in &out.scan.findings {
        assert_eq!(places(f)[0].0, ids[1]);
    }
    // The base alone: only its own commit.
    let base_only = history(
        env.path(),
        Selection::range(&format!("{}..main", ids[0])).unwrap(),
    );
    assert!(base_only.scan.findings.is_empty());
    env.cmd()
        .args(["scan", "--range", "pr..main", "-q"])
        .assert()
        .code(0);
    env.cmd()
        .args(["scan", "--range", "nope..main", "-q"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "cannot resolve revision \"nope\"",
        ));
}

#[test]
fn scan_git_since_skips_older_commits() {
    let env = TestEnv::new();
    let mut s = Stream::default();
    let body = format!("{}\n", id(7));
    s.commit("main", None, "leak", &[Op::Put("x", &body)]);
    s.commit("main", None, "later", &[Op::Put("y", "y\n")]);
    s.import(&env);
    // Commits are at 1700003600 and 1700007200 (2023-11-14T23:13:20Z + 1h, + 2h).
    let sel = Selection {
        since: Some(1_700_005_000),
        ..Selection::default()
    };
    assert!(history(env.path(), sel).scan.findings.is_empty());
    env.cmd()
        .args(["scan", "--since", "2023-11-14", "-q"])
        .assert()
        .code(1);
}

#[test]
fn scan_git_odd_repositories_warn_and_go_on() {
    // Not a repository.
    let plain = TestEnv::new();
    plain
        .cmd()
        .args(["scan", "--git", "-q"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not a git repository"));

    // Submodule gitlink and LFS pointer: notes, never findings.
    let env = TestEnv::new();
    let mut s = Stream::default();
    let lfs = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";
    let body = format!("{}\n", id(15));
    s.commit(
        "main",
        None,
        "odd",
        &[
            Op::Gitlink("vendor/lib"),
            Op::Put("big.bin", lfs),
            Op::Put("k", &body),
        ],
    );
    s.import(&env);
    env.cmd()
        .args(["scan", "--git"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("skipped submodule vendor/lib"))
        .stderr(predicates::str::contains("skipped 1 git LFS pointer files"));

    // Bare clone: history works, staged is refused with a reason.
    let bare = TestEnv::new();
    let dest = bare.path().join("r.git");
    git(
        bare.path(),
        &[
            "clone",
            "-q",
            "--bare",
            &env.path().to_string_lossy(),
            "r.git",
        ],
    );
    assert_eq!(history(&dest, Selection::default()).scan.findings.len(), 1);
    bare.cmd()
        .args(["scan", "--staged", "r.git"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is a bare repository"));

    // Shallow clone: a warning, and the boundary commit's content is scanned.
    let shallow = TestEnv::new();
    let url = format!("file://{}", env.path().display());
    git(shallow.path(), &["clone", "-q", "--depth", "1", &url, "s"]);
    shallow
        .cmd()
        .args(["scan", "--git", "s"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("shallow clone"));
}

#[test]
fn scan_git_missing_corrupt_and_oversized_objects_are_named_and_skipped() {
    let env = TestEnv::new();
    git(env.path(), &["init", "-q"]);
    env.write("gone.txt", format!("{}\n", id(16)));
    env.write("kept.txt", format!("{}\n", id(17)));
    env.write("bad.txt", format!("{}\n", id(18)));
    git(env.path(), &["add", "."]);
    git(env.path(), &["commit", "-q", "-m", "three files"]);
    let object = |name: &str| {
        let id = git(env.path(), &["rev-parse", &format!("HEAD:{name}")]);
        let id = id.trim().to_string();
        let path = env
            .path()
            .join(".git/objects")
            .join(&id[..2])
            .join(&id[2..]);
        (id, path)
    };
    let (gone, gone_path) = object("gone.txt");
    std::fs::remove_file(gone_path).unwrap();
    let (bad, bad_path) = object("bad.txt");
    std::fs::remove_file(&bad_path).unwrap();
    std::fs::write(&bad_path, b"not zlib at all").unwrap();

    let out = history(env.path(), Selection::default());
    assert_eq!(secrets(&out.scan.findings), vec![id(17)]);
    assert_eq!(out.scan.stats.unreadable, 2);
    env.cmd()
        .args(["scan", "--git"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(format!(
            "object {gone} is missing"
        )))
        .stderr(predicates::str::contains(format!(
            "cannot read object {bad}"
        )));

    let plan = HistoryPlan {
        repo: env.path().to_path_buf(),
        selection: Selection::default(),
        max_blob_size: 10,
        archives: None,
        binary_strings: true,
        threads: 1,
        progress: None,
    };
    let small = git_scan::history(&plan, &engine()).unwrap();
    assert!(small.scan.findings.is_empty());
    assert_eq!(small.scan.stats.skipped_too_large, 1);
}
