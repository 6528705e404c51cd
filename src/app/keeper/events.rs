//! What the store answers: the list of kept sessions (evicting beyond the limits, and with
//! `--resume` continuing the newest), a session read back, a save written or failed.

use super::{saved, Job, Manifest, PlaygroundApp};
use crate::app::store::StoreEvent;
use web_time::Instant;

impl PlaygroundApp {
    pub(super) fn take_store_event(&mut self, event: StoreEvent) {
        let Some(keeper) = &mut self.keeper else {
            return;
        };
        match event {
            StoreEvent::Listed(found) => {
                keeper.listed = true;
                let mut kept = Vec::new();
                for (folder, read) in found {
                    match read.and_then(|b| Manifest::parse(&b)) {
                        Ok(m) if m.id == folder => kept.push(m),
                        Ok(_) => log::warn!("kept session {folder}: its manifest names another"),
                        Err(e) => log::warn!("kept session {folder} is unreadable: {e}"),
                    }
                }
                kept.sort_by_key(|m| std::cmp::Reverse(m.saved_at_ms));
                keeper.kept = kept;
                let current = keeper.current.id.clone();
                for id in saved::evictions(&keeper.kept, &[&current]) {
                    keeper.delete(&id);
                }
                if std::mem::take(&mut keeper.resume_newest) {
                    match keeper.newest_other().map(|m| m.id.clone()) {
                        Some(id) => self.continue_kept(&id),
                        None => self.notices.push(
                            true,
                            format!("--resume: no kept session in {}", keeper.location()),
                        ),
                    }
                }
            }
            StoreEvent::Loaded(id, files) => {
                if keeper.loading.as_deref() != Some(id.as_str()) {
                    return;
                }
                keeper.loading = None;
                match files {
                    Ok(files) => self.reopen_kept(&id, files),
                    Err(e) => self
                        .notices
                        .push(true, format!("could not read the kept runs: {e}")),
                }
            }
            StoreEvent::Saved(id, outcome) => self.saved(id, outcome),
            StoreEvent::Deleted(id, Err(e)) => {
                self.notices
                    .push(true, format!("could not remove the kept session {id}: {e}"));
            }
            StoreEvent::Deleted(_, Ok(())) => {}
        }
    }

    /// A write finished: the session's files now are the new generation's (or the old ones
    /// stay, and the failure is said once until a save succeeds).
    fn saved(&mut self, id: String, outcome: Result<(), String>) {
        let Some(keeper) = &mut self.keeper else {
            return;
        };
        let Some(Job::Writing(manifest, retiring)) = keeper.job.take() else {
            return;
        };
        match outcome {
            Ok(()) => {
                keeper.error = None;
                keeper.kept.retain(|m| m.id != id);
                keeper.kept.insert(0, (*manifest).clone());
                if retiring {
                    keeper.retiring = None;
                } else if id == keeper.current.id {
                    let current = &mut keeper.current;
                    current.generation = manifest.generation;
                    current.files = manifest.files();
                    current.saved_step = Some(manifest.steps_done());
                    current.saved_progress = manifest.runs.iter().map(|r| r.step).sum();
                    current.saved_at = Some(Instant::now());
                }
                let open = keeper.current.id.clone();
                let loading = keeper.loading.clone().unwrap_or_default();
                for old in saved::evictions(&keeper.kept, &[&open, &id, &loading]) {
                    keeper.delete(&old);
                }
            }
            Err(e) => {
                keeper.retiring = None;
                keeper.failed_at = Some(Instant::now());
                let why = format!(
                    "Runs are not being kept: saving to {} failed ({e}). Delete kept sessions \
                     (Kept runs, in the settings) to make room; training goes on.",
                    keeper.location()
                );
                if keeper.error.as_deref() != Some(why.as_str()) {
                    self.notices.push(true, why.clone());
                }
                keeper.error = Some(why);
            }
        }
    }
}
