//! The one rule loader: built-in rule files, keyhound rule files
//! (`[[rule]]` tables) and gitleaks/Betterleaks configs (`[[rules]]`
//! tables), told apart by their tables and read into [`RulesFile`]s.
//! Loading checks the schema; compiling the patterns is the engine's job
//! (see `rulecheck`).

use super::{LoadError, Rule, gitleaks};
use crate::diagnostic::Diagnostics;
use std::path::Path;

/// Rule files larger than this are refused: real ones are a few hundred KiB.
pub const MAX_RULES_FILE: u64 = crate::input::Kind::Rules.cap();

/// Which format a rules file was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// keyhound's own (`[[rule]]`, the schema of `rules/*.toml`).
    Keyhound,
    /// A gitleaks or Betterleaks config (`[[rules]]`), converted.
    Gitleaks,
}

/// The rules of one file, with what loading them had to say.
#[derive(Debug)]
pub struct RulesFile {
    /// The file (or `builtin:NAME`), as named in messages.
    pub origin: String,
    /// The format it was written in.
    pub format: Format,
    /// The rules, in file order.
    pub rules: Vec<Rule>,
    /// `(rule id, why)` of every rule left out (gitleaks rules whose regex
    /// the Rust engine cannot run).
    pub skipped: Vec<(String, String)>,
    /// Things read but not applied.
    pub notes: Vec<String>,
    /// Whether the file adds to the built-in rules (keyhound files, and
    /// gitleaks configs with `[extend] useDefault = true`) rather than
    /// standing alone, as a gitleaks config does for gitleaks.
    pub use_default: bool,
    /// A gitleaks config's allowlists (its own and any extended file's),
    /// for noise control.
    pub allowlists: Vec<gitleaks::GitleaksAllow>,
    /// A gitleaks config's `[extend] disabledRules`: ids of the default
    /// (keyhound's built-in) or extended rules to leave out.
    pub disabled_rules: Vec<String>,
}

impl RulesFile {
    /// Adds what loading this file had to say to `diags`: for a converted
    /// gitleaks config, its notes and how many rules loaded and were skipped.
    pub fn report(&self, diags: &Diagnostics) {
        if self.format != Format::Gitleaks {
            return;
        }
        let origin = &self.origin;
        for n in &self.notes {
            diags.note(format_args!("{origin}: {n}"));
        }
        for (id, why) in &self.skipped {
            tracing::info!("{origin}: skipped {id}: {why}");
        }
        let ids: Vec<&str> = self.skipped.iter().map(|s| s.0.as_str()).collect();
        let list = if ids.is_empty() {
            String::new()
        } else {
            format!(" ({})", ids.join(", "))
        };
        diags.note(format_args!(
            "{origin}: loaded {} rules, skipped {}{list}",
            self.rules.len(),
            ids.len()
        ));
    }
}

/// Parses a rules file of either format; `origin` names it in errors.
pub fn parse_file(text: &str, origin: &str) -> Result<RulesFile, LoadError> {
    if gitleaks::is_gitleaks(text) {
        Ok(RulesFile::gitleaks(origin, gitleaks::import(text, origin)?))
    } else {
        Ok(RulesFile::keyhound(origin, super::parse(text, origin)?))
    }
}

/// How many `[extend] path` links are followed, as in gitleaks.
const MAX_EXTEND_DEPTH: usize = 2;

/// Reads and parses the rules file at `path` (at most [`MAX_RULES_FILE`]
/// bytes); a gitleaks config's `[extend] path` is read too (relative to the
/// working directory, as gitleaks does, else to the extending file), its
/// rules and allowlists under this file's, its rules minus `disabledRules`.
pub fn read_file(path: &Path) -> Result<RulesFile, LoadError> {
    read_extending(path, 0)
}

fn read_extending(path: &Path, depth: usize) -> Result<RulesFile, LoadError> {
    let text = read_text(path)?;
    let origin = path.display().to_string();
    if !gitleaks::is_gitleaks(&text) {
        return parse_file(&text, &origin);
    }
    let mut imp = gitleaks::import(&text, &origin)?;
    let base = match imp.extend_path.take() {
        Some(p) if depth < MAX_EXTEND_DEPTH => {
            let p = Path::new(&p);
            let p = match path.parent() {
                Some(dir) if !p.exists() && p.is_relative() => dir.join(p),
                _ => p.to_path_buf(),
            };
            Some(read_extending(&p, depth + 1)?)
        }
        Some(p) => {
            imp.notes.push(format!(
                "[extend] path {p:?} not read: more than {MAX_EXTEND_DEPTH} levels of extension"
            ));
            None
        }
        None => None,
    };
    let mut file = RulesFile::gitleaks(&origin, imp);
    if let Some(base) = base {
        file.extend_from(base);
    }
    Ok(file)
}

impl RulesFile {
    /// A keyhound rule file named `origin`.
    fn keyhound(origin: &str, rules: Vec<Rule>) -> RulesFile {
        RulesFile {
            origin: origin.to_string(),
            format: Format::Keyhound,
            rules,
            skipped: Vec::new(),
            notes: Vec::new(),
            use_default: true,
            allowlists: Vec::new(),
            disabled_rules: Vec::new(),
        }
    }

    /// A converted gitleaks config named `origin`.
    fn gitleaks(origin: &str, imp: gitleaks::Imported) -> RulesFile {
        RulesFile {
            origin: origin.to_string(),
            format: Format::Gitleaks,
            rules: imp.rules,
            skipped: imp.skipped,
            notes: imp.notes,
            use_default: imp.use_default,
            allowlists: imp.allowlists,
            disabled_rules: imp.disabled_rules,
        }
    }

    /// Takes in the file this one extends: its rules (less the disabled
    /// ones and those this file redefines), allowlists, notes and
    /// `useDefault`.
    fn extend_from(&mut self, base: RulesFile) {
        let gone = |id: &str| {
            let bare = id.strip_prefix(gitleaks::ID_PREFIX).unwrap_or(id);
            self.disabled_rules.iter().any(|d| d == bare || d == id)
                || self.rules.iter().any(|r| r.id == id)
        };
        let kept: Vec<Rule> = base.rules.into_iter().filter(|r| !gone(&r.id)).collect();
        let own = std::mem::replace(&mut self.rules, kept);
        self.rules.extend(own);
        self.skipped.extend(base.skipped);
        self.notes.extend(
            base.notes
                .into_iter()
                .map(|n| format!("{} (extended): {n}", base.origin)),
        );
        self.allowlists.extend(base.allowlists);
        self.use_default |= base.use_default;
        self.disabled_rules.extend(base.disabled_rules);
    }
}

/// The text of the rules file at `path`, at most [`MAX_RULES_FILE`] bytes.
fn read_text(path: &Path) -> Result<String, LoadError> {
    let origin = path.display().to_string();
    let fail = |reason: String| LoadError {
        origin: origin.clone(),
        rule: None,
        reason,
    };
    let text = crate::input::read_text(path, crate::input::Kind::Rules)
        .map_err(|e| fail(format!("cannot read rules file: {e}")))?;
    Ok(text)
}

/// The built-in rule files, parsed (from the JSON the build script made of
/// them: see `rule::builtin`).
pub fn builtin_files() -> Vec<RulesFile> {
    super::builtin::parsed()
        .iter()
        .map(|(name, rules)| RulesFile::keyhound(&format!("builtin:{name}"), rules.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_load_through_one_entry() {
        let kh = "[[rule]]\nid = \"a.b\"\nname = \"A\"\nkeywords = [\"a\"]\npattern = '(a)'\n";
        let f = parse_file(kh, "kh.toml").unwrap();
        assert_eq!(f.format, Format::Keyhound);
        assert_eq!(f.rules[0].id, "a.b");
        let gl = "[[rules]]\nid = \"x\"\nregex = '''x([0-9]{4})'''\nkeywords = [\"x\"]\n";
        let f = parse_file(gl, "gl.toml").unwrap();
        assert_eq!(f.format, Format::Gitleaks);
        assert_eq!(f.rules[0].id, "gitleaks.x");
        let diags = Diagnostics::new();
        f.report(&diags);
        let notes: Vec<String> = diags.into_vec().into_iter().map(|d| d.message).collect();
        assert_eq!(notes, ["gl.toml: loaded 1 rules, skipped 0"]);
    }

    #[test]
    fn oversized_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.toml");
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(MAX_RULES_FILE + 1).unwrap();
        let err = read_file(&p).unwrap_err();
        assert!(err.reason.contains("larger than 16 MiB"), "{err}");
    }
}
