//! Output files (`-o`): written to a temporary file beside the target and
//! renamed over it, so a full disk or an interrupted run leaves the old
//! report or baseline whole. Every error names the target file.
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
    /// Creates the temporary file beside `target`.
    pub(crate) fn create(target: &Path) -> anyhow::Result<OutputFile> {
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
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp)
            {
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

/// Writes `target` whole through `fill`, or leaves it as it was.
pub(crate) fn write_file(
    target: &Path,
    fill: impl FnOnce(&mut OutputFile) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut f = OutputFile::create(target)?;
    fill(&mut f).with_context(|| format!("cannot write {}", target.display()))?;
    f.commit()
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
}
