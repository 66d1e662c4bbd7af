//! The one way the core and the tools touch files a user can influence: reads that
//! are capped in size and accept regular files only (never a FIFO, a device or a
//! directory), paths kept inside a story folder after links are resolved, and writes
//! that are atomic and durable (a temporary file, fsync, rename).

use std::fmt;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

/// Why a file could not be read.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReadError {
    /// Not there.
    NotFound,
    /// A directory, FIFO, socket or device.
    NotAFile,
    /// Bigger than the cap.
    TooBig {
        /// The cap, in bytes.
        limit: usize,
    },
    /// Its real path (links resolved) is outside the folder it must stay in.
    Outside {
        /// The folder.
        root: PathBuf,
    },
    /// Not UTF-8: the byte offset of the first bad byte.
    NotUtf8 {
        /// Offset of the first byte that is not valid UTF-8.
        offset: usize,
    },
    /// Any other I/O error.
    Io(std::io::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotFound => write!(f, "no such file"),
            ReadError::NotAFile => write!(f, "not a regular file"),
            ReadError::TooBig { limit } => write!(f, "the file is larger than the limit of {limit} bytes"),
            ReadError::Outside { root } => write!(f, "the file (after following links) is outside {}", root.display()),
            ReadError::NotUtf8 { offset } => write!(f, "not UTF-8 text (bad byte at offset {offset})"),
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ReadError {}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::NotFound { ReadError::NotFound } else { ReadError::Io(e) }
    }
}

/// Reads at most `limit` bytes of a regular file. A file that is larger (or grows
/// while it is read) is refused, not truncated; anything but a regular file is refused
/// before it is opened, so a FIFO cannot block the reader.
pub fn read_capped(path: &Path, limit: usize) -> Result<Vec<u8>, ReadError> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile);
    }
    if meta.len() > limit as u64 {
        return Err(ReadError::TooBig { limit });
    }
    let file = std::fs::File::open(path)?;
    // The path may have been swapped between the check and the open.
    if !file.metadata()?.is_file() {
        return Err(ReadError::NotAFile);
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(ReadError::TooBig { limit });
    }
    Ok(bytes)
}

/// [`read_capped`], as UTF-8 text (a leading byte-order mark is dropped).
pub fn read_text_capped(path: &Path, limit: usize) -> Result<String, ReadError> {
    let bytes = read_capped(path, limit)?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").map(<[u8]>::to_vec).unwrap_or(bytes);
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 { offset: e.utf8_error().valid_up_to() })
}

/// Resolves `rel` (a relative path with no `..`) inside `root` and checks that its
/// real path, every link followed, is still inside `root`'s real path.
pub fn inside(root: &Path, rel: &str) -> Result<PathBuf, ReadError> {
    let rel_path = Path::new(rel);
    if rel_path.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err(ReadError::Outside { root: root.to_path_buf() });
    }
    let real_root = std::fs::canonicalize(root)?;
    let real = std::fs::canonicalize(root.join(rel_path))?;
    if !real.starts_with(&real_root) {
        return Err(ReadError::Outside { root: root.to_path_buf() });
    }
    Ok(real)
}

/// Reads `rel` inside `root` as text: [`inside`], then [`read_text_capped`].
pub fn read_inside(root: &Path, rel: &str, limit: usize) -> Result<String, ReadError> {
    read_text_capped(&inside(root, rel)?, limit)
}

/// Writes a file atomically and durably: a temporary file beside it (a name no other
/// writer uses, created exclusively, so no unrelated file is touched), flushed to
/// disk, renamed over the target, and the folder synced. A crash leaves the old file
/// or the new one, never half of either.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let mut attempt = 0;
    let (tmp, file) = loop {
        let tmp = dir.join(format!(".{name}.{}.tmp", unique()));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let result = (|| {
        {
            // Closed at the end of this block, before the rename.
            let mut file = file;
            file.write_all(bytes)?;
            file.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        sync_dir(&dir);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Makes a rename durable (on Unix a folder can be opened and synced; elsewhere this
/// is a no-op).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// A temporary file name no other writer uses: the process id and a counter.
fn unique() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    #[cfg(target_arch = "wasm32")]
    let pid = 0;
    #[cfg(not(target_arch = "wasm32"))]
    let pid = std::process::id();
    format!("{pid}-{n}")
}

/// Reads one line (up to `\n`) of at most `limit` bytes from `r`. Longer lines are
/// consumed to their end and reported as `Err(TooLong)`, so an endless line never
/// grows memory; a line that is not UTF-8 is reported, not silently ended.
pub fn read_line_capped(r: &mut impl std::io::BufRead, limit: usize) -> Result<Option<String>, LineError> {
    let mut buf = Vec::new();
    let mut too_long = false;
    let mut any = false;
    loop {
        let chunk = r.fill_buf().map_err(LineError::Io)?;
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if !too_long {
            let room = limit.saturating_sub(buf.len());
            let body = if done { take - 1 } else { take };
            if body > room {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&chunk[..body]);
            }
        }
        r.consume(take);
        if done {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if too_long {
        return Err(LineError::TooLong { limit });
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    String::from_utf8(buf).map(Some).map_err(|_| LineError::NotUtf8)
}

/// Why a line of input was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum LineError {
    /// Longer than the cap (the line was skipped).
    TooLong {
        /// The cap, in bytes.
        limit: usize,
    },
    /// Not UTF-8 (the line was skipped).
    NotUtf8,
    /// Reading failed.
    Io(std::io::Error),
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::TooLong { limit } => write!(f, "the line is longer than {limit} bytes"),
            LineError::NotUtf8 => write!(f, "the line is not UTF-8 text"),
            LineError::Io(e) => write!(f, "{e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("epistle-fsio-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).ok();
        d
    }

    #[test]
    fn caps_and_refuses_non_files() {
        let d = scratch("cap");
        std::fs::write(d.join("a"), b"12345").ok();
        assert_eq!(read_capped(&d.join("a"), 5).ok(), Some(b"12345".to_vec()));
        assert!(matches!(read_capped(&d.join("a"), 4), Err(ReadError::TooBig { limit: 4 })));
        assert!(matches!(read_capped(&d, 100), Err(ReadError::NotAFile)));
        assert!(matches!(read_capped(&d.join("none"), 100), Err(ReadError::NotFound)));
        #[cfg(unix)]
        {
            // A device that never ends: refused before a byte is read.
            assert!(matches!(read_capped(Path::new("/dev/zero"), 100), Err(ReadError::NotAFile)));
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_may_not_leave_the_root() {
        let d = scratch("links");
        std::fs::create_dir_all(d.join("story")).ok();
        std::fs::write(d.join("secret"), b"x").ok();
        std::os::unix::fs::symlink(d.join("secret"), d.join("story/ch.ron")).ok();
        std::fs::write(d.join("story/ok.ron"), b"y").ok();
        assert!(matches!(inside(&d.join("story"), "ch.ron"), Err(ReadError::Outside { .. })));
        assert!(inside(&d.join("story"), "ok.ron").is_ok());
        assert!(matches!(inside(&d.join("story"), "../secret"), Err(ReadError::Outside { .. })));
    }

    #[test]
    fn atomic_write_leaves_other_files_alone() {
        let d = scratch("atomic");
        std::fs::write(d.join("notes.tmp"), b"mine").ok();
        write_atomic(&d.join("notes"), b"save").ok();
        assert_eq!(std::fs::read(d.join("notes")).ok(), Some(b"save".to_vec()));
        assert_eq!(std::fs::read(d.join("notes.tmp")).ok(), Some(b"mine".to_vec()));
        let left: Vec<_> = std::fs::read_dir(&d).into_iter().flatten().flatten().collect();
        assert_eq!(left.len(), 2, "no temporary file is left behind");
    }

    #[test]
    fn lines_are_capped_and_checked() {
        let mut r =
            std::io::Cursor::new(b"ok\r\n\xff\xfe\n".to_vec().into_iter().chain(vec![b'a'; 5000]).chain(*b"\nlast").collect::<Vec<u8>>());
        assert_eq!(read_line_capped(&mut r, 100).ok().flatten().as_deref(), Some("ok"));
        assert!(matches!(read_line_capped(&mut r, 100), Err(LineError::NotUtf8)));
        assert!(matches!(read_line_capped(&mut r, 100), Err(LineError::TooLong { .. })));
        assert_eq!(read_line_capped(&mut r, 100).ok().flatten().as_deref(), Some("last"));
        assert!(matches!(read_line_capped(&mut r, 100), Ok(None)));
    }
}
