//! The terminal view: one block per finding, the most severe first (then in
//! the report's order), colored on a terminal, every piece of scanned text
//! sanitised, secrets redacted unless asked otherwise; a summary with the
//! counts per severity and the scan's duration.

use super::sanitize::sanitize;
use super::{Report, WriteOptions, redact_snippet};
use crate::finding::{Finding, Match};
use crate::finding::{Outcome, Verification};
use crate::rule::Severity;
use std::io::Write;

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

fn severity_code(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
    }
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
    }
}

/// Writes the human-readable report.
pub fn write(report: &Report, opts: &WriteOptions, w: &mut dyn Write) -> std::io::Result<()> {
    let st = Style { on: opts.color };
    let findings = by_severity(report);
    if report.repos.is_empty() {
        for f in &findings {
            finding(report, f, |_| true, opts, &st, w)?;
            writeln!(w)?;
        }
        return summary(report, &st, w);
    }
    // Many repositories: one section each; a credential found in several
    // repositories is shown in each, with that repository's locations.
    for r in &report.repos {
        let what = match &r.error {
            Some(e) => st.paint("1;31", &format!("not scanned: {}", sanitize(e))),
            None => format!(
                "{}, {}",
                plural(r.findings, "finding"),
                plural(r.scanned, "blob")
            ),
        };
        writeln!(
            w,
            "{} {}  {what}",
            st.paint("1", "repository"),
            sanitize(&r.name)
        )?;
        writeln!(w)?;
        let in_repo = |m: &Match| m.repo.as_deref() == Some(r.name.as_str());
        for f in findings.iter().filter(|f| f.matches.iter().any(in_repo)) {
            finding(report, f, in_repo, opts, &st, w)?;
            writeln!(w)?;
        }
    }
    summary(report, &st, w)
}

/// The findings, critical first, each severity in the report's order.
fn by_severity(report: &Report) -> Vec<&Finding> {
    let mut v: Vec<&Finding> = report.findings.iter().collect();
    v.sort_by_key(|f| std::cmp::Reverse(report.severity(&f.rule)));
    v
}

fn finding(
    report: &Report,
    f: &Finding,
    keep: impl Fn(&Match) -> bool,
    opts: &WriteOptions,
    st: &Style,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    let sev = report.severity(&f.rule);
    let pair = match (&f.key, report.rule(&f.rule).and_then(|r| r.pair.as_ref())) {
        (Some(_), Some(p)) => format!(" + {}", p.name),
        (None, Some(p)) => format!(" (no {} found nearby)", p.name),
        _ => String::new(),
    };
    writeln!(
        w,
        "{} {}{}  {}",
        st.paint(severity_code(sev), &format!("[{}]", severity_name(sev))),
        st.paint("1", &sanitize(report.rule_name(&f.rule))),
        pair,
        st.paint("2", &f.rule),
    )?;
    writeln!(w, "  secret       {}", sanitize(&opts.secret(&f.secret)))?;
    if let Some(k) = &f.key {
        writeln!(w, "  key          {}", sanitize(&opts.secret(k)))?;
    }
    if let Some(t) = &f.token {
        writeln!(w, "  token        {}", sanitize(&opts.secret(t)))?;
    }
    if let Some(v) = &f.verification {
        writeln!(w, "  verified     {}", verification(v, st))?;
        if let Some(i) = &v.incident {
            incident(i, w)?;
        }
    }
    if let Some(r) = &f.response {
        writeln!(
            w,
            "  response     {}: {}",
            r.action.word(),
            sanitize(&r.detail)
        )?;
    }
    if let Some(in_head) = f.in_head {
        let s = if in_head {
            "yes"
        } else {
            "no (history only: rotate it anyway)"
        };
        writeln!(w, "  at HEAD      {s}")?;
    }
    writeln!(w, "  fingerprint  {}", f.fingerprint)?;
    let elsewhere = f.matches.iter().filter(|m| !keep(m)).count();
    for m in f.matches.iter().filter(|m| keep(m)) {
        location(f, m, opts, st, w)?;
    }
    if elsewhere > 0 {
        let repos: std::collections::BTreeSet<_> = f
            .matches
            .iter()
            .filter(|m| !keep(m))
            .filter_map(|m| m.repo.as_deref())
            .collect();
        writeln!(
            w,
            "  also in      {} other {}",
            repos.len(),
            if repos.len() == 1 {
                "repository"
            } else {
                "repositories"
            }
        )?;
    }
    Ok(())
}

fn location(
    f: &Finding,
    m: &Match,
    opts: &WriteOptions,
    st: &Style,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    let key_at = match m.key_location {
        Some(k) if k.line != m.location.line => format!("  (key at line {})", k.line),
        _ => String::new(),
    };
    let decoded = if m.decoded.is_empty() {
        String::new()
    } else {
        let how = if m.decoded.iter().any(|e| e.is_decryption()) {
            "decrypted"
        } else {
            "decoded"
        };
        let chain: Vec<&str> = m.decoded.iter().map(|e| e.name()).collect();
        format!("  ({how}: {})", chain.join(" → "))
    };
    match m.binary {
        Some(offset) => writeln!(
            w,
            "  {} {}  (binary, offset {offset}){}",
            st.paint("36", "at"),
            sanitize(&m.path()),
            decoded
        )?,
        None => writeln!(
            w,
            "  {} {}:{}:{}{}{}",
            st.paint("36", "at"),
            sanitize(&m.path()),
            m.location.line,
            m.location.column,
            key_at,
            decoded
        )?,
    }
    if let Some(c) = m.provenance.commit() {
        writeln!(
            w,
            "     commit {} {} <{}> {}  {}",
            &c.sha[..c.sha.len().min(12)],
            sanitize(&c.author),
            sanitize(&c.email),
            super::json::rfc3339(c.time),
            sanitize(&c.summary)
        )?;
    }
    let snippet = redact_snippet(m, f, opts.show_secrets);
    writeln!(
        w,
        "     {}",
        st.paint("2", sanitize(snippet.trim()).as_str())
    )
}

/// What a live key did, can do and left behind, one line each.
fn incident(i: &crate::finding::incident::Incident, w: &mut dyn Write) -> std::io::Result<()> {
    if let Some(a) = &i.activity {
        writeln!(w, "  activity     {}", sanitize(&a.summary()))?;
    }
    if let Some(a) = &i.access {
        writeln!(w, "  can do       {}", sanitize(&a.summary()))?;
    }
    if let Some(p) = &i.persistence {
        writeln!(w, "  persistence  {}", sanitize(&p.summary()))?;
    }
    if let Some(a) = &i.alarms {
        let line = crate::finding::incident::alarms_summary(a);
        writeln!(w, "  alarms       {}", sanitize(&line))?;
    }
    for g in &i.gaps {
        writeln!(w, "  not read     {}", sanitize(g))?;
    }
    Ok(())
}

fn verification(v: &Verification, st: &Style) -> String {
    let (code, word) = match v.outcome {
        Outcome::Live => ("1;31", "LIVE"),
        Outcome::NotLive => ("32", "not live"),
        Outcome::WrongKey => ("33", "wrong key"),
        Outcome::Unknown => ("33", "unknown"),
        Outcome::Skipped => ("2", "skipped"),
    };
    let mut s = format!("{}: {}", st.paint(code, word), sanitize(&v.detail));
    if let Some(o) = &v.owner {
        let mut parts = Vec::new();
        if let Some(p) = &o.principal {
            parts.push(p.clone());
        }
        if let Some(n) = &o.name {
            parts.push(format!("name {n}"));
        }
        if let Some(u) = &o.uin {
            parts.push(format!("uin {u}"));
        }
        if let Some(u) = &o.owner_uin {
            parts.push(format!("owner {u}"));
        }
        if let Some(a) = o.app_id {
            parts.push(format!("appid {a}"));
        }
        if let Some(a) = &o.arn {
            parts.push(format!("arn {a}"));
        }
        s.push_str(&format!(" [{}]", sanitize(&parts.join(", "))));
    }
    if let Some(st) = &v.status {
        s.push_str(&format!(", status {st}"));
    }
    if let Some(c) = &v.created {
        s.push_str(&format!(", created {}", sanitize(c)));
    }
    if let Some(l) = &v.last_used {
        s.push_str(&format!(", last used {} UTC", sanitize(l)));
        if let Some(n) = &v.last_used_note {
            s.push_str(&format!(" ({})", sanitize(n)));
        }
    } else if let Some(n) = &v.last_used_note {
        s.push_str(&format!(", {}", sanitize(n)));
    }
    if let Some(r) = &v.request_id {
        s.push_str(&format!(" (RequestId {})", sanitize(r)));
    }
    s
}

fn summary(report: &Report, st: &Style, w: &mut dyn Write) -> std::io::Result<()> {
    let s = &report.stats;
    let n = report.findings.len();
    let head = match n {
        0 => st.paint("32", "no credentials found"),
        1 => st.paint("1;31", "1 finding"),
        _ => st.paint("1;31", &format!("{n} findings")),
    };
    let took = report
        .duration
        .map(|d| format!(", {}", duration(d)))
        .unwrap_or_default();
    let mut line = format!(
        "{head} in {} scanned ({}{took})",
        plural(s.scanned, s.unit.noun()),
        bytes(s.bytes)
    );
    let mut per = std::collections::BTreeMap::new();
    for f in &report.findings {
        *per.entry(std::cmp::Reverse(report.severity(&f.rule)))
            .or_insert(0u64) += 1;
    }
    if !per.is_empty() {
        let counts: Vec<String> = per
            .iter()
            .map(|(sev, n)| {
                let name = severity_name(sev.0);
                st.paint(severity_code(sev.0), &format!("{n} {name}"))
            })
            .collect();
        line.push_str(&format!(": {}", counts.join(", ")));
    }
    if s.archive_members > 0 {
        line.push_str(&format!(
            ", {} in {}",
            plural(s.archive_members, "archive member"),
            plural(s.archives, "archive")
        ));
    }
    let mut skipped = Vec::new();
    if s.skipped_binary > 0 {
        skipped.push(format!("{} binary", s.skipped_binary));
    }
    if s.skipped_too_large > 0 {
        skipped.push(format!("{} over the size limit", s.skipped_too_large));
    }
    if s.unreadable > 0 {
        skipped.push(format!("{} unreadable", s.unreadable));
    }
    if !skipped.is_empty() {
        line.push_str(&format!("; skipped {}", skipped.join(", ")));
    }
    if report.suppressed > 0 {
        line.push_str(&format!("; {} suppressed", report.suppressed));
    }
    writeln!(w, "{line}")
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn duration(d: std::time::Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.2} s")
    } else {
        format!("{} min {:02} s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
