//! Where the app keeps runs between visits: a folder per saved session, each holding the files
//! `saved.rs` names and a `manifest.json` written last (so a session whose save was cut short is
//! still its previous, complete generation). On the desktop the folders live in the user's data
//! folder (or `--state-dir`), written atomically; in the browser in the origin-private file
//! system (OPFS), whose writable streams replace a file only when closed. Operations finish
//! asynchronously in the browser, so every result arrives as a [`StoreEvent`] in the store's
//! inbox (at once on the desktop).

use std::cell::RefCell;
use std::rc::Rc;

/// The file each session folder is listed by (written after the files it names).
pub const MANIFEST: &str = "manifest.json";

/// A finished storage operation.
pub enum StoreEvent {
    /// Every session folder's manifest bytes (or why it could not be read), by folder name.
    Listed(Vec<(String, Result<Vec<u8>, String>)>),
    /// A session's files, by name, or why they could not be read.
    Loaded(String, Result<Vec<(String, Vec<u8>)>, String>),
    /// A session was written (or why not: a full disk or quota).
    Saved(String, Result<(), String>),
    /// A session folder was removed (or why not).
    Deleted(String, Result<(), String>),
}

type Inbox = Rc<RefCell<Vec<StoreEvent>>>;

/// One save: the session's folder, its new files, its manifest (written last) and the previous
/// generation's files (removed after).
struct Save {
    id: String,
    files: Vec<(String, Vec<u8>)>,
    manifest: Vec<u8>,
    stale: Vec<String>,
}

/// The saved sessions' storage.
#[derive(Clone)]
pub struct Store {
    inbox: Inbox,
    imp: imp::Root,
}

impl Store {
    /// The store in `dir` (desktop; created when first written) or the browser's OPFS.
    pub fn open(
        #[cfg_attr(target_arch = "wasm32", allow(unused))] dir: std::path::PathBuf,
    ) -> Self {
        Self {
            inbox: Default::default(),
            imp: imp::Root::new(dir),
        }
    }

    /// Where the runs are kept, in words (for the UI).
    pub fn location(&self) -> String {
        self.imp.location()
    }

    /// Results that arrived since the last call.
    pub fn take_events(&self) -> Vec<StoreEvent> {
        std::mem::take(&mut *self.inbox.borrow_mut())
    }

    /// Lists the sessions (a [`StoreEvent::Listed`] follows).
    pub fn list(&self) {
        self.imp.list(self.inbox.clone());
    }

    /// Reads `names` of session `id` (a [`StoreEvent::Loaded`] follows).
    pub fn load(&self, id: &str, names: Vec<String>) {
        self.imp.load(id.to_string(), names, self.inbox.clone());
    }

    /// Writes `files` into session `id`, then its `manifest`, then removes the `stale` files
    /// of its previous generation (a [`StoreEvent::Saved`] follows).
    pub fn save(
        &self,
        id: &str,
        files: Vec<(String, Vec<u8>)>,
        manifest: Vec<u8>,
        stale: Vec<String>,
    ) {
        let save = Save {
            id: id.to_string(),
            files,
            manifest,
            stale,
        };
        self.imp.save(save, self.inbox.clone());
    }

    /// Removes session `id` (a [`StoreEvent::Deleted`] follows).
    pub fn delete(&self, id: &str) {
        self.imp.delete(id.to_string(), self.inbox.clone());
    }
}

/// Whether `name` may name a session folder or a file in one (the store writes only names it
/// made; one read back from a manifest is checked so that it cannot point elsewhere).
pub fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 80
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(not(target_arch = "wasm32"))]
#[path = "folder.rs"]
mod imp;
#[cfg(target_arch = "wasm32")]
#[path = "opfs.rs"]
mod imp;
