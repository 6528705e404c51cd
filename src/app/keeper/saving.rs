//! Saving the open session (and a replaced one, one last time): when a save is due, holding
//! steps until nothing is in flight, reading the checkpoints back, and handing the files to the
//! store; on the desktop, a blocking save as the window closes.

use super::{progress, saved, Current, DataRef, Job, PlaygroundApp, Retiring, Session};

use super::{RETRY_AFTER, SAVE_EVERY};
use crate::app::saved::{Manifest, SavedRun, SavedText};
use crate::app::snapshot::{self, RunsSnapshot};
use crate::app::{LiveRun, Mode};
use web_time::{Duration, Instant};

impl PlaygroundApp {
    /// Starts a save when one is due: steps were taken since the last, and the runs paused,
    /// finished or trained for [`SAVE_EVERY`]; or a replaced session waits for its last save.
    pub(super) fn start_due_save(&mut self) {
        let Some(keeper) = &mut self.keeper else {
            return;
        };
        if keeper.job.is_some()
            || self.ctx.is_none()
            || self.export_job.is_some()
            || keeper.failed_at.is_some_and(|t| t.elapsed() < RETRY_AFTER)
        {
            return;
        }
        if let Some(r) = &mut keeper.retiring {
            r.session.hold = true;
            keeper.job = Some(Job::Draining);
            return;
        }
        let Some(session) = &mut self.session else {
            return;
        };
        let current = &keeper.current;
        let done = progress(session);
        // A hidden page trains no further (and may be closed or discarded without another
        // word): what it trained since the last save is saved at once.
        let running = session.mode == Mode::Running
            && !crate::app::platform::page_hidden()
            && !session.runs.iter().all(LiveRun::is_done);
        let due = (done > current.saved_progress || current.changed)
            && (!running || current.saved_at.is_none_or(|t| t.elapsed() >= SAVE_EVERY));
        if due {
            session.hold = true;
            keeper.job = Some(Job::Draining);
        }
    }

    /// Advances the save under way by one frame.
    pub(super) fn advance_save(&mut self) {
        let Some(job) = self.keeper.as_mut().and_then(|k| k.job.take()) else {
            return;
        };
        let next = match job {
            Job::Draining => self.drain_for_save(),
            Job::Reading(mut snapshot, taken) => match &self.ctx {
                Some(ctx) if !snapshot.poll(ctx) => Some(Job::Reading(snapshot, taken)),
                Some(_) => match self.write_save(snapshot, *taken) {
                    Ok(written) => Some(written),
                    Err(e) => {
                        self.notices
                            .push(true, format!("the runs could not be kept: {e}"));
                        if let Some(k) = &mut self.keeper {
                            if k.retiring.is_none() {
                                k.current.changed = true;
                            }
                            k.retiring = None;
                            k.failed_at = Some(Instant::now());
                        }
                        None
                    }
                },
                None => None, // the device was lost: the last complete save stands
            },
            writing @ Job::Writing(..) => Some(writing),
        };
        if let Some(k) = &mut self.keeper {
            k.job = next;
        }
    }

    /// Waits (frame by frame) until the saved session has no result in flight, then requests
    /// its checkpoints and takes its logs.
    fn drain_for_save(&mut self) -> Option<Job> {
        let keeper = self.keeper.as_mut()?;
        let retiring = keeper.retiring.is_some();
        let session = match &mut keeper.retiring {
            Some(r) => {
                // Nothing else collects a replaced session's results.
                r.session.mode = Mode::Paused;
                r.session.advance(Duration::ZERO);
                &mut r.session
            }
            None => self.session.as_mut()?,
        };
        if !snapshot::settled(&session.runs) {
            return Some(Job::Draining);
        }
        let (snapshot, taken) = take_snapshot(session);
        session.hold = false;
        if !retiring {
            // What changes from now on needs a save of its own.
            keeper.current.changed = false;
        }
        Some(Job::Reading(snapshot, Box::new(taken)))
    }

    /// Turns the read-back checkpoints and what was taken with them into files and a manifest,
    /// and hands them to the store.
    fn write_save(&mut self, snapshot: RunsSnapshot, taken: Taken) -> Result<Job, String> {
        let data = self.data_ref();
        let keeper = self.keeper.as_mut().ok_or("runs are not kept")?;
        let retiring = keeper.retiring.is_some();
        let (settings, current) = match &keeper.retiring {
            Some(r) => (r.settings.clone(), r.current.clone()),
            None => (
                self.session_settings
                    .clone()
                    .unwrap_or_else(|| self.settings.clone()),
                keeper.current.clone(),
            ),
        };
        // The data the session was started on (what the app holds now may be a later one's).
        let data = current.data.clone().unwrap_or(data);
        let generation = current.generation + 1;
        let mut files = Vec::new();
        let mut runs = Vec::new();
        for (i, (read, run)) in snapshot.runs.into_iter().zip(taken.runs).enumerate() {
            let checkpoint = match read.outcome {
                Some(Ok(c)) => c,
                Some(Err(e)) => return Err(format!("{}: {e}", run.label)),
                None => return Err(format!("{}: its state was not read back", run.label)),
            };
            let (ck_name, log_name) = saved::run_files(i, generation);
            files.push((
                ck_name.clone(),
                checkpoint.to_bytes().map_err(|e| e.to_string())?,
            ));
            files.push((log_name.clone(), read.log.into_bytes()));
            runs.push(SavedRun {
                label: run.label,
                checkpoint: ck_name,
                log: log_name,
                step: checkpoint.step,
                steps: run.steps,
                error: run.error,
            });
        }
        let text = data.text.map(|(name, bytes)| {
            let file = saved::text_file(generation);
            files.push((file.clone(), bytes));
            SavedText { name, file }
        });
        let manifest = Manifest {
            format: saved::FORMAT.into(),
            id: current.id.clone(),
            generation,
            saved_at_ms: saved::now_ms(),
            settings,
            ire_run: taken.ire_run,
            tuning: taken.tuning,
            runs,
            text,
            images: data.images,
            bytes: files.iter().map(|(_, b)| b.len() as u64).sum(),
        };
        let bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| e.to_string())?;
        keeper
            .store
            .save(&current.id, files, bytes, current.files.clone());
        Ok(Job::Writing(Box::new(manifest), retiring))
    }

    /// Before the open session is replaced: saves it one last time if it trained since its
    /// last save, then gives the next session a folder of its own.
    pub(in crate::app) fn retire_session(&mut self) {
        let settings = self
            .session_settings
            .clone()
            .unwrap_or_else(|| self.settings.clone());
        let (Some(keeper), Some(session)) = (&mut self.keeper, self.session.take()) else {
            return;
        };
        // A save of this session that has not reached the store is dropped with it (a
        // replaced session's, or one being written, finishes).
        if matches!(keeper.job, Some(Job::Draining | Job::Reading(..))) && keeper.retiring.is_none()
        {
            keeper.job = None;
        }
        let current = std::mem::replace(&mut keeper.current, Current::fresh());
        let unsaved = progress(&session) > current.saved_progress || current.changed;
        // One replaced session at a time.
        if unsaved && keeper.retiring.is_none() {
            keeper.retiring = Some(Retiring {
                session,
                settings,
                current,
            });
        }
    }

    /// A new session starts: its saves record the data it trains on now.
    pub(in crate::app) fn mark_session_start(&mut self) {
        let data = self.data_ref();
        if let Some(k) = &mut self.keeper {
            k.current.data = Some(data);
        }
    }

    /// The data the open session trains on, as a save records it.
    fn data_ref(&self) -> DataRef {
        // A generated task needs no file: the settings name it and it is made again.
        let source = self.session_settings.as_ref().and_then(|s| s.text.clone());
        let source = source.filter(|s| crate::data::Puzzle::of_source(Some(s)).is_none());
        let text = source.zip(self.data.as_ref()).map(|(source, data)| {
            let name = crate::data::Corpus::source_name(&source).to_string();
            (name, data.corpus_file.to_vec())
        });
        DataRef {
            text,
            images: self.data.as_ref().and_then(|d| d.image_source.clone()),
        }
    }

    /// On the desktop, when the window closes: finishes a replaced session's last save, then
    /// saves the open session if it trained since its last save (blocking; the window is going
    /// away).
    #[cfg(not(target_arch = "wasm32"))]
    pub(in crate::app) fn keep_before_exit(&mut self) {
        if self.keeper.as_ref().is_some_and(|k| k.retiring.is_some()) {
            self.save_blocking(true);
            if let Some(k) = &mut self.keeper {
                k.retiring = None;
            }
        }
        self.save_blocking(false);
    }

    /// Saves the replaced session (`retiring`) or the open one, waiting for every result in
    /// flight and for the read-back (the desktop's store writes at once).
    #[cfg(not(target_arch = "wasm32"))]
    fn save_blocking(&mut self, retiring: bool) {
        let (Some(keeper), Some(ctx)) = (&mut self.keeper, &self.ctx) else {
            return;
        };
        let session = if retiring {
            match &mut keeper.retiring {
                Some(r) => &mut r.session,
                None => return,
            }
        } else {
            match &mut self.session {
                Some(s)
                    if progress(s) > keeper.current.saved_progress || keeper.current.changed =>
                {
                    s
                }
                _ => return,
            }
        };
        keeper.job = None;
        session.mode = Mode::Paused;
        for run in &mut session.runs {
            while run.trainer.in_flight() > 0 && run.error.is_none() {
                run.trainer.wait_for_oldest();
                run.collect();
            }
        }
        if !snapshot::settled(&session.runs) {
            return; // an analysis holds the weights: the last periodic save stands
        }
        let (mut snapshot, taken) = take_snapshot(session);
        snapshot.wait(ctx);
        if let Err(e) = self.write_save(snapshot, taken) {
            log::error!("the runs could not be kept: {e}");
        }
    }
}

/// What a save takes of the session when its snapshot begins (the session may change while
/// the values come back: "tune both" keeps two runs, a branch adds one).
pub(super) struct Taken {
    runs: Vec<TakenRun>,
    ire_run: usize,
    tuning: Option<crate::app::tune::Tuning>,
}

struct TakenRun {
    label: String,
    steps: usize,
    error: Option<String>,
}

/// Requests every run's checkpoint and log and takes the rest of what a save records (the
/// session is between steps).
fn take_snapshot(session: &Session) -> (RunsSnapshot, Taken) {
    let runs = session
        .runs
        .iter()
        .map(|r| TakenRun {
            label: r.label.clone(),
            steps: r.trainer.config.steps,
            error: r.error.clone(),
        })
        .collect();
    let taken = Taken {
        runs,
        ire_run: session.ire_run,
        tuning: session.tuning.clone(),
    };
    (RunsSnapshot::begin(&session.runs), taken)
}
