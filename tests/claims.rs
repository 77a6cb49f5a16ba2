//! Through the binary: what provider rules claim is never reported by the
//! generic rule; look-alikes inside encoded blocks are not SecretIds while a
//! key next to a `/` in a path still is; temporary credentials passed by
//! position keep their token; annotated tag messages are scanned. Every
//! value is invented here.

use crate::util::{TestEnv, fake, git};
use serde_json::Value;

fn findings(env: &TestEnv, args: &[&str]) -> Vec<Value> {
    let out = env
        .cmd()
        .args(args)
        .args(["-f", "json", "--show-secrets"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["findings"].as_array().unwrap().clone()
}

#[test]
fn generic_rules_never_report_what_a_provider_rule_claimed() {
    let env = TestEnv::new();
    // An API Gateway key (AKID + 36: the Tencent rules reject it) and the
    // secret labelled as its key.
    let gw = fake("AKID", 36, 1);
    let gw_secret = fake("", 40, 2);
    env.write(
        "gateway.py",
        format!("API_KEY_ID = \"{gw}\"\nconf = {{\"AccessKeySecret\": \"{gw_secret}\"}}\n"),
    );
    // Tencent's published documentation pair under generic labels.
    env.write(
        "docs/signing.md",
        "api_key = \"AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA\"\n\
         secret = \"Gu5t9xGARNpq86cd98joQYCN3Cozk1qA\"\n",
    );
    // An id the allowlist drops, under a generic label.
    env.write(
        "placeholder.env",
        "api_key = \"AKID0123456789abcdefghijklmnopqr12345\"\n",
    );
    assert_eq!(findings(&env, &["scan", "."]), Vec::<Value>::new());
    // A generic secret of its own is still reported.
    let own = fake("", 30, 3);
    env.write("app.py", format!("client_secret = \"{own}9/x\"\n"));
    let found = findings(&env, &["scan", "."]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["rule"], "generic.secret-assignment");
}

#[test]
fn secret_ids_inside_encoded_blocks_are_not_reported_but_paths_are() {
    let env = TestEnv::new();
    let id = fake("AKID", 32, 10);
    let blob = fake("", 120, 11);
    env.write(
        "package-lock.json",
        format!(
            "\"integrity\": \"sha512-{}/{id}+{}==\"\n",
            &blob[..20],
            &blob[..30]
        ),
    );
    env.write(
        "page.html",
        format!("<img src=\"data:image/png;base64,iVBORw0KG{id}/{blob}\">\n"),
    );
    env.write(
        "authorized_keys",
        format!("ssh-rsa AAAAB3NzaC1yc2E{id}+{blob} ops@host\n"),
    );
    env.write(
        "cert.pem",
        format!(
            "-----BEGIN CERTIFICATE-----\nMIIC{}\n{}/{id}/{}\n-----END CERTIFICATE-----\n",
            &blob[..60],
            &blob[..13],
            &blob[..13]
        ),
    );
    env.write(
        "app.js.map",
        format!("{{\"version\":3,\"mappings\":\"AAAA,SAAS;{id}+CAAC\"}}\n"),
    );
    env.write("blob.txt", format!("{blob}/{id}+{blob}\n"));
    assert_eq!(findings(&env, &["scan", "."]), Vec::<Value>::new());
    // Next to a `/` in a path or a URL, it is a key.
    let key = fake("", 32, 12);
    env.write(
        "deploy.sh",
        format!("curl https://api.example.com/v1/{id}/{key}/rotate\n"),
    );
    let found = findings(&env, &["scan", "."]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["secret"], id.as_str());
}

#[test]
fn temporary_credentials_passed_by_position_keep_their_token() {
    let env = TestEnv::new();
    let tid = format!(
        "{}-{}_{}",
        fake("AKID", 20, 20),
        fake("", 12, 21),
        fake("", 16, 22)
    );
    let old = fake("AKID", 32, 23);
    let key = format!("{}=", fake("", 43, 24));
    let token = format!(
        "{}-{}_{}",
        fake("", 60, 25),
        fake("", 40, 26),
        fake("", 70, 27)
    );
    let shapes = [
        (
            "Main.java",
            format!("Credential cred = new Credential(\"{tid}\", \"{key}\", \"{token}\");\n"),
        ),
        (
            "cos.java",
            format!(
                "COSCredentials c = new BasicSessionCredentials(\"{tid}\", \"{key}\", \"{token}\");\n"
            ),
        ),
        (
            "main.go",
            format!(
                "credential := common.NewTokenCredential(\n\t\"{old}\",\n\t\"{key}\",\n\t\"{token}\",\n)\n"
            ),
        ),
        (
            "app.py",
            format!("cred = credential.Credential(\"{old}\", \"{key}\", \"{token}\")\n"),
        ),
        (
            "index.js",
            format!("const cred = new Credential('{old}', '{key}', '{token}');\n"),
        ),
        (
            "client.php",
            format!("$cred = new Credential(\"{old}\", \"{key}\", \"{token}\");\n"),
        ),
        (
            "Program.cs",
            format!("Credential cred = new Credential(\"{tid}\", \"{key}\", \"{token}\");\n"),
        ),
        (
            "main.cpp",
            format!("Credential cred = Credential(\"{old}\", \"{key}\", \"{token}\");\n"),
        ),
    ];
    for (path, text) in &shapes {
        let env = TestEnv::new();
        env.write(path, text);
        let found = findings(&env, &["scan", "."]);
        assert_eq!(found.len(), 1, "{path}: {found:#?}");
        let f = &found[0];
        assert_eq!(f["rule"], "tencent.temporary-secret-id", "{path}");
        assert_eq!(f["key"], key.as_str(), "{path}");
        assert_eq!(f["token"], token.as_str(), "{path}");
    }
    // Two arguments only: a long-term pair, no token.
    env.write(
        "two.py",
        format!(
            "cred = credential.Credential(\"{old}\", \"{}\")\n",
            fake("", 32, 28)
        ),
    );
    let found = findings(&env, &["scan", "."]);
    assert_eq!(found[0]["rule"], "tencent.secret-id");
    assert!(found[0]["token"].is_null());
}

#[test]
fn annotated_tag_messages_are_scanned_and_said_to_be() {
    let env = TestEnv::new();
    let (id, key) = (fake("AKID", 32, 30), fake("", 32, 31));
    git(env.path(), &["init", "-q"]);
    env.write("a.txt", "hello\n");
    git(env.path(), &["add", "."]);
    git(env.path(), &["commit", "-qm", "first"]);
    let msg = format!("release 1.0\n\nsecret_id = {id}\nsecret_key = {key}\n");
    git(env.path(), &["tag", "-a", "v1.0", "-m", &msg]);
    let found = findings(&env, &["scan", "--git", "."]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let at = &found[0]["locations"][0];
    assert_eq!(at["kind"], "tag_message");
    assert_eq!(at["path"], "<tag v1.0 message>");
    assert_eq!(found[0]["key"], key.as_str());
    let human = env.run(&["scan", "--git", "."]);
    human.code(1).stdout_has("<tag v1.0 message>");
}

#[test]
fn an_id_split_by_concatenation_reads_whole_and_pairs_with_its_key() {
    let env = TestEnv::new();
    let (id, key) = (fake("AKID", 32, 40), fake("", 32, 41));
    let (a, b) = id.split_at(9);
    env.write(
        "config.js",
        format!("const SECRET_ID = '{a}' +\n  '{b}';\nconst SECRET_KEY = '{key}';\n"),
    );
    let found = findings(&env, &["scan", "."]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["secret"], id.as_str());
    assert_eq!(found[0]["key"], key.as_str());
    assert_eq!(found[0]["locations"][0]["decoded"][0], "concatenation");
}

#[test]
fn notes_and_stashes_are_scanned_with_the_history() {
    let env = TestEnv::new();
    let (id, key) = (fake("AKID", 32, 50), fake("", 32, 51));
    let (id2, key2) = (fake("AKID", 32, 52), fake("", 32, 53));
    git(env.path(), &["init", "-q"]);
    env.write("a.txt", "hello\n");
    git(env.path(), &["add", "."]);
    git(env.path(), &["commit", "-qm", "first"]);
    let note = format!("secret_id = {id}\nsecret_key = {key}\n");
    git(env.path(), &["notes", "add", "-m", &note]);
    env.write("a.txt", format!("secret_id = {id2}\nsecret_key = {key2}\n"));
    git(env.path(), &["stash", "-q"]);
    let found = findings(&env, &["scan", "--git", "."]);
    let pairs: Vec<(&str, &str)> = found
        .iter()
        .map(|f| (f["secret"].as_str().unwrap(), f["key"].as_str().unwrap()))
        .collect();
    assert!(
        pairs.contains(&(id.as_str(), key.as_str())),
        "note: {found:#?}"
    );
    assert!(
        pairs.contains(&(id2.as_str(), key2.as_str())),
        "stash: {found:#?}"
    );
}

#[test]
fn a_key_hidden_beside_a_plainly_written_id_pairs_with_it() {
    use base64::Engine as _;
    let env = TestEnv::new();
    let mut want = Vec::new();
    for (n, file) in ["split.js", "implicit.py", "k8s.yaml", "hex.txt"]
        .iter()
        .enumerate()
    {
        let (id, key) = (
            fake("AKID", 32, 60 + 2 * n as u64),
            fake("", 32, 61 + 2 * n as u64),
        );
        let (a, b) = key.split_at(16);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&key);
        let text = match *file {
            "split.js" => format!("const id = '{id}';\nconst key = '{a}' +\n  '{b}';\n"),
            "implicit.py" => format!("SECRET_ID = \"{id}\"\nSECRET_KEY = (\"{a}\"\n    \"{b}\")\n"),
            "k8s.yaml" => format!("stringData:\n  secretId: {id}\ndata:\n  secretKey: {b64}\n"),
            _ => hex::encode(format!("secret_id={id}\nsecret_key={key}\n")),
        };
        env.write(file, text);
        want.push((file.to_string(), id, key));
    }
    let found = findings(&env, &["scan", "."]);
    let got: Vec<(String, String, String)> = found
        .iter()
        .map(|f| {
            let at = f["locations"][0]["path"].as_str().unwrap();
            let file = at.rsplit('/').next().unwrap().to_string();
            (
                file,
                f["secret"].as_str().unwrap().into(),
                f["key"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    for w in &want {
        assert!(got.contains(w), "{w:?} not in {got:#?}");
    }
    assert_eq!(got.len(), want.len(), "{got:#?}");
}

#[test]
fn a_helm_release_secret_is_read_through_its_base64_and_gzip() {
    use base64::Engine as _;
    use std::io::Write as _;
    let env = TestEnv::new();
    let (id, key) = (fake("AKID", 32, 70), fake("", 32, 71));
    let release = format!(
        "{{\"name\":\"app\",\"config\":{{\"tencent\":{{\"secretId\":\"{id}\",\"secretKey\":\"{key}\"}}}},\"manifest\":\"{}\"}}",
        "apiVersion: v1\\n".repeat(40)
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(release.as_bytes()).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let data = b64.encode(b64.encode(gz.finish().unwrap()));
    env.write(
        "release.yaml",
        format!("kind: Secret\ntype: helm.sh/release.v1\ndata:\n  release: {data}\n"),
    );
    let found = findings(&env, &["scan", "."]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["secret"], id.as_str());
    assert_eq!(found[0]["key"], key.as_str());
    let chain = &found[0]["locations"][0]["decoded"];
    assert_eq!(chain, &serde_json::json!(["base64", "base64-gzip"]));
}
