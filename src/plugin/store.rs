//! Where the player's data lives: settings, save slots, endings galleries. On the
//! desktop it is a folder, and every write is atomic (a temporary file renamed over
//! the old one). In a browser it is the page's `localStorage`, where each write
//! replaces a whole entry at once. When a browser refuses storage (private browsing,
//! blocked site data), the game keeps its data in memory for the session and says so,
//! rather than failing.
//!
//! Everything is addressed by a key such as `settings.ron` or
//! `dear_someone/slot-1.ron`: a relative path on disk, an entry name in the browser.

use bevy::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The player's data: a folder, the browser's storage, or memory.
#[derive(Resource, Clone, Debug)]
pub struct DataStore {
    backend: Backend,
}

#[derive(Clone, Debug)]
enum Backend {
    /// A folder on disk.
    Dir(PathBuf),
    /// The browser's `localStorage`, entries named `epistle/<key>`.
    #[cfg(target_arch = "wasm32")]
    Browser,
    /// Nothing outlives the app; `why` says why to the player.
    Memory { entries: Arc<Mutex<BTreeMap<String, String>>>, why: String },
}

impl DataStore {
    /// A folder on disk.
    pub fn dir(path: impl Into<PathBuf>) -> DataStore {
        DataStore { backend: Backend::Dir(path.into()) }
    }

    /// Memory only, for tests and for browsers that refuse storage; `why` is shown on
    /// the saves screen.
    pub fn memory(why: impl Into<String>) -> DataStore {
        DataStore { backend: Backend::Memory { entries: Arc::default(), why: why.into() } }
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
                Ok(()) => DataStore { backend: Backend::Browser },
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

    /// The folder, for a store on disk.
    pub fn path(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Dir(p) => Some(p),
            _ => None,
        }
    }

    /// Where saves are kept, in words for the saves screen.
    pub fn location(&self) -> String {
        match &self.backend {
            Backend::Dir(p) => format!("Saves are kept in {}", p.display()),
            #[cfg(target_arch = "wasm32")]
            Backend::Browser => {
                "Saves are kept in this browser's storage for this site; clearing the site's data deletes them.".to_string()
            }
            Backend::Memory { why, .. } => why.clone(),
        }
    }

    /// Whether nothing will outlive the app (the player should be told).
    pub fn is_temporary(&self) -> bool {
        matches!(self.backend, Backend::Memory { .. })
    }

    /// An entry's text; `None` when there is none.
    pub fn read(&self, key: &str) -> Result<Option<String>, String> {
        match &self.backend {
            // Capped and regular files only: a slot that is a link to a device or a
            // FIFO is reported, never read without end.
            Backend::Dir(root) => match crate::narrative::fsio::read_capped(&root.join(key), MAX_ENTRY_BYTES) {
                Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| "not a text file".to_string()),
                Err(crate::narrative::fsio::ReadError::NotFound) => Ok(None),
                Err(e) => Err(format!("cannot read the file: {e}")),
            },
            #[cfg(target_arch = "wasm32")]
            Backend::Browser => super::browser::storage_get(key),
            Backend::Memory { entries, .. } => Ok(lock(entries).get(key).cloned()),
        }
    }

    /// Replaces an entry, all at once or not at all.
    pub fn write(&self, key: &str, text: &str) -> Result<(), String> {
        match &self.backend {
            Backend::Dir(root) => write_atomic(&root.join(key), text).map_err(|e| e.to_string()),
            #[cfg(target_arch = "wasm32")]
            Backend::Browser => super::browser::storage_set(key, text),
            Backend::Memory { entries, .. } => {
                lock(entries).insert(key.to_string(), text.to_string());
                Ok(())
            }
        }
    }

    /// Moves an entry that cannot be read out of the way, to `<key>.corrupt-<n>` (the
    /// first `n` not taken, so nothing is overwritten), and returns the new key. The
    /// player's data is kept for them to inspect; a fresh entry can take its place.
    pub fn set_aside(&self, key: &str) -> Result<String, String> {
        let free = |taken: &dyn Fn(&str) -> bool| (1..10_000).map(|n| format!("{key}.corrupt-{n}")).find(|k| !taken(k));
        match &self.backend {
            Backend::Dir(root) => {
                let to = free(&|k| root.join(k).exists()).ok_or("too many set-aside copies already")?;
                std::fs::rename(root.join(key), root.join(&to)).map_err(|e| e.to_string())?;
                Ok(to)
            }
            #[cfg(target_arch = "wasm32")]
            Backend::Browser => {
                let text = super::browser::storage_get(key)?.unwrap_or_default();
                let to = free(&|k| super::browser::storage_get(k).ok().flatten().is_some()).ok_or("too many set-aside copies already")?;
                super::browser::storage_set(&to, &text)?;
                super::browser::storage_remove(key)?;
                Ok(to)
            }
            Backend::Memory { entries, .. } => {
                let mut map = lock(entries);
                let to = free(&|k| map.contains_key(k)).ok_or("too many set-aside copies already")?;
                if let Some(text) = map.remove(key) {
                    map.insert(to.clone(), text);
                }
                Ok(to)
            }
        }
    }

    /// Removes an entry; removing one that is not there is not an error.
    pub fn remove(&self, key: &str) -> Result<(), String> {
        match &self.backend {
            Backend::Dir(root) => match std::fs::remove_file(root.join(key)) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e.to_string()),
            },
            #[cfg(target_arch = "wasm32")]
            Backend::Browser => super::browser::storage_remove(key),
            Backend::Memory { entries, .. } => {
                lock(entries).remove(key);
                Ok(())
            }
        }
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
}
