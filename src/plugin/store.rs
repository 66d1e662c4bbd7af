//! Where the player's data lives: settings, save slots, endings galleries. On the
//! desktop it is a folder, and every write is atomic (a temporary file renamed over
//! the old one). In a browser it is the page's `localStorage`, where each write
//! replaces a whole entry at once. When a browser refuses storage (private browsing,
//! blocked site data), the game keeps its data in memory for the session and says so,
//! rather than failing.
//!
//! Everything is addressed by a key such as `settings.ron` or
//! `dear_someone/slot-1.ron`: a relative path on disk, an entry name in the browser.
//!
//! Persistence is a replaceable part: a game gives the plugin its own [`Storage`]
//! (a cloud save service, an encrypted file) with `EpistlePlugin::with_store`, or turns
//! it off with [`DataStore::off`] (nothing is read or written: no autosave, no
//! gallery).

use bevy::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Why the store could not do what was asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The entry is not text (a save or settings file is).
    #[error("not a text file")]
    NotText,
    /// The system refused: the operating system's or the browser's own words.
    #[error("{0}")]
    Refused(String),
    /// Setting an unreadable entry aside found every name taken.
    #[error("too many set-aside copies already")]
    TooManyCopies,
}

/// Where a game's data is kept: entries of text addressed by keys such as
/// `settings.ron` or `dear_someone/slot-1.ron`. Implement it to keep saves somewhere
/// of your own, and pass it to `EpistlePlugin::with_store` through
/// [`DataStore::custom`].
pub trait Storage: Send + Sync + 'static {
    /// An entry's text; `None` when there is none.
    fn read(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Replaces an entry, all at once or not at all.
    fn write(&self, key: &str, text: &str) -> Result<(), StoreError>;
    /// Removes an entry; removing one that is not there is not an error.
    fn remove(&self, key: &str) -> Result<(), StoreError>;
    /// Moves an entry that cannot be read out of the way, to `<key>.corrupt-<n>` (the
    /// first `n` not taken, so nothing is overwritten), and returns the new key.
    fn set_aside(&self, key: &str) -> Result<String, StoreError> {
        let text = self.read(key)?.unwrap_or_default();
        let mut to = None;
        for n in 1..10_000 {
            let k = format!("{key}.corrupt-{n}");
            if self.read(&k)?.is_none() {
                to = Some(k);
                break;
            }
        }
        let to = to.ok_or(StoreError::TooManyCopies)?;
        self.write(&to, &text)?;
        self.remove(key)?;
        Ok(to)
    }
    /// Where saves are kept, in words for the saves screen.
    fn location(&self) -> String {
        "Saves are kept by the game.".to_string()
    }
    /// Whether nothing will outlive the app (the player should be told).
    fn is_temporary(&self) -> bool {
        false
    }
}

/// The player's data: a folder, the browser's storage, memory, a [`Storage`] of the
/// game's own, or nothing at all.
#[derive(Resource, Clone)]
pub struct DataStore {
    backend: Arc<dyn Storage>,
    off: bool,
}

impl std::fmt::Debug for DataStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataStore").field("location", &self.backend.location()).field("off", &self.off).finish()
    }
}

impl DataStore {
    /// A folder on disk; every write is atomic and durable.
    pub fn dir(path: impl Into<PathBuf>) -> DataStore {
        DataStore::custom(DirStore(path.into()))
    }

    /// Memory only, for tests and for browsers that refuse storage; `why` is shown on
    /// the saves screen.
    pub fn memory(why: impl Into<String>) -> DataStore {
        DataStore::custom(MemoryStore { entries: Mutex::default(), why: why.into() })
    }

    /// A store of the game's own.
    pub fn custom(storage: impl Storage) -> DataStore {
        DataStore { backend: Arc::new(storage), off: false }
    }

    /// No persistence: nothing is read or written, no autosave is made and the
    /// gallery lasts as long as the app.
    pub fn off() -> DataStore {
        DataStore { backend: Arc::new(OffStore), off: true }
    }

    /// The store a game uses. On the desktop: `explicit` if given, else
    /// `EPISTLE_DATA_DIR`, else the platform's data directory, else `./epistle-data`.
    /// In a browser: its storage, or memory if the browser refuses (`explicit` is
    /// ignored there).
    pub fn resolve(explicit: Option<PathBuf>) -> DataStore {
        #[cfg(target_arch = "wasm32")]
        {
            let _ = explicit;
            match super::browser::storage_works() {
                Ok(()) => DataStore::custom(BrowserStore),
                Err(why) => {
                    warn!("browser storage is unavailable: {why}");
                    DataStore::memory(
                        "This browser is not letting the game keep anything (private browsing, or site data blocked): \
                         saves last until the page is closed. Export a save to keep it.",
                    )
                }
            }
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let dir = explicit
                .or_else(|| std::env::var_os("EPISTLE_DATA_DIR").filter(|v| !v.is_empty()).map(PathBuf::from))
                .or_else(|| directories::ProjectDirs::from("", "", "Epistle").map(|p| p.data_dir().to_path_buf()))
                .unwrap_or_else(|| PathBuf::from("epistle-data"));
            DataStore::dir(dir)
        }
    }

    /// Whether persistence is off ([`DataStore::off`]).
    pub fn is_off(&self) -> bool {
        self.off
    }

    /// Where saves are kept, in words for the saves screen.
    pub fn location(&self) -> String {
        self.backend.location()
    }

    /// Whether nothing will outlive the app (the player should be told).
    pub fn is_temporary(&self) -> bool {
        self.backend.is_temporary()
    }

    /// An entry's text; `None` when there is none.
    pub fn read(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.backend.read(key)
    }

    /// Replaces an entry, all at once or not at all.
    pub fn write(&self, key: &str, text: &str) -> Result<(), StoreError> {
        self.backend.write(key, text)
    }

    /// Moves an entry that cannot be read out of the way (see [`Storage::set_aside`]).
    pub fn set_aside(&self, key: &str) -> Result<String, StoreError> {
        self.backend.set_aside(key)
    }

    /// Removes an entry; removing one that is not there is not an error.
    pub fn remove(&self, key: &str) -> Result<(), StoreError> {
        self.backend.remove(key)
    }
}

/// A folder on disk.
struct DirStore(PathBuf);

impl Storage for DirStore {
    fn read(&self, key: &str) -> Result<Option<String>, StoreError> {
        // Capped and regular files only: a slot that is a link to a device or a FIFO
        // is reported, never read without end.
        match crate::narrative::fsio::read_capped(&self.0.join(key), MAX_ENTRY_BYTES) {
            Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| StoreError::NotText),
            Err(crate::narrative::fsio::ReadError::NotFound) => Ok(None),
            Err(e) => Err(StoreError::Refused(format!("cannot read the file: {e}"))),
        }
    }

    fn write(&self, key: &str, text: &str) -> Result<(), StoreError> {
        write_atomic(&self.0.join(key), text).map_err(|e| StoreError::Refused(e.to_string()))
    }

    fn remove(&self, key: &str) -> Result<(), StoreError> {
        match std::fs::remove_file(self.0.join(key)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::Refused(e.to_string())),
        }
    }

    fn set_aside(&self, key: &str) -> Result<String, StoreError> {
        // A rename: the bytes are kept exactly, even ones that are not text.
        let to = (1..10_000).map(|n| format!("{key}.corrupt-{n}")).find(|k| !self.0.join(k).exists()).ok_or(StoreError::TooManyCopies)?;
        std::fs::rename(self.0.join(key), self.0.join(&to)).map_err(|e| StoreError::Refused(e.to_string()))?;
        Ok(to)
    }

    fn location(&self) -> String {
        format!("Saves are kept in {}", self.0.display())
    }
}

/// The browser's `localStorage`, entries named `epistle/<key>`.
#[cfg(target_arch = "wasm32")]
struct BrowserStore;

#[cfg(target_arch = "wasm32")]
impl Storage for BrowserStore {
    fn read(&self, key: &str) -> Result<Option<String>, StoreError> {
        super::browser::storage_get(key).map_err(StoreError::Refused)
    }

    fn write(&self, key: &str, text: &str) -> Result<(), StoreError> {
        super::browser::storage_set(key, text).map_err(StoreError::Refused)
    }

    fn remove(&self, key: &str) -> Result<(), StoreError> {
        super::browser::storage_remove(key).map_err(StoreError::Refused)
    }

    fn location(&self) -> String {
        "Saves are kept in this browser's storage for this site; clearing the site's data deletes them.".to_string()
    }
}

/// Nothing outlives the app; `why` says why to the player.
struct MemoryStore {
    entries: Mutex<BTreeMap<String, String>>,
    why: String,
}

impl Storage for MemoryStore {
    fn read(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(lock(&self.entries).get(key).cloned())
    }

    fn write(&self, key: &str, text: &str) -> Result<(), StoreError> {
        lock(&self.entries).insert(key.to_string(), text.to_string());
        Ok(())
    }

    fn remove(&self, key: &str) -> Result<(), StoreError> {
        lock(&self.entries).remove(key);
        Ok(())
    }

    fn location(&self) -> String {
        self.why.clone()
    }

    fn is_temporary(&self) -> bool {
        true
    }
}

/// Persistence off: reads find nothing, writes are let go.
struct OffStore;

impl Storage for OffStore {
    fn read(&self, _: &str) -> Result<Option<String>, StoreError> {
        Ok(None)
    }

    fn write(&self, _: &str, _: &str) -> Result<(), StoreError> {
        Ok(())
    }

    fn remove(&self, _: &str) -> Result<(), StoreError> {
        Ok(())
    }

    fn location(&self) -> String {
        "This game keeps no saves.".to_string()
    }

    fn is_temporary(&self) -> bool {
        true
    }
}

/// The largest entry read back (a save is at most [`crate::narrative::save::MAX_SAVE_BYTES`]).
pub const MAX_ENTRY_BYTES: usize = crate::narrative::save::MAX_SAVE_BYTES;

/// The guarded value, even if a panic elsewhere poisoned the lock (what is guarded
/// here stays whole: every change is one insert, push, take or replace).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Writes a file atomically and durably (the core's one atomic write: a temporary
/// file of its own, fsync, rename, folder synced), so a crash leaves the old file or
/// the new one, never half.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    crate::narrative::fsio::write_atomic(path, text.as_bytes())
}

/// Seconds since 1970, now (the browser's clock on the web, where `SystemTime`
/// is not available).
pub fn now() -> u64 {
    (now_millis() / 1000.0) as u64
}

/// Milliseconds since 1970, now, with a fraction.
pub fn now_millis() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_reads_back_and_removes() {
        let store = DataStore::memory("test");
        assert_eq!(store.read("a/b.ron"), Ok(None));
        store.write("a/b.ron", "x").unwrap();
        assert_eq!(store.read("a/b.ron"), Ok(Some("x".into())));
        store.remove("a/b.ron").unwrap();
        store.remove("a/b.ron").unwrap();
        assert_eq!(store.read("a/b.ron"), Ok(None));
        assert!(store.is_temporary());
    }

    #[test]
    fn a_custom_store_sets_aside_through_its_own_reads_and_writes() {
        let store = DataStore::custom(MemoryStore { entries: Mutex::default(), why: String::new() });
        store.write("k", "broken").unwrap();
        store.write("k.corrupt-1", "older").unwrap();
        assert_eq!(store.set_aside("k"), Ok("k.corrupt-2".to_string()));
        assert_eq!(store.read("k"), Ok(None));
        assert_eq!(store.read("k.corrupt-2"), Ok(Some("broken".into())));
    }

    #[test]
    fn an_off_store_keeps_nothing() {
        let store = DataStore::off();
        store.write("a", "x").unwrap();
        assert_eq!(store.read("a"), Ok(None));
        assert!(store.is_off());
    }
}
