//! Moving saves in and out of the game, so a player can back one up or carry it to
//! another machine or browser. Export: a download in a browser, a file in the
//! Downloads folder on the desktop. Import: the browser's file picker, or a file
//! dropped on the desktop window. Either way the file becomes a
//! [`super::StoryCommand::Import`], which checks it before anything is written.

/// The largest file taken as a save (a long playthrough's save is a few KB).
pub const MAX_IMPORT_BYTES: u64 = 4 * 1024 * 1024;

/// Hands `text` to the player under the file name `name`; says where it went.
pub fn hand_over(name: &str, text: &str) -> Result<String, String> {
    #[cfg(target_arch = "wasm32")]
    {
        super::browser::download(name, text)?;
        Ok("your downloads".to_string())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let dirs = directories::UserDirs::new();
        let folder = dirs
            .as_ref()
            .and_then(|d| d.download_dir().map(std::path::Path::to_path_buf))
            .or_else(|| dirs.as_ref().map(|d| d.home_dir().to_path_buf()))
            .ok_or("there is no Downloads or home folder")?;
        export_to(&folder, name, text).map(|p| p.display().to_string())
    }
}

/// Writes an export into `folder` as `name`, never over an existing file: `name`,
/// then `name (2)`, `name (3)`… Returns the file written.
#[cfg(not(target_arch = "wasm32"))]
pub fn export_to(folder: &std::path::Path, name: &str, text: &str) -> Result<std::path::PathBuf, String> {
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, "ron"));
    let path = (1..1000)
        .map(|n| if n == 1 { folder.join(name) } else { folder.join(format!("{stem} ({n}).{ext}")) })
        .find(|p| !p.exists())
        .ok_or("the folder has too many exports of this save")?;
    super::store::write_atomic(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// How the player imports a save here, for the saves screen.
pub fn import_hint() -> &'static str {
    if cfg!(target_arch = "wasm32") {
        "Export a save to keep a copy or to move it to another browser or computer; an imported save goes into the first empty slot."
    } else {
        "Export copies a save to your Downloads folder; drop a save file on this window to import it into the first empty slot."
    }
}

/// Whether the game can open a file picker (in a browser; on the desktop, files are
/// dropped on the window instead).
pub fn can_pick() -> bool {
    cfg!(target_arch = "wasm32")
}

/// Opens the file picker; the file arrives as a [`super::StoryCommand::Import`].
pub fn pick() -> Result<(), String> {
    #[cfg(target_arch = "wasm32")]
    {
        super::browser::pick_file()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        Err("drop the save file on the window instead".to_string())
    }
}
