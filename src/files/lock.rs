//! Files one run writes for as long as it runs, held under an exclusive lock that ends with the
//! process (also when it is killed): its log, and the name its checkpoints are saved under. A
//! second run given the same name is refused before it writes anything, instead of interleaving
//! its lines with the first's or replacing the first's checkpoints with its own.

use super::{folder_of, io_error, refuse};
use crate::error::Result;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Opens a run's log for it alone, appended to (`append`: a resumed run) or emptied, under an
/// exclusive lock that ends with the process (also when it is killed): a second run given the
/// same log is refused before it writes a line, instead of interleaving its lines with the
/// first's. The lock is taken before emptying, so a refused run never truncates the other's log.
pub fn open_log(path: &Path, append: bool) -> Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .write(true)
        .read(append)
        .append(append)
        .open(path)
        .map_err(|e| io_error(path, e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            return Err(refuse(
                path,
                "another run is writing this log (it holds its lock); give each run its own log",
            ))
        }
        Err(fs::TryLockError::Error(e)) => return Err(io_error(path, e)),
    }
    if !append {
        file.set_len(0).map_err(|e| io_error(path, e))?;
    } else if ends_mid_line(&file).map_err(|e| io_error(path, e))? {
        // A run stopped by a full disk may have written half a line: end it, so that the next
        // record starts a line of its own (readers skip the torn one).
        (&file).write_all(b"\n").map_err(|e| io_error(path, e))?;
    }
    Ok(file)
}

/// Whether a non-empty file's last byte is not a newline.
fn ends_mid_line(file: &File) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(false);
    }
    let mut reader = file;
    reader.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    reader.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

/// The claim of one run on an output name (see [`claim_output`]); dropping it (the run is
/// over) removes the lock file.
#[derive(Debug)]
pub struct OutputClaim {
    lock: PathBuf,
    _file: File,
}

impl Drop for OutputClaim {
    fn drop(&mut self) {
        // Still locked here, so no other run can have claimed this file in between.
        let _ = fs::remove_file(&self.lock);
    }
}

/// Claims `path` for this run's checkpoints (its final save, periodic ones named after it):
/// a lock file `.<name>.lock` beside it, held exclusively until the claim is dropped or the
/// process ends. A name another live run holds is refused, naming `flag`; a lock file left by a
/// killed run is taken over (its lock ended with its process).
pub fn claim_output(flag: &str, path: &Path) -> Result<OutputClaim> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lock = folder_of(path).join(format!(".{name}.lock"));
    loop {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock)
            .map_err(|e| io_error(&lock, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(refuse(
                    path,
                    &format!(
                        "another run is saving to this name (it holds {}); give each run its own {flag}",
                        lock.display()
                    ),
                ))
            }
            Err(fs::TryLockError::Error(e)) => return Err(io_error(&lock, e)),
        }
        // The run that held it may have removed the file between our open and our lock: then
        // the lock is on a name nobody sees, and a third run could claim the new file too.
        if same_file(&file, &lock) {
            return Ok(OutputClaim { lock, _file: file });
        }
    }
}

/// Whether the open `file` is the one at `path` now.
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Whether the open `file` is the one at `path` now (elsewhere: whether it exists).
#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::super::tests::scratch;
    use super::*;

    #[test]
    fn a_log_resumed_after_a_torn_line_starts_a_line_of_its_own() {
        let dir = scratch("torn-log");
        let path = dir.join("run.jsonl");
        fs::write(&path, "{\"step\":1}\n{\"step\":2,\"lo").unwrap();
        let mut log = open_log(&path, true).unwrap();
        log.write_all(b"{\"step\":3}\n").unwrap();
        drop(log);
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text, "{\"step\":1}\n{\"step\":2,\"lo\n{\"step\":3}\n");
        // A whole log gains nothing; a fresh one is emptied.
        drop(open_log(&path, true).unwrap());
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
        drop(open_log(&path, false).unwrap());
        assert_eq!(fs::read_to_string(&path).unwrap(), "");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_output_has_one_claim_at_a_time_and_a_killed_runs_lock_is_taken_over() {
        let dir = scratch("claim");
        let save = dir.join("run.safetensors");
        let claim = claim_output("--save", &save).unwrap();
        let lock = dir.join(".run.safetensors.lock");
        assert!(lock.exists());
        let refused = claim_output("--save", &save).unwrap_err().to_string();
        assert!(
            refused.contains("another run is saving to this name")
                && refused.contains("its own --save"),
            "{refused}"
        );
        drop(claim);
        assert!(!lock.exists(), "the lock file stays after the run");
        // A lock file nobody holds (its run was killed) is no obstacle.
        fs::write(&lock, b"").unwrap();
        let again = claim_output("--save", &save).unwrap();
        drop(again);
        assert!(!save.exists(), "claiming writes nothing to the name itself");
        let _ = fs::remove_dir_all(&dir);
    }
}
