//! Binary files and blobs through the binary: printable strings (ASCII,
//! UTF-16LE) and containers' own strings (.pyc, Java serialisation, class
//! files, SQLite) scanned and paired like text, reported with their byte
//! offset and `binary` in every format; `--no-binary-strings` and
//! `--max-file-size` bound it; a text file that only looks like a tar is
//! scanned as text. Every file is built here, with invented keys.

use crate::util::{TestEnv, fake, git};
use serde_json::Value;

fn pair(seed: u64) -> (String, String) {
    (fake("AKID", 32, seed), fake("", 32, seed + 500))
}

/// The one finding of a JSON scan of `args`, with its locations.
fn only_finding(env: &TestEnv, args: &[&str]) -> Value {
    let out = env.cmd().args(args).args(["-f", "json"]).output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = doc["findings"].as_array().unwrap().clone();
    assert_eq!(found.len(), 1, "{doc:#}");
    found[0].clone()
}

fn elf(id: &str, key: &str) -> Vec<u8> {
    let mut b = b"\x7fELF\x02\x01\x01\0".to_vec();
    b.extend([0u8; 40]);
    b.extend(format!("secret_id\0{id}\0\x01\x02secret_key\0{key}\0").as_bytes());
    b.extend([0, 0xff, 0, 0xfe]);
    b
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// A Java serialisation stream: `TC_STRING`, a big-endian u16 length, the
/// bytes (whose length prefix reads as `$` and ` `).
fn ser(strings: &[&str]) -> Vec<u8> {
    let mut b = vec![0xAC, 0xED, 0, 5, 0x73, 0x72];
    for s in strings {
        b.push(0x74);
        b.extend((s.len() as u16).to_be_bytes());
        b.extend(s.as_bytes());
    }
    b.push(0x78);
    b
}

/// A class file whose constant pool holds `strings` as Utf8 entries.
fn class(strings: &[&str]) -> Vec<u8> {
    let mut b = vec![0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 61];
    b.extend(((strings.len() + 1) as u16).to_be_bytes());
    for s in strings {
        b.push(1);
        b.extend((s.len() as u16).to_be_bytes());
        b.extend(s.as_bytes());
    }
    b.extend([0, 0x21, 0, 0]);
    b
}

/// A Python 3.11 `.pyc`: header, code object, the names as short ASCII
/// strings (type `Z` with the reference flag, a one-byte length).
fn pyc(strings: &[&str]) -> Vec<u8> {
    let mut b = vec![0xA7, 0x0D, b'\r', b'\n'];
    b.extend([0u8; 12]);
    b.extend([0xE3, 0, 0, 0, 0, 0, 0, 0, 0]);
    for s in strings {
        b.extend([0xDA, s.len() as u8]);
        b.extend(s.as_bytes());
    }
    b.push(b'N');
    b
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    let mut groups = vec![(v & 0x7f) as u8];
    v >>= 7;
    while v > 0 {
        groups.push((v & 0x7f) as u8 | 0x80);
        v >>= 7;
    }
    out.extend(groups.iter().rev());
}

/// One SQLite record of text values.
fn record(values: &[&str]) -> Vec<u8> {
    let mut types = Vec::new();
    for v in values {
        varint(2 * v.len() as u64 + 13, &mut types);
    }
    let mut r = Vec::new();
    varint(types.len() as u64 + 1, &mut r);
    r.extend(types);
    for v in values {
        r.extend(v.as_bytes());
    }
    r
}

/// A table-leaf page (`first` for page 1, after the file header) holding
/// one cell per row.
fn leaf(page: &mut [u8], first: bool, rows: &[Vec<u8>]) {
    let h = if first { 100 } else { 0 };
    let mut end = page.len();
    let mut ptrs = Vec::new();
    for (i, rec) in rows.iter().enumerate() {
        let mut cell = Vec::new();
        varint(rec.len() as u64, &mut cell);
        varint(i as u64 + 1, &mut cell);
        cell.extend(rec);
        end -= cell.len();
        page[end..end + cell.len()].copy_from_slice(&cell);
        ptrs.push(end as u16);
    }
    page[h] = 0x0D;
    page[h + 3..h + 5].copy_from_slice(&(rows.len() as u16).to_be_bytes());
    page[h + 5..h + 7].copy_from_slice(&(end as u16).to_be_bytes());
    for (i, p) in ptrs.iter().enumerate() {
        page[h + 8 + 2 * i..h + 10 + 2 * i].copy_from_slice(&p.to_be_bytes());
    }
}

/// A two-page SQLite 3 database: the schema on page 1, a `settings(k, v)`
/// table on page 2 holding `rows`.
fn sqlite(rows: &[(&str, &str)]) -> Vec<u8> {
    const PAGE: usize = 1024;
    let mut db = vec![0u8; 2 * PAGE];
    db[..16].copy_from_slice(b"SQLite format 3\0");
    db[16..18].copy_from_slice(&(PAGE as u16).to_be_bytes());
    db[18..24].copy_from_slice(&[1, 1, 0, 64, 32, 32]);
    db[24..28].copy_from_slice(&1u32.to_be_bytes());
    db[28..32].copy_from_slice(&2u32.to_be_bytes());
    db[40..44].copy_from_slice(&1u32.to_be_bytes());
    db[44..48].copy_from_slice(&4u32.to_be_bytes());
    db[56..60].copy_from_slice(&1u32.to_be_bytes());
    db[92..96].copy_from_slice(&1u32.to_be_bytes());
    db[96..100].copy_from_slice(&3_045_000u32.to_be_bytes());
    let sql = "CREATE TABLE settings(k TEXT, v TEXT)";
    let mut schema = Vec::new();
    varint(6, &mut schema);
    for t in [
        2 * 5 + 13,
        2 * 8 + 13,
        2 * 8 + 13,
        1,
        2 * sql.len() as u64 + 13,
    ] {
        varint(t, &mut schema);
    }
    schema.extend(b"tablesettingssettings\x02");
    schema.extend(sql.as_bytes());
    let (p1, p2) = db.split_at_mut(PAGE);
    leaf(p1, true, &[schema]);
    let rows: Vec<Vec<u8>> = rows.iter().map(|(k, v)| record(&[k, v])).collect();
    leaf(p2, false, &rows);
    db
}

#[test]
fn binary_files_are_scanned_for_their_strings_and_pairs() {
    let env = TestEnv::new();
    let mut files = Vec::new();
    let (id, key) = pair(1);
    env.write("bin/app", elf(&id, &key));
    files.push(("bin/app", id, key));
    let (id, key) = pair(2);
    let mut dll = b"MZ\x90\0\x03\0\0\0".to_vec();
    dll.extend(utf16le(&format!("SecretId={id}")));
    dll.extend([0, 0, 7, 0]);
    dll.extend(utf16le(&format!("SecretKey={key}")));
    dll.extend([0, 0]);
    env.write("win/cred.dll", dll);
    files.push(("win/cred.dll", id, key));
    let (id, key) = pair(3);
    env.write(
        ".idea/caches/build_file_checksums.ser",
        ser(&["secretId", &id, "secretKey", &key]),
    );
    files.push((".idea/caches/build_file_checksums.ser", id, key));
    let (id, key) = pair(4);
    env.write("Config.class", class(&["secretId", &id, "secretKey", &key]));
    files.push(("Config.class", id, key));
    let (id, key) = pair(5);
    env.write(
        "__pycache__/conf.cpython-311.pyc",
        pyc(&["SECRET_ID", &id, "SECRET_KEY", &key]),
    );
    files.push(("__pycache__/conf.cpython-311.pyc", id, key));
    let (id, key) = pair(6);
    env.write(
        "app.db",
        sqlite(&[
            ("region", "ap-guangzhou"),
            ("secret_id", &id),
            ("secret_key", &key),
        ]),
    );
    files.push(("app.db", id, key));
    let out = env
        .cmd()
        .args(["scan", ".", "-f", "json", "--show-secrets"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = doc["findings"].as_array().unwrap();
    for (path, id, key) in &files {
        let f = found
            .iter()
            .find(|f| f["secret"] == id.as_str())
            .unwrap_or_else(|| panic!("{path}: not found: {doc:#}"));
        assert_eq!(f["key"], key.as_str(), "{path}: paired with its key");
        let at = &f["locations"][0];
        assert_eq!(at["path"], format!("./{path}"));
        assert_eq!(at["binary"], true, "{path}");
        let bytes = std::fs::read(env.path().join(path)).unwrap();
        let offset = at["offset"].as_u64().unwrap() as usize;
        let step = if path.ends_with(".dll") { 2 } else { 1 };
        let at_offset: String = bytes[offset..]
            .iter()
            .step_by(step)
            .take(4)
            .map(|&b| b as char)
            .collect();
        assert_eq!(at_offset, "AKID", "{path}: offset {offset}");
    }
    assert_eq!(found.len(), files.len(), "{doc:#}");
    // The human report and SARIF say so too.
    let human = env.run(&["scan", "app.db"]);
    human.code(1).stdout_has("app.db  (binary, offset ");
    let out = env
        .cmd()
        .args(["scan", "bin/app", "-f", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    let loc = &result["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "bin/app");
    assert_eq!(loc["region"]["byteOffset"], 58);
    assert!(loc["region"].get("startLine").is_none(), "{loc:#}");
    assert_eq!(result["properties"]["binary"], true);
}

#[test]
fn no_binary_strings_and_the_size_limit_skip_binary_files() {
    let env = TestEnv::new();
    let (id, key) = pair(10);
    env.write("bin/app", elf(&id, &key));
    env.run(&["scan", ".", "--no-binary-strings"])
        .code(0)
        .stdout_has("skipped 1 binary");
    env.run(&["scan", ".", "--max-file-size", "100"])
        .code(0)
        .stdout_has("1 over the size limit");
    env.run(&["scan", "."]).code(1);
}

#[test]
fn binary_members_of_archives_and_binary_blobs_in_history_are_scanned() {
    let env = TestEnv::new();
    let (id, key) = pair(20);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("cache/model.ser", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut w, &ser(&["secretId", &id, "secretKey", &key])).unwrap();
    env.write("sdk.zip", w.finish().unwrap().into_inner());
    let f = only_finding(&env, &["scan", "sdk.zip"]);
    let at = &f["locations"][0];
    assert_eq!(at["member"], "cache/model.ser");
    assert_eq!(at["binary"], true);
    assert_eq!(at["offset"], 20);
    assert_eq!(f["key"], "****(32 chars)");

    let repo = TestEnv::new();
    let (id, key) = pair(21);
    git(repo.path(), &["init", "-q"]);
    repo.write("libs/native.so", elf(&id, &key));
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-qm", "add a library"]);
    git(repo.path(), &["rm", "-q", "libs/native.so"]);
    git(repo.path(), &["commit", "-qm", "drop it"]);
    let f = only_finding(&repo, &["scan", "--git", "."]);
    let at = &f["locations"][0];
    assert_eq!(at["kind"], "git");
    assert_eq!(at["path"], "libs/native.so");
    assert_eq!(at["binary"], true);
    assert_eq!(at["offset"], 58);
}

#[test]
fn a_text_file_that_only_looks_like_a_tar_is_scanned_as_text() {
    let env = TestEnv::new();
    let (id, key) = pair(30);
    // `ustar` at byte 257 (a tar implementation's own source), no valid
    // header checksum.
    let mut text = format!("// headers\nvar ZEROS = '{}'\n", "0".repeat(200));
    while text.len() < 257 {
        text.push(' ');
    }
    text.truncate(257);
    text.push_str("ustar\n");
    text.push_str(&format!("secret_id = \"{id}\"\nsecret_key = \"{key}\"\n"));
    text.push_str(&"// more\n".repeat(80));
    env.write("headers.js", &text);
    let f = only_finding(&env, &["scan", "headers.js"]);
    assert_eq!(f["locations"][0]["line"], 4);
    assert!(f["locations"][0].get("binary").is_none());
    assert_eq!(f["key"], "****(32 chars)");
}

#[test]
fn content_that_fails_to_open_as_an_archive_is_scanned_as_it_is() {
    let env = TestEnv::new();
    let (id, key) = pair(40);
    let mut text = b"PK\x03\x04\r\r\r\n".to_vec();
    text.extend(format!("notes\nsecret_id = {id}\nsecret_key = {key}\n").as_bytes());
    env.write("notes.md", &text);
    let f = only_finding(&env, &["scan", "notes.md"]);
    assert_eq!(f["locations"][0]["line"], 3);
}
