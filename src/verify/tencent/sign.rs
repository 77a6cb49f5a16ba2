//! TC3-HMAC-SHA256, Tencent Cloud API 3.0 request signing: pure functions
//! from a request's parts to its `Authorization` header. No I/O, no clock.
//!
//! Only the signature this computes leaves the machine; the SecretKey is used
//! as HMAC key material and nothing else.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The algorithm name, first word of the `Authorization` header.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";

/// The parts of a request that the signature covers.
#[derive(Clone, Copy, Debug)]
pub struct SignInput<'a> {
    /// `POST` or `GET`.
    pub method: &'a str,
    /// The URL-encoded query after `?` (empty for POST).
    pub query: &'a str,
    /// The signed headers as `(name, value)`; must hold `content-type` and
    /// `host`. Names are lower-cased and sorted here, values trimmed and
    /// lower-cased, as Tencent does.
    pub headers: &'a [(&'a str, &'a str)],
    /// The exact body bytes sent.
    pub payload: &'a [u8],
    /// The service name of the scope (`cam`, `sts`), independent of the host.
    pub service: &'a str,
    /// `X-TC-Timestamp`, Unix seconds.
    pub timestamp: i64,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    m.update(msg);
    m.finalize().into_bytes().into()
}

/// The UTC calendar date of a Unix timestamp, `YYYY-MM-DD` (the scope date).
pub fn scope_date(timestamp: i64) -> String {
    let days = timestamp.div_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm), exact for the proleptic
    // Gregorian calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The sorted, lower-cased signed header names joined by `;`.
pub fn signed_headers(input: &SignInput<'_>) -> String {
    sorted_headers(input)
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";")
}

fn sorted_headers(input: &SignInput<'_>) -> Vec<(String, String)> {
    let mut h: Vec<(String, String)> = input
        .headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_ascii_lowercase()))
        .collect();
    h.sort();
    h
}

/// Step 1: the canonical request.
pub fn canonical_request(input: &SignInput<'_>) -> String {
    let headers = sorted_headers(input);
    let canonical_headers: String = headers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    format!(
        "{}\n/\n{}\n{}\n{}\n{}",
        input.method,
        input.query,
        canonical_headers,
        names.join(";"),
        sha256_hex(input.payload)
    )
}

/// `<date>/<service>/tc3_request`.
pub fn credential_scope(input: &SignInput<'_>) -> String {
    format!(
        "{}/{}/tc3_request",
        scope_date(input.timestamp),
        input.service
    )
}

/// Step 2: the string to sign.
pub fn string_to_sign(input: &SignInput<'_>) -> String {
    format!(
        "{ALGORITHM}\n{}\n{}\n{}",
        input.timestamp,
        credential_scope(input),
        sha256_hex(canonical_request(input).as_bytes())
    )
}

/// Step 3a: the derived signing key `kSigning`.
pub fn signing_key(secret_key: &str, date: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let k_service = hmac(&k_date, service.as_bytes());
    hmac(&k_service, b"tc3_request")
}

/// Step 3b: the hex signature of `input` under `secret_key`.
pub fn signature(secret_key: &str, input: &SignInput<'_>) -> String {
    let key = signing_key(secret_key, &scope_date(input.timestamp), input.service);
    hex::encode(hmac(&key, string_to_sign(input).as_bytes()))
}

/// Step 4: the `Authorization` header value.
pub fn authorization(secret_id: &str, secret_key: &str, input: &SignInput<'_>) -> String {
    format!(
        "{ALGORITHM} Credential={secret_id}/{}, SignedHeaders={}, Signature={}",
        credential_scope(input),
        signed_headers(input),
        signature(secret_key, input)
    )
}

#[cfg(test)]
mod tests {
    //! Every published vector of tencent-api.md section 1.4.
    use super::*;

    const A1_BODY: &str =
        r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
    const A1_CT: &str = "application/json; charset=utf-8";
    const CVM: &str = "cvm.tencentcloudapi.com";

    fn post<'a>(
        headers: &'a [(&'a str, &'a str)],
        body: &'a str,
        service: &'a str,
        ts: i64,
    ) -> SignInput<'a> {
        SignInput {
            method: "POST",
            query: "",
            headers,
            payload: body.as_bytes(),
            service,
            timestamp: ts,
        }
    }

    #[test]
    fn a1_published_doc_example() {
        let h = [("Content-Type", A1_CT), ("Host", CVM)];
        let input = post(&h, A1_BODY, "cvm", 1551113065);
        assert_eq!(A1_BODY.len(), 86);
        assert_eq!(
            sha256_hex(A1_BODY.as_bytes()),
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        assert_eq!(
            sha256_hex(canonical_request(&input).as_bytes()),
            "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        let k_date = hmac(b"TC3Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", b"2019-02-25");
        assert_eq!(
            hex::encode(k_date),
            "d1308c81fe71cfd4e06437bbc067b2b8a3d2d8c0e375d547f15c41d5214b395a"
        );
        assert_eq!(
            hex::encode(hmac(&k_date, b"cvm")),
            "3c7cb7c7795393edc14fd2e0e6434a518564b4504b88e94f5d11bf59ba3e7050"
        );
        assert_eq!(
            hex::encode(signing_key(
                "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
                "2019-02-25",
                "cvm"
            )),
            "ac658d5dde49e9bfdd14e04e062f66b05d9f637d44b8a8d845327d4a77f666b1"
        );
        assert_eq!(
            authorization(
                "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
                "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
                &input
            ),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, \
             SignedHeaders=content-type;host, \
             Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    #[test]
    fn a2_current_doc_signs_x_tc_action_with_masked_keys() {
        let h = [
            ("Content-Type", A1_CT),
            ("Host", CVM),
            ("X-TC-Action", "DescribeInstances"),
        ];
        let input = post(&h, A1_BODY, "cvm", 1551113065);
        assert_eq!(signed_headers(&input), "content-type;host;x-tc-action");
        assert_eq!(
            sha256_hex(canonical_request(&input).as_bytes()),
            "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"
        );
        let masked = "*".repeat(32);
        let k_date = hmac(format!("TC3{masked}").as_bytes(), b"2019-02-25");
        assert_eq!(
            hex::encode(k_date),
            "da98fb70dcf6b112dc21038d1eeeb3a95c74b4dcb12c1131f864f6066bd02be0"
        );
        assert_eq!(
            hex::encode(hmac(&k_date, b"cvm")),
            "8d70cbefb03939f929db64d32dc2ba89b1095620119fe3e050e2b18c5bd2752f"
        );
        assert_eq!(
            hex::encode(signing_key(&masked, "2019-02-25", "cvm")),
            "b596b923aad85185e2d1f6659d2a062e0a86731226e021e61bfe06f7ed05f5af"
        );
        assert_eq!(
            signature(&masked, &input),
            "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f"
        );
        assert_eq!(
            signature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", &input),
            "644be983de9a8a3f00db8eadaba61467c3b429e2215758ba897b738ca469fd26"
        );
    }

    #[test]
    fn a3_official_nodejs_sdk_unit_test() {
        let body = r#"{"Action":"DescribeInstances","Version":"2017-03-12"}"#;
        assert_eq!(
            sha256_hex(body.as_bytes()),
            "8161d71add76597e6dc0e223286ca9a96dec0b7eca6e08f9364680387415b4dc"
        );
        let h = [("content-type", "application/json"), ("host", CVM)];
        assert_eq!(
            signature("test-secret-key", &post(&h, body, "cvm", 1640995200)),
            "96473b50fe407833672a5d6d067238d88bb44c8abcc39ef83baa3132afbfadd3"
        );
        // The Node helper hashes the same body for GET too.
        let h = [
            ("content-type", "application/x-www-form-urlencoded"),
            ("host", CVM),
        ];
        let get = SignInput {
            method: "GET",
            ..post(&h, body, "cvm", 1640995200)
        };
        assert_eq!(
            signature("test-secret-key", &get),
            "39ce411ac32014b7d814118b33f82d3445be566f67e1f4b369ccdc3791ce9a13"
        );
    }

    #[test]
    fn a4_teco_swift_sdk() {
        let h = [("content-type", "application/json"), ("host", CVM)];
        assert_eq!(
            signature("MY_TC_SECRET_KEY", &post(&h, "{}", "cvm", 1_000_000_000)),
            "2c0b761dcdeacac29ac9d135f9f22b0fa52d4536d8b7727a8a515935c47eaea7"
        );
        let h = [
            ("content-type", "application/x-www-form-urlencoded"),
            ("host", CVM),
        ];
        let get = SignInput {
            method: "GET",
            query: "InstanceIds.0=ins-000000&InstanceIds.1=ins-000001",
            headers: &h,
            payload: b"",
            service: "cvm",
            timestamp: 1_000_000_000,
        };
        assert_eq!(
            signature("MY_TC_SECRET_KEY", &get),
            "a4315b91798a181a6e5fb0353590040a399edad4a003ef5688d71fb34366c471"
        );
    }

    const B_KEY: &str = "EXAMPLEsecretKEYexampleSECRETkey";
    const B_TS: i64 = 1_700_000_000;

    fn b(host: &str, service: &str, body: &str) -> String {
        let h = [("Content-Type", "application/json"), ("Host", host)];
        signature(B_KEY, &post(&h, body, service, B_TS))
    }

    #[test]
    fn b_python_sdk_cam_sts_requests() {
        let cam = "cam.tencentcloudapi.com";
        let h = [("Content-Type", "application/json"), ("Host", cam)];
        assert_eq!(
            sha256_hex(canonical_request(&post(&h, "{}", "cam", B_TS)).as_bytes()),
            "82220eb7aed4a7728f5f54f82c7f068e257c47d3b6f47347a3eec0c5f0d4e477"
        );
        assert_eq!(
            b(cam, "cam", "{}"),
            "f5859240f3db94db9fef45d62e4f0bee7e69dbd964a2c01e45892e9e3e3ac373"
        );
        let b2 = r#"{"SecretIdList": ["AKIDEXAMPLEEXAMPLEEXAMPLEEXAMPLE1234"]}"#;
        assert_eq!(
            sha256_hex(b2.as_bytes()),
            "9907567afbde0321dd17d268802b4ffe1a52cd077eca9cb017257010bef7171a"
        );
        assert_eq!(
            b(cam, "cam", b2),
            "f552aa245b48f200270db1a27f1348000f1edd090eb9e9be86fde0532d411403"
        );
        let b3 = r#"{"AccessKeyId": "AKIDEXAMPLEEXAMPLEEXAMPLEEXAMPLE1234", "Status": "Inactive", "TargetUin": 100000000001}"#;
        assert_eq!(
            sha256_hex(b3.as_bytes()),
            "5511102dbcc7306bab6ee197778e4924589ebf55c79eac620ac78177c7993fa3"
        );
        assert_eq!(
            b(cam, "cam", b3),
            "6118c9154e0d24eb3a07efc6579c25afb4b37905fd95850edfbfe5bbc0b45d08"
        );
        assert_eq!(
            b("sts.tencentcloudapi.com", "sts", "{}"),
            "d6f8f334efe4049e346a1ece57140c21d343967886acf6474d61e2396c82d6b2"
        );
        let local = [
            ("Content-Type", "application/json"),
            ("Host", "127.0.0.1:8765"),
        ];
        assert_eq!(
            // The hash inside B5's string to sign (the doc calls it "B5's string-to-sign hash").
            sha256_hex(canonical_request(&post(&local, "{}", "cam", B_TS)).as_bytes()),
            "a159846198cd22a03246d5312271dfef02d56cf7830e92e3465ff599da9cc02e"
        );
        assert_eq!(
            b("127.0.0.1:8765", "cam", "{}"),
            "eedd8abb08dd6bde95abb27b64777bb2a42b6413230199c8e9303beb6ba4c0d5"
        );
    }

    #[test]
    fn scope_date_is_utc() {
        assert_eq!(scope_date(1551113065), "2019-02-25");
        assert_eq!(scope_date(0), "1970-01-01");
        assert_eq!(scope_date(951_782_400), "2000-02-29");
        assert_eq!(scope_date(1_700_000_000), "2023-11-14");
        assert_eq!(scope_date(4_107_542_399), "2100-02-28");
    }
}
