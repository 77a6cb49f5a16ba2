//! PAX sparse tar members (GNU tar `--sparse --format=posix`): the member's
//! real name and size from its PAX records, and a reader that puts the
//! holes back (zeros) around the data the archive stores. GNU's own sparse
//! members (type `S`) are expanded by the `tar` crate itself.

use std::io::{self, Read};

/// Most data runs a sparse map may list.
const MAX_RUNS: u64 = 1 << 16;

/// A PAX sparse member, as its records describe it.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Sparse {
    /// The member's real name (`GNU.sparse.name`), when given.
    pub(super) name: Option<String>,
    /// Its size with the holes (`GNU.sparse.realsize` or `GNU.sparse.size`).
    pub(super) size: u64,
    /// Data runs (offset, length), when the records hold the map (formats
    /// 0.0 and 0.1); format 1.0 keeps it at the start of the data.
    map: Option<Vec<(u64, u64)>>,
}

/// Why a sparse member cannot be read.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct BadMap(pub(super) &'static str);

/// The sparse description in a member's PAX records; `None` when it is not
/// a sparse member.
pub(super) fn from_pax<'a>(
    records: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> Option<Result<Sparse, BadMap>> {
    let (mut sparse, mut major, mut size, mut name) = (false, None, None, None);
    let (mut map, mut offsets, mut lengths) = (None, Vec::new(), Vec::new());
    for (key, value) in records {
        let Some(key) = key.strip_prefix("GNU.sparse.") else {
            continue;
        };
        sparse = true;
        let text = String::from_utf8_lossy(value);
        let num = || text.trim().parse::<u64>().ok();
        match key {
            "major" => major = num(),
            "realsize" | "size" => size = num(),
            "name" => name = Some(text.into_owned()),
            "map" => map = Some(text.into_owned()),
            "offset" => offsets.push(num()),
            "numbytes" => lengths.push(num()),
            _ => {}
        }
    }
    if !sparse {
        return None;
    }
    Some(describe(major, size, name, map, offsets, lengths))
}

fn describe(
    major: Option<u64>,
    size: Option<u64>,
    name: Option<String>,
    map: Option<String>,
    offsets: Vec<Option<u64>>,
    lengths: Vec<Option<u64>>,
) -> Result<Sparse, BadMap> {
    let size = size.ok_or(BadMap("no real size"))?;
    let map = match (major, map) {
        (Some(1), _) => None,
        (_, Some(text)) => {
            let nums: Option<Vec<u64>> = text.split(',').map(|n| n.trim().parse().ok()).collect();
            let nums = nums.ok_or(BadMap("a map that is not numbers"))?;
            if nums.len() % 2 != 0 {
                return Err(BadMap("a map of odd length"));
            }
            Some(nums.chunks(2).map(|p| (p[0], p[1])).collect())
        }
        (_, None) if offsets.len() == lengths.len() && !offsets.is_empty() => Some(
            offsets
                .into_iter()
                .zip(lengths)
                .map(|(o, l)| o.zip(l))
                .collect::<Option<Vec<_>>>()
                .ok_or(BadMap("a map that is not numbers"))?,
        ),
        _ => return Err(BadMap("no map")),
    };
    if let Some(m) = &map {
        check(m, size)?;
    }
    Ok(Sparse { name, size, map })
}

/// Runs in order, not overlapping, inside the real size.
fn check(map: &[(u64, u64)], size: u64) -> Result<(), BadMap> {
    if map.len() as u64 > MAX_RUNS {
        return Err(BadMap("too many data runs"));
    }
    let mut end = 0u64;
    for &(off, len) in map {
        let stop = off.checked_add(len).ok_or(BadMap("a run past the end"))?;
        if off < end || stop > size {
            return Err(BadMap("runs out of order or past the end"));
        }
        end = stop;
    }
    Ok(())
}

/// Reads a decimal number on a line of its own (format 1.0's map),
/// counting the bytes read.
fn map_number(r: &mut dyn Read, read: &mut u64) -> io::Result<u64> {
    let mut n: u64 = 0;
    for digits in 0.. {
        let mut b = [0u8];
        r.read_exact(&mut b)?;
        *read += 1;
        match b[0] {
            b'\n' if digits > 0 => return Ok(n),
            d @ b'0'..=b'9' if digits < 20 => {
                n = n
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u64::from(d - b'0')))
                    .ok_or_else(|| bad("a number too large in the sparse map"))?;
            }
            _ => break,
        }
    }
    Err(bad("a sparse map that is not numbers"))
}

fn bad(why: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why)
}

/// The member's content with its holes: zeros, then each data run as the
/// archive stores it, then zeros up to the real size.
pub(super) struct Holes<R> {
    inner: R,
    map: Vec<(u64, u64)>,
    next: usize,
    pos: u64,
    size: u64,
}

impl<R: Read> Holes<R> {
    /// A reader over the stored data `inner` of the member `s`; format 1.0
    /// reads its map from the start of the data first.
    pub(super) fn new(mut inner: R, s: &Sparse) -> io::Result<Holes<R>> {
        let map = match &s.map {
            Some(m) => m.clone(),
            None => {
                let mut read = 0;
                let n = map_number(&mut inner, &mut read)?;
                if n > MAX_RUNS {
                    return Err(bad("too many data runs"));
                }
                let mut map = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    let off = map_number(&mut inner, &mut read)?;
                    let len = map_number(&mut inner, &mut read)?;
                    map.push((off, len));
                }
                check(&map, s.size).map_err(|b| bad(b.0))?;
                // The data starts at the next 512-byte block.
                let pad = (512 - read % 512) % 512;
                io::copy(&mut (&mut inner).take(pad), &mut io::sink())?;
                map
            }
        };
        Ok(Holes {
            inner,
            map,
            next: 0,
            pos: 0,
            size: s.size,
        })
    }
}

impl<R: Read> Read for Holes<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf.len() as u64;
        while let Some(&(off, len)) = self.map.get(self.next) {
            if self.pos < off {
                let n = want.min(off - self.pos) as usize;
                buf[..n].fill(0);
                self.pos += n as u64;
                return Ok(n);
            }
            if self.pos < off + len {
                let n = want.min(off + len - self.pos) as usize;
                let got = self.inner.read(&mut buf[..n])?;
                if got == 0 && n > 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                self.pos += got as u64;
                return Ok(got);
            }
            self.next += 1;
        }
        let n = want.min(self.size - self.pos) as usize;
        buf[..n].fill(0);
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(data: &[u8], s: &Sparse) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Holes::new(data, s)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn format_one_reads_its_map_from_the_data_and_fills_the_holes() {
        let records = [
            ("GNU.sparse.major", &b"1"[..]),
            ("GNU.sparse.minor", b"0"),
            ("GNU.sparse.name", b"app.env"),
            ("GNU.sparse.realsize", b"12"),
        ];
        let s = from_pax(records.into_iter()).unwrap().unwrap();
        assert_eq!(s.name.as_deref(), Some("app.env"));
        let mut data = b"2\n2\n3\n9\n2\n".to_vec();
        data.resize(512, 0);
        data.extend_from_slice(b"abcXY");
        assert_eq!(read_all(&data, &s).unwrap(), b"\0\0abc\0\0\0\0XY\0");
    }

    #[test]
    fn older_formats_keep_the_map_in_the_records() {
        let s = from_pax(
            [
                ("GNU.sparse.size", &b"6"[..]),
                ("GNU.sparse.map", b"1,2,4,1"),
            ]
            .into_iter(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(read_all(b"abc", &s).unwrap(), b"\0ab\0c\0");
        let pairs = [
            ("GNU.sparse.size", &b"3"[..]),
            ("GNU.sparse.offset", b"2"),
            ("GNU.sparse.numbytes", b"1"),
        ];
        let s = from_pax(pairs.into_iter()).unwrap().unwrap();
        assert_eq!(read_all(b"z", &s).unwrap(), b"\0\0z");
    }

    #[test]
    fn bad_maps_are_refused_and_plain_members_are_not_sparse() {
        assert_eq!(from_pax([("path", &b"x"[..])].into_iter()), None);
        let past = [("GNU.sparse.size", &b"3"[..]), ("GNU.sparse.map", b"2,5")];
        assert!(from_pax(past.into_iter()).unwrap().is_err());
        let s = from_pax(
            [
                ("GNU.sparse.major", &b"1"[..]),
                ("GNU.sparse.realsize", b"4"),
            ]
            .into_iter(),
        )
        .unwrap()
        .unwrap();
        assert!(read_all(b"1\n9\n9\n", &s).is_err(), "a run past the end");
        assert!(read_all(b"x\n", &s).is_err());
        let mut short = b"1\n0\n4\n".to_vec();
        short.resize(512, 0);
        short.extend_from_slice(b"ab");
        assert!(read_all(&short, &s).is_err(), "data cut short");
    }
}
