//! Decrypting the values Tencent tools store with a key built into the tool:
//! Serverless Devs `~/.s/access.yaml` (crypto-js `AES.encrypt(value,
//! "SecretKey123")`: `Salted__`, an 8-byte salt, AES-256-CBC with key and IV
//! from OpenSSL's `EVP_BytesToKey(MD5)`, PKCS#7) and COSCLI `~/.cos.yaml`
//! (AES-128-ECB under `coscli-secret` zero-padded to 16 bytes, zero-padded
//! plaintext). Input is the base64-decoded value; output is text or nothing.

use super::{Encoding, is_text};
use aes::cipher::{BlockDecryptMut, KeyInit, KeyIvInit, block_padding};
use md5::{Digest, Md5};

/// The passphrase `@serverless-devs/credential` encrypts with.
const SERVERLESS_DEVS_PASSPHRASE: &[u8] = b"SecretKey123";

/// `coscli-secret`, zero-padded to an AES-128 key (COSCLI `util/secret.go`).
const COSCLI_KEY: [u8; 16] = *b"coscli-secret\0\0\0";

/// The longest value tried: keys and session tokens are far shorter.
const MAX_CIPHERTEXT: usize = 8192;

/// Decrypts `raw` with whichever tool's scheme fits its shape.
pub(super) fn decrypt(raw: &[u8]) -> Option<(Encoding, Vec<u8>)> {
    if raw.len() > MAX_CIPHERTEXT {
        return None;
    }
    if let Some(rest) = raw.strip_prefix(b"Salted__") {
        return serverless_devs(rest, SERVERLESS_DEVS_PASSPHRASE)
            .map(|t| (Encoding::ServerlessDevs, t));
    }
    coscli(raw).map(|t| (Encoding::Coscli, t))
}

/// OpenSSL `EVP_BytesToKey` with MD5 and one round: 32 key and 16 IV bytes.
fn evp_bytes_to_key(pass: &[u8], salt: &[u8]) -> ([u8; 32], [u8; 16]) {
    let mut out = [0u8; 48];
    let mut prev: Vec<u8> = Vec::new();
    for chunk in out.chunks_mut(16) {
        let mut h = Md5::new();
        h.update(&prev);
        h.update(pass);
        h.update(salt);
        prev = h.finalize().to_vec();
        chunk.copy_from_slice(&prev);
    }
    let mut key = [0u8; 32];
    let mut iv = [0u8; 16];
    key.copy_from_slice(&out[..32]);
    iv.copy_from_slice(&out[32..]);
    (key, iv)
}

/// `salt ‖ ciphertext` after the `Salted__` marker.
fn serverless_devs(rest: &[u8], pass: &[u8]) -> Option<Vec<u8>> {
    if rest.len() < 24 || !(rest.len() - 8).is_multiple_of(16) {
        return None;
    }
    let (salt, ct) = rest.split_at(8);
    let (key, iv) = evp_bytes_to_key(pass, salt);
    let mut plain = ct.to_vec();
    let len = cbc::Decryptor::<aes::Aes256>::new(&key.into(), &iv.into())
        .decrypt_padded_mut::<block_padding::Pkcs7>(&mut plain)
        .ok()?
        .len();
    plain.truncate(len);
    is_text(&plain).then_some(plain)
}

fn coscli(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.is_empty() || !raw.len().is_multiple_of(16) {
        return None;
    }
    // A wrong guess shows in the first block: check it before the rest.
    let mut head = [0u8; 16];
    head.copy_from_slice(&raw[..16]);
    ecb::Decryptor::<aes::Aes128>::new(&COSCLI_KEY.into())
        .decrypt_padded_mut::<block_padding::NoPadding>(&mut head)
        .ok()?;
    if !printable(head.iter().copied().take_while(|&b| b != 0)) {
        return None;
    }
    let mut plain = raw.to_vec();
    ecb::Decryptor::<aes::Aes128>::new(&COSCLI_KEY.into())
        .decrypt_padded_mut::<block_padding::NoPadding>(&mut plain)
        .ok()?;
    while plain.last() == Some(&0) {
        plain.pop();
    }
    (!plain.is_empty() && printable(plain.iter().copied())).then_some(plain)
}

/// Printable ASCII only: stored keys and tokens are.
fn printable(mut b: impl Iterator<Item = u8>) -> bool {
    b.all(|b| b.is_ascii_graphic() || b == b' ')
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes::cipher::BlockEncryptMut;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    // The AccountID of the Serverless Devs sample access.yaml (crypto-js
    // 4.2.0, passphrase "SecretKey123"); its reference decryptor prints
    // 1250000000.
    const SAMPLE_ACCOUNT: &str = "U2FsdGVkX18aL0Ww+P6oCS9T4oRazC4YQFaqA9EEIIQ=";

    #[test]
    fn serverless_devs_sample_decrypts() {
        let raw = STANDARD.decode(SAMPLE_ACCOUNT).unwrap();
        let (enc, text) = decrypt(&raw).unwrap();
        assert_eq!(enc, Encoding::ServerlessDevs);
        assert_eq!(text, b"1250000000");
    }

    #[test]
    fn serverless_devs_wrong_passphrase_fails() {
        let raw = STANDARD.decode(SAMPLE_ACCOUNT).unwrap();
        assert!(serverless_devs(&raw[8..], b"other").is_none());
    }

    #[test]
    fn coscli_round_trips_zero_padding() {
        for value in ["0123456789abcdef0123456789abcdef", "AKIDshort"] {
            let mut block = value.as_bytes().to_vec();
            block.resize(block.len().div_ceil(16) * 16, 0);
            let len = block.len();
            let mut ct = block.clone();
            ecb::Encryptor::<aes::Aes128>::new(&COSCLI_KEY.into())
                .encrypt_padded_mut::<block_padding::NoPadding>(&mut ct, len)
                .unwrap();
            assert_eq!(ct.len(), len, "no padding block when aligned");
            let (enc, text) = decrypt(&ct).unwrap();
            assert_eq!((enc, text.as_slice()), (Encoding::Coscli, value.as_bytes()));
        }
    }

    #[test]
    fn random_bytes_are_not_a_coscli_value() {
        let noise: Vec<u8> = (0..64u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 7) as u8)
            .collect();
        assert!(decrypt(&noise).is_none());
        assert!(decrypt(&noise[..15]).is_none());
        assert!(decrypt(b"Salted__short").is_none());
    }
}
