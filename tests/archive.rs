//! Archives through the binary: members found at `outer!member:line`, in
//! files and git history, and every limit or damage a single warning while
//! the scan goes on. Every archive is built here, at test time.

use crate::util::{TestEnv, fake};
use predicates::str::contains;
use serde_json::Value;
use std::io::Write;

/// An invented pair as a `.env` file: the id on line 2 at column 24, the key
/// on line 3.
pub(crate) fn dotenv(seed: u64) -> (String, Vec<u8>) {
    let id = fake("AKID", 32, seed);
    let key = fake("", 32, seed + 1000);
    let text = format!("# app\nTENCENTCLOUD_SECRET_ID={id}\nTENCENTCLOUD_SECRET_KEY={key}\n");
    (id, text.into_bytes())
}

pub(crate) fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

pub(crate) fn tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn bz2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zst(data: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(data, 3).unwrap()
}

/// Runs `scan ARGS -f json` in `env`: the report and stderr.
fn scan_json(env: &TestEnv, args: &[&str]) -> (Value, String) {
    let out = env
        .cmd()
        .arg("scan")
        .args(args)
        .args(["-f", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {stderr}",
        out.status.code()
    );
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

/// (secret, path, member, line, column, key_line) of every location.
fn places(report: &Value) -> Vec<(String, String, String, u64, u64, u64)> {
    let mut v = Vec::new();
    for f in report["findings"].as_array().unwrap() {
        for l in f["locations"].as_array().unwrap() {
            v.push((
                f["secret"].as_str().unwrap().to_string(),
                l["path"].as_str().unwrap().to_string(),
                l["member"].as_str().unwrap_or("").to_string(),
                l["line"].as_u64().unwrap(),
                l["column"].as_u64().unwrap(),
                l["key_line"].as_u64().unwrap_or(0),
            ));
        }
    }
    v.sort();
    v
}

fn warnings(stderr: &str, needle: &str) -> usize {
    stderr
        .lines()
        .filter(|l| l.contains("warning:") && l.contains(needle))
        .count()
}

#[test]
fn archive_members_are_found_at_their_member_path_and_line() {
    let env = TestEnv::new();
    let mut expect = Vec::new();
    let mut put = |file: &str, member: &str, seed: u64, bytes: Vec<u8>| {
        env.write(file, bytes);
        let id = dotenv(seed).0;
        expect.push((id, format!("{file}!{member}"), member.to_string(), 2, 24, 3));
    };
    put("a.zip", "conf/.env", 1, zip(&[("conf/.env", &dotenv(1).1)]));
    put(
        "lib/app.jar",
        "META-INF/app.env",
        2,
        zip(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
            ("META-INF/app.env", &dotenv(2).1),
        ]),
    );
    put(
        "b.tar.gz",
        "c/.env",
        3,
        gz(&tar(&[("c/.env", &dotenv(3).1)])),
    );
    put("app.log.gz", "app.log", 4, gz(&dotenv(4).1));
    put("app.log.bz2", "app.log", 5, bz2(&dotenv(5).1));
    put("app.log.xz", "app.log", 6, xz(&dotenv(6).1));
    put("app.log.zst", "app.log", 7, zst(&dotenv(7).1));
    put(
        "backup.tar.xz",
        "srv/.env",
        8,
        xz(&tar(&[("srv/.env", &dotenv(8).1)])),
    );
    let inner = zip(&[("deep/x.env", &dotenv(9).1)]);
    put(
        "nested.tar.gz",
        "inner.zip!deep/x.env",
        9,
        gz(&tar(&[("README", b"nothing\n"), ("inner.zip", &inner)])),
    );
    // Recognised by magic bytes, whatever the name says.
    put(
        "download.bin",
        "s.env",
        10,
        zip(&[("s.env", &dotenv(10).1)]),
    );
    put(
        "report.docx",
        "word/document.xml",
        11,
        zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", &dotenv(11).1),
        ]),
    );
    let (report, stderr) = scan_json(&env, &["."]);
    let mut expect: Vec<_> = expect
        .into_iter()
        .map(|(id, path, member, l, c, k)| {
            let shown = format!("{}…{}", &id[..8], &id[id.len() - 4..]);
            (shown, format!("./{path}"), member, l, c, k)
        })
        .collect();
    expect.sort();
    assert_eq!(places(&report), expect, "{stderr}");
    // The eleven above, a manifest, a content-types file and a README.
    assert_eq!(report["stats"]["archive_members"], 14, "{report}");
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn archive_member_in_human_and_sarif_keeps_the_outer_file_as_artifact() {
    let env = TestEnv::new();
    env.write("dist/site.zip", zip(&[("cfg/prod.env", &dotenv(20).1)]));
    env.cmd()
        .args(["scan", "."])
        .assert()
        .code(1)
        .stdout(contains(
            "at ./dist/site.zip!cfg/prod.env:2:24  (key at line 3)",
        ));
    let out = env
        .cmd()
        .args(["scan", ".", "-f", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &sarif["runs"][0]["results"][0];
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "dist/site.zip", "{r}");
    assert_eq!(loc["region"]["startLine"], 2, "{r}");
    assert_eq!(r["properties"]["archiveMember"], "cfg/prod.env", "{r}");
    assert!(
        r["message"]["text"]
            .as_str()
            .unwrap()
            .contains("cfg/prod.env"),
        "{r}"
    );
}

#[test]
fn archive_committed_to_git_history_is_found_in_the_blob() {
    let env = TestEnv::new();
    let git = |args: &[&str]| {
        crate::util::git(env.path(), args);
    };
    git(&["init", "-q"]);
    env.write(
        "release/bundle.tgz",
        gz(&tar(&[("app/.env", &dotenv(30).1)])),
    );
    git(&["add", "."]);
    git(&["commit", "-qm", "ship the bundle"]);
    git(&["rm", "-q", "release/bundle.tgz"]);
    git(&["commit", "-qm", "oops"]);
    let (report, stderr) = scan_json(&env, &["--git", "."]);
    let p = places(&report);
    assert_eq!(p.len(), 1, "{report} {stderr}");
    assert_eq!(p[0].1, "release/bundle.tgz!app/.env");
    assert_eq!((p[0].3, p[0].4, p[0].5), (2, 24, 3));
    let loc = &report["findings"][0]["locations"][0];
    assert_eq!(loc["kind"], "git");
    assert_eq!(loc["commit"]["summary"], "ship the bundle");
    assert_eq!(report["findings"][0]["in_head"], false);
}

#[test]
fn archive_bombs_are_one_warning_each_and_the_scan_goes_on() {
    let env = TestEnv::new();
    let zeros = vec![0u8; 4 << 20];
    env.write(
        "bomb.zip",
        zip(&[("zeros.bin", &zeros), ("ok.env", &dotenv(40).1)]),
    );
    env.write("bomb.gz", gz(&zeros));
    env.write("plain.env", dotenv(41).1);
    let (report, stderr) = scan_json(&env, &["."]);
    let p = places(&report);
    assert_eq!(p.len(), 2, "{report}");
    assert!(p.iter().any(|l| l.1 == "./bomb.zip!ok.env"), "{p:?}");
    assert!(p.iter().any(|l| l.1 == "./plain.env"), "{p:?}");
    assert_eq!(
        warnings(
            &stderr,
            "./bomb.zip: 1 member not scanned: expanding past 200 times"
        ),
        1,
        "{stderr}"
    );
    assert_eq!(
        warnings(
            &stderr,
            "./bomb.gz: 1 member not scanned: expanding past 200 times"
        ),
        1,
        "{stderr}"
    );
    assert_eq!(warnings(&stderr, ""), 2, "{stderr}");
}

#[test]
fn archive_limits_on_members_size_and_depth_warn_once() {
    let env = TestEnv::new();
    let many: Vec<(String, Vec<u8>)> = (0..5)
        .map(|i| (format!("m{i}.env"), dotenv(50 + i).1))
        .collect();
    let refs: Vec<(&str, &[u8])> = many
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    env.write("many.tar", tar(&refs));
    let deepest = zip(&[("d3.env", &dotenv(60).1)]);
    let middle = zip(&[("d2.env", &dotenv(61).1), ("l3.zip", &deepest)]);
    env.write(
        "deep.zip",
        zip(&[("d1.env", &dotenv(62).1), ("l2.zip", &middle)]),
    );
    let (report, stderr) = scan_json(
        &env,
        &[".", "--archive-max-members", "4", "--archive-depth", "2"],
    );
    let paths: Vec<String> = places(&report).into_iter().map(|p| p.1).collect();
    let mut want = vec![
        "./deep.zip!d1.env",
        "./deep.zip!l2.zip!d2.env",
        "./many.tar!m0.env",
        "./many.tar!m1.env",
        "./many.tar!m2.env",
        "./many.tar!m3.env",
    ];
    want.sort();
    let mut got = paths.clone();
    got.sort();
    assert_eq!(got, want, "{stderr}");
    assert_eq!(
        warnings(&stderr, "./many.tar: stopped after 4 members"),
        1,
        "{stderr}"
    );
    assert_eq!(
        warnings(
            &stderr,
            "./deep.zip!l2.zip: 1 nested archive not opened, deeper than 2 levels"
        ),
        1,
        "{stderr}"
    );
    assert_eq!(warnings(&stderr, ""), 2, "{stderr}");
    // The total size limit (headers count: each member is 1 KiB of tar)
    // stops the archive where it is reached.
    let (report, stderr) = scan_json(&env, &["many.tar", "--archive-max-size", "2500"]);
    assert_eq!(places(&report).len(), 2, "{report}");
    assert_eq!(
        warnings(&stderr, "many.tar: stopped after 2500 uncompressed bytes"),
        1,
        "{stderr}"
    );
    // Members over the file size limit are skipped, the others read.
    let big = format!(
        "{}\n{}",
        String::from_utf8(dotenv(70).1).unwrap(),
        "x".repeat(4096)
    );
    env.write(
        "sizes.zip",
        zip(&[("big.env", big.as_bytes()), ("small.env", &dotenv(71).1)]),
    );
    let (report, stderr) = scan_json(&env, &["sizes.zip", "--max-file-size", "2K"]);
    let p = places(&report);
    assert_eq!(p.len(), 1, "{report}");
    assert_eq!(p[0].1, "sizes.zip!small.env");
    assert_eq!(
        warnings(&stderr, "sizes.zip: 1 member over 2048 bytes not scanned"),
        1,
        "{stderr}"
    );
}

#[test]
fn archive_truncated_or_corrupt_is_one_warning_and_the_scan_goes_on() {
    let env = TestEnv::new();
    let filler: Vec<u8> = (0..20_000u32)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    let whole = gz(&tar(&[
        ("first.env", &dotenv(80).1),
        ("filler.txt", &filler),
        ("last.env", &dotenv(81).1),
    ]));
    env.write("cut.tar.gz", &whole[..whole.len() * 2 / 3]);
    let mut broken = zip(&[("z.env", &dotenv(82).1)]);
    let n = broken.len();
    broken[n - 22..].fill(0xEE);
    env.write("broken.zip", broken);
    env.write("fine.env", dotenv(83).1);
    let (report, stderr) = scan_json(&env, &["."]);
    let paths: Vec<String> = places(&report).into_iter().map(|p| p.1).collect();
    assert_eq!(
        paths,
        vec!["./cut.tar.gz!first.env", "./fine.env"],
        "{stderr}"
    );
    assert_eq!(
        warnings(&stderr, "./cut.tar.gz: damaged or truncated archive"),
        1,
        "{stderr}"
    );
    assert_eq!(
        warnings(&stderr, "./broken.zip: damaged or truncated archive"),
        1,
        "{stderr}"
    );
    assert_eq!(warnings(&stderr, ""), 2, "{stderr}");
}

#[test]
fn archive_no_archives_skips_them_as_binary() {
    let env = TestEnv::new();
    env.write("a.zip", zip(&[("conf/.env", &dotenv(90).1)]));
    env.write("b.tar", tar(&[("conf/.env", &dotenv(91).1)]));
    env.cmd()
        .args(["scan", ".", "--no-archives"])
        .assert()
        .code(0)
        .stdout(contains("skipped 2 binary"));
    env.cmd().args(["scan", "."]).assert().code(1);
}

#[test]
fn archive_on_standard_input_is_expanded() {
    let env = TestEnv::new();
    let out = env
        .cmd()
        .args(["scan", "-", "-f", "json"])
        .write_stdin(gz(&dotenv(95).1))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(places(&report)[0].1, "<stdin>!<stdin>", "{report}");
}

#[test]
fn archive_member_of_a_redacted_report_is_recovered_for_verify() {
    let w = crate::cam::world();
    let env = TestEnv::new();
    let text = format!(
        "TENCENTCLOUD_SECRET_ID={}\nTENCENTCLOUD_SECRET_KEY={}\n",
        w.ci.0, w.ci.1
    );
    env.write(
        "ship/app.jar",
        zip(&[("BOOT-INF/classes/application.env", text.as_bytes())]),
    );
    let scanned = env
        .cmd()
        .args(["scan", "ship", "-f", "json", "-o", "r.json"])
        .output()
        .unwrap();
    assert_eq!(scanned.status.code(), Some(1), "{scanned:?}");
    let report = std::fs::read_to_string(env.path().join("r.json")).unwrap();
    assert!(!report.contains(&w.ci.1), "the report is redacted");
    let out = env
        .cmd()
        .args(["verify", "--from", "r.json", "--format", "json"])
        .args(["--endpoint", &w.em.url()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let v = &doc["findings"][0]["verification"];
    assert_eq!(v["outcome"], "live", "{v} {err}");
    assert_eq!(
        doc["findings"][0]["locations"][0]["path"],
        "ship/app.jar!BOOT-INF/classes/application.env"
    );
}

#[test]
fn archive_members_are_decoded_like_plain_files() {
    use base64::Engine as _;
    let env = TestEnv::new();
    let (id, text) = dotenv(99);
    let line = format!(
        "ENV_FILE_B64={}\n",
        base64::engine::general_purpose::STANDARD.encode(&text)
    );
    env.write(
        "backup.tgz",
        gz(&tar(&[("deploy/env.txt", line.as_bytes())])),
    );
    let (report, stderr) = scan_json(&env, &["."]);
    let f = &report["findings"][0];
    assert_eq!(
        f["secret"],
        format!("{}…{}", &id[..8], &id[id.len() - 4..]),
        "{report} {stderr}"
    );
    assert!(
        f["key"].is_string(),
        "paired inside the decoded member: {f}"
    );
    let loc = &f["locations"][0];
    assert_eq!(loc["path"], "./backup.tgz!deploy/env.txt");
    assert_eq!(
        (loc["line"].as_u64(), loc["decoded"][0].as_str()),
        (Some(1), Some("base64")),
        "{loc}"
    );
}

#[test]
fn archive_staged_for_commit_fails_the_pre_commit_scan() {
    let env = TestEnv::new();
    let git = |args: &[&str]| {
        crate::util::git(env.path(), args);
    };
    git(&["init", "-q"]);
    env.write(
        "vendor/tool.whl",
        zip(&[("tool/settings.env", &dotenv(110).1)]),
    );
    git(&["add", "."]);
    env.cmd()
        .args(["scan", "--staged", "."])
        .assert()
        .code(1)
        .stdout(contains("vendor/tool.whl!tool/settings.env:2:24"));
}
