//! Output directories and atomic file writes.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically: a temp file beside it, then rename.
/// No sync per file: a run syncs once at the end ([`sync_all`]), so its time
/// does not depend on how busy the disk is.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
    }
    std::fs::rename(&tmp, path)
}

/// Flushes every written file to disk, once, at the end of a run.
pub fn sync_all() {
    #[cfg(unix)]
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe {
        libc::sync();
    }
}

/// Creates `reports/<run-id>/` under `root` and points `root/latest` at it.
pub fn create_run_dir(root: &Path) -> std::io::Result<PathBuf> {
    let run_id = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ").to_string();
    let dir = root.join(&run_id);
    std::fs::create_dir_all(&dir)?;
    let latest = root.join("latest");
    let tmp_link = root.join(format!(".latest.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp_link);
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&run_id, &tmp_link)?;
        std::fs::rename(&tmp_link, &latest)?;
    }
    #[cfg(not(unix))]
    {
        let _ = std::fs::remove_dir_all(&latest);
        std::fs::create_dir_all(&latest)?;
    }
    Ok(dir)
}
