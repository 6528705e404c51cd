//! Runs kept across reloads, crashes and restarts. While runs train, every few seconds (and when
//! they pause or finish) the session is saved: steps are held until no result is in flight, each
//! run's full checkpoint is requested (training goes on at once: the copies are queued before
//! any later step) and, once read back, written with the logs and a manifest (`saved.rs`) into
//! the store (`store.rs`). A session replaced by Reset or a finding is saved one last time
//! first. On the desktop closing the window saves too. Kept sessions are listed at start and
//! offered; continuing one reopens every run from its checkpoint, bit-identically.

mod events;
mod saving;

use super::saved::{self, Manifest};
use super::snapshot::RunsSnapshot;
use super::store::Store;
use super::{PlaygroundApp, Session, Settings};
use web_time::{Duration, Instant};

/// Time between saves of a training session.
pub const SAVE_EVERY: Duration = Duration::from_secs(10);
/// After a failed save (a full disk or quota), the next try waits this long.
const RETRY_AFTER: Duration = Duration::from_secs(60);

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
    /// The data the session was started on (None: not yet known).
    data: Option<DataRef>,
    /// It changed beyond its steps (a run renamed, added or removed, IRE switched) since the
    /// snapshot of its last save was taken.
    changed: bool,
}

impl Current {
    pub(super) fn fresh() -> Self {
        Self {
            id: format!("session-{}", saved::now_ms()),
            generation: 0,
            saved_progress: 0,
            saved_step: None,
            saved_at: None,
            files: Vec::new(),
            data: None,
            changed: false,
        }
    }

    pub(super) fn of(manifest: &Manifest, session: &Session) -> Self {
        Self {
            id: manifest.id.clone(),
            generation: manifest.generation,
            saved_progress: progress(session),
            // A run file opened (generation 0) is kept at its first save.
            saved_step: (manifest.generation > 0).then(|| session.steps_done()),
            saved_at: (manifest.generation > 0).then(Instant::now),
            files: manifest.files(),
            data: None,
            changed: false,
        }
    }
}

/// Steps taken over all runs (what a save is due for).
fn progress(session: &Session) -> usize {
    session.runs.iter().map(|r| r.series.steps_reached()).sum()
}

/// The data a session trains on, as a save records it.
#[derive(Clone, Debug)]
pub struct DataRef {
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
}

enum Job {
    /// Steps are held until no result is in flight.
    Draining,
    /// The checkpoints are on their way back; the rest was taken with them.
    Reading(RunsSnapshot, Box<saving::Taken>),
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

    /// Drops a save of the open session that has not reached the store yet (its runs are
    /// about to change); the next save starts afresh.
    pub fn cancel_unwritten(&mut self) {
        if self.retiring.is_none() && matches!(self.job, Some(Job::Draining | Job::Reading(..))) {
            self.job = None;
        }
    }

    /// The open session changed beyond its steps (a run renamed, added or removed, IRE switched
    /// or retuned): a save is due as soon as one can start, even while paused.
    pub fn resave(&mut self) {
        self.current.changed = true;
    }

    /// The device was lost: saves under way and a replaced session's last save are dropped
    /// (their buffers are gone); the last complete saves stand.
    pub fn drop_device_work(&mut self) {
        self.job = None;
        self.retiring = None;
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
    /// The open session changed beyond its steps: save it soon (see [`Keeper::resave`]).
    pub(super) fn resave(&mut self) {
        if let Some(k) = &mut self.keeper {
            k.resave();
        }
    }

    /// In the browser while the page is hidden, when no frame is drawn (a timer calls it; see
    /// `web.rs`): collects the results in flight and saves what trained since the last save,
    /// so that closing or discarding the tab loses nothing.
    pub fn keep_while_hidden(&mut self) {
        if !crate::app::platform::page_hidden() {
            return;
        }
        if let Some(session) = &mut self.session {
            session.collect();
        }
        self.keep_runs();
    }

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
}
