//! Compressed payloads that base64 carries (Helm release secrets, gzip'd
//! config blobs): a gzip or zlib stream inflated to the text it holds,
//! never past the blob's decode budget.

use flate2::read::{GzDecoder, ZlibDecoder};
use std::io::Read;

/// The most one stream inflates to.
const MAX_INFLATED: usize = 16 << 20;

/// The text a gzip or zlib stream `raw` inflates to, charged to `budget`;
/// `None` when `raw` is neither or does not hold text. A stream cut short
/// by the limit gives its text up to the last whole line.
pub(super) fn text(raw: &[u8], budget: &mut usize) -> Option<Vec<u8>> {
    let limit = (*budget).min(MAX_INFLATED);
    let mut out = Vec::new();
    let read = match raw {
        [0x1f, 0x8b, 8, ..] => GzDecoder::new(raw)
            .take(limit as u64 + 1)
            .read_to_end(&mut out),
        [0x78, 0x01 | 0x5e | 0x9c | 0xda, ..] => ZlibDecoder::new(raw)
            .take(limit as u64 + 1)
            .read_to_end(&mut out),
        _ => return None,
    };
    *budget -= out.len().min(*budget);
    if read.is_err() && out.is_empty() {
        return None;
    }
    if out.len() > limit || read.is_err() {
        let end = memchr::memrchr(b'\n', &out[..out.len().min(limit)])?;
        out.truncate(end + 1);
    }
    super::is_text(&out).then_some(out)
}

#[cfg(test)]
mod tests {
    use flate2::Compression;
    use flate2::write::{GzEncoder, ZlibEncoder};
    use std::io::Write;

    #[test]
    fn gzip_and_zlib_of_text_inflate_within_the_budget() {
        let plain = b"secret_id = AKIDq8Rz3LmN5pT7vW2xY4bC6dF9gH1jK0sQ\n".repeat(3);
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(&plain).unwrap();
        let gz = gz.finish().unwrap();
        let mut zl = ZlibEncoder::new(Vec::new(), Compression::default());
        zl.write_all(&plain).unwrap();
        let zl = zl.finish().unwrap();
        for stream in [&gz, &zl] {
            let mut budget = 1 << 20;
            assert_eq!(
                super::text(stream, &mut budget).as_deref(),
                Some(&plain[..])
            );
            assert_eq!(budget, (1 << 20) - plain.len());
            let mut small = 60;
            let cut = super::text(stream, &mut small).unwrap();
            assert_eq!(cut, &plain[..49], "cut at the last whole line");
            assert_eq!(small, 0);
        }
        let mut budget = 1 << 20;
        assert_eq!(super::text(&gz[..gz.len() / 2], &mut budget), None);
        assert_eq!(super::text(b"\x1f\x8b\x08garbage", &mut budget), None);
        assert_eq!(super::text(b"plain", &mut budget), None);
    }
}
