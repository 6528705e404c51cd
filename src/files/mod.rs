//! Files the engine writes and reads on behalf of the user, treated as precious and as hostile:
//! output paths are checked before any work starts, writes are atomic (a unique temporary file
//! in the same folder, flushed and synced, then renamed over the target), and reads are bounded
//! (regular files only, never more than a limit: no endless read from a device). A file one run
//! writes for a while (a log, a checkpoint target) is held under a lock, so a second run given
//! the same name is refused instead of interleaving with it (`lock.rs`).

use crate::error::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

mod lock;
pub use lock::{claim_output, open_log, OutputClaim};

fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        cause: source,
    }
}

fn refuse(path: &Path, why: &str) -> Error {
    io_error(
        path,
        std::io::Error::new(std::io::ErrorKind::InvalidInput, why.to_string()),
    )
}

/// The folder a file at `path` lives in (`.` for a bare file name).
pub fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Removes what processes of this program left in `folder` when they were killed mid-write:
/// temporary files and folders `.<name>.<pid>.<n>.tmp` (see [`temp_beside`]) whose `<name>`
/// starts with `prefix` and whose process is gone. Linux only, where /proc says which processes
/// live; elsewhere nothing is removed. A process id reused since is taken as alive, and a file
/// whose lock is held (a writer in another PID namespace) is left: a stale file may stay, a
/// live one is never removed.
pub fn remove_stale_temps(folder: &Path, prefix: &str) {
    #[cfg(target_os = "linux")]
    {
        let Ok(entries) = fs::read_dir(folder) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            // `.<prefix>.` or `.<prefix>-`: the name itself or one made from it.
            let Some(rest) = name
                .strip_prefix(&format!(".{prefix}"))
                .filter(|r| r.starts_with(['.', '-']))
                .and_then(|r| r.strip_suffix(".tmp"))
            else {
                continue;
            };
            let mut tail = rest.rsplitn(3, '.');
            let (Some(n), Some(pid), Some(_)) = (tail.next(), tail.next(), tail.next()) else {
                continue;
            };
            let ours = n.parse::<u64>().is_ok() && pid.parse::<u32>().is_ok();
            if !ours || Path::new("/proc").join(pid).exists() {
                continue;
            }
            let path = entry.path();
            let _ = if path.is_dir() {
                fs::remove_dir_all(&path)
            } else if unlocked(&path) {
                fs::remove_file(&path)
            } else {
                Ok(())
            };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (folder, prefix);
}

/// Whether nobody holds the lock of the regular file at `path` (see [`write_atomic`]).
#[cfg(target_os = "linux")]
fn unlocked(path: &Path) -> bool {
    let is_file = fs::symlink_metadata(path).is_ok_and(|m| m.is_file());
    is_file
        && File::options()
            .write(true)
            .open(path)
            .is_ok_and(|f| f.try_lock().is_ok())
}

/// A fresh name beside `path` that no other writer (thread or process) uses.
pub fn temp_beside(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    folder_of(path).join(format!(".{name}.{}.{unique}.tmp", std::process::id()))
}

/// Checks, before any work starts, that `path` can be written: its folder exists and accepts
/// new files, and the path is not a folder, a device or another special file, nor a read-only
/// file (which a rename would silently replace).
pub fn check_output(path: &Path) -> Result<()> {
    check_target(path)?;
    // The only reliable test of a folder's permissions is to create a file in it.
    let probe = temp_beside(path);
    File::options()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|e| refuse(path, &format!("its folder is not writable ({e})")))?;
    let _ = fs::remove_file(&probe);
    Ok(())
}

/// What [`check_output`] checks short of creating a file: a file path in an existing folder,
/// not a folder, device, link or read-only file.
fn check_target(path: &Path) -> Result<()> {
    if path.as_os_str().is_empty() || path.file_name().is_none() {
        return Err(refuse(path, "not a file path"));
    }
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => return Err(refuse(path, "is a folder")),
        Ok(meta) if !meta.is_file() => {
            return Err(refuse(
                path,
                "exists and is not a regular file (a device or a link?)",
            ))
        }
        Ok(meta) if meta.permissions().readonly() => {
            return Err(refuse(path, "exists and is read-only"))
        }
        _ => {}
    }
    let folder = folder_of(path);
    if !folder.is_dir() {
        return Err(refuse(
            path,
            &format!("its folder {} does not exist", folder.display()),
        ));
    }
    Ok(())
}

/// Errors unless the paths name different files (`what` says which flags they came from).
pub fn check_distinct(paths: &[(&str, &Path)]) -> Result<()> {
    check_outputs_apart(paths, &[])
}

/// Errors if an output names the same file as another output or as an input (the name says
/// which flag or file each came from): checked before any work, so that nothing the user made
/// is replaced.
pub fn check_outputs_apart(outputs: &[(&str, &Path)], inputs: &[(&str, &Path)]) -> Result<()> {
    let key = |p: &Path| {
        fs::canonicalize(p).unwrap_or_else(|_| std::path::absolute(p).unwrap_or(p.into()))
    };
    for (i, (a_name, a)) in outputs.iter().enumerate() {
        for (b_name, b) in outputs[i + 1..].iter().chain(inputs) {
            if key(a) == key(b) {
                return Err(refuse(
                    a,
                    &format!("{a_name} and {b_name} name the same file"),
                ));
            }
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically: a unique temporary file beside it, flushed and synced,
/// renamed over `path`. On failure the previous file (if any) is untouched and no temporary
/// file is left behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    // Creating the temporary file below is itself the test that the folder is writable.
    check_target(path)?;
    let tmp = temp_beside(path);
    let written = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        // Held while it is written: the stale-file cleanup never removes a locked one (a
        // writer whose process id it cannot see, in another PID namespace, say).
        let _ = file.try_lock();
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        // Persist the rename itself (best effort: not every platform can open a folder).
        if let Ok(dir) = File::open(folder_of(path)) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    written.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_error(path, e)
    })
}

/// Reads a regular file of at most `limit` bytes (devices, folders and larger files are refused
/// before anything is read).
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let meta = fs::metadata(path).map_err(|e| io_error(path, e))?;
    if !meta.is_file() {
        return Err(refuse(path, "is not a regular file"));
    }
    if meta.len() > limit {
        return Err(refuse(
            path,
            &format!("is {} bytes, more than the {limit} allowed", meta.len()),
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(|e| io_error(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(refuse(path, "grew past the allowed size while being read"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder for a test (also the lock tests').
    pub(super) fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ire-files-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A temporary file named for a process that /proc does not show is still left while its
    /// lock is held (a writer in another PID namespace), and removed once it is not.
    #[cfg(target_os = "linux")]
    #[test]
    fn stale_temporaries_go_unless_a_writer_holds_them() {
        let dir = scratch("stale-temps");
        let tmp = dir.join(".run.safetensors.999999999.0.tmp");
        fs::write(&tmp, b"partial").unwrap();
        let writer = File::options().write(true).open(&tmp).unwrap();
        writer.try_lock().unwrap();
        remove_stale_temps(&dir, "run");
        assert!(tmp.exists(), "a held temporary was removed");
        drop(writer);
        remove_stale_temps(&dir, "run");
        assert!(!tmp.exists(), "a stale temporary stayed");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn atomic_writes_replace_whole_files_and_leave_no_temporaries() {
        let dir = scratch("atomic");
        let target = dir.join("a.bin");
        write_atomic(&target, b"first").unwrap();
        write_atomic(&target, b"second").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_outputs_are_refused_before_any_work() {
        let dir = scratch("outputs");
        let missing = dir.join("no/such/folder/x.safetensors");
        assert!(check_output(&missing)
            .unwrap_err()
            .to_string()
            .contains("does not exist"));
        assert!(check_output(&dir)
            .unwrap_err()
            .to_string()
            .contains("folder"));
        let readonly = dir.join("ro.bin");
        fs::write(&readonly, b"keep me").unwrap();
        let mut perms = fs::metadata(&readonly).unwrap().permissions();
        perms.set_readonly(true);
        fs::set_permissions(&readonly, perms).unwrap();
        assert!(check_output(&readonly)
            .unwrap_err()
            .to_string()
            .contains("read-only"));
        assert!(write_atomic(&readonly, b"x").is_err());
        assert_eq!(fs::read(&readonly).unwrap(), b"keep me");
        #[cfg(unix)]
        assert!(check_output(Path::new("/dev/null")).is_err());
        let a = dir.join("a");
        let dotted = dir.join(".").join("a");
        assert!(check_distinct(&[("--log", &a), ("--save", &dotted)]).is_err());
        assert!(check_distinct(&[("--log", &a), ("--save", &dir.join("b"))]).is_ok());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reads_are_bounded_and_refuse_devices() {
        let dir = scratch("reads");
        let f = dir.join("f");
        fs::write(&f, vec![7u8; 100]).unwrap();
        assert_eq!(read_bounded(&f, 100).unwrap().len(), 100);
        assert!(read_bounded(&f, 99)
            .unwrap_err()
            .to_string()
            .contains("more than"));
        #[cfg(unix)]
        assert!(read_bounded(Path::new("/dev/zero"), 1 << 20)
            .unwrap_err()
            .to_string()
            .contains("not a regular file"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
