//! `keyhound install-hook`: writes a native git pre-commit (or pre-push)
//! hook that runs keyhound.

use super::args::InstallHookArgs;
use super::exit::Exit;
use crate::source::git as src;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// The line that marks a hook as ours, so reinstalling is safe and foreign
/// hooks are left alone.
const HOOK_MARKER: &str = "# keyhound-managed hook";

/// `keyhound install-hook`: writes a native git hook, honouring
/// `core.hooksPath`; idempotent; refuses to replace a foreign hook unless
/// `--force`.
pub(crate) fn run(a: &InstallHookArgs) -> anyhow::Result<Exit> {
    let path = a.repo.clone().unwrap_or_else(|| PathBuf::from("."));
    let repo = src::open(&path)?;
    let (name, mode) = if a.pre_push {
        ("pre-push", "--pre-push")
    } else {
        ("pre-commit", "--staged")
    };
    let dir = hooks_dir(&repo)?;
    let hook = dir.join(name);
    refuse_links_out(&repo, &hook)?;
    // `keyhound` as found on PATH at commit time, so upgrades (a new
    // versioned install directory) keep working; the hook blocks, never
    // passes, when it is gone.
    let script = if on_path("keyhound") {
        format!(
            "#!/bin/sh\n{HOOK_MARKER}: written by `keyhound install-hook`; delete this file to uninstall.\n\
             if ! command -v keyhound >/dev/null 2>&1; then\n\
             \techo \"keyhound: not found on PATH; install it, or delete $0 to run without this hook\" >&2\n\
             \texit 2\n\
             fi\n\
             exec keyhound scan {mode} --quiet\n"
        )
    } else {
        let exe = std::env::current_exe().context("cannot find the keyhound executable")?;
        eprintln!(
            "keyhound: note: keyhound is not on PATH; the hook runs {}",
            exe.display()
        );
        format!(
            "#!/bin/sh\n{HOOK_MARKER}: written by `keyhound install-hook`; delete this file to uninstall.\n\
             exec {} scan {mode} --quiet\n",
            shell_quote(&exe.to_string_lossy())
        )
    };
    match std::fs::read(&hook) {
        Ok(old) if old == script.as_bytes() => {
            println!(
                "keyhound {name} hook already installed at {}",
                hook.display()
            );
            return Ok(Exit::Clean);
        }
        Ok(old) if !a.force && !String::from_utf8_lossy(&old).contains(HOOK_MARKER) => {
            anyhow::bail!(
                "{} exists and was not written by keyhound; rerun with --force to replace it",
                hook.display()
            );
        }
        _ => {}
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(&hook, &script).with_context(|| format!("cannot write {}", hook.display()))?;
    make_executable(&hook)?;
    println!("installed keyhound {name} hook at {}", hook.display());
    Ok(Exit::Clean)
}

/// Fails when `hook` is a symbolic link (dangling or not) whose chain ends
/// outside the repository's work tree and git directory: writing through it
/// would put a file wherever the link's author chose.
fn refuse_links_out(repo: &git2::Repository, hook: &Path) -> anyhow::Result<()> {
    let is_link = |p: &Path| {
        p.symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
    };
    if !is_link(hook) {
        return Ok(());
    }
    let refuse = |to: &Path| {
        anyhow::anyhow!(
            "{} is a symbolic link leading out of the repository (to {}); remove it to install the hook",
            hook.display(),
            to.display()
        )
    };
    let mut end = hook.to_path_buf();
    for _ in 0..40 {
        if !is_link(&end) {
            break;
        }
        let to =
            std::fs::read_link(&end).with_context(|| format!("cannot read {}", end.display()))?;
        end = end.parent().unwrap_or(Path::new(".")).join(to);
    }
    if is_link(&end) {
        return Err(refuse(&end));
    }
    let inside = |root: &Path| {
        let (Ok(root), Some(parent), Some(file)) =
            (root.canonicalize(), end.parent(), end.file_name())
        else {
            return false;
        };
        parent
            .canonicalize()
            .is_ok_and(|p| p.join(file).starts_with(&root) && p.starts_with(&root))
    };
    let roots = [repo.workdir(), Some(repo.path()), Some(repo.commondir())];
    if roots.into_iter().flatten().any(inside) {
        Ok(())
    } else {
        Err(refuse(&end))
    }
}

/// `core.hooksPath` (relative to the work tree, as git reads it) or `hooks/`
/// in the common git dir (shared by linked work trees).
fn hooks_dir(repo: &git2::Repository) -> anyhow::Result<PathBuf> {
    let cfg = repo
        .config()
        .context("cannot read the repository's git config")?;
    match cfg.get_path("core.hooksPath") {
        Ok(p) if p.is_absolute() => Ok(p),
        Ok(p) => Ok(repo.workdir().unwrap_or_else(|| repo.path()).join(p)),
        Err(_) => Ok(repo.commondir().join("hooks")),
    }
}

/// Whether an executable file `name` is in a directory of PATH.
fn on_path(name: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|d| is_executable(&d.join(name)))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.with_extension("exe").is_file() || p.is_file()
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(unix)]
fn make_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quote_escapes_single_quotes() {
        assert_eq!(shell_quote("/a b/it's"), r"'/a b/it'\''s'");
    }
}
