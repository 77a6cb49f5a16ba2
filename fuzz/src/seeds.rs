//! Seeds built at run time, not committed: one-line files of every shape
//! that once took quadratic time (an id repeated, `AKID` repeated, a long
//! `password="…"`, a long base64 run, minified JSON with a pair at its
//! end) and archives of every format keyhound opens, nested, sparse,
//! damaged, with an empty member name and a flood of too-deep archives.
//! keyhound's tests replay them through the targets (`tests/fuzz.rs`, lines
//! of `line` bytes) and `.ci/fuzz.sh` writes them, lines of several MB,
//! beside the checked-in corpus for cargo-fuzz. Built with keyhound's own
//! dependencies, so this file is compiled into its tests, not into the fuzz
//! crate.

use std::io::Write;

/// A generated seed: the target it feeds, its name, its bytes.
pub type Seed = (&'static str, String, Vec<u8>);

/// Invented values in the shapes of a SecretId and a SecretKey (the id is
/// the one the unit tests use, allowed by exact value in `.keyhound.toml`;
/// nothing derived from Tencent's documentation key).
const ID: &str = "AKIDq3Wm8Rt2Yh6Kp9Lz4Xc7Vb1Nd5Fg0Sj1";
const KEY: &str = "Zx7Kp2Lm9Qr4St6Uv8Wy1Ab3Cd5Ef0Gh";

/// `unit` repeated to about `len` bytes.
fn repeat(unit: &str, len: usize) -> Vec<u8> {
    unit.repeat(len / unit.len().max(1) + 1).into_bytes()
}

/// Every generated seed, one-line seeds of about `line` bytes.
pub fn generated(line: usize) -> Vec<Seed> {
    let mut out: Vec<Seed> = Vec::new();
    for (name, text) in long_lines(line) {
        out.push(("engine", format!("line-{name}"), text.clone()));
        out.push(("decode", format!("line-{name}"), text));
    }
    for (name, bytes) in archives() {
        out.push(("archive", name.to_string(), bytes));
    }
    out
}

fn long_lines(line: usize) -> Vec<(&'static str, Vec<u8>)> {
    let pair = format!("{{\"SecretId\":\"{ID}\",\"SecretKey\":\"{KEY}\"}}");
    let mut json = repeat("{\"a\":[1,2,3],\"b\":\"xyz\"},", line);
    json.extend_from_slice(pair.as_bytes());
    let b64: String = (0..line)
        .map(|i| {
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i * 7 % 64] as char
        })
        .collect();
    vec![
        ("id-repeated", repeat(&format!("{ID} "), line)),
        ("akid-repeated", repeat("AKID", line)),
        (
            "password",
            format!(
                "password=\"{}\"",
                String::from_utf8(repeat("x", line)).unwrap_or_default()
            )
            .into_bytes(),
        ),
        ("base64", format!("data={b64}").into_bytes()),
        ("minified-json", json),
    ]
}

fn dotenv() -> Vec<u8> {
    format!("TENCENTCLOUD_SECRET_ID={ID}\nTENCENTCLOUD_SECRET_KEY={KEY}\n").into_bytes()
}

fn zip(entries: &[(&str, &[u8])], stored: bool) -> Vec<u8> {
    let method = if stored {
        zip::CompressionMethod::Stored
    } else {
        zip::CompressionMethod::Deflated
    };
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, opts).expect("writes to memory");
        w.write_all(data).expect("writes to memory");
    }
    w.finish().expect("writes to memory").into_inner()
}

fn tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, *data)
            .expect("writes to memory");
    }
    b.into_inner().expect("writes to memory")
}

/// A PAX sparse (format 1.0) tar: the pair after a hole of `hole` bytes.
fn sparse_tar(hole: u64) -> Vec<u8> {
    let data = dotenv();
    let real = hole + data.len() as u64;
    let mut stored = format!("1\n{hole}\n{}\n", data.len()).into_bytes();
    stored.resize(512, 0);
    stored.extend_from_slice(&data);
    let mut b = tar::Builder::new(Vec::new());
    let real = real.to_string();
    b.append_pax_extensions([
        ("GNU.sparse.major", &b"1"[..]),
        ("GNU.sparse.minor", b"0"),
        ("GNU.sparse.name", b"app.env"),
        ("GNU.sparse.realsize", real.as_bytes()),
    ])
    .expect("writes to memory");
    let mut h = tar::Header::new_ustar();
    h.set_size(stored.len() as u64);
    h.set_mode(0o644);
    b.append_data(&mut h, "GNUSparseFile.0/app.env", stored.as_slice())
        .expect("writes to memory");
    b.into_inner().expect("writes to memory")
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("writes to memory");
    e.finish().expect("writes to memory")
}

fn bz2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(data).expect("writes to memory");
    e.finish().expect("writes to memory")
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(data).expect("writes to memory");
    e.finish().expect("writes to memory")
}

fn archives() -> Vec<(&'static str, Vec<u8>)> {
    let env = dotenv();
    let plain = tar(&[("conf/.env", &env), ("README", b"hello\n")]);
    let mut nested = zip(&[("deep/.env", &env)], true);
    for level in 0..4 {
        let name = format!("level{level}.zip");
        nested = zip(&[(name.as_str(), &nested)], level % 2 == 0);
    }
    let innermost = zip(&[("d.env", &env)], false);
    let flood_inner: Vec<(String, Vec<u8>)> = (0..8)
        .map(|i| (format!("p{i}.zip"), zip(&[("d.zip", &innermost)], true)))
        .collect();
    let flood: Vec<(&str, &[u8])> = flood_inner
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let tgz = gz(&plain);
    vec![
        ("a.zip", zip(&[("conf/.env", &env)], false)),
        ("nested.zip", nested),
        ("empty-name.zip", zip(&[("", &env), ("x", b"1")], false)),
        ("flood.zip", zip(&flood, false)),
        ("a.tar", plain.clone()),
        ("sparse.tar", sparse_tar(4096)),
        ("a.tgz", tgz.clone()),
        ("cut.tgz", tgz[..tgz.len() / 2].to_vec()),
        ("a.gz", gz(&env)),
        ("a.tar.bz2", bz2(&plain)),
        ("a.xz", xz(&env)),
        (
            "a.tar.zst",
            zstd::stream::encode_all(plain.as_slice(), 3).expect("writes to memory"),
        ),
        (
            "zip-in-tgz.tgz",
            gz(&tar(&[("lib.jar", &zip(&[(".env", &env)], false))])),
        ),
    ]
}
