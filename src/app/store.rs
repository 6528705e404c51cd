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
        self.imp
            .save(id.to_string(), files, manifest, stale, self.inbox.clone());
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
mod imp {
    use super::{safe_name, Inbox, StoreEvent, MANIFEST};
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

        pub fn save(
            &self,
            id: String,
            files: Vec<(String, Vec<u8>)>,
            manifest: Vec<u8>,
            stale: Vec<String>,
            inbox: Inbox,
        ) {
            let written = self.folder(&id).and_then(|folder| {
                std::fs::create_dir_all(&folder)
                    .map_err(|e| format!("could not create {}: {e}", folder.display()))?;
                for (name, bytes) in files
                    .iter()
                    .chain([(MANIFEST.to_string(), manifest)].iter())
                {
                    crate::files::write_atomic(&folder.join(name), bytes)
                        .map_err(|e| e.to_string())?;
                }
                for name in stale.iter().filter(|n| safe_name(n)) {
                    let _ = std::fs::remove_file(folder.join(name));
                }
                Ok(())
            });
            inbox.borrow_mut().push(StoreEvent::Saved(id, written));
        }

        pub fn delete(&self, id: String, inbox: Inbox) {
            let removed = self.folder(&id).and_then(|folder| {
                std::fs::remove_dir_all(&folder)
                    .map_err(|e| format!("could not remove {}: {e}", folder.display()))
            });
            inbox.borrow_mut().push(StoreEvent::Deleted(id, removed));
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::{safe_name, Inbox, StoreEvent, MANIFEST};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{FileSystemDirectoryHandle, FileSystemFileHandle};

    /// The OPFS folder that holds the session folders.
    const ROOT: &str = "ire-playground-runs";

    #[derive(Clone)]
    pub struct Root;

    /// A browser error in words (a DOMException's name and message, e.g. QuotaExceededError).
    fn describe(e: JsValue) -> String {
        match e.dyn_into::<js_sys::Error>() {
            Ok(err) => format!(
                "{}: {}",
                String::from(err.name()),
                String::from(err.message())
            ),
            Err(other) => format!("{other:?}"),
        }
    }

    async fn call(promise: js_sys::Promise) -> Result<JsValue, String> {
        JsFuture::from(promise).await.map_err(describe)
    }

    async fn root() -> Result<FileSystemDirectoryHandle, String> {
        let window = web_sys::window().ok_or("no window")?;
        let storage = window.navigator().storage();
        // Asks the browser not to evict the origin's data under storage pressure (it may say no).
        if let Ok(p) = storage.persist() {
            let _ = JsFuture::from(p).await;
        }
        let top: FileSystemDirectoryHandle = call(storage.get_directory())
            .await
            .map_err(|e| format!("this browser keeps no files for the page ({e})"))?
            .unchecked_into();
        subfolder(&top, ROOT, true).await
    }

    async fn subfolder(
        parent: &FileSystemDirectoryHandle,
        name: &str,
        create: bool,
    ) -> Result<FileSystemDirectoryHandle, String> {
        let options = web_sys::FileSystemGetDirectoryOptions::new();
        options.set_create(create);
        Ok(
            call(parent.get_directory_handle_with_options(name, &options))
                .await?
                .unchecked_into(),
        )
    }

    async fn read(folder: &FileSystemDirectoryHandle, name: &str) -> Result<Vec<u8>, String> {
        let handle: FileSystemFileHandle =
            call(folder.get_file_handle(name)).await?.unchecked_into();
        let file: web_sys::File = call(handle.get_file()).await?.unchecked_into();
        let buffer = call(file.array_buffer()).await?;
        Ok(js_sys::Uint8Array::new(&buffer).to_vec())
    }

    async fn write(
        folder: &FileSystemDirectoryHandle,
        name: &str,
        bytes: &[u8],
    ) -> Result<(), String> {
        let options = web_sys::FileSystemGetFileOptions::new();
        options.set_create(true);
        let handle: FileSystemFileHandle =
            call(folder.get_file_handle_with_options(name, &options))
                .await?
                .unchecked_into();
        let stream: web_sys::FileSystemWritableFileStream =
            call(handle.create_writable()).await?.unchecked_into();
        let written = match stream.write_with_u8_array(bytes) {
            Ok(p) => call(p).await.map(|_| ()),
            Err(e) => Err(describe(e)),
        };
        match written {
            // Closing commits the new contents in one step.
            Ok(()) => call(stream.close()).await.map(|_| ()),
            Err(e) => {
                let _ = JsFuture::from(stream.abort()).await;
                Err(e)
            }
        }
    }

    async fn folder_names(root: &FileSystemDirectoryHandle) -> Result<Vec<String>, String> {
        let keys = root.keys();
        let mut names = Vec::new();
        loop {
            let next = call(keys.next().map_err(describe)?).await?;
            let done = js_sys::Reflect::get(&next, &"done".into())
                .ok()
                .and_then(|d| d.as_bool())
                .unwrap_or(true);
            if done {
                return Ok(names);
            }
            if let Some(name) = js_sys::Reflect::get(&next, &"value".into())
                .ok()
                .and_then(|v| v.as_string())
            {
                names.push(name);
            }
        }
    }

    fn deliver(inbox: Inbox, event: StoreEvent) {
        inbox.borrow_mut().push(event);
        crate::app::platform::wake();
    }

    impl Root {
        pub fn new(_dir: std::path::PathBuf) -> Self {
            Self
        }

        pub fn location(&self) -> String {
            "this browser's storage for the page".into()
        }

        pub fn list(&self, inbox: Inbox) {
            wasm_bindgen_futures::spawn_local(async move {
                let mut found = Vec::new();
                if let Ok(root) = root().await {
                    for name in folder_names(&root).await.unwrap_or_default() {
                        if !safe_name(&name) {
                            continue;
                        }
                        let Ok(folder) = subfolder(&root, &name, false).await else {
                            continue;
                        };
                        match read(&folder, MANIFEST).await {
                            Ok(bytes) => found.push((name, Ok(bytes))),
                            // No manifest: a first save cut short; nothing complete to offer.
                            Err(e) if e.starts_with("NotFoundError") => {}
                            Err(e) => found.push((name, Err(e))),
                        }
                    }
                }
                deliver(inbox, StoreEvent::Listed(found));
            });
        }

        pub fn load(&self, id: String, names: Vec<String>, inbox: Inbox) {
            wasm_bindgen_futures::spawn_local(async move {
                let result = async {
                    let folder = subfolder(&root().await?, &id, false).await?;
                    let mut files = Vec::new();
                    for name in names {
                        let bytes = read(&folder, &name)
                            .await
                            .map_err(|e| format!("{name}: {e}"))?;
                        files.push((name, bytes));
                    }
                    Ok(files)
                }
                .await;
                deliver(inbox, StoreEvent::Loaded(id, result));
            });
        }

        pub fn save(
            &self,
            id: String,
            files: Vec<(String, Vec<u8>)>,
            manifest: Vec<u8>,
            stale: Vec<String>,
            inbox: Inbox,
        ) {
            wasm_bindgen_futures::spawn_local(async move {
                let result = async {
                    let folder = subfolder(&root().await?, &id, true).await?;
                    for (name, bytes) in &files {
                        write(&folder, name, bytes).await?;
                    }
                    write(&folder, MANIFEST, &manifest).await?;
                    for name in stale.iter().filter(|n| safe_name(n)) {
                        let _ = JsFuture::from(folder.remove_entry(name)).await;
                    }
                    Ok(())
                }
                .await;
                deliver(inbox, StoreEvent::Saved(id, result));
            });
        }

        pub fn delete(&self, id: String, inbox: Inbox) {
            wasm_bindgen_futures::spawn_local(async move {
                let result = async {
                    let root = root().await?;
                    let options = web_sys::FileSystemRemoveOptions::new();
                    options.set_recursive(true);
                    call(root.remove_entry_with_options(&id, &options))
                        .await
                        .map(|_| ())
                }
                .await;
                deliver(inbox, StoreEvent::Deleted(id, result));
            });
        }
    }
}
