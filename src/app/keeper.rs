//! Runs kept across reloads, crashes and restarts. While runs train, every few seconds (and when
//! they pause or finish) the session is saved: steps are held until no result is in flight, each
//! run's full checkpoint is requested (training goes on at once: the copies are queued before
//! any later step) and, once read back, written with the logs and a manifest (`saved.rs`) into
//! the store (`store.rs`). A session replaced by Reset or a finding is saved one last time
//! first. On the desktop closing the window saves too. Kept sessions are listed at start and
//! offered; continuing one reopens every run from its checkpoint, bit-identically.

use super::saved::{self, Manifest, SavedRun, SavedText};
use super::snapshot::{self, RunsSnapshot};
use super::store::{Store, StoreEvent};
use super::{PlaygroundApp, Session, Settings};
use web_time::{Duration, Instant};

/// Time between saves of a training session.
pub const SAVE_EVERY: Duration = Duration::from_secs(10);
/// After a failed save (a full disk or quota), the next try waits this long.
const RETRY_AFTER: Duration = Duration::from_secs(60);

/// A kept session's files: (name, bytes).
pub type Files = Vec<(String, Vec<u8>)>;

/// The open session's folder in the store and what its last complete save holds.
#[derive(Clone, Debug)]
pub struct Current {
    /// Folder name.
    pub id: String,
    /// The last complete save's generation (0: never saved).
    pub generation: u64,
    /// Steps over all runs in the last complete save.
    pub saved_progress: usize,
    /// Steps of the slowest run in the last complete save.
    pub saved_step: Option<usize>,
    /// When it was saved.
    saved_at: Option<Instant>,
    /// The files it names.
    files: Vec<String>,
}

impl Current {
    fn fresh() -> Self {
        Self {
            id: format!("session-{}", saved::now_ms()),
            generation: 0,
            saved_progress: 0,
            saved_step: None,
            saved_at: None,
            files: Vec::new(),
        }
    }

    pub(super) fn of(manifest: &Manifest, session: &Session) -> Self {
        Self {
            id: manifest.id.clone(),
            generation: manifest.generation,
            saved_progress: progress(session),
            saved_step: Some(session.steps_done()),
            saved_at: Some(Instant::now()),
            files: manifest.files(),
        }
    }
}

/// Steps taken over all runs (what a save is due for).
fn progress(session: &Session) -> usize {
    session.runs.iter().map(|r| r.series.loss.len()).sum()
}

/// The data a session trains on, as a save records it.
#[derive(Clone)]
struct DataRef {
    /// The user's text: (file name, zlib bytes).
    text: Option<(String, Vec<u8>)>,
    /// The user's image set, by name.
    images: Option<String>,
}

/// A session saved one last time before it is dropped.
struct Retiring {
    session: Session,
    settings: Settings,
    current: Current,
    data: DataRef,
}

enum Job {
    /// Steps are held until no result is in flight.
    Draining,
    /// The checkpoints are on their way back; the logs were taken with them.
    Reading(RunsSnapshot, Vec<String>),
    /// The files are being written; the manifest says what they hold (and whether they are
    /// a replaced session's last save).
    Writing(Box<Manifest>, bool),
}

/// The kept sessions and the saving of the open one.
pub struct Keeper {
    store: Store,
    /// Kept sessions as last listed, newest first.
    pub kept: Vec<Manifest>,
    /// The list has arrived.
    pub listed: bool,
    /// The open session's place in the store.
    pub current: Current,
    job: Option<Job>,
    retiring: Option<Retiring>,
    /// Why the last save failed (a full disk or quota), until one succeeds.
    pub error: Option<String>,
    failed_at: Option<Instant>,
    /// A kept session being read to be continued.
    pub loading: Option<String>,
    /// Continue the newest kept session once the list arrives (`--resume`).
    resume_newest: bool,
    /// A kept session read while its image set was still on its way: (id, files).
    pub waiting: Option<(String, Files)>,
}

impl Keeper {
    /// Keeps sessions in `store`; lists the kept ones.
    pub fn new(store: Store, resume_newest: bool) -> Self {
        store.list();
        Self {
            store,
            kept: Vec::new(),
            listed: false,
            current: Current::fresh(),
            job: None,
            retiring: None,
            error: None,
            failed_at: None,
            loading: None,
            resume_newest,
            waiting: None,
        }
    }

    /// Where the sessions are kept, in words.
    pub fn location(&self) -> String {
        self.store.location()
    }

    /// Whether a save is under way.
    pub fn saving(&self) -> bool {
        self.job.is_some()
    }

    /// The newest kept session other than the open one.
    pub fn newest_other(&self) -> Option<&Manifest> {
        self.kept.iter().find(|m| m.id != self.current.id)
    }

    /// Removes kept session `id` (the open one's saves then start a new folder).
    pub fn delete(&mut self, id: &str) {
        self.store.delete(id);
        self.kept.retain(|m| m.id != id);
        if id == self.current.id {
            self.current = Current::fresh();
        }
    }
}

impl PlaygroundApp {
    /// Saves, lists and loads kept sessions; called every frame, never blocks.
    pub(super) fn keep_runs(&mut self) {
        // An event may lead to another (a list to a load): the desktop's arrive at once.
        loop {
            let events = match &self.keeper {
                Some(k) => k.store.take_events(),
                None => return,
            };
            if events.is_empty() {
                break;
            }
            for event in events {
                self.take_store_event(event);
            }
        }
        self.advance_save();
        self.start_due_save();
    }

    fn take_store_event(&mut self, event: StoreEvent) {
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
                for id in saved::evictions(&keeper.kept, Some(&current)) {
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
                for old in saved::evictions(&keeper.kept, Some(&open)) {
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

    /// Starts a save when one is due: steps were taken since the last, and the runs paused,
    /// finished or trained for [`SAVE_EVERY`]; or a replaced session waits for its last save.
    fn start_due_save(&mut self) {
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
        let running = session.mode == super::Mode::Running
            && !session.runs.iter().all(super::LiveRun::is_done);
        let due = done > current.saved_progress
            && (!running
                || super::platform::page_hidden()
                || current.saved_at.is_none_or(|t| t.elapsed() >= SAVE_EVERY));
        if due {
            session.hold = true;
            keeper.job = Some(Job::Draining);
        }
    }

    /// Advances the save under way by one frame.
    fn advance_save(&mut self) {
        let Some(job) = self.keeper.as_mut().and_then(|k| k.job.take()) else {
            return;
        };
        let next = match job {
            Job::Draining => self.drain_for_save(),
            Job::Reading(mut snapshot, logs) => match &self.ctx {
                Some(ctx) if !snapshot.poll(ctx) => Some(Job::Reading(snapshot, logs)),
                Some(_) => match self.write_save(snapshot, logs) {
                    Ok(written) => Some(written),
                    Err(e) => {
                        self.notices
                            .push(true, format!("the runs could not be kept: {e}"));
                        if let Some(k) = &mut self.keeper {
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
        let session = match &mut keeper.retiring {
            Some(r) => {
                // Nothing else collects a replaced session's results.
                r.session.mode = super::Mode::Paused;
                r.session.advance(Duration::ZERO);
                &mut r.session
            }
            None => self.session.as_mut()?,
        };
        if !snapshot::settled(&session.runs) {
            return Some(Job::Draining);
        }
        let (snapshot, logs) = take_snapshot(session);
        session.hold = false;
        Some(Job::Reading(snapshot, logs))
    }

    /// Turns the read-back checkpoints and the logs into files and a manifest, and hands them
    /// to the store; returns the manifest.
    fn write_save(&mut self, snapshot: RunsSnapshot, logs: Vec<String>) -> Result<Job, String> {
        let data = self.data_ref();
        let keeper = self.keeper.as_mut().ok_or("runs are not kept")?;
        let retiring = keeper.retiring.is_some();
        let (session, settings, current, data) = match &keeper.retiring {
            Some(r) => (
                &r.session,
                r.settings.clone(),
                r.current.clone(),
                r.data.clone(),
            ),
            None => (
                self.session.as_ref().ok_or("no session")?,
                self.session_settings
                    .clone()
                    .unwrap_or_else(|| self.settings.clone()),
                keeper.current.clone(),
                data,
            ),
        };
        let generation = current.generation + 1;
        let mut files = Vec::new();
        let mut runs = Vec::new();
        for (i, ((read, run), log)) in snapshot
            .runs
            .into_iter()
            .zip(&session.runs)
            .zip(logs)
            .enumerate()
        {
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
            files.push((log_name.clone(), log.into_bytes()));
            runs.push(SavedRun {
                label: run.label.clone(),
                checkpoint: ck_name,
                log: log_name,
                step: checkpoint.step,
                steps: run.trainer.config.steps,
                error: run.error.clone(),
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
            ire_run: session.ire_run,
            tuning: session.tuning.clone(),
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
    pub(super) fn retire_session(&mut self) {
        let data = self.data_ref();
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
        let unsaved = progress(&session) > current.saved_progress;
        // One replaced session at a time.
        if unsaved && keeper.retiring.is_none() {
            keeper.retiring = Some(Retiring {
                session,
                settings,
                current,
                data,
            });
        }
    }

    /// The data the open session trains on, as a save records it.
    fn data_ref(&self) -> DataRef {
        let source = self.session_settings.as_ref().and_then(|s| s.text.clone());
        let text = source.zip(self.data.as_ref()).map(|(source, data)| {
            let name = source.rsplit_once(" (").map_or(source.as_str(), |(n, _)| n);
            (name.to_string(), data.corpus_file.to_vec())
        });
        DataRef {
            text,
            images: self.data.as_ref().and_then(|d| d.image_source.clone()),
        }
    }

    /// Reads kept session `id` to continue it (the C key and "Continue").
    pub(super) fn continue_kept(&mut self, id: &str) {
        let Some(keeper) = &mut self.keeper else {
            return;
        };
        let Some(manifest) = keeper.kept.iter().find(|m| m.id == id) else {
            self.notices.push(true, format!("no kept session {id}"));
            return;
        };
        keeper.loading = Some(id.to_string());
        keeper.store.load(id, manifest.files());
        self.notices
            .push(false, format!("reading {}…", manifest.title()));
    }

    /// On the desktop, when the window closes: saves the open session if it trained since its
    /// last save (blocking; the window is going away).
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn keep_before_exit(&mut self) {
        let (Some(keeper), Some(session), Some(ctx)) =
            (&mut self.keeper, &mut self.session, &self.ctx)
        else {
            return;
        };
        if keeper.retiring.is_some() || progress(session) <= keeper.current.saved_progress {
            return;
        }
        keeper.job = None;
        session.mode = super::Mode::Paused;
        for run in &mut session.runs {
            while run.trainer.in_flight() > 0 && run.error.is_none() {
                run.trainer.wait_for_oldest();
                run.collect();
            }
        }
        if !snapshot::settled(&session.runs) {
            return; // an analysis holds the weights: the last periodic save stands
        }
        let (mut snapshot, logs) = take_snapshot(session);
        snapshot.wait(ctx);
        if let Err(e) = self.write_save(snapshot, logs) {
            log::error!("the runs could not be kept: {e}");
        }
    }
}

/// Requests every run's checkpoint and takes its log (the session is between steps).
fn take_snapshot(session: &Session) -> (RunsSnapshot, Vec<String>) {
    let logs = session
        .runs
        .iter()
        .map(|r| crate::train::to_jsonl(&r.trainer.history))
        .collect();
    (RunsSnapshot::begin(&session.runs), logs)
}
