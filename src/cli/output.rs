//! Output files (`-o`): a regular file is written to a temporary file
//! beside it and renamed over it, so a full disk or an interrupted run
//! leaves the old report or baseline whole; symbolic links are written
//! through, devices and FIFOs written into, `-` is standard output. Every
//! error names the target file.
//!
//! PERF: not fsynced. A report is what a read-only scan can write again,
//! and a pre-commit scan runs in about 30 ms, which syncing the file and its
//! directory more than doubled; the rename alone keeps every reader from
//! seeing half a file. What must survive a crash (the action journal) is
//! synced where it is written.

use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file being written; becomes `target` on [`OutputFile::commit`], and
/// disappears if dropped before.
pub(crate) struct OutputFile {
    target: PathBuf,
    temp: PathBuf,
    w: Option<std::io::BufWriter<std::fs::File>>,
    renamed: bool,
}

impl OutputFile {
    /// Creates the temporary file beside `target`; readable by its owner
    /// only when `private` (it holds raw secrets).
    pub(crate) fn create(target: &Path, private: bool) -> anyhow::Result<OutputFile> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = target
            .file_name()
            .with_context(|| format!("cannot write {}: not a file name", target.display()))?;
        let mut last = None;
        for n in 0..100u32 {
            let mut temp_name = std::ffi::OsString::from(".");
            temp_name.push(name);
            temp_name.push(format!(".keyhound-{}-{n}.tmp", std::process::id()));
            let temp = dir.join(temp_name);
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            if private {
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            }
            match options.open(&temp) {
                Ok(f) => {
                    return Ok(OutputFile {
                        target: target.to_path_buf(),
                        temp,
                        w: Some(std::io::BufWriter::new(f)),
                        renamed: false,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot create {}", target.display()));
                }
            }
        }
        Err(last.expect("a create attempt failed"))
            .with_context(|| format!("cannot create {}", target.display()))
    }

    /// Flushes the file and renames it over the target.
    pub(crate) fn commit(mut self) -> anyhow::Result<()> {
        let w = self.w.take().expect("not yet committed");
        let what = || format!("cannot write {}", self.target.display());
        let f = w
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(what)?;
        drop(f);
        std::fs::rename(&self.temp, &self.target).with_context(what)?;
        self.renamed = true;
        Ok(())
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.w.as_mut().expect("not yet committed").write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.w.as_mut().expect("not yet committed").flush()
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if !self.renamed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Writes `target` through `fill`: `-` is standard output; a symbolic
/// link is written through to the file it names; a device, FIFO or socket
/// is opened and written into, never replaced; a regular file (or a new
/// one) is written whole or left as it was.
pub(crate) fn write_file(
    target: &Path,
    fill: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    write_file_private(target, false, fill)
}

/// [`write_file`], a new or replaced regular file created readable by its
/// owner only when `private` (a report holding raw secrets).
pub(crate) fn write_file_private(
    target: &Path,
    private: bool,
    fill: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let what = || format!("cannot write {}", target.display());
    if target.as_os_str() == "-" {
        let mut w = std::io::BufWriter::new(std::io::stdout().lock());
        fill(&mut w).with_context(what)?;
        return w.flush().with_context(what);
    }
    let resolved = resolve_links(target).with_context(what)?;
    let special = std::fs::metadata(&resolved).is_ok_and(|m| !m.is_file() && !m.is_dir());
    if special {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&resolved)
            .with_context(what)?;
        let mut w = std::io::BufWriter::new(f);
        fill(&mut w).with_context(what)?;
        return w.flush().with_context(what);
    }
    let mut f = OutputFile::create(&resolved, private)?;
    fill(&mut f).with_context(what)?;
    f.commit()
}

/// The path a chain of symbolic links at `p` ends at (which may not exist
/// yet); `p` itself when it is no link. Gives up after 40 links, as the
/// kernel does.
fn resolve_links(p: &Path) -> std::io::Result<PathBuf> {
    let mut p = p.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.json");
        std::fs::write(&target, "old").unwrap();
        let err = write_file(&target, |w| {
            w.write_all(b"half")?;
            anyhow::bail!("disk full")
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("report.json"), "{err:#}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        write_file(&target, |w| Ok(w.write_all(b"new")?)).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn links_are_written_through_and_devices_into() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("sub/real.json");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("sub/real.json", &link).unwrap();
        write_file(&link, |w| Ok(w.write_all(b"new")?)).unwrap();
        assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink("sub/made.json", &dangling).unwrap();
        write_file(&dangling, |w| Ok(w.write_all(b"made")?)).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("sub/made.json")).unwrap(),
            "made"
        );
        let null = Path::new("/dev/null");
        write_file(null, |w| Ok(w.write_all(b"gone")?)).unwrap();
        assert!(!null.metadata().unwrap().is_file(), "still a device");
        let loop_ = dir.path().join("loop");
        std::os::unix::fs::symlink("loop", &loop_).unwrap();
        let err = write_file(&loop_, |w| Ok(w.write_all(b"x")?)).unwrap_err();
        assert!(format!("{err:#}").contains("symbolic links"), "{err:#}");
    }
}
