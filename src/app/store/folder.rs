//! The desktop's store: a folder per session in the user's data folder (or `--state-dir`),
//! every file written atomically; operations finish at once.
use super::{safe_name, Inbox, Save, StoreEvent, MANIFEST};
use std::path::PathBuf;

#[derive(Clone)]
pub struct Root(PathBuf);

impl Root {
    pub fn new(dir: PathBuf) -> Self {
        Self(dir)
    }

    pub fn location(&self) -> String {
        self.0.display().to_string()
    }

    fn folder(&self, id: &str) -> Result<PathBuf, String> {
        if safe_name(id) {
            Ok(self.0.join(id))
        } else {
            Err(format!("'{id}' is not a saved session's name"))
        }
    }

    pub fn list(&self, inbox: Inbox) {
        let mut found = Vec::new();
        // A missing folder is an empty store (nothing was kept yet).
        if let Ok(entries) = std::fs::read_dir(&self.0) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().to_string();
                if !safe_name(&name) || !entry.path().is_dir() {
                    continue;
                }
                let manifest = entry.path().join(MANIFEST);
                if !manifest.exists() {
                    continue; // a first save cut short: nothing complete to offer
                }
                let read =
                    crate::files::read_bounded(&manifest, 1 << 20).map_err(|e| e.to_string());
                found.push((name, read));
            }
        }
        inbox.borrow_mut().push(StoreEvent::Listed(found));
    }

    pub fn load(&self, id: String, names: Vec<String>, inbox: Inbox) {
        let read = self.folder(&id).and_then(|folder| {
            names
                .into_iter()
                .map(|name| {
                    if !safe_name(&name) {
                        return Err(format!("'{name}' is not a saved file's name"));
                    }
                    std::fs::read(folder.join(&name))
                        .map(|bytes| (name.clone(), bytes))
                        .map_err(|e| format!("{}: {e}", folder.join(&name).display()))
                })
                .collect()
        });
        inbox.borrow_mut().push(StoreEvent::Loaded(id, read));
    }

    pub fn save(&self, save: Save, inbox: Inbox) {
        let written = self.folder(&save.id).and_then(|folder| {
            std::fs::create_dir_all(&folder)
                .map_err(|e| format!("could not create {}: {e}", folder.display()))?;
            for (name, bytes) in save
                .files
                .iter()
                .chain([(MANIFEST.to_string(), save.manifest)].iter())
            {
                crate::files::write_atomic(&folder.join(name), bytes).map_err(|e| e.to_string())?;
            }
            for name in save.stale.iter().filter(|n| safe_name(n)) {
                let _ = std::fs::remove_file(folder.join(name));
            }
            Ok(())
        });
        inbox.borrow_mut().push(StoreEvent::Saved(save.id, written));
    }

    pub fn delete(&self, id: String, inbox: Inbox) {
        let removed = self.folder(&id).and_then(|folder| {
            std::fs::remove_dir_all(&folder)
                .map_err(|e| format!("could not remove {}: {e}", folder.display()))
        });
        inbox.borrow_mut().push(StoreEvent::Deleted(id, removed));
    }
}
