//! Why a revision a user typed does not resolve, said in terms of that
//! revision: `HEAD~1000` names how deep the history really is, a missing
//! name says it names nothing, instead of libgit2's "parent 0 does not exist".

use git2::{Commit, ErrorCode, Repository};

/// One ancestry step of a revision: `~n` (n first parents) or `^n` (the
/// n-th parent; `^0` the commit itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    First(usize),
    Parent(usize),
}

/// Splits `HEAD~3^2` into `HEAD` and its steps; `None` when `spec` ends in
/// no ancestry steps (or they are all it is).
fn split(spec: &str) -> Option<(&str, Vec<Step>)> {
    let tail = spec
        .bytes()
        .rev()
        .take_while(|b| b.is_ascii_digit() || *b == b'~' || *b == b'^')
        .count();
    let start = spec.len() - tail;
    let first_op = spec[start..].find(['~', '^'])? + start;
    if first_op == 0 {
        return None;
    }
    let (base, mut ops) = spec.split_at(first_op);
    let mut steps = Vec::new();
    while let Some(op) = ops.chars().next() {
        let digits = ops[1..].bytes().take_while(u8::is_ascii_digit).count();
        let n = match &ops[1..1 + digits] {
            "" => 1,
            d => d.parse().ok()?,
        };
        steps.push(if op == '~' {
            Step::First(n)
        } else {
            Step::Parent(n)
        });
        ops = &ops[1 + digits..];
    }
    Some((base, steps))
}

fn short(c: &Commit<'_>) -> String {
    c.id().to_string()[..12].to_string()
}

/// Why `spec` did not resolve in `repo`, `err` being libgit2's answer.
pub(super) fn why_not(repo: &Repository, spec: &str, err: &git2::Error) -> String {
    let (base, steps) = split(spec).unwrap_or((spec, Vec::new()));
    let commit = match repo.revparse_single(base).and_then(|o| o.peel_to_commit()) {
        Ok(c) => c,
        Err(e) if e.code() == ErrorCode::NotFound && !steps.is_empty() => {
            return format!("{base:?} names no branch, tag or commit");
        }
        Err(_) if err.code() == ErrorCode::NotFound && steps.is_empty() => {
            return "it names no branch, tag or commit".to_string();
        }
        Err(_) => return err.message().to_string(),
    };
    let mut at = commit;
    let mut shown = base.to_string();
    for step in steps {
        match step {
            Step::First(n) => {
                for k in 0..n {
                    match at.parent(0) {
                        Ok(p) => at = p,
                        Err(_) => {
                            return format!(
                                "{shown} has only {k} first-parent ancestors (it reaches the \
                                 root commit {}), so {shown}~{n} does not exist",
                                short(&at)
                            );
                        }
                    }
                }
                shown = format!("{shown}~{n}");
            }
            Step::Parent(0) => shown.push_str("^0"),
            Step::Parent(n) => {
                let count = at.parent_count();
                match at.parent(n - 1) {
                    Ok(p) => at = p,
                    Err(_) => {
                        return format!(
                            "{shown} (commit {}) has {count} parent{}, so {shown}^{n} does not exist",
                            short(&at),
                            if count == 1 { "" } else { "s" }
                        );
                    }
                }
                shown = format!("{shown}^{n}");
            }
        }
    }
    err.message().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestry_steps_are_split_off_the_base() {
        assert_eq!(split("HEAD~1000"), Some(("HEAD", vec![Step::First(1000)])));
        assert_eq!(
            split("v1.0^2~3^"),
            Some((
                "v1.0",
                vec![Step::Parent(2), Step::First(3), Step::Parent(1)]
            ))
        );
        assert_eq!(split("main~"), Some(("main", vec![Step::First(1)])));
        assert_eq!(split("abc123"), None);
        assert_eq!(split("~3"), None);
    }
}
