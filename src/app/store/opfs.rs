//! The browser's store: the origin-private file system (OPFS). Every operation runs as a
//! future and posts its result to the inbox, then wakes the window.
use super::{safe_name, Inbox, Save, StoreEvent, MANIFEST};
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
    // Asks once, without waiting for the answer (a browser may ask the user), that the origin's
    // data not be evicted under storage pressure.
    thread_local!(static ASKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    if !ASKED.with(|a| a.replace(true)) {
        let _ = storage.persist();
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
    let handle: FileSystemFileHandle = call(folder.get_file_handle(name)).await?.unchecked_into();
    let file: web_sys::File = call(handle.get_file()).await?.unchecked_into();
    let buffer = call(file.array_buffer()).await?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

async fn write(folder: &FileSystemDirectoryHandle, name: &str, bytes: &[u8]) -> Result<(), String> {
    let options = web_sys::FileSystemGetFileOptions::new();
    options.set_create(true);
    let handle: FileSystemFileHandle = call(folder.get_file_handle_with_options(name, &options))
        .await?
        .unchecked_into();
    let stream: web_sys::FileSystemWritableFileStream =
        call(handle.create_writable()).await?.unchecked_into();
    // A copy in JavaScript's memory: the write completes after wasm memory may have grown.
    let copy = js_sys::Uint8Array::from(bytes);
    let written = match stream.write_with_buffer_source(&copy) {
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

    pub fn save(&self, save: Save, inbox: Inbox) {
        wasm_bindgen_futures::spawn_local(async move {
            let result = async {
                let folder = subfolder(&root().await?, &save.id, true).await?;
                for (name, bytes) in &save.files {
                    write(&folder, name, bytes).await?;
                }
                write(&folder, MANIFEST, &save.manifest).await?;
                for name in save.stale.iter().filter(|n| safe_name(n)) {
                    let _ = JsFuture::from(folder.remove_entry(name)).await;
                }
                Ok(())
            }
            .await;
            deliver(inbox, StoreEvent::Saved(save.id, result));
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
