//! The crate's layering, checked over the source text: no import cycle
//! between the top-level modules of `src/`, only `cli` (and `main.rs`)
//! prints or knows clap, only `verify`, `action` and `org::forge` open
//! network connections (`org::clone` runs `git`), and the tests'
//! environment scrub covers every variable the binary reads.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `(top-level module, source without line comments)` of every file.
fn sources() -> Vec<(String, String, PathBuf)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap();
            let first = rel.components().next().unwrap().as_os_str();
            let top = first.to_string_lossy().trim_end_matches(".rs").to_string();
            let code: String = std::fs::read_to_string(&p)
                .unwrap()
                .lines()
                .map(|l| match l.find("//") {
                    Some(i) => &l[..i],
                    None => l,
                })
                .collect::<Vec<_>>()
                .join("\n");
            (top, code, rel.to_path_buf())
        })
        .collect()
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules `code` names through `crate::`, including the
/// items of `use crate::{a, b::c}`.
fn crate_refs(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut start = 0;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        out.insert(ident(group[start..j].trim()).to_string());
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(ident(group[start..j].trim()).to_string());
                        start = j + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(rest).to_string());
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

#[test]
fn modules_of_src_form_no_import_cycle() {
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (top, code, _) in sources() {
        if top == "lib" || top == "main" {
            continue;
        }
        let refs = crate_refs(&code);
        let entry = deps.entry(top.clone()).or_default();
        entry.extend(refs.into_iter().filter(|r| *r != top));
    }
    assert!(deps.contains_key("engine") && deps.contains_key("cli"));
    assert!(
        !deps["rule"].contains("engine"),
        "rule must not depend on engine"
    );
    // Depth-first search; a back edge is a cycle.
    fn visit(
        m: &str,
        deps: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(m) {
            return;
        }
        if let Some(i) = path.iter().position(|p| p == m) {
            panic!(
                "import cycle between modules of src/: {} -> {m}",
                path[i..].join(" -> ")
            );
        }
        path.push(m.to_string());
        for d in deps.get(m).into_iter().flatten() {
            visit(d, deps, path, done);
        }
        path.pop();
        done.insert(m.to_string());
    }
    let mut done = BTreeSet::new();
    for m in deps.keys() {
        visit(m, &deps, &mut Vec::new(), &mut done);
    }
}

#[test]
fn cycle_finder_sees_grouped_imports() {
    let refs =
        crate_refs("use crate::{engine::Engine, rule::{self, Rule}};\nx = crate::scan::run();");
    let want: BTreeSet<String> = ["engine", "rule", "scan"].map(String::from).into();
    assert_eq!(refs, want);
}

#[test]
fn only_cli_prints_and_knows_clap() {
    let banned = [
        "println!",
        "eprintln!",
        "print!(",
        "eprint!(",
        "dbg!(",
        "io::stdout(",
        "io::stderr(",
        "message::",
        "clap::",
    ];
    let mut found = Vec::new();
    for (top, code, rel) in sources() {
        if top == "cli" || top == "main" {
            continue;
        }
        for b in banned {
            if code.contains(b) {
                found.push(format!("{}: {b}", rel.display()));
            }
        }
    }
    assert!(found.is_empty(), "printing outside src/cli: {found:#?}");
}

/// The files of `files` (path under `src/`, code) that name a network API
/// or start a process outside the modules invariant 3 of src/lib.rs allows
/// (`cli` may run programs of its own, such as a hook's).
fn network_outside_allowed<'a>(files: impl Iterator<Item = (&'a Path, &'a str)>) -> Vec<String> {
    let net = [
        "reqwest",
        "TcpStream",
        "TcpListener",
        "UdpSocket",
        "ToSocketAddrs",
        "hyper::",
    ];
    let may_connect = ["verify/", "action/", "org/forge/"];
    let mut found = Vec::new();
    for (rel, code) in files {
        let rel_s = rel.to_string_lossy().replace('\\', "/");
        if !may_connect.iter().any(|m| rel_s.starts_with(m)) {
            for n in net {
                if code.contains(n) {
                    found.push(format!("{rel_s}: {n}"));
                }
            }
        }
        // A unit test may run git to build its fixture; the library may not.
        let library = code.split("#[cfg(test)]").next().unwrap_or_default();
        let may_spawn = rel_s == "org/clone.rs" || rel_s.starts_with("cli/");
        if !may_spawn && library.contains("Command::new") {
            found.push(format!("{rel_s}: Command::new"));
        }
    }
    found
}

#[test]
fn only_verify_action_and_org_forge_open_network_connections() {
    let files = sources();
    let found = network_outside_allowed(files.iter().map(|(_, c, p)| (p.as_path(), c.as_str())));
    assert!(
        found.is_empty(),
        "network or processes outside the allowed modules: {found:#?}"
    );
}

#[test]
fn network_check_sees_a_client_outside_the_allowed_modules() {
    let files = [
        (
            Path::new("scan/mod.rs"),
            "let c = reqwest::blocking::Client::new();",
        ),
        (
            Path::new("org/forge/http.rs"),
            "let c = reqwest::blocking::Client::new();",
        ),
        (
            Path::new("report/mod.rs"),
            "std::process::Command::new(\"curl\")",
        ),
        (Path::new("org/clone.rs"), "Command::new(\"git\")"),
        (
            Path::new("source/git/pack.rs"),
            "fn read() {}\n#[cfg(test)]\nmod tests { fn f() { Command::new(\"git\"); } }",
        ),
        (
            Path::new("source/git/loose.rs"),
            "fn read() { Command::new(\"git\"); }\n#[cfg(test)]\nmod tests {}",
        ),
    ];
    assert_eq!(
        network_outside_allowed(files.into_iter()),
        [
            "scan/mod.rs: reqwest",
            "report/mod.rs: Command::new",
            "source/git/loose.rs: Command::new"
        ]
    );
}

#[test]
fn the_test_environment_drops_every_variable_the_binary_reads() {
    // Names read directly, and upper-case names with an underscore, which
    // is how the lists and constants of variable names are written.
    let read = regex::Regex::new(
        r#"(?:var(?:_os)?\(|env = )"([A-Z][A-Z0-9_]*)"|"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)""#,
    )
    .unwrap();
    // Not environment variables: build-time names and strings in rule,
    // decoder and signature tests (Qiniu's documented example keys), and
    // CAM policy condition operators as policy documents spell them.
    let not_env = |n: &str| {
        n.starts_with("CARGO_")
            || n == "OUT_DIR"
            || matches!(
                n,
                "MY_TC_SECRET_KEY"
                    | "CLIENT_SECRET"
                    | "MY_ACCESS_KEY"
                    | "MY_SECRET_KEY"
                    | "IP_EQUAL"
                    | "IP_NOT_EQUAL"
            )
    };
    let mut missed = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for (_, code, rel) in sources() {
        for c in read.captures_iter(&code) {
            let name = c.get(1).or(c.get(2)).unwrap().as_str();
            // HOME is replaced by an empty one and PATH finds git.
            if not_env(name) || matches!(name, "HOME" | "PATH") {
                continue;
            }
            seen.insert(name.to_string());
            if !crate::util::scrubbed(name) {
                missed.insert(format!("{}: {name}", rel.display()));
            }
        }
    }
    assert!(
        seen.contains("TENCENTCLOUD_SECRET_ID") && seen.contains("PRE_COMMIT_FROM_REF"),
        "the pattern no longer finds the variables: {seen:?}"
    );
    assert!(missed.is_empty(), "tests/util does not scrub: {missed:#?}");
}
