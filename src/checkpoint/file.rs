//! Saving and loading checkpoint files (native).

use super::Checkpoint;
use crate::error::{Error, Result};
use crate::files;
use std::path::Path;

/// Largest checkpoint file read (the largest model's weights and state fit many times over).
pub const MAX_FILE_BYTES: u64 = 32 << 30;

impl Checkpoint {
    /// Writes the checkpoint to `path` atomically (see [`files::write_atomic`]): a failed save
    /// leaves the previous file as it was.
    pub fn save(&self, path: &Path) -> Result<()> {
        files::write_atomic(path, &self.to_bytes()?)
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
