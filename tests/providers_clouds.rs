//! The other clouds' live checks through the binary, each against its
//! emulator: Volcengine STS `GetCallerIdentity` (HMAC-SHA256 signature),
//! Huawei Cloud IAM `KeystoneListAuthDomains` (SDK-HMAC-SHA256), Baidu AI
//! Cloud BOS `ListBuckets` (bce-auth-v1).

use crate::cam::emulator::baidu::BaiduEmulator;
use crate::cam::emulator::huawei::HuaweiEmulator;
use crate::cam::emulator::volcengine::VolcengineEmulator;
use crate::util::{TestEnv, fake_in};
use base64::Engine as _;

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";

/// `(secret, outcome, account, name)` of every finding of `prefix`'s rules
/// after `scan --verify --provider-endpoint NAME=URL`, and the exit code.
fn verified(env: &TestEnv, endpoint: &str, prefix: &str) -> (Vec<[String; 4]>, i32) {
    let run = env.run(&[
        "scan",
        ".",
        "--verify",
        "-f",
        "json",
        "--show-secrets",
        "--provider-endpoint",
        endpoint,
    ]);
    let mut got: Vec<[String; 4]> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with(prefix))
        .map(|f| {
            let v = &f["verification"];
            let s = |x: &serde_json::Value| x.as_str().unwrap_or("-").to_string();
            [
                s(&f["secret"]),
                s(&v["outcome"]),
                s(&v["owner"]["owner_uin"]),
                s(&v["owner"]["name"]),
            ]
        })
        .collect();
    got.sort();
    (got, run.code)
}

#[test]
fn volcengine_keys_are_verified_with_get_caller_identity() {
    let em = VolcengineEmulator::start();
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let key = |seed| {
        (
            fake_in(ALNUM, "AKLT", 43, seed),
            b64(&b64(&fake_in(HEX, "", 32, seed + 1))),
        )
    };
    let (live, disabled, unknown, wrong) = (key(81), key(83), key(85), key(87));
    let (tid, tsecret) = (fake_in(ALNUM, "AKTP", 43, 89), fake_in(ALNUM, "", 56, 90));
    let token = fake_in(ALNUM, "STSeyJ", 200, 91);
    em.user_key(&live.0, &live.1, true, 2_100_000_001, "deploy")
        .user_key(&disabled.0, &disabled.1, false, 2_100_000_001, "old")
        .user_key(&wrong.0, &key(99).1, true, 2_100_000_001, "ci")
        .sts_key(&tid, &tsecret, &token, 2_100_000_001, "uploader");
    let env = TestEnv::new();
    for (dir, (id, secret)) in [
        ("a", &live),
        ("b", &disabled),
        ("c", &unknown),
        ("d", &wrong),
    ] {
        env.write(
            &format!("{dir}/volc.env"),
            format!("VOLC_ACCESSKEY={id}\nVOLC_SECRETKEY={secret}\n"),
        );
    }
    env.write(
        "e/sts.json",
        format!(
            "\"Credentials\": {{\n  \"AccessKeyId\": \"{tid}\",\n  \"SecretAccessKey\": \"{tsecret}\",\n  \"SessionToken\": \"{token}\"\n}}\n"
        ),
    );
    let (got, code) = verified(&env, &format!("volcengine={}", em.url()), "volcengine.");
    let row = |id: &str, outcome: &str, account: &str, name: &str| {
        [id.to_string(), outcome.into(), account.into(), name.into()]
    };
    let mut want = vec![
        row(&live.0, "live", "2100000001", "deploy"),
        row(&disabled.0, "not_live", "-", "-"),
        row(&unknown.0, "not_live", "-", "-"),
        row(&wrong.0, "wrong_key", "-", "-"),
        row(&tid, "live", "2100000001", "uploader/keyhound-test"),
    ];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(code, 1);
    assert_eq!(em.answered(), 2);
    for line in em.requests() {
        for secret in [&live.1, &disabled.1, &wrong.1, &tsecret] {
            assert!(!line.contains(secret.as_str()), "{line}");
        }
    }
}

#[test]
fn huawei_keys_are_verified_with_keystone_list_auth_domains() {
    let em = HuaweiEmulator::start();
    const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let key = |seed| {
        (
            fake_in(UPPER_DIGITS, "", 20, seed),
            fake_in(ALNUM, "", 40, seed + 1),
        )
    };
    let (live, unknown, wrong, temp) = (key(101), key(103), key(105), key(107));
    let token = fake_in(ALNUM, "gQpjbi1ub3J0aC00", 200, 109);
    let domain = "d78cbac186b744899480f25bd022f468";
    em.key(&live.0, &live.1, domain, "acme")
        .key(&wrong.0, &key(111).1, domain, "acme")
        .temporary_key(&temp.0, &temp.1, &token, domain, "acme");
    let env = TestEnv::new();
    for (dir, (ak, sk)) in [("a", &live), ("b", &unknown), ("c", &wrong)] {
        env.write(
            &format!("{dir}/main.tf"),
            format!(
                "provider \"huaweicloud\" {{\n  region     = \"cn-north-4\"\n  access_key = \"{ak}\"\n  secret_key = \"{sk}\"\n}}\n"
            ),
        );
    }
    env.write(
        "d/temporary.env",
        format!(
            "HUAWEICLOUD_SDK_AK={}\nHUAWEICLOUD_SDK_SK={}\nHUAWEICLOUD_SDK_SECURITY_TOKEN={token}\n",
            temp.0, temp.1
        ),
    );
    let (got, code) = verified(&env, &format!("huawei={}", em.url()), "huawei.");
    let row = |id: &str, outcome: &str, account: &str, name: &str| {
        [id.to_string(), outcome.into(), account.into(), name.into()]
    };
    let mut want = vec![
        row(&live.0, "live", domain, "acme"),
        row(&unknown.0, "not_live", "-", "-"),
        row(&wrong.0, "wrong_key", "-", "-"),
        row(&temp.0, "live", domain, "acme"),
    ];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(code, 1);
    assert_eq!(em.answered(), 2);
    // one request per key: a refusal is never repeated (Huawei locks an AK
    // after five failures in a row)
    assert_eq!(em.requests().len(), 4);
    for line in em.requests() {
        for secret in [&live.1, &wrong.1, &temp.1] {
            assert!(!line.contains(secret.as_str()), "{line}");
        }
    }
}

#[test]
fn baidu_keys_are_verified_with_the_bos_bucket_list() {
    let em = BaiduEmulator::start();
    let key = |seed| {
        (
            fake_in(ALNUM, "ALTAK", 21, seed),
            fake_in(HEX, "", 32, seed + 1),
        )
    };
    let (live, denied, unknown, wrong) = (key(121), key(123), key(125), key(127));
    let owner = "10eb6f5ff6ff4605bf044313e8f3ffa5";
    em.key(&live.0, &live.1, owner, "acme", true)
        .key(&denied.0, &denied.1, owner, "acme", false)
        .key(&wrong.0, &key(129).1, owner, "acme", true);
    let env = TestEnv::new();
    for (dir, (ak, sk)) in [("a", &live), ("b", &denied), ("c", &unknown), ("d", &wrong)] {
        env.write(
            &format!("{dir}/Bos.kt"),
            format!(
                "import com.baidubce.auth.DefaultBceCredentials\nval ACCESS_KEY_ID = \"{ak}\"\nval SECRET_ACCESS_KEY = \"{sk}\"\n"
            ),
        );
    }
    let (got, code) = verified(&env, &format!("baidu={}", em.url()), "baidu.");
    let row = |id: &str, outcome: &str, account: &str, name: &str| {
        [id.to_string(), outcome.into(), account.into(), name.into()]
    };
    let mut want = vec![
        row(&live.0, "live", owner, "acme"),
        // authenticated, not allowed to list buckets: live, owner unknown
        row(&denied.0, "live", "-", "-"),
        row(&unknown.0, "not_live", "-", "-"),
        row(&wrong.0, "wrong_key", "-", "-"),
    ];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(code, 1);
    assert_eq!(em.answered(), 1);
    for line in em.requests() {
        for secret in [&live.1, &denied.1, &wrong.1] {
            assert!(!line.contains(secret.as_str()), "{line}");
        }
    }
}
