//! Encoded and encrypted credentials through the binary: each real shape is
//! found, paired, located at its encoded span, named by its decoding chain
//! and fingerprinted as the same pair in plain text; the depth limit holds.

use crate::util::{RunExt, TestEnv, fake};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;

fn id() -> String {
    fake("AKID", 32, 901)
}

fn key() -> String {
    fake("", 32, 902)
}

fn b64(s: &str) -> String {
    STANDARD.encode(s)
}

/// One location of a finding, flattened.
#[derive(Debug)]
struct Loc {
    rule: String,
    fingerprint: String,
    paired: bool,
    token: bool,
    path: String,
    line: u64,
    column: u64,
    decoded: Vec<String>,
    decrypted: bool,
}

fn scan(env: &TestEnv, extra: &[&str]) -> Vec<Loc> {
    let out = env
        .cmd()
        .args(["scan", ".", "--format", "json"])
        .args(extra)
        .run();
    assert!(out.code < 2, "{out}");
    let doc: Value = out.json();
    let mut locs = Vec::new();
    for f in doc["findings"].as_array().unwrap() {
        for l in f["locations"].as_array().unwrap() {
            locs.push(Loc {
                rule: f["rule"].as_str().unwrap().to_string(),
                fingerprint: f["fingerprint"].as_str().unwrap().to_string(),
                paired: !f["key"].is_null(),
                token: !f["token"].is_null(),
                path: l["path"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("./")
                    .to_string(),
                line: l["line"].as_u64().unwrap(),
                column: l["column"].as_u64().unwrap(),
                decoded: l["decoded"]
                    .as_array()
                    .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default(),
                decrypted: l["decrypted"].as_bool().unwrap_or(false),
            });
        }
    }
    locs
}

fn at<'a>(locs: &'a [Loc], path: &str) -> Vec<&'a Loc> {
    locs.iter().filter(|l| l.path == path).collect()
}

/// (line, column) of the first byte of `needle` in `text`, 1-based.
fn position(text: &str, needle: &str) -> (u64, u64) {
    let off = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in {text}"));
    let before = &text[..off];
    let line = before.matches('\n').count() as u64 + 1;
    let col = before.rsplit('\n').next().unwrap().chars().count() as u64 + 1;
    (line, col)
}

/// The pair in plain text, for its fingerprint.
fn plain_fingerprint() -> String {
    let env = TestEnv::new();
    env.write(
        "plain.env",
        format!(
            "TENCENTCLOUD_SECRET_ID={}\nTENCENTCLOUD_SECRET_KEY={}\n",
            id(),
            key()
        ),
    );
    let locs = scan(&env, &[]);
    assert_eq!(locs.len(), 1, "{locs:?}");
    assert!(locs[0].paired && locs[0].decoded.is_empty());
    locs[0].fingerprint.clone()
}

/// Every shape: (file, contents, the encoded text the finding must point at,
/// the chain).
fn shapes() -> Vec<(&'static str, String, String, Vec<&'static str>)> {
    let (id, key) = (id(), key());
    let env_text = format!("TENCENTCLOUD_SECRET_ID={id}\nTENCENTCLOUD_SECRET_KEY={key}\n");
    let env_b64 = b64(&env_text);
    let long = format!("# prod\n{env_text}REGION=ap-guangzhou\n").repeat(3);
    let long_b64 = b64(&long);
    let wrapped: Vec<String> = long_b64
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    let tf_json = format!("{{\"secret_id\": \"{id}\", \"secret_key\": \"{key}\"}}");
    let tf_b64 = b64(&tf_json);
    let url_b64 = URL_SAFE_NO_PAD.encode(format!("??>>SecretId: {id}\n??>>SecretKey: {key}\n"));
    let form = format!("cfg=SecretId%3D{id}%26SecretKey%3D{key}%26Region%3Dap-guangzhou");
    let chat = format!(
        "{{\"role\": \"user\", \"content\": \"SecretId\\u003d{id}\\nSecretKey\\u003d{key}\"}}"
    );
    let nb_out = format!("{{\\\"SecretId\\\": \\\"{id}\\\", \\\"SecretKey\\\": \\\"{key}\\\"}}\\n");
    let nested_doc = format!("{{\"note\": \"SecretId\\u003d{id}\\nSecretKey\\u003d{key}\"}}");
    let nested = b64(&nested_doc);
    let double = b64(&b64(&env_text));
    let html = format!(
        "{{&quot;SecretId&quot;:&quot;{id}&quot;,&quot;SecretKey&quot;:&quot;{key}&quot;}}"
    );
    vec![
        (
            "k8s/secret.yaml",
            format!(
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tencent\ntype: Opaque\ndata:\n  \
                 TENCENTCLOUD_SECRET_ID: {}\n  TENCENTCLOUD_SECRET_KEY: {}\n",
                b64(&id),
                b64(&format!("{key}\n"))
            ),
            b64(&id),
            vec!["base64"],
        ),
        (
            "env.b64",
            format!("{env_b64}\n"),
            env_b64.clone(),
            vec!["base64"],
        ),
        (
            "backup/env.txt",
            format!("-----\n{}\n-----\n", wrapped.join("\n")),
            wrapped[0].clone(),
            vec!["base64"],
        ),
        (
            "main.tf",
            format!("locals {{\n  creds = jsondecode(base64decode(\"{tf_b64}\"))\n}}\n"),
            tf_b64.clone(),
            vec!["base64"],
        ),
        (
            "url-safe.txt",
            format!("blob={url_b64}\n"),
            url_b64.clone(),
            vec!["base64"],
        ),
        (
            "request.txt",
            format!(
                "POST /api HTTP/1.1\nContent-Type: application/x-www-form-urlencoded\n\n{form}\n"
            ),
            id.clone(),
            vec!["percent"],
        ),
        (
            "query.log",
            format!(
                "GET /cb?state=1&next=%2Fhome%3F{}\n",
                form.replace("cfg=", "")
            ),
            id.clone(),
            vec!["percent"],
        ),
        (
            "chat.json",
            format!("{{\"messages\": [{chat}]}}\n"),
            id.clone(),
            vec!["json-escape"],
        ),
        (
            "analysis.ipynb",
            format!(
                "{{\"cells\": [{{\"outputs\": [{{\"text\": [\"{nb_out}\"]}}], \"source\": [\"print(cfg)\"]}}]}}\n"
            ),
            id.clone(),
            // Pairs in the escaped text as it is: reported as plain.
            vec![],
        ),
        (
            "nested.txt",
            format!("payload: {nested}\n"),
            nested.clone(),
            vec!["base64", "json-escape"],
        ),
        (
            "double.yaml",
            format!("config: {double}\n"),
            double.clone(),
            vec!["base64", "base64"],
        ),
        (
            "obfuscated.js",
            format!(
                "const cfg = \"SecretId=\\u0041KID{}&SecretKey={key}\";\n",
                &id[4..]
            ),
            "\\u0041KID".to_string(),
            vec!["json-escape"],
        ),
        // Pairs in the escaped text as it is: reported as plain.
        (
            "page.html",
            format!("<div data-cfg=\"{html}\"></div>\n"),
            id.clone(),
            vec![],
        ),
    ]
}

#[test]
fn decode_every_shape_is_found_paired_located_and_fingerprinted_as_plain() {
    let plain = plain_fingerprint();
    let env = TestEnv::new();
    for (path, text, _, _) in shapes() {
        env.write(path, &text);
    }
    let locs = scan(&env, &[]);
    for (path, text, span, chain) in shapes() {
        let found = at(&locs, path);
        assert!(
            !found.is_empty(),
            "{path}: nothing found in\n{text}\n{locs:#?}"
        );
        for l in &found {
            assert!(l.paired, "{path}: not paired: {l:?}");
            assert_eq!(l.fingerprint, plain, "{path}: {l:?}");
            assert_eq!(l.decoded, chain, "{path}: {l:?}");
            assert!(!l.decrypted, "{path}");
        }
        assert_eq!(
            (found[0].line, found[0].column),
            position(&text, &span),
            "{path}: not at the encoded span"
        );
    }
}

#[test]
fn decode_depth_is_a_limit_and_zero_turns_decoding_off() {
    let env = TestEnv::new();
    for (path, text, _, _) in shapes() {
        env.write(path, &text);
    }
    let nested = |locs: &[Loc]| at(locs, "nested.txt").iter().any(|l| l.paired);
    assert!(nested(&scan(&env, &["--decode-depth", "2"])));
    // One level only: the base64 is decoded, its escapes are not, so
    // `SecretId\u003dAKID…` shows no id (it is glued to the escape).
    let one = scan(&env, &["--decode-depth", "1"]);
    assert!(!nested(&one), "{one:#?}");
    assert!(at(&one, "env.b64").iter().any(|l| l.paired));
    let off = scan(&env, &["--decode-depth", "0"]);
    assert!(off.iter().all(|l| l.decoded.is_empty()), "{off:#?}");
    for path in [
        "k8s/secret.yaml",
        "env.b64",
        "main.tf",
        "nested.txt",
        "chat.json",
    ] {
        assert!(at(&off, path).is_empty(), "{path} found with decoding off");
    }
    env.cmd()
        .args(["scan", ".", "--decode-depth", "9"])
        .assert()
        .code(2);
}

#[test]
fn decode_garbage_never_panics_and_finds_nothing() {
    let env = TestEnv::new();
    let mut noise = Vec::new();
    let mut x: u64 = 7;
    for _ in 0..400_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let alphabet =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=%\\&;#\nxu";
        noise.push(alphabet[(x % alphabet.len() as u64) as usize]);
    }
    env.write("noise.txt", &noise);
    env.write(
        "runs.txt",
        format!("{}\n{}\n", "QUtJRA".repeat(10_000), "%4".repeat(5000)),
    );
    env.write(
        "escapes.js",
        "s = \"\\u12\\uD83D\\x4\\\\\\\"AKID\\\n".repeat(3000),
    );
    let locs = scan(&env, &[]);
    assert!(locs.is_empty(), "{locs:#?}");
}

#[test]
fn decode_encrypted_tool_configs_report_one_decrypted_credential() {
    let env = TestEnv::new();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/decode");
    for f in ["access.yaml", "cos.yaml", "cos-temporary.yaml"] {
        let text = std::fs::read_to_string(format!("{fixtures}/{f}")).unwrap();
        env.write(&format!(".s/{f}"), text);
    }
    env.write(
        "plain.ini",
        "secret_id = AKIDw4Tq8Lz2Rk6Ym9Xb3Vn7Hc1Pd5Gj0Fs8\nsecret_key = Nv5Qb9Wm2Lt7Xk4Rz8Yc3Hd6Jp1Gf0Sa\n",
    );
    let locs = scan(&env, &[]);
    let plain = at(&locs, "plain.ini");
    assert_eq!(plain.len(), 1, "{locs:#?}");
    for (f, line, chain) in [
        (".s/access.yaml", 5, "serverless-devs-aes"),
        (".s/cos.yaml", 3, "coscli-aes"),
    ] {
        let found = at(&locs, f);
        assert_eq!(found.len(), 1, "{f}: {locs:#?}");
        let l = found[0];
        assert!(l.paired && l.decrypted, "{f}: {l:?}");
        assert_eq!(l.decoded, vec![chain]);
        assert_eq!(l.line, line, "{f}: the line of the encrypted SecretId");
        assert_eq!(l.fingerprint, plain[0].fingerprint, "{f}");
    }
    let tmp = at(&locs, ".s/cos-temporary.yaml");
    assert_eq!(tmp.len(), 1, "{locs:#?}");
    assert_eq!(tmp[0].rule, "tencent.temporary-secret-id");
    assert!(tmp[0].paired && tmp[0].token && tmp[0].decrypted);
}

#[test]
fn decode_chain_shows_in_human_and_sarif() {
    let env = TestEnv::new();
    let (_, text, _, _) = shapes().into_iter().find(|s| s.0 == "nested.txt").unwrap();
    env.write("nested.txt", &text);
    let human = env.cmd().args(["scan", "."]).run();
    let human = human.stdout;
    assert!(human.contains("(decoded: base64 → json-escape)"), "{human}");
    assert!(!human.contains(&key()), "the key leaked: {human}");
    let sarif = env.cmd().args(["scan", ".", "-f", "sarif"]).run();
    let doc: Value = sarif.json();
    let props = &doc["runs"][0]["results"][0]["properties"];
    assert_eq!(
        props["decoded"],
        serde_json::json!(["base64", "json-escape"])
    );
    assert_eq!(props["decrypted"], serde_json::json!(false));
    let region = &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 1);
    assert_eq!(region["startColumn"], 10);
}

#[test]
fn decode_html_entities_let_a_positional_key_pair() {
    // A lower-case key is taken only as the next argument, which the
    // entities hide until decoded.
    let key = fake("", 32, 903).to_lowercase();
    let env = TestEnv::new();
    let text = format!(
        "<pre>cred = credential.Credential(&quot;{}&quot;, &quot;{key}&quot;)</pre>\n",
        id()
    );
    env.write("doc.html", &text);
    let locs = scan(&env, &[]);
    assert_eq!(locs.len(), 1, "{locs:#?}");
    assert!(locs[0].paired, "{locs:#?}");
    assert_eq!(locs[0].decoded, vec!["html-entity"]);
    assert_eq!((locs[0].line, locs[0].column), position(&text, &id()));
    let off = scan(&env, &["--decode-depth", "0"]);
    assert!(off.iter().all(|l| !l.paired), "{off:#?}");
}
