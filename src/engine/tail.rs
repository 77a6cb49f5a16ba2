//! Long bounded repetitions that end a rule regex, compiled short: a
//! secret pattern ending in `[A-Za-z0-9+/=]{40,4096}` (a session token) is
//! thousands of NFA states, most of a pre-commit scan's time to compile.
//! Such a tail is compiled as its minimum count (`{40}`) and the match is
//! extended over the class by hand, up to the maximum, which is what the
//! greedy repetition matches: nothing follows it, so the same start and
//! the same path through the rest of the regex match either way.

use regex_syntax::hir::{Capture, Class, Hir, HirKind, Repetition};

/// Repetitions with at most this many optional rounds are compiled as
/// written.
const MAX_OPTIONAL: u32 = 256;

/// The bytes a cut tail may still take after the compiled match.
#[derive(Clone, Debug)]
pub(super) struct Tail {
    /// The repeated class, one bit per byte.
    class: [bool; 256],
    /// How many more bytes of it the written repetition takes at most.
    more: usize,
}

impl Tail {
    /// Where the written regex's match ends, given where the compiled one
    /// ended (`end`) in `hay`.
    pub fn extend(&self, hay: &[u8], end: usize) -> usize {
        let limit = hay.len().min(end.saturating_add(self.more));
        let run = hay[end..limit]
            .iter()
            .take_while(|&&b| self.class[usize::from(b)]);
        end + run.count()
    }
}

/// `hir` with a greedy repetition of a byte class that ends it, inside
/// capture group `group`, cut to its minimum count when it has more than
/// [`MAX_OPTIONAL`] optional rounds; `None` when there is no such tail.
pub(super) fn cut(hir: &Hir, group: u32) -> Option<(Hir, Tail)> {
    cut_in(hir, group, false)
}

fn cut_in(h: &Hir, group: u32, inside: bool) -> Option<(Hir, Tail)> {
    match h.kind() {
        HirKind::Concat(v) => {
            let (last, rest) = v.split_last()?;
            let (last, tail) = cut_in(last, group, inside)?;
            let mut v = rest.to_vec();
            v.push(last);
            Some((Hir::concat(v), tail))
        }
        HirKind::Capture(c) => {
            let (sub, tail) = cut_in(&c.sub, group, inside || c.index == group)?;
            let c = Capture {
                index: c.index,
                name: c.name.clone(),
                sub: Box::new(sub),
            };
            Some((Hir::capture(c), tail))
        }
        HirKind::Repetition(r) if inside && r.greedy => {
            let max = r.max?;
            if max - r.min <= MAX_OPTIONAL {
                return None;
            }
            let class = byte_class(&r.sub)?;
            let short = Repetition {
                min: r.min,
                max: Some(r.min),
                greedy: true,
                sub: r.sub.clone(),
            };
            let more = (max - r.min) as usize;
            Some((Hir::repetition(short), Tail { class, more }))
        }
        _ => None,
    }
}

/// The bytes a one-byte class matches; `None` for anything else (a
/// class with characters beyond ASCII matches more than one byte).
fn byte_class(h: &Hir) -> Option<[bool; 256]> {
    let mut set = [false; 256];
    match h.kind() {
        HirKind::Class(Class::Bytes(c)) => {
            for r in c.iter() {
                for b in r.start()..=r.end() {
                    set[usize::from(b)] = true;
                }
            }
        }
        HirKind::Class(Class::Unicode(c)) => {
            for r in c.iter() {
                let (start, end) = (u32::from(r.start()), u32::from(r.end()));
                if end > 0x7f {
                    return None;
                }
                for b in start..=end {
                    set[b as usize] = true;
                }
            }
        }
        _ => return None,
    }
    Some(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(p: &str) -> Hir {
        regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(p)
            .unwrap()
    }

    #[test]
    fn only_a_long_class_repetition_ending_the_group_is_cut() {
        let p = r"(?i)token[:=](?P<secret>[A-Za-z0-9_\-+/=]{40,4096})";
        let (short, tail) = cut(&parse(p), 1).unwrap();
        assert_eq!(tail.more, 4056);
        assert!(short.to_string().contains("{40}"), "{short}");
        for p in [
            r"token[:=](?P<secret>[A-Za-z0-9]{40,200})",
            r"token[:=](?P<secret>[A-Za-z0-9]{40,4096})x",
            r"token[:=](?P<secret>[A-Za-z0-9]{40,4096}?)",
            r"token[:=](?P<secret>[A-Za-z0-9]{40,})",
            r"(?P<secret>token)[:=][A-Za-z0-9]{40,4096}",
        ] {
            assert!(cut(&parse(p), 1).is_none(), "{p}");
        }
    }

    #[test]
    fn a_cut_regex_extended_matches_what_the_written_one_matches() {
        let p = r"(?i)(?:token|session_?token)[:=]\s?(?P<secret>STS[A-Za-z0-9+/=]{4,300})";
        let written = regex::bytes::Regex::new(p).unwrap();
        let (short, tail) = cut(&parse(p), 1).unwrap();
        let short = regex::bytes::Regex::new(&short.to_string()).unwrap();
        let long = "A1+/".repeat(100);
        for hay in [
            format!("x Session_Token=STS{long} y"),
            format!("token: STS{}", &long[..20]),
            format!("token=STS{long}token=STS{long}"),
            "token=STSab".to_string(),
        ] {
            let hay = hay.as_bytes();
            let want = written
                .captures(hay)
                .map(|c| c.name("secret").unwrap().range());
            let got = short.captures(hay).map(|c| {
                let m = c.name("secret").unwrap();
                m.start()..tail.extend(hay, m.end())
            });
            assert_eq!(got, want);
        }
    }
}
