//! Saving and loading checkpoint files (native).

use super::Checkpoint;
use crate::error::{Error, Result};
use crate::files;
use std::io::Read;
use std::path::Path;

/// Largest checkpoint file read (the largest model's weights and state fit many times over).
pub const MAX_FILE_BYTES: u64 = 32 << 30;

impl Checkpoint {
    /// Writes the checkpoint to `path` atomically (see [`files::write_atomic`]): a failed save
    /// leaves the previous file as it was.
    pub fn save(&self, path: &Path) -> Result<()> {
        files::write_atomic(path, &self.to_bytes()?)
    }

    /// The `run_id` of the checkpoint at `path`, read from its header alone (None: not a
    /// checkpoint, unreadable, or written without one).
    pub fn run_id_of(path: &Path) -> Option<String> {
        /// A header longer than this is not one of ours.
        const MAX_HEADER: u64 = 64 << 20;
        // A FIFO or device under a checkpoint's name would block or never end.
        if !std::fs::symlink_metadata(path).ok()?.is_file() {
            return None;
        }
        let mut file = std::fs::File::open(path).ok()?;
        let mut len = [0u8; 8];
        file.read_exact(&mut len).ok()?;
        let len = u64::from_le_bytes(len);
        if len > MAX_HEADER {
            return None;
        }
        let mut header = vec![0u8; len as usize];
        file.read_exact(&mut header).ok()?;
        let header: serde_json::Value = serde_json::from_slice(&header).ok()?;
        header["__metadata__"]["run_id"].as_str().map(str::to_owned)
    }

    /// Reads a checkpoint from `path` (a regular file of bounded size).
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = files::read_bounded(path, MAX_FILE_BYTES).map_err(|e| Error::Checkpoint {
            path: path.display().to_string(),
            reason: match e {
                Error::Io { cause, .. } => cause.to_string(),
                other => other.to_string(),
            },
        })?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }
}
