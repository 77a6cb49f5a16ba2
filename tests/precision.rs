//! Precision on documentation-shaped text, through the binary: each way
//! Tencent's own docs show a SecretId that is not a leaked credential stays
//! quiet, and the leaks that sit among them (demo-code pairs, expired STS
//! triples in API response examples) are still found, one finding each.

use crate::util::{RunExt, TestEnv, fake};

fn id(seed: u64) -> String {
    fake("AKID", 32, seed)
}

fn key(seed: u64) -> String {
    fake("", 32, seed + 500)
}

fn temporary_id(seed: u64) -> String {
    format!(
        "AKID{}-{}_{}",
        fake("", 24, seed),
        fake("", 20, seed + 1),
        fake("", 20, seed + 2)
    )
}

/// `(path, rule, secret, key, token?, locations)` of every Tencent finding.
fn tencent(env: &TestEnv) -> Vec<(String, String, String, String, bool, usize)> {
    let out = env
        .cmd()
        .args(["scan", ".", "-f", "json", "--show-secrets"])
        .run();
    assert!(matches!(out.code, 0 | 1), "{out}");
    let doc: serde_json::Value = out.json();
    let mut got: Vec<_> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("tencent."))
        .map(|f| {
            let path = f["locations"][0]["path"].as_str().unwrap();
            (
                path.trim_start_matches("./").to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["secret"].as_str().unwrap().to_string(),
                f["key"].as_str().unwrap_or("<none>").to_string(),
                !f["token"].is_null(),
                f["locations"].as_array().unwrap().len(),
            )
        })
        .collect();
    got.sort();
    got
}

#[test]
fn documentation_shapes_that_are_not_leaks_are_not_reported() {
    let env = TestEnv::new();
    let (tid, token) = (temporary_id(10), fake("", 90, 13));
    let docs: Vec<(&str, String)> = vec![
        (
            "presigned.md",
            format!(
                "![](https://doc-1258344699.cos.ap-guangzhou.myqcloud.com/a.png?q-sign-algorithm=sha1&q-ak={tid}&q-sign-time=1676448696;1676452296&q-key-time=1676448696;1676452296&q-header-list=host&q-url-param-list=&q-signature=2b1c0f&x-cos-security-token={token})\n"
            ),
        ),
        (
            "moderation.json",
            format!(
                "{{\"Url\": \"https://cos.ap-guangzhou.myqcloud.com/b-1251001047/a.mp3?X-Amz-Algorithm=AWS4-HMAC-SHA256&amp;X-Amz-Credential={tid}%2F20230817%2Fap-guangzhou%2Fs3%2Faws4_request&amp;X-Amz-Date=20230817T024944Z&amp;X-Amz-Security-Token={token}&amp;X-Amz-Signature=9f3e\"}}\n"
            ),
        ),
        (
            "cos-auth.md",
            format!(
                "GET /?acl HTTP/1.1\nHost: examplebucket-1250000000.cos.ap-beijing.myqcloud.com\nAuthorization: q-sign-algorithm = sha1 & q-ak = {} & q-sign-time = 1484724784; 32557620784 & q-key-time = 1484724784; 32557620784 & q-header-list = host & q-url-param-list = acl & q-signature = 785d6\n",
                id(11)
            ),
        ),
        (
            "post-policy.md",
            format!(
                "{{ \"conditions\": [\n  {{\"q-sign-algorithm\": \"sha1\" }},\n  {{\"q-ak\": \"{}\" }},\n  {{\"q-sign-time\": \"1480932292;1481012298\" }}\n]}}\n",
                id(12)
            ),
        ),
        (
            "signed-v1.md",
            format!(
                "```\nhttps://cam.api.qcloud.com/v2/index.php\n?SignatureMethod=HmacSHA256\n&Action=ListUsers\n&Region=gz\n&SecretId={}\n&RequestClient=SDK_PHP_1.1\n&Signature=VuPUIgv4nQG6h83dECMIMzu%3D\n```\n",
                id(13)
            ),
        ),
        (
            "monitor.md",
            format!(
                "#curl -k \"https://monitor.api.qcloud.com/v2/index.php?Action=GetMonitorData\n&SecretId={}\n&Nonce=34872\n&Timestamp=1457431571\n&Region=gz\n",
                id(14)
            ),
        ),
        (
            "audit.json",
            format!(
                "{{\"input\": \"https://cloudaudit.tencentcloudapi.com/?Action=LookUpEvents\\n&LookupAttributes.0.AttributeKey=AccessKeyId\\n&LookupAttributes.0.AttributeValue={}\\n&StartTime=1553056487\"}}\n",
                id(15)
            ),
        ),
        (
            "last_used_test.go",
            format!(
                "const testAcc = `\ndata \"tencentcloud_cam_secret_last_used_time\" \"t\" {{\n  secret_id_list = [\"{}\"]\n}}\n`\n",
                id(16)
            ),
        ),
        (
            "AddProduct.md",
            format!(
                "      \"UpdateTime\": \"2018-07-05 21:02:06\",\n      \"Username\": \"{}\",\n      \"Password\": \"E4udpi9C7GrfuMGDCVa5qQ20k6eVlyCSbroIG0eF7Gs=\"\n",
                id(17)
            ),
        ),
        (
            "masked.md",
            format!(
                "SecretId: {}******\nsecretId={}...\n",
                id(18),
                temporary_id(19)
            ),
        ),
        (
            "api.json",
            format!(
                "{{\"document\": \"临时SecretId\",\n \"example\": \"{}\",\n \"name\": \"TmpSecretId\"}}\n",
                &temporary_id(20)[..51]
            ),
        ),
        (
            "placeholder.tf",
            format!(
                "  tmp_secret_id  = \"{}12345\"\n  tmp_secret_key = \"{}abcdef\"\n",
                fake("AKID", 27, 21),
                fake("", 26, 21)
            ),
        ),
        (
            "backup.py",
            format!(
                "SECRET_ID = os.getenv('secretid') #'{}'\nSECRET_KEY = os.getenv('secretkey') #'xxx{}xxxxx'\n",
                id(22),
                fake("", 24, 22)
            ),
        ),
        (
            "signing-doc.md",
            "SecretId： AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA\nSecretKey： Gu5t9xGARNpq86cd98joQYCN3Cozk1qA\n\n| SecretId | AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA |\n"
                .to_string(),
        ),
        (
            "upload.m",
            format!(
                "param.secretId  = @\"{}\";   // your SecretId\nparam.signature = _signature;\n",
                id(23)
            ),
        ),
    ];
    for (path, text) in &docs {
        env.write(path, text);
    }
    assert_eq!(tencent(&env), vec![]);
}

#[test]
fn leaks_among_documentation_are_still_found_once_each() {
    let env = TestEnv::new();
    // A demo with a random-looking pair, the id also shown alone elsewhere.
    let (i, k) = (id(30), key(30));
    env.write(
        "demo.py",
        format!(
            "from tencentcloud.common import credential\ncred = credential.Credential(\"{i}\", \"{k}\")\n"
        ),
    );
    env.write("header.md", format!("X-Secret-ID:{i}\n"));
    // An expired STS triple in an API response example, old-style id.
    let (sid, skey, stoken) = (id(31), key(31), fake("", 45, 31));
    env.write(
        "sts.md",
        format!(
            "{{\n \"data\": {{\n  \"credentials\": {{\n   \"sessionToken\": \"{stoken}\",\n   \"tmpSecretId\": \"{sid}\",\n   \"tmpSecretKey\": \"{skey}\"\n  }},\n  \"expiredTime\": 1530515889\n }}\n}}\n"
        ),
    );
    // The current style, key and token more than six lines from the id.
    let (tid, tkey, ttoken) = (
        temporary_id(32),
        format!("{}+{}=", fake("", 20, 35), fake("", 22, 36)),
        fake("", 120, 37),
    );
    let filler: String = (0..6)
        .map(|n| format!("        \"Field{n}\": \"v{n}\",\n"))
        .collect();
    env.write(
        "DescribeSTS.md",
        format!(
            "{{\n    \"Response\": {{\n        \"TmpSecretId\": \"{tid}\",\n{filler}        \"TmpSecretKey\": \"{tkey}\",\n        \"Token\": \"{ttoken}\"\n    }}\n}}\n"
        ),
    );
    // A Java class with the key many fields below the id.
    let (ji, jk) = (id(33), key(33));
    let fields: String = (0..10)
        .map(|n| format!("    private int timeout{n} = {n};\n"))
        .collect();
    env.write(
        "src/CosConfig.java",
        format!(
            "public class CosConfig {{\n    private String secretId = \"{ji}\";\n{fields}    private String secretKey = \"{jk}\";\n}}\n"
        ),
    );
    let tmp = "tencent.temporary-secret-id".to_string();
    let long = "tencent.secret-id".to_string();
    assert_eq!(
        tencent(&env),
        vec![
            ("DescribeSTS.md".into(), tmp.clone(), tid, tkey, true, 1),
            ("demo.py".into(), long.clone(), i, k, false, 2),
            ("src/CosConfig.java".into(), long, ji, jk, false, 1),
            ("sts.md".into(), tmp, sid, skey, true, 1),
        ]
    );
}
