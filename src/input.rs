//! The one reader of input files that are not scan targets: reports
//! (`verify --from`, `disable --from`, `report merge`), baselines, journals,
//! configs, ignore files, rules files, credential files, and the files a
//! report's locations point at when `verify` reads a secret again.
//!
//! Only regular files are read: a device, FIFO or socket (directly or
//! through a symlink) is refused without blocking (the file is opened
//! non-blocking and checked again after opening), and a file larger than its
//! kind's cap is refused from its size before a byte is read. The caps are
//! listed in `docs/limits.md`.

use std::io::Read;
use std::path::Path;

/// What an input file is, which sets its size cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A keyhound JSON report read back (verify, disable, merge).
    Report,
    /// A baseline (keyhound's own, an earlier report, a gitleaks report).
    Baseline,
    /// A response journal.
    Journal,
    /// A config file (`.keyhound.toml`, a gitleaks config).
    Config,
    /// A config found in the scanned tree, not given by `--config`.
    TreeConfig,
    /// An ignore file (`.keyhoundignore`, `.gitleaksignore`).
    Ignore,
    /// A rules file.
    Rules,
    /// A credentials file (Tencent CLI profile and the like).
    Credential,
    /// A file a report's location points at, read again by `verify`.
    Located,
}

impl Kind {
    /// The largest file of this kind that is read.
    pub const fn cap(self) -> u64 {
        match self {
            Kind::Report | Kind::Baseline => 256 << 20,
            Kind::Journal => 64 << 20,
            Kind::Config | Kind::Ignore | Kind::Rules => 16 << 20,
            Kind::TreeConfig => 1 << 20,
            Kind::Credential => 64 << 10,
            // The default largest scanned file: a location cannot point
            // further than a default scan reads.
            Kind::Located => 100 << 20,
        }
    }
}

/// What kind of non-regular file `t` is, in words.
fn what(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

fn refuse(t: std::fs::FileType) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("not a regular file ({})", what(t)),
    )
}

fn too_large(cap: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::FileTooLarge,
        if cap >= 1 << 20 {
            format!("larger than {} MiB", cap >> 20)
        } else {
            format!("larger than {} KiB", cap >> 10)
        },
    )
}

#[cfg(any(target_os = "linux", target_os = "android"))]
const O_NONBLOCK: i32 = 0o4000;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const O_NONBLOCK: i32 = 0x0004;

/// The bytes of `path`, a `kind` file, at most `kind.cap()` of them. The
/// error says why (not a regular file, too large, or the OS error); callers
/// name the file.
pub fn read(path: &Path, kind: Kind) -> std::io::Result<Vec<u8>> {
    read_within(path, kind.cap())
}

/// [`read`] with an explicit cap.
pub fn read_within(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(refuse(meta.file_type()));
    }
    if meta.len() > cap {
        return Err(too_large(cap));
    }
    // Non-blocking, so a FIFO swapped in after the check cannot hang the open.
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(refuse(meta.file_type()));
    }
    if meta.len() > cap {
        return Err(too_large(cap));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(too_large(cap));
    }
    Ok(bytes)
}

/// [`read`] as UTF-8 text.
pub fn read_text(path: &Path, kind: Kind) -> std::io::Result<String> {
    read_text_within(path, kind.cap())
}

/// [`read_within`] as UTF-8 text.
pub fn read_text_within(path: &Path, cap: u64) -> std::io::Result<String> {
    String::from_utf8(read_within(path, cap)?).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_directories_are_refused() {
        let e = read(Path::new("/dev/zero"), Kind::Report).unwrap_err();
        assert!(e.to_string().contains("a device"), "{e}");
        // FIFOs: tests/hostile/inputs.rs, through the binary.
        let dir = tempfile::tempdir().unwrap();
        let e = read(dir.path(), Kind::Config).unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
    }

    #[test]
    fn oversized_files_are_refused_from_their_size() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(Kind::Baseline.cap() + 1)
            .unwrap();
        let e = read(&big, Kind::Baseline).unwrap_err();
        assert!(e.to_string().contains("larger than 256 MiB"), "{e}");
        std::fs::write(&big, "ok").unwrap();
        assert_eq!(read_text(&big, Kind::Baseline).unwrap(), "ok");
    }
}
