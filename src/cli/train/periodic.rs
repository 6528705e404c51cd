//! The periodic checkpoints `train --checkpoint-every K` writes beside `--save`
//! (`<stem>-step<N>.safetensors`), and the other files named after it. A run knows its files by
//! the run id in their metadata, never by name alone: it overwrites and deletes only its own.

use anyhow::bail;
use ire_playground::checkpoint::Checkpoint;
use ire_playground::files;
use std::path::{Path, PathBuf};

/// A fresh run's id: the time and the process, enough to tell apart the runs that share a
/// folder.
pub(super) fn new_run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{:x}", std::process::id())
}

/// Whether run `run_id` wrote the checkpoint at `path` (its metadata says so).
fn written_by(path: &Path, run_id: &str) -> bool {
    Checkpoint::run_id_of(path).as_deref() == Some(run_id)
}

/// Refuses, before any work, a periodic checkpoint name this run will write (steps after
/// `from`, every `every`, before `to`) that holds a file another run wrote, or the user's own.
pub(super) fn check_periodic_targets(
    save: &Path,
    every: usize,
    (from, to): (usize, usize),
    run_id: &str,
) -> anyhow::Result<()> {
    for (step, path) in periodic_files(save) {
        let written = step > from && step < to && step.is_multiple_of(every);
        if written && !written_by(&path, run_id) {
            bail!(
                "{} exists and was not written by this run, whose checkpoint of step {step} goes \
                 there; move it or give --save another name",
                path.display()
            );
        }
    }
    Ok(())
}

/// The file name of `save` without its extension (the prefix of the files written beside it).
pub(super) fn stem_of(save: &Path) -> String {
    save.file_stem()
        .map_or("checkpoint".into(), |s| s.to_string_lossy().into_owned())
}

/// `<stem>-<tag>.safetensors` beside `save`.
pub(super) fn sibling(save: &Path, tag: &str) -> PathBuf {
    save.with_file_name(format!("{}-{tag}.safetensors", stem_of(save)))
}

/// Where the periodic checkpoint of step `step` goes.
pub(super) fn periodic_path(save: &Path, step: usize) -> PathBuf {
    sibling(save, &format!("step{step}"))
}

/// Whether `path` is one of the files named after `save` (a periodic checkpoint or the
/// `-diverged` file), in `save`'s folder.
pub(super) fn is_named_after(save: &Path, path: &Path) -> bool {
    // Both folders exist once the outputs were checked: compare them resolved (`..`, links).
    let same_folder = std::fs::canonicalize(files::folder_of(save)).ok()
        == std::fs::canonicalize(files::folder_of(path)).ok();
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return false;
    };
    let Some(tag) = name
        .strip_prefix(&format!("{}-", stem_of(save)))
        .and_then(|rest| rest.strip_suffix(".safetensors"))
    else {
        return false;
    };
    let periodic = tag.strip_prefix("step").and_then(step_spelled).is_some();
    same_folder && (periodic || tag == "diverged")
}

/// The step `digits` names when spelled as a run writes it (not `007`, `+7` or empty).
fn step_spelled(digits: &str) -> Option<usize> {
    let step: usize = digits.parse().ok()?;
    (step.to_string() == digits).then_some(step)
}

/// The periodic checkpoints of `save` on disk, oldest first.
pub(super) fn periodic_files(save: &Path) -> Vec<(usize, PathBuf)> {
    let prefix = format!("{}-step", stem_of(save));
    let Ok(entries) = std::fs::read_dir(files::folder_of(save)) else {
        return Vec::new();
    };
    let mut found: Vec<(usize, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let digits = name.strip_prefix(&prefix)?.strip_suffix(".safetensors")?;
            step_spelled(digits).map(|step| (step, e.path()))
        })
        .collect();
    found.sort();
    found
}

/// The newest periodic checkpoint of `save` that run `run_id` wrote, if any.
pub(super) fn newest_periodic(save: &Path, run_id: &str) -> Option<PathBuf> {
    periodic_files(save)
        .into_iter()
        .rev()
        .map(|(_, p)| p)
        .find(|p| written_by(p, run_id))
}

/// Deletes all but the newest `keep` periodic checkpoints of `save` that run `run_id` wrote
/// (best effort); other runs' files and the user's own stay.
pub(super) fn prune_periodic(save: &Path, keep: usize, run_id: &str) {
    let found: Vec<(usize, PathBuf)> = periodic_files(save)
        .into_iter()
        .filter(|(_, path)| written_by(path, run_id))
        .collect();
    let excess = found.len().saturating_sub(keep);
    for (_, path) in found.into_iter().take(excess) {
        let _ = std::fs::remove_file(path);
    }
}
