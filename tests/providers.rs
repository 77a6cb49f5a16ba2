//! The clouds beside Tencent through the binary: Alibaba Cloud, Huawei Cloud,
//! Volcengine, Baidu AI Cloud and Qiniu credentials found where their SDKs,
//! environment variables and config files put them, each reported once with
//! its other half (and token), and each provider's documentation
//! placeholders left alone.

use crate::cam::emulator::alibaba::AlibabaEmulator;
use crate::cam::emulator::qiniu::QiniuEmulator;
use crate::util::{TestEnv, fake_in};
use base64::Engine as _;

const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";
const URLSAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `prefix` and `len` characters of `alphabet` derived from `seed`.
fn made(alphabet: &[u8], prefix: &str, len: usize, seed: u64) -> String {
    fake_in(alphabet, prefix, len, seed)
}

/// Four fields of a finding, as text (`-` when absent).
type Row = (String, String, String, String);

/// `(rule, secret, key, token)` of every finding, sorted.
fn found(env: &TestEnv) -> Vec<Row> {
    let run = env.run(&["scan", ".", "-f", "json", "--show-secrets"]);
    assert!(matches!(run.code, 0 | 1), "{run}");
    let mut got: Vec<_> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("-").to_string();
            (s("rule"), s("secret"), s("key"), s("token"))
        })
        .collect();
    got.sort();
    got
}

fn pair(rule: &str, id: &str, key: &str) -> Row {
    (rule.into(), id.into(), key.into(), "-".into())
}

#[test]
fn huawei_keys_are_found_where_the_sdks_and_terraform_put_them() {
    let env = TestEnv::new();
    let (ak, sk) = (made(UPPER_DIGITS, "", 20, 1), made(ALNUM, "", 40, 2));
    let (ak2, sk2) = (made(UPPER_DIGITS, "", 20, 3), made(ALNUM, "", 40, 4));
    let (ak3, sk3) = (made(UPPER_DIGITS, "", 20, 5), made(ALNUM, "", 40, 6));
    let (tak, tsk) = (made(UPPER_DIGITS, "", 20, 7), made(ALNUM, "", 40, 8));
    let token = made(URLSAFE, "gQpjbi1ub3J0aC00", 200, 9);
    let (iak, isk) = (made(UPPER_DIGITS, "", 20, 10), made(ALNUM, "", 40, 11));
    let itoken = made(URLSAFE, "gQpjbi1ub3J0aC00", 200, 12);
    // IAM's securitytokens answer names no Huawei word: the token does
    env.write(
        "iam.json",
        format!(
            "{{\"credential\": {{\"access\": \"{iak}\", \"expires_at\": \"2026-11-02T10:19:37.540000Z\", \"secret\": \"{isk}\", \"securitytoken\": \"{itoken}\"}}}}\n"
        ),
    );
    // the keys above the import that names Huawei
    env.write(
        "ecs.py",
        format!(
            "ak = \"{ak}\"\nsk = \"{sk}\"\n\nfrom huaweicloudsdkcore.auth.credentials import BasicCredentials\ncredentials = BasicCredentials(ak, sk, project_id)\n"
        ),
    );
    env.write(
        "main.go",
        format!(
            "auth := basic.NewCredentialsBuilder().\n    WithAk(\"{ak2}\").\n    WithSk(\"{sk2}\").\n    Build()\n"
        ),
    );
    env.write(
        "main.tf",
        format!(
            "provider \"huaweicloud\" {{\n  region     = \"cn-north-4\"\n  access_key = \"{ak3}\"\n  secret_key = \"{sk3}\"\n}}\n"
        ),
    );
    env.write(
        "temporary.env",
        format!(
            "HUAWEICLOUD_SDK_AK={tak}\nHUAWEICLOUD_SDK_SK={tsk}\nHUAWEICLOUD_SDK_SECURITY_TOKEN={token}\n"
        ),
    );
    // the signing guide's example pair, and values masked by hand
    env.write(
        "Signer.java",
        "private static final String AK = \"QTWAOYTTINDUT2QVKYUC\";\nprivate static final String SK = \"MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc\";\nBasicCredentials credentials = new BasicCredentials().withAk(AK).withSk(SK);\n",
    );
    env.write(
        "masked.env",
        "HUAWEICLOUD_SDK_AK=QTWAOYTTINDUT2QV****\nHUAWEICLOUD_SDK_SK=MFyfvK41ba2giqM7**********KGpownRZlmVmHc\n",
    );
    let mut want = vec![
        pair("huawei.access-key", &ak, &sk),
        pair("huawei.access-key", &ak2, &sk2),
        pair("huawei.access-key", &ak3, &sk3),
        (
            "huawei.temporary-access-key".into(),
            tak.clone(),
            tsk.clone(),
            token.clone(),
        ),
        (
            "huawei.temporary-access-key".into(),
            iak.clone(),
            isk.clone(),
            itoken.clone(),
        ),
    ];
    want.sort();
    assert_eq!(found(&env), want);
}

#[test]
fn alibaba_long_term_and_sts_keys_are_found_and_masked_docs_are_not() {
    let env = TestEnv::new();
    let (id, secret) = (made(ALNUM, "LTAI5t", 18, 11), made(ALNUM, "", 30, 12));
    let (sid, ssecret) = (made(ALNUM, "STS.", 25, 13), made(ALNUM, "", 44, 14));
    let token = made(ALNUM, "CAIS", 300, 15);
    env.write(
        "client.py",
        format!(
            "config = open_api_models.Config(\n    access_key_id='{id}',\n    access_key_secret='{secret}'\n)\n"
        ),
    );
    env.write(
        "sts.json",
        format!(
            "{{\"Credentials\": {{\n  \"AccessKeyId\": \"{sid}\",\n  \"AccessKeySecret\": \"{ssecret}\",\n  \"SecurityToken\": \"{token}\"\n}}}}\n"
        ),
    );
    env.write(
        "AssumeRole.md",
        "\"AccessKeyId\": \"STS.L4aBSCSJVMuKg5U1****\",\n\"AccessKeySecret\": \"wyLTSmsyPGP1ohvvw8xYgB29dlGI8KMiH2pK****\",\n\"SecurityToken\": \"****\"\nAccessKeyId: LTAI5tQ3x9Fz2mKp****\naccess_key_id = LTAI****************\n",
    );
    let mut want = vec![
        pair("alibaba.access-key-id", &id, &secret),
        (
            "alibaba.sts-access-key-id".into(),
            sid.clone(),
            ssecret.clone(),
            token.clone(),
        ),
    ];
    want.sort();
    assert_eq!(found(&env), want);
}

#[test]
fn volcengine_keys_pair_with_their_base64_secret_once() {
    let env = TestEnv::new();
    // a SecretAccessKey is base64 of base64 of hex: it decodes to text,
    // which must not make a second pairing of the same id
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let (id, secret) = (
        made(ALNUM, "AKLT", 43, 21),
        b64(&b64(&made(HEX, "", 32, 22))),
    );
    let (tid, tsecret) = (made(ALNUM, "AKTP", 43, 23), made(ALNUM, "", 56, 24));
    let token = made(ALNUM, "STSeyJ", 200, 25);
    env.write(
        "log.go",
        format!(
            "logService.Client.SetAccessKey(\"{id}\")\nlogService.Client.SetSecretKey(\"{secret}\")\n"
        ),
    );
    env.write(
        "sts.json",
        format!(
            "\"Credentials\": {{\n  \"AccessKeyId\": \"{tid}\",\n  \"SecretAccessKey\": \"{tsecret}\",\n  \"SessionToken\": \"{token}\"\n}}\n"
        ),
    );
    // the signing documentation's example pair
    env.write(
        "sign_test.ts",
        "const AK = 'AKLTYWViMTVmZGYzM2E0NDI5Mzk2MDZjNjFmMjc2MjRjMzg';\nconst SK = 'WkRZeE1EQmxPVGhsWWpWak5HVmtNbUUxTXpZeU9UVXlOMlE1TmpZeVlqTQ==';\n",
    );
    // BytePlus/Volcengine's IAM ListUsers signing example pair
    env.write(
        "sign_example.py",
        "AK = \"AKLTMjI2ODVlYzI3ZGY1NGU4ZjhjYWRjMTlmNTM5OTZkYzE\"\nSK = \"TnpCak5XWXpZV1U0WkRaaE5ERmxaR0ZpTmpjeVkyUXlZek0wTWpJMU1qWQ==\"\n",
    );
    let mut want = vec![
        pair("volcengine.access-key-id", &id, &secret),
        (
            "volcengine.temporary-access-key-id".into(),
            tid.clone(),
            tsecret.clone(),
            token.clone(),
        ),
    ];
    want.sort();
    assert_eq!(found(&env), want);
}

#[test]
fn baidu_and_qiniu_keys_are_found_beside_their_sdks_and_placeholders_are_not() {
    let env = TestEnv::new();
    let (altak, bsk) = (made(ALNUM, "ALTAK", 21, 31), made(HEX, "", 32, 32));
    let (hak, hsk) = (made(HEX, "", 32, 33), made(HEX, "", 32, 34));
    let (qak, qsk) = (made(URLSAFE, "", 40, 35), made(URLSAFE, "", 40, 36));
    let (qak2, qsk2) = (made(URLSAFE, "", 40, 37), made(URLSAFE, "", 40, 38));
    let (qak3, qsk3) = (made(URLSAFE, "", 40, 41), made(URLSAFE, "", 40, 42));
    let (hak2, hsk2) = (made(HEX, "", 32, 43), made(HEX, "", 32, 44));
    // Go's `:=` and PHP's `=>`
    env.write(
        "main.go",
        format!(
            "import \"github.com/qiniu/go-sdk/v7/auth/qbox\"\n\naccessKey := \"{qak3}\"\nsecretKey := \"{qsk3}\"\nmac := qbox.NewMac(accessKey, secretKey)\n"
        ),
    );
    env.write(
        "bos.php",
        format!(
            "$config = array(\n    'credentials' => array(\n        'ak' => '{hak2}',\n        'sk' => '{hsk2}',\n    ),\n    'endpoint' => 'https://bj.bcebos.com',\n);\n"
        ),
    );
    // ids seen only in signed requests
    let (signed_qak, signed_hak) = (made(URLSAFE, "", 40, 39), made(HEX, "", 32, 40));
    env.write(
        "Bos.scala",
        format!(
            "import com.baidubce.auth.DefaultBceCredentials\nval ACCESS_KEY_ID = \"{altak}\"\nval SECRET_ACCESS_KEY = \"{bsk}\"\n"
        ),
    );
    env.write(
        "Sts.java",
        format!(
            "private static final String ACCESS_KEY_ID = \"{hak}\";\nprivate static final String SECRET_ACCESS_KEY = \"{hsk}\";\nBceCredentials credentials = new DefaultBceCredentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY);\n"
        ),
    );
    env.write(
        "upload.js",
        format!(
            "var accessKey = '{qak}';\nvar secretKey = '{qsk}';\nvar mac = new qiniu.auth.digest.Mac(accessKey, secretKey);\n"
        ),
    );
    env.write(
        "upload.py",
        format!(
            "from qiniu import Auth\n\n# 需要填写你的 Access Key 和 Secret Key\naccess_key = '{qak2}'\nsecret_key = '{qsk2}'\nq = Auth(access_key, secret_key)\n"
        ),
    );
    // the SDK samples' and the signing documentation's placeholders
    env.write(
        "bos_sample_conf.py",
        "from baidubce.auth.bce_credentials import BceCredentials\nAK = 'Fill AK here'\nSK = 'Fill SK here'\n",
    );
    env.write(
        "token.md",
        format!(
            "AccessKey = \"MY_ACCESS_KEY\"\nSecretKey = \"MY_SECRET_KEY\"\nurl = \"http://rs.qiniu.com/move/bmV3ZG9jczpmaW5kX21hbi50eHQ=\"\nAuthorization: Qiniu {signed_qak}:FXsYh0wKHYPEsIAgdPD9OfjkeEM=\n"
        ),
    );
    env.write(
        "request.txt",
        format!(
            "Host: bj.bcebos.com\nAuthorization: bce-auth-v1/{signed_hak}/2015-07-03T09:28:13Z/1800/host;x-bce-date/4a1692dc4bab84f5801f79ea0c1fece3601cf73ecd94409d2a94b3942b971715\n"
        ),
    );
    let mut want = vec![
        pair("baidu.access-key-id", &altak, &bsk),
        pair("baidu.access-key", &hak, &hsk),
        pair("qiniu.access-key", &qak, &qsk),
        pair("qiniu.access-key", &qak2, &qsk2),
        pair("qiniu.access-key", &qak3, &qsk3),
        pair("baidu.access-key", &hak2, &hsk2),
    ];
    want.sort();
    assert_eq!(found(&env), want);
}

/// `scan --verify` against the STS emulator: `(secret, outcome, account, name)`
/// of every Alibaba finding, the exit code and stderr.
fn alibaba_verified(env: &TestEnv, em: &AlibabaEmulator) -> (Vec<Row>, i32, String) {
    let endpoint = format!("alibaba={}", em.url());
    let run = env.run(&[
        "scan",
        ".",
        "--verify",
        "-f",
        "json",
        "--show-secrets",
        "--provider-endpoint",
        &endpoint,
    ]);
    let mut got: Vec<_> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("alibaba."))
        .map(|f| {
            let v = &f["verification"];
            let s = |x: &serde_json::Value| x.as_str().unwrap_or("-").to_string();
            (
                s(&f["secret"]),
                s(&v["outcome"]),
                s(&v["owner"]["owner_uin"]),
                s(&v["owner"]["name"]),
            )
        })
        .collect();
    got.sort();
    (got, run.code, run.stderr)
}

#[test]
fn alibaba_keys_are_verified_with_get_caller_identity() {
    let em = AlibabaEmulator::start();
    let key = |seed| {
        (
            made(ALNUM, "LTAI5t", 18, seed),
            made(ALNUM, "", 30, seed + 1),
        )
    };
    let (live, disabled, unknown, wrong) = (key(41), key(43), key(45), key(47));
    let (sid, ssecret) = (made(ALNUM, "STS.", 25, 49), made(ALNUM, "", 44, 50));
    let token = made(ALNUM, "CAIS", 300, 51);
    em.user_key(&live.0, &live.1, true, "1234567890123456", "deploy")
        .user_key(&disabled.0, &disabled.1, false, "1234567890123456", "old")
        .user_key(
            &wrong.0,
            &made(ALNUM, "", 30, 99),
            true,
            "1234567890123456",
            "ci",
        )
        .sts_key(&sid, &ssecret, &token, "1234567890123456", "uploader");
    let env = TestEnv::new();
    for (dir, (id, secret)) in [
        ("a", &live),
        ("b", &disabled),
        ("c", &unknown),
        ("d", &wrong),
    ] {
        env.write(
            &format!("{dir}/config.py"),
            format!("access_key_id = '{id}'\naccess_key_secret = '{secret}'\n"),
        );
    }
    env.write(
        "e/sts.json",
        format!(
            "{{\"AccessKeyId\": \"{sid}\",\n \"AccessKeySecret\": \"{ssecret}\",\n \"SecurityToken\": \"{token}\"}}\n"
        ),
    );
    // one throttled answer first: the check is tried again
    em.fault_next(
        400,
        r#"{"Code":"Throttling.User","Message":"Request was denied due to user flow control.","RequestId":"T"}"#,
        1,
    );
    let (got, code, stderr) = alibaba_verified(&env, &em);
    let mut want = vec![
        (
            live.0.clone(),
            "live".into(),
            "1234567890123456".into(),
            "deploy".into(),
        ),
        (
            disabled.0.clone(),
            "not_live".into(),
            "-".into(),
            "-".into(),
        ),
        (unknown.0.clone(), "not_live".into(), "-".into(), "-".into()),
        (wrong.0.clone(), "wrong_key".into(), "-".into(), "-".into()),
        (
            sid.clone(),
            "live".into(),
            "1234567890123456".into(),
            "uploader/keyhound-test".into(),
        ),
    ];
    want.sort();
    assert_eq!(got, want, "{stderr}");
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(em.answered(), 2);
    // only signatures left the machine, never a secret
    for line in em.requests() {
        for secret in [&live.1, &disabled.1, &wrong.1, &ssecret] {
            assert!(!line.contains(secret.as_str()), "{line}");
        }
        // the check, then the live user's key asking RAM its own last use
        assert!(
            line.contains("Action=GetCallerIdentity")
                || line.contains("Action=GetAccessKeyLastUsed"),
            "{line}"
        );
    }
}

#[test]
fn a_provider_endpoint_that_is_not_loopback_http_is_refused_before_scanning() {
    let env = TestEnv::new();
    env.run(&[
        "scan",
        ".",
        "--verify",
        "--provider-endpoint",
        "alibaba=http://sts.example.com/",
    ])
    .code(2)
    .stderr_has("plain http is only allowed to a loopback address");
    env.run(&[
        "scan",
        ".",
        "--verify",
        "--provider-endpoint",
        "nimbus=https://x.example/",
    ])
    .code(2)
    .stderr_has("unknown provider \"nimbus\"");
}

#[test]
fn qiniu_keys_are_verified_with_the_bucket_list() {
    let em = QiniuEmulator::start();
    let pair = |seed| (made(URLSAFE, "", 40, seed), made(URLSAFE, "", 40, seed + 1));
    let (live, disabled, wrong) = (pair(61), pair(63), pair(65));
    em.key(&live.0, &live.1, true, &["assets"])
        .key(&disabled.0, &disabled.1, false, &[])
        .key(&wrong.0, &made(URLSAFE, "", 40, 99), true, &[]);
    let env = TestEnv::new();
    for (dir, (ak, sk)) in [("a", &live), ("b", &disabled), ("c", &wrong)] {
        env.write(
            &format!("{dir}/upload.py"),
            format!("from qiniu import Auth\nq = Auth('{ak}', '{sk}')\n"),
        );
    }
    let endpoint = format!("qiniu={}", em.url());
    let run = env.run(&[
        "scan",
        ".",
        "--verify",
        "-f",
        "json",
        "--show-secrets",
        "--provider-endpoint",
        &endpoint,
    ]);
    let mut got: Vec<(String, String)> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |x: &serde_json::Value| x.as_str().unwrap_or("-").to_string();
            (s(&f["secret"]), s(&f["verification"]["outcome"]))
        })
        .collect();
    got.sort();
    let mut want = vec![
        (live.0.clone(), "live".to_string()),
        (disabled.0.clone(), "not_live".to_string()),
        (wrong.0.clone(), "not_live".to_string()),
    ];
    want.sort();
    assert_eq!(got, want, "{run}");
    run.code(1);
    for head in em.requests() {
        assert!(head.starts_with("GET /buckets "), "{head}");
        for sk in [&live.1, &disabled.1, &wrong.1] {
            assert!(!head.contains(sk.as_str()), "{head}");
        }
    }
}
