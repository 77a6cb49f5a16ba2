//! The fuzz targets' bodies, one function per target over arbitrary bytes.
//! The cargo-fuzz binaries in `fuzz_targets/` call them, and keyhound's own
//! test suite replays the seed corpus through them and runs a short
//! mutation loop (tests/fuzz.rs), so they also run on a stable toolchain
//! without cargo-fuzz. Each panics on a broken property.

use keyhound::engine::{Engine, RawMatch};
use keyhound::rule::RuleSet;
use std::sync::OnceLock;

/// A target: its name (the `fuzz_targets/` binary and `corpus/` folder) and
/// its body.
pub type Target = (&'static str, fn(&[u8]));

/// Every target.
pub const TARGETS: &[Target] = &[
    ("engine", engine),
    ("rules", rules),
    ("config", config),
    ("git", git),
    ("decode", decode),
    ("archive", archive),
    ("cam", cam),
];

fn built_in_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(&RuleSet::builtin()).expect("built-in rules compile"))
}

/// The engine over arbitrary bytes with every built-in rule: no panic, and
/// every match lies inside the input.
pub fn engine(data: &[u8]) {
    let engine = built_in_engine();
    let mut cache = engine.cache();
    let mut out: Vec<RawMatch> = Vec::new();
    engine.scan(&mut cache, Some("fuzz/input.env"), data, &mut out);
    for m in &out {
        assert!(
            m.secret.start < m.secret.end && m.secret.end <= data.len(),
            "{m:?}"
        );
        for r in m.key.iter().chain(m.token.iter()) {
            assert!(r.start < r.end && r.end <= data.len(), "{m:?}");
        }
    }
}

/// The rule loaders: keyhound TOML and gitleaks TOML. Any text is either
/// rules or an error, and every rule loaded passes the engine's checks or is
/// refused by them, never a panic.
pub fn rules(data: &[u8]) {
    use keyhound::rule::{gitleaks, load};
    let text = String::from_utf8_lossy(data);
    let rules = if gitleaks::is_gitleaks(&text) {
        gitleaks::import(&text, "fuzz.toml").map(|i| i.rules)
    } else {
        load::parse_file(&text, "fuzz.toml").map(|f| f.rules)
    };
    for rule in rules.iter().flatten() {
        let _ = keyhound::engine::validate(rule);
    }
    // Both loaders see every input, whatever it looks like.
    let _ = gitleaks::import(&text, "fuzz.toml");
    let _ = load::parse_file(&text, "fuzz.toml");
}

/// The noise-control parsers: config file, ignore file, baseline.
pub fn config(data: &[u8]) {
    use keyhound::config::{baseline, file, ignore};
    let text = String::from_utf8_lossy(data);
    let _ = file::parse(&text, "fuzz.toml");
    let (ignored, _errors) = ignore::parse(&text, ".keyhoundignore");
    let _ = ignored.entries.len();
    let _ = baseline::parse(&text, "baseline.json");
    let _ = file::parse_size(&text);
}

/// The largest loose object the git target inflates.
const LOOSE_MAX: u64 = 1 << 20;

/// keyhound's own git readers: the bounded loose-object check (over the
/// raw bytes, and over the bytes zlib-compressed so the object header
/// parser is reached) and the pre-push hook's input parser. Trees and packs
/// are read by libgit2 behind that guard.
pub fn git(data: &[u8]) {
    use keyhound::source::git::{check_stream, parse_pre_push};
    use std::io::Write;
    let _ = check_stream(data, LOOSE_MAX);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(data).expect("writes to a Vec");
    let compressed = z.finish().expect("writes to a Vec");
    let _ = check_stream(compressed.as_slice(), LOOSE_MAX);
    let _ = parse_pre_push(&String::from_utf8_lossy(data));
}

/// The decoders (base64, hex, percent, escapes, the built-in decryptions)
/// over arbitrary bytes, three layers deep as a scan goes: no panic, output
/// within its budget, every mapped span inside its parent.
pub fn decode(data: &[u8]) {
    use keyhound::decode;
    let layers = decode::layers(data, 3, true, |_| true);
    let total: usize = layers.iter().map(|l| l.text().len()).sum();
    assert!(total <= decode::budget(data.len()), "{total} bytes decoded");
    for l in &layers {
        let len = l.text().len();
        for r in l.fresh() {
            assert!(r.start <= r.end && r.end <= len, "{r:?} in {len}");
            let _ = l.map(r);
        }
    }
}

/// The archive readers (zip, tar, gzip, bzip2, xz, zstd, nested): any bytes,
/// named as each format would be, expand within the limits or end in a
/// warning.
pub fn archive(data: &[u8]) {
    use keyhound::source::archive::{Format, Limits, detect, expand};
    let limits = Limits {
        max_total: 8 << 20,
        max_member: 4 << 20,
        ..Limits::default()
    };
    let mut formats: Vec<(&str, Format)> = Vec::new();
    for name in ["a.zip", "a.tar", "a.gz", "a.bz2", "a.xz", "a.zst", "a.tgz"] {
        if let Some(f) = detect(name.as_bytes(), data) {
            formats.push((name, f));
        }
    }
    for (name, format) in formats {
        let mut seen = 0u64;
        let e = expand(name, format, data, &limits, None, &mut |m| {
            seen += m.bytes.len() as u64;
            assert!(!m.path.is_empty());
        });
        // UTF-16 members are handed on as UTF-8: at most 3 bytes for 2.
        assert!(seen <= limits.max_total / 2 * 3, "{seen} bytes from {name}");
        let _ = e.warnings.len();
    }
}

/// The CAM/STS answer readers: the `{"Response": ...}` envelope, then the
/// documented shapes of GetUserAppId, GetCallerIdentity and
/// GetSecurityLastUsed. A malformed answer is an error, never an owner.
pub fn cam(data: &[u8]) {
    use keyhound::verify::tencent::answer;
    use keyhound::verify::tencent::check::last_used_rows;
    use keyhound::verify::tencent::client::parse_envelope;
    let Ok(a) = parse_envelope(data) else {
        return;
    };
    if let Ok(o) = answer::app_id(&a.body) {
        assert!(o.uin.is_some() && o.owner_uin.is_some() && o.app_id.is_some());
    }
    if let Ok(o) = answer::caller_identity(&a.body) {
        assert!(o.arn.as_deref().is_some_and(|arn| arn.starts_with("qcs::")));
    }
    let _ = last_used_rows(&a.body);
}
