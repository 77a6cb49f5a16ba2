//! `keyhound repos` through the binary against a fake GitHub and GitLab API
//! on 127.0.0.1: paging, rate limits, forks and archived repositories,
//! malformed answers, tokens, and the list feeding sharded scans.

mod fake;

use crate::util::{Run, RunExt, TestEnv, fake as fake_secret};
use fake::{Answer, FakeForge, FakeRepo, Kind};
use serde_json::{Value, json};
use std::time::{Duration, Instant, UNIX_EPOCH};

fn token() -> String {
    fake_secret("ghp_", 36, 77)
}

/// Seven repositories, out of order: a fork, an archived one, five kept.
fn acme() -> Vec<FakeRepo> {
    let mut v: Vec<FakeRepo> = ["web", "api", "zeta", "core", "docs", "old", "forked"]
        .iter()
        .map(|n| {
            FakeRepo::new(
                &format!("acme/{n}"),
                &format!("https://git.example/acme/{n}.git"),
            )
        })
        .collect();
    v[5].archived = true;
    v[6].fork = true;
    v
}

fn kept() -> String {
    ["api", "core", "docs", "web", "zeta"]
        .iter()
        .map(|n| format!("https://git.example/acme/{n}.git\n"))
        .collect()
}

fn repos(env: &TestEnv, args: &[&str], token: Option<(&str, &str)>) -> Run {
    let mut c = env.cmd();
    c.arg("repos").args(args);
    if let Some((var, value)) = token {
        c.env(var, value);
    }
    c.timeout(Duration::from_secs(60)).run()
}

#[test]
fn repos_github_org_lists_every_page_sorted_without_forks_or_archived() {
    let env = TestEnv::new();
    let api = FakeForge::start(Kind::GitHub, "acme", acme(), None);
    let t = token();
    let args = ["--github-org", "acme", "--api-url", &api.url()];
    let out = repos(&env, &args, Some(("GITHUB_TOKEN", &t)));
    out.code(0);
    assert_eq!(out.stdout, kept());
    let stderr = &out.stderr;
    assert!(
        stderr.contains("left out 1 fork (--include-forks) and 1 archived repository"),
        "{stderr}"
    );
    let reqs = api.requests();
    assert_eq!(reqs.len(), 4, "seven repositories, two a page: {reqs:#?}");
    let pages: Vec<usize> = reqs.iter().map(|r| r.page()).collect();
    assert_eq!(pages, [1, 2, 3, 4], "followed rel=\"next\" to the end");
    for r in &reqs {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {t}").as_str())
        );
        assert_eq!(r.header("accept"), Some("application/vnd.github+json"));
    }
    assert!(!stderr.contains(&t) && !out.stdout.contains(&t));

    let all = repos(
        &env,
        &[&args[..], &["--include-forks", "--include-archived"]].concat(),
        None,
    );
    all.code(0);
    let lines: Vec<String> = all.stdout.lines().map(String::from).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
    assert_eq!(lines.len(), 7);
    let anonymous = &api.requests()[4..];
    assert!(
        anonymous
            .iter()
            .all(|r| r.header("authorization").is_none()),
        "no token, no authorization header"
    );
}

#[test]
fn repos_github_rate_limit_waits_until_the_reset() {
    let env = TestEnv::new();
    let api = FakeForge::start(Kind::GitHub, "acme", acme(), None);
    api.limit_page(2, 1);
    let out = repos(
        &env,
        &["--github-org", "acme", "--api-url", &api.url()],
        None,
    );
    out.code(0);
    assert_eq!(out.stdout, kept());
    let reset = api.reset().expect("page 2 was refused once");
    let page2: Vec<_> = api
        .requests()
        .into_iter()
        .filter(|r| r.page() == 2)
        .collect();
    assert_eq!(page2.len(), 2, "refused once, then asked again: {page2:#?}");
    let retried = page2[1].at.duration_since(UNIX_EPOCH).unwrap().as_secs();
    assert!(
        retried >= reset,
        "retried at {retried}, before the reset {reset}"
    );
    assert!(out.stderr.contains("rate limited by"), "{}", out.stderr);
}

#[test]
fn repos_rate_limit_beyond_max_wait_is_one_error_naming_the_url() {
    let env = TestEnv::new();
    let api = FakeForge::start(Kind::GitHub, "acme", acme(), None);
    api.limit_page(1, 3600);
    let started = Instant::now();
    let out = repos(
        &env,
        &[
            "--github-org",
            "acme",
            "--api-url",
            &api.url(),
            "--max-wait",
            "5",
        ],
        None,
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "did not wait the hour"
    );
    out.code(2);
    assert!(out.stdout.is_empty(), "no partial list");
    let stderr = &out.stderr;
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("{}/orgs/acme/repos", api.url()))
            && stderr.contains("--max-wait 5s"),
        "{stderr}"
    );
}

#[test]
fn repos_gitlab_group_pages_by_x_next_page_and_waits_out_a_429() {
    let env = TestEnv::new();
    let mut projects = acme();
    for p in &mut projects {
        p.name = p.name.replace("acme/", "acme/platform/");
    }
    let api = FakeForge::start(Kind::GitLab, "acme%2Fplatform", projects, None);
    api.limit_page(3, 1);
    let t = fake_secret("glpat-", 20, 5);
    let out = repos(
        &env,
        &[
            "--gitlab-group",
            "acme/platform",
            "--api-url",
            &api.url(),
            "-f",
            "json",
        ],
        Some(("GITLAB_TOKEN", &t)),
    );
    out.code(0);
    let doc: Value = out.json();
    assert_eq!(doc["forge"], "gitlab");
    assert_eq!(doc["owner"], "acme/platform");
    assert_eq!(doc["left_out"], json!({"forks": 1, "archived": 1}));
    let urls: String = doc["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{}\n", r["url"].as_str().unwrap()))
        .collect();
    assert_eq!(urls, kept());
    assert_eq!(doc["repositories"][0]["name"], "acme/platform/api");
    let reqs = api.requests();
    assert!(
        reqs.iter()
            .all(|r| r.header("private-token") == Some(t.as_str()))
    );
    let pages: Vec<usize> = reqs.iter().map(|r| r.page()).collect();
    assert_eq!(
        pages,
        [1, 2, 3, 3, 4],
        "x-next-page to the end, page 3 retried"
    );
    assert!(!out.stderr.contains(&t));
    let with_forks = repos(
        &env,
        &[
            "--gitlab-group",
            "acme/platform",
            "--api-url",
            &api.url(),
            "--include-forks",
        ],
        None,
    );
    assert!(with_forks.stdout.contains("acme/forked.git"));
    assert!(!with_forks.stdout.contains("acme/old.git"));
}

/// A fake GitHub whose page `page` is `answer` instead.
fn broken(page: usize, answer: fn(&str) -> Answer) -> FakeForge {
    FakeForge::start(
        Kind::GitHub,
        "acme",
        acme(),
        Some(Box::new(move |req, base| {
            (req.page() == page).then(|| answer(base))
        })),
    )
}

#[test]
fn repos_malformed_answers_are_one_error_naming_the_url() {
    let env = TestEnv::new();
    type Case = (fn(&str) -> Answer, &'static str);
    let cases: [Case; 5] = [
        (
            |_| Answer {
                status: 200,
                headers: vec![],
                body: b"<html>maintenance</html>".to_vec(),
                no_length: false,
            },
            "malformed answer from",
        ),
        (
            |_| Answer::json(200, &json!({"message": "moved"})),
            "expected a json array",
        ),
        (
            |_| Answer::json(404, &json!({"message": "Not Found"})),
            "answered http 404: not found",
        ),
        (
            |_| Answer {
                status: 200,
                headers: vec![],
                body: vec![b' '; 17 << 20],
                no_length: false,
            },
            "larger than 16777216 bytes",
        ),
        (
            |_| Answer {
                status: 200,
                headers: vec![],
                body: vec![b'['; 17 << 20],
                no_length: true,
            },
            "larger than 16777216 bytes",
        ),
    ];
    for (answer, want) in cases {
        let api = broken(2, answer);
        let out = repos(
            &env,
            &["--github-org", "acme", "--api-url", &api.url()],
            None,
        );
        let stderr = &out.stderr;
        out.code(2);
        assert!(out.stdout.is_empty());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.to_lowercase().contains(want), "{want}: {stderr}");
        assert!(
            stderr.contains(&format!("{}/orgs/acme/repos", api.url())),
            "{stderr}"
        );
    }
}

#[test]
fn repos_an_unusable_entry_is_an_error_and_the_rest_is_listed() {
    let env = TestEnv::new();
    let mut list = acme();
    list[0].url = "https://git.example/acme/web.git\n/etc/passwd".into();
    list[2].url = "ext::sh -c id".into();
    let api = FakeForge::start(Kind::GitHub, "acme", list, None);
    let out = repos(
        &env,
        &["--github-org", "acme", "--api-url", &api.url()],
        None,
    );
    out.code(2);
    let stderr = &out.stderr;
    assert!(
        stderr.contains("\"acme/web\"") && stderr.contains("\"acme/zeta\""),
        "{stderr}"
    );
    assert_eq!(
        out.stdout,
        "https://git.example/acme/api.git\nhttps://git.example/acme/core.git\nhttps://git.example/acme/docs.git\n"
    );
}

#[test]
fn repos_a_next_page_on_another_host_is_not_followed_and_gets_no_token() {
    let env = TestEnv::new();
    let elsewhere = FakeForge::start(Kind::GitHub, "acme", acme(), None);
    let foreign = elsewhere.url();
    let api = FakeForge::start(
        Kind::GitHub,
        "acme",
        acme(),
        Some(Box::new(move |req, _| {
            (req.page() == 1).then(|| {
                let mut a = Answer::json(200, &json!([]));
                let next = format!(
                    "<{foreign}/orgs/acme/repos?per_page=100&type=all&page=2>; rel=\"next\""
                );
                a.headers.push(("link".into(), next));
                a
            })
        })),
    );
    let t = token();
    let out = repos(
        &env,
        &["--github-org", "acme", "--api-url", &api.url()],
        Some(("GITHUB_TOKEN", &t)),
    );
    out.code(2);
    let stderr = &out.stderr;
    assert!(
        stderr.contains(&elsewhere.url()) && stderr.contains("not followed"),
        "{stderr}"
    );
    assert!(
        elsewhere.requests().is_empty(),
        "the other host was never asked"
    );
    assert!(!stderr.contains(&t));
}

#[test]
fn repos_bad_arguments_are_errors_before_any_request() {
    let env = TestEnv::new();
    let none = repos(&env, &[], None);
    none.code(2);
    let remote = repos(
        &env,
        &[
            "--github-org",
            "acme",
            "--api-url",
            "http://api.example.com",
        ],
        None,
    );
    remote.code(2);
    assert!(
        remote.stderr.contains("http://api.example.com"),
        "{}",
        remote.stderr
    );
    let slash = repos(
        &env,
        &[
            "--github-org",
            "acme/app",
            "--api-url",
            "http://127.0.0.1:9",
        ],
        None,
    );
    slash.code(2);
    assert!(slash.stderr.contains("\"acme/app\""), "{}", slash.stderr);
}

#[test]
fn repos_list_feeds_sharded_scans_whose_merge_is_the_unsharded_scan() {
    let env = TestEnv::new();
    let shared = crate::org::pair(3);
    let mut listed = Vec::new();
    for i in 0..9u64 {
        let files = match i {
            0..3 => vec![("app.toml", crate::org::creds(&shared))],
            3..6 => vec![("db.ini", crate::org::creds(&crate::org::pair(300 + i)))],
            _ => vec![("README.md", format!("service {i}\n"))],
        };
        let dir = crate::org::repo(&env.path().join("upstream"), &format!("svc{i}"), &files);
        listed.push(FakeRepo::new(
            &format!("acme/svc{i}"),
            &format!("file://{}", dir.display()),
        ));
    }
    let mut fork = FakeRepo::new("acme/fork", "file:///nonexistent/fork");
    fork.fork = true;
    listed.push(fork);
    let api = FakeForge::start(Kind::GitHub, "acme", listed, None);
    let out = repos(
        &env,
        &[
            "--github-org",
            "acme",
            "--api-url",
            &api.url(),
            "-o",
            "repos.txt",
        ],
        None,
    );
    out.code(0);
    let list = std::fs::read_to_string(env.path().join("repos.txt")).unwrap();
    assert_eq!(list.lines().count(), 9, "{list}");
    let whole = crate::org::scan_json(&env, &["--clone-dir", "cache"]);
    let mut reports = Vec::new();
    for i in 0..3 {
        let shard = crate::org::scan_json(
            &env,
            &["--clone-dir", "cache", "--shard", &format!("{i}/3")],
        );
        let name = format!("shard-{i}.json");
        std::fs::write(env.path().join(&name), shard).unwrap();
        reports.push(name);
    }
    let merged = env.cmd().args(["report", "merge"]).args(&reports).run();
    merged.code(1);
    let merged: Value = merged.json();
    assert_eq!(merged, serde_json::from_slice::<Value>(&whole).unwrap());
    let findings = merged["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 4, "the shared pair once, three single ones");
    assert!(
        findings
            .iter()
            .any(|f| f["locations"].as_array().unwrap().len() == 3)
    );
    assert_eq!(merged["repositories"].as_array().unwrap().len(), 9);
}
