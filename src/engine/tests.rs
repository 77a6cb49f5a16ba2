//! Engine behaviour over the built-in rules: Tencent pairing in every shape
//! the product promises, what must not be reported, dedup and order.

use super::*;
use crate::rule::RuleSet;

/// An invented alphanumeric value of `len` characters from `seed`.
fn fake(prefix: &str, len: usize, seed: u64) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut s = String::from(prefix);
    for _ in 0..len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.push(ALNUM[(x % 62) as usize] as char);
    }
    s
}

fn id(seed: u64) -> String {
    fake("AKID", 32, seed)
}

fn key(seed: u64) -> String {
    fake("", 32, seed + 1000)
}

/// The built-in engine, built once for all tests (it is `Sync`).
fn engine() -> &'static Engine {
    static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(&RuleSet::builtin()).unwrap())
}

/// `(rule id, secret, key, token)` of every match in `text`.
fn scan(text: &str) -> Vec<(String, String, Option<String>, Option<String>)> {
    scan_at(text, None)
}

fn scan_at(
    text: &str,
    path: Option<&str>,
) -> Vec<(String, String, Option<String>, Option<String>)> {
    let e = engine();
    let mut cache = e.cache();
    let mut out = Vec::new();
    e.scan(&mut cache, path, text.as_bytes(), &mut out);
    let s = |r: &Range<usize>| text[r.clone()].to_string();
    out.iter()
        .map(|m| {
            (
                e.rules().rules[m.rule].id.clone(),
                s(&m.secret),
                m.key.as_ref().map(s),
                m.token.as_ref().map(s),
            )
        })
        .collect()
}

/// The (id, key) pairs found by `tencent.secret-id`.
fn pairs(text: &str) -> Vec<(String, Option<String>)> {
    scan(text)
        .into_iter()
        .filter(|m| m.0 == "tencent.secret-id")
        .map(|m| (m.1, m.2))
        .collect()
}

#[test]
fn engine_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Engine>();
}

#[test]
fn pairs_in_every_layout() {
    let (i, k) = (id(1), key(1));
    let layouts = [
        format!("SecretId: {i} SecretKey: {k}"),
        format!("secret_id = \"{i}\"\nsecret_key = \"{k}\"\n"),
        format!("secret_key = \"{k}\"\nsecret_id = \"{i}\"\n"),
        format!("SecretId:\n  {i}\nSecretKey:\n  {k}\n"),
        format!("cred = credential.Credential(\"{i}\", \"{k}\")"),
        format!("credential := common.NewCredential(\n\t\t\"{i}\",\n\t\t\"{k}\",\n\t)"),
        format!("Credential cred = new Credential(\"{i}\", \"{k}\");"),
        format!("COSCredentials c = new BasicCOSCredentials(\"{i}\", \"{k}\");"),
        format!("TENCENTCLOUD_SECRET_ID={i}\nTENCENTCLOUD_SECRET_KEY={k}\n"),
        format!("{{\n  \"secretId\": \"{i}\",\n  \"secretKey\": \"{k}\"\n}}"),
        format!(
            "secret_id: {i}\nregion: ap-beijing\nzone: ap-beijing-3\nbucket: b-1300000000\nretries: 3\nsecret_key: {k}\n"
        ),
        format!(
            "public static final String Ak = \"{i}\";\npublic static final String Sk = \"{k}\";"
        ),
        format!("# cos-secret-id {i}\n# cos-secret-key {k}\n"),
        format!("<secretId>{i}</secretId>\n<secretKey>{k}</secretKey>"),
    ];
    for text in &layouts {
        assert_eq!(pairs(text), vec![(i.clone(), Some(k.clone()))], "{text}");
    }
}

#[test]
fn several_pairs_each_get_their_own_key() {
    let mut text = String::new();
    for n in 0..4 {
        text += &format!(
            "[profile{n}]\nsecret_id = {}\nsecret_key = {}\n",
            id(n),
            key(n)
        );
    }
    text += &format!(
        "c = Credential(\"{}\", \"{}\")\nd = Credential(\"{}\", \"{}\")\n",
        id(7),
        key(7),
        id(8),
        key(8)
    );
    let want: Vec<_> = [0, 1, 2, 3, 7, 8]
        .iter()
        .map(|&n| (id(n), Some(key(n))))
        .collect();
    assert_eq!(pairs(&text), want);
}

#[test]
fn labels_keep_numbered_and_prefixed_pairs_apart() {
    let text = format!(
        "secret_id_1 = {}\nsecret_id_2 = {}\nsecret_key_1 = {}\nsecret_key_2 = {}\n",
        id(11),
        id(12),
        key(11),
        key(12)
    );
    assert_eq!(
        pairs(&text),
        vec![(id(11), Some(key(11))), (id(12), Some(key(12)))]
    );
    let text = format!(
        "COS_SECRET_ID={}\nCVM_SECRET_ID={}\nCOS_SECRET_KEY={}\nCVM_SECRET_KEY={}\n",
        id(13),
        id(14),
        key(13),
        key(14)
    );
    assert_eq!(
        pairs(&text),
        vec![(id(13), Some(key(13))), (id(14), Some(key(14)))]
    );
}

#[test]
fn ids_without_keys_are_still_found() {
    let i = id(3);
    assert_eq!(pairs(&format!("SecretId: {i}\n")), vec![(i.clone(), None)]);
    let env =
        format!("cred = credential.Credential(\"{i}\", os.environ[\"TENCENTCLOUD_SECRET_KEY\"])\n");
    assert_eq!(pairs(&env), vec![(i, None)]);
}

#[test]
fn hashes_and_words_are_keys_only_when_labelled() {
    let i = id(4);
    let md5 = "9e107d9d372bb6826bd81d3542a419d6";
    let text = format!("SecretId = \"{i}\"\nchecksum = \"{md5}\"\n");
    assert_eq!(pairs(&text), vec![(i.clone(), None)]);
    let text = format!("SecretId = \"{i}\"\nname = \"TencentCloudSdkExceptionHandlers\"\n");
    assert_eq!(pairs(&text), vec![(i.clone(), None)]);
    let text = format!("SecretId = \"{i}\"\nSecretKey = \"{md5}\"\n");
    assert_eq!(pairs(&text), vec![(i, Some(md5.to_string()))]);
}

#[test]
fn values_labelled_as_something_else_are_not_keys() {
    let i = id(31);
    for label in ["RequestId", "x_md5", "sessionToken", "user_password"] {
        let text = format!("SecretId = \"{i}\"\n{label} = \"{}\"\n", key(31));
        assert_eq!(pairs(&text), vec![(i.clone(), None)], "{label}");
    }
    // A signature next to an unpaired id: the request was signed elsewhere.
    let text = format!("SecretId = \"{i}\"\nSignature = \"{}\"\n", key(31));
    assert_eq!(pairs(&text), vec![]);
    let text = format!("Credential(\"{i}\", \"{}\")  # request_id", key(31));
    assert_eq!(pairs(&text), vec![(i, Some(key(31)))]);
}

#[test]
fn not_reported() {
    let k = key(5);
    let texts = [
        format!("SecretId: AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE\nSecretKey: {k}"),
        "secret_id = AKIDxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx".to_string(),
        "secret_id = AKID1111111111111111111111111111111a".to_string(),
        format!("token = x{}", id(5)),
        format!("token = {}q", id(5)),
        format!(
            "ApiAppKey: {} ApiAppSecret: {}",
            fake("AKID", 36, 5),
            fake("", 40, 5)
        ),
        format!("url?Action=X&SecretId={}&Nonce=1&Signature=abc%3D", id(5)),
        format!(
            "Credential={}/2019-02-25/cvm/tc3_request, Signature=ab",
            id(5)
        ),
    ];
    for t in &texts {
        let tencent: Vec<_> = scan(t)
            .into_iter()
            .filter(|m| m.0.starts_with("tencent."))
            .collect();
        assert!(tencent.is_empty(), "{t}: {tencent:?}");
    }
}

#[test]
fn signed_request_ids_are_reported_when_a_key_pairs() {
    let (i, k) = (id(6), key(6));
    let text = format!("url?SecretId={i}&Signature=abc\nSecretKey={k}\n");
    assert_eq!(pairs(&text), vec![(i, Some(k))]);
}

#[test]
fn temporary_credentials_are_one_finding() {
    let tid = format!(
        "AKID{}-{}_{}",
        fake("", 20, 9),
        fake("", 20, 10),
        fake("", 24, 11)
    );
    let tkey = format!("{}/{}=", fake("", 21, 12), fake("", 21, 13));
    let token = format!("{}-{}", fake("", 60, 14), fake("", 80, 15));
    let text = format!(
        "{{\"Credentials\": {{\n  \"TmpSecretId\": \"{tid}\",\n  \"TmpSecretKey\": \"{tkey}\",\n  \"Token\": \"{token}\"\n}}}}"
    );
    let got = scan(&text);
    assert_eq!(
        got,
        vec![(
            "tencent.temporary-secret-id".to_string(),
            tid,
            Some(tkey),
            Some(token)
        )]
    );
}

#[test]
fn other_providers_pair_too() {
    let aws_id = format!(
        "AKIA{}",
        fake("", 16, 19)
            .to_ascii_uppercase()
            .replace(['0', '1', '8', '9'], "Q")
    );
    let aws_key = format!("{}/{}", fake("", 20, 20), fake("", 19, 21));
    let text = format!("aws_access_key_id = {aws_id}\naws_secret_access_key = {aws_key}\n");
    let got = scan(&text);
    assert_eq!(
        got[0],
        ("aws.access-key-id".into(), aws_id, Some(aws_key), None)
    );
    let ali_id = fake("LTAI", 20, 22);
    let ali_key = fake("", 30, 23);
    let text = format!("accessKeyId: {ali_id}\naccessKeySecret: {ali_key}\n");
    let got = scan(&text);
    assert_eq!(
        got[0],
        ("alibaba.access-key-id".into(), ali_id, Some(ali_key), None)
    );
}

#[test]
fn paired_keys_are_not_reported_again_by_other_rules() {
    let (i, k) = (id(30), key(30));
    let got = scan(&format!("secret_id = \"{i}\"\nsecret_key = \"{k}\"\n"));
    assert_eq!(got.len(), 1, "{got:?}");
}

#[test]
fn output_is_sorted_and_deduplicated() {
    let (a, b) = (id(40), id(41));
    let text = format!("{b}\n{a}\n{b}\n");
    let got: Vec<String> = scan(&text).into_iter().map(|m| m.1).collect();
    assert_eq!(got, vec![b.clone(), a, b]);
}

#[test]
fn windows_stay_near_keyword_hits() {
    let i = id(50);
    let mut text = "filler line without anything\n".repeat(1000);
    text += &format!("SecretId: {i}\n");
    text += &"x".repeat(20_000);
    text += &format!(" akid {}\n", id(51));
    let got: Vec<String> = scan(&text).into_iter().map(|m| m.1).collect();
    assert_eq!(got, vec![i, id(51)]);
}

#[test]
fn path_rules_and_path_allowlists_apply() {
    let mut set = RuleSet::builtin();
    for r in &mut set.rules {
        if r.id == "tencent.secret-id" {
            r.allow.paths = vec![r"(^|/)vendor/".into()];
        }
        if r.id == "github.personal-access-token" {
            r.path = Some(r"\.env$".into());
        }
    }
    let e = Engine::new(&set).unwrap();
    let text = format!("{} {}", id(60), fake("ghp_", 36, 61));
    let rules_at = |path: Option<&str>| {
        let mut c = e.cache();
        let mut out = Vec::new();
        e.scan(&mut c, path, text.as_bytes(), &mut out);
        out.iter()
            .map(|m| e.rules().rules[m.rule].id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        rules_at(Some("vendor/a.env")),
        vec!["github.personal-access-token"]
    );
    assert_eq!(rules_at(Some("src/a.py")), vec!["tencent.secret-id"]);
    assert_eq!(rules_at(None), vec!["tencent.secret-id"]);
}

#[test]
fn build_errors_name_the_rule() {
    let mut set = RuleSet::builtin();
    set.rules[0].pattern = "(unclosed".into();
    let id = set.rules[0].id.clone();
    let err = Engine::new(&set).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("rule {id}: invalid pattern: pattern:")),
        "{err}"
    );
}

#[test]
fn keywords_match_across_chunk_boundaries_and_any_case() {
    for shift in 0..6 {
        let i = id(70 + shift as u64);
        let mut text = "z".repeat(CHUNK - 3 + shift);
        text.push(' ');
        text += &i;
        text += "\n";
        assert_eq!(pairs(&text), vec![(i, None)], "shift {shift}");
    }
    let value = "Xq7/Lm2+Tz9Rb4Wk1Ny6Pc3Hv8Jd5G";
    for label in ["CLIENT_SECRET", "client_secret", "Client_Secret"] {
        let got = scan(&format!("{label} = \"{value}\"\n"));
        assert_eq!(got.len(), 1, "{label}");
        assert_eq!(got[0].0, "generic.secret-assignment");
    }
}

#[test]
fn cache_is_reused_across_blobs_without_leaking_state() {
    let e = engine();
    let mut cache = e.cache();
    let mut out = Vec::new();
    let with = format!("SecretId: {}\nSecretKey: {}\n", id(80), key(80));
    e.scan(&mut cache, None, with.as_bytes(), &mut out);
    assert_eq!(out.len(), 1);
    out.clear();
    e.scan(
        &mut cache,
        None,
        b"nothing here, only a secret word\n",
        &mut out,
    );
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn arbitrary_bytes_never_panic_and_ranges_stay_in_bounds() {
    let e = engine();
    let mut cache = e.cache();
    let mut out = Vec::new();
    let pieces: [&[u8]; 10] = [
        b"AKID",
        b"akid",
        b"secret",
        b"\n",
        b"\xff\xfe",
        b"=\"",
        b"-----BEGIN PRIVATE KEY-----",
        b"LTAI",
        b"\r\n",
        b"SecretKey: ",
    ];
    let mut x: u64 = 0x1234_5678;
    for round in 0..300 {
        let mut hay = Vec::new();
        for _ in 0..(round % 40) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x.is_multiple_of(3) {
                hay.extend_from_slice(pieces[(x >> 8) as usize % pieces.len()]);
            } else {
                hay.extend_from_slice(fake("", (x % 40) as usize, x).as_bytes());
            }
        }
        out.clear();
        e.scan(&mut cache, Some("f.txt"), &hay, &mut out);
        for m in &out {
            for r in [Some(&m.secret), m.key.as_ref(), m.token.as_ref()]
                .into_iter()
                .flatten()
            {
                assert!(r.start < r.end && r.end <= hay.len());
            }
        }
    }
}

#[test]
fn labelled_keys_pair_beyond_the_near_window() {
    let (i, k) = (id(40), key(40));
    let fields: String = (0..12)
        .map(|n| format!("    private String field{n} = \"v{n}\";\n"))
        .collect();
    let java = format!(
        "public class TencentConfig {{\n    private String secretId = \"{i}\";\n{fields}    private String secretKey = \"{k}\";\n}}\n"
    );
    assert_eq!(pairs(&java), vec![(i.clone(), Some(k.clone()))]);
    // The key above the id, the names sharing a stem (`CosId`, `CosKey`).
    let filler: String = (0..7).map(|n| format!("  \"F{n}\": {n},\n")).collect();
    let json = format!("{{\n  \"CosKey\": \"{k}\",\n{filler}  \"CosId\": \"{i}\"\n}}\n");
    assert_eq!(pairs(&json), vec![(i.clone(), Some(k.clone()))]);
    // Or any SecretKey label under an id label.
    let yaml = format!("tencent:\n  secret_id: {i}\n{fields}  TENCENT_SECRET_KEY: {k}\n");
    assert_eq!(pairs(&yaml), vec![(i.clone(), Some(k.clone()))]);
    // Far away, labels that do not name the same credential do not pair.
    let far = format!("secret_id: {i}\n{fields}password_key: {k}\n");
    assert_eq!(pairs(&far), vec![(i.clone(), None)]);
    let far = format!("secret_id: {i}\n{fields}value: {k}\n");
    assert_eq!(pairs(&far), vec![(i, None)]);
}

#[test]
fn hex_values_are_keys_only_under_a_key_label() {
    let i = id(41);
    let hex = "5f4dcc3b5aa765d61d8327deb882cf99";
    for text in [
        format!("cred = credential.Credential(\"{i}\", \"{hex}\")\n"),
        format!("secret_id = \"{i}\"\nwechat_app_secret = \"{hex}\"\n"),
        format!(
            "secret_id = \"{i}\"\nAPP_SECRET = \"{}\"\n",
            hex.to_uppercase()
        ),
    ] {
        assert_eq!(pairs(&text), vec![(i.clone(), None)], "{text}");
    }
    let text = format!("secret_id = \"{i}\"\nsecret_key = \"{hex}\"\n");
    assert_eq!(pairs(&text), vec![(i, Some(hex.to_string()))]);
}

#[test]
fn alphanumeric_temporary_ids_are_temporary_next_to_a_token_or_tmp_key() {
    let (i, k) = (id(42), key(42));
    let token = fake("", 45, 42);
    let rule = |text: &str| -> Vec<(String, Option<String>, Option<String>)> {
        scan(text)
            .into_iter()
            .filter(|m| m.0.starts_with("tencent."))
            .map(|m| (m.0, m.2, m.3))
            .collect()
    };
    let tmp = "tencent.temporary-secret-id".to_string();
    let with_token = format!(
        "{{\"sessionToken\": \"{token}\",\n \"secretId\": \"{i}\",\n \"secretKey\": \"{k}\"}}\n"
    );
    assert_eq!(
        rule(&with_token),
        vec![(tmp.clone(), Some(k.clone()), Some(token))]
    );
    let tmp_key = format!("SecretId: {i}\nTmpSecretKey: {k}\n");
    assert_eq!(rule(&tmp_key), vec![(tmp, Some(k.clone()), None)]);
    // Neither: a long-term key.
    let plain = format!("SecretId: {i}\nSecretKey: {k}\n");
    assert_eq!(
        rule(&plain),
        vec![("tencent.secret-id".to_string(), Some(k), None)]
    );
}

#[test]
fn unpaired_ids_in_signed_or_looked_up_places_are_dropped() {
    let i = id(43);
    let texts = [
        format!(
            "Authorization: q-sign-algorithm = sha1 & q-ak = {i} & q-sign-time = 1; 2 & q-signature = ab"
        ),
        format!("{{\"q-ak\": \"{i}\" }},"),
        format!(
            "GET https://cvm.api.qcloud.com/v2/index.php?\n  Action=DescribeInstances\n  &SecretId={i}\n  &Region=gz\n  &Signature=LWI%2BdudH%3D\n"
        ),
        format!("\"RequestSource\":\"MC\",\n\"SecretId\":\"{i}\",\n\"Nonce\":\"36881\"\n"),
        format!("&LookupAttributes.0.AttributeValue={i}\n"),
        format!("secret_id_list = [\"{i}\"]\n"),
        format!("\"Username\": \"{i}\",\n"),
        format!("SecretId: {i}******\n"),
        format!("SecretId: {i}...\n"),
        format!(
            "SECRET_ID = os.getenv('id') #'{i}'\nSECRET_KEY = os.getenv('key') #'xxx{}xxxxx'\n",
            fake("", 24, 43)
        ),
        format!("secret_id = \"{}12345\"\n", fake("AKID", 27, 43)),
        format!("secret_id = \"{}abcde\"\n", fake("AKID", 27, 44)),
    ];
    for t in &texts {
        assert_eq!(pairs(t), vec![], "{t}");
    }
    // The same places with the key beside them are still a leak.
    let k = key(43);
    let text = format!("&SecretId={i}\n&Signature=LWI%2BdudH%3D\nSecretKey={k}\n");
    assert_eq!(pairs(&text), vec![(i, Some(k))]);
}

#[test]
fn temporary_ids_without_a_key_are_dropped() {
    let tid = format!(
        "AKID{}-{}_{}",
        fake("", 24, 44),
        fake("", 20, 45),
        fake("", 18, 46)
    );
    let token = fake("", 80, 47);
    for t in [
        format!(
            "https://b-1250000000.cos.ap-guangzhou.myqcloud.com/a.png?q-sign-algorithm=sha1&q-ak={tid}&q-sign-time=1;2&x-cos-security-token={token}"
        ),
        format!(
            "Url: https://cos.ap-guangzhou.myqcloud.com/b/a.mp3?X-Amz-Algorithm=AWS4-HMAC-SHA256&amp;X-Amz-Credential={tid}%2F20230817%2Fs3%2Faws4_request&amp;X-Amz-Security-Token={token}"
        ),
        format!("\"example\": \"{}\",", &tid[..51]),
    ] {
        let tencent: Vec<_> = scan(&t)
            .into_iter()
            .filter(|m| m.0.starts_with("tencent."))
            .collect();
        assert!(tencent.is_empty(), "{t}: {tencent:?}");
    }
}

/// `window_lines_before` lets a keyword that is context (an import below the
/// keys it is given) reach back that many lines, and no further.
#[test]
fn keyword_window_reaches_back_window_lines_before() {
    let rules = |before: u32| {
        let text = format!(
            "[[rule]]\nid = \"ctx.key\"\nname = \"key\"\nkeywords = [\"ctxword\"]\npattern = '''key = (?P<secret>[A-Za-z0-9]{{20}})'''\nwindow_lines_before = {before}\n"
        );
        Engine::new(&RuleSet {
            rules: crate::rule::parse(&text, "test").unwrap(),
        })
        .unwrap()
    };
    let value = fake("", 20, 7);
    let found = |e: &Engine, text: &str| {
        let mut out = Vec::new();
        e.scan(&mut e.cache(), None, text.as_bytes(), &mut out);
        out.len()
    };
    let two_above = format!("key = {value}\n\nuse ctxword;\n");
    let three_above = format!("key = {value}\n\n\nuse ctxword;\n");
    assert_eq!(found(&rules(2), &two_above), 1);
    assert_eq!(found(&rules(2), &three_above), 0);
    assert_eq!(found(&rules(0), &two_above), 0);
}

/// Provider words come from the rule's `label_words`: with `nimbus` among
/// them, `NIMBUS_ID` and `KEY` name the same credential and pair past a
/// nearer `OTHER_KEY`; without, the nearer key wins.
#[test]
fn label_words_of_the_rule_say_which_label_parts_name_the_provider() {
    let engine = |words: &str| {
        let text = format!(
            "[[rule]]\nid = \"nimbus.id\"\nname = \"id\"\nkeywords = [\"nimbus_id\"]\npattern = '''NIMBUS_ID = \"(?P<secret>[A-Za-z0-9]{{20}})\"'''\n[rule.pair]\nname = \"key\"\npattern = '''\"(?P<secret>[A-Za-z0-9]{{24}})\"'''\nhints = [\"key\"]\nlabel_words = [{words}]\n"
        );
        Engine::new(&RuleSet {
            rules: crate::rule::parse(&text, "test").unwrap(),
        })
        .unwrap()
    };
    let (id, other, own) = (fake("", 20, 1), fake("", 24, 2), fake("", 24, 3));
    let text = format!("NIMBUS_ID = \"{id}\"\nOTHER_KEY = \"{other}\"\nKEY = \"{own}\"\n");
    let key = |e: &Engine| {
        let mut out = Vec::new();
        e.scan(&mut e.cache(), None, text.as_bytes(), &mut out);
        out[0].key.clone().map(|r| text[r].to_string())
    };
    assert_eq!(key(&engine("\"nimbus\"")), Some(own));
    assert_eq!(key(&engine("")), Some(other));
}
