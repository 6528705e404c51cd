//! What differs between the desktop and the browser: the URL hash, saving files, whether the
//! page is visible, publishing a status for automated tests, and opening a fresh GPU device.

use crate::gpu::GpuContext;
use std::cell::RefCell;
use std::rc::Rc;

/// Where a freshly requested device arrives (asynchronously on the web).
pub type ContextSlot = Rc<RefCell<Option<Result<GpuContext, String>>>>;

/// Files the user opened (file picker, drop, path field), as they finish reading: the file's
/// name and its bytes, or why it could not be read.
pub type FileInbox = Rc<RefCell<Vec<(String, Result<Vec<u8>, String>)>>>;

/// The id of the web page's (hidden) file input for logs; the browser test fills it.
pub const LOG_INPUT_ID: &str = "ire-log-input";

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::*;
    use wasm_bindgen::JsCast;

    fn document() -> Option<web_sys::Document> {
        web_sys::window()?.document()
    }

    pub fn url_hash() -> Option<String> {
        let hash = web_sys::window()?.location().hash().ok()?;
        let hash = hash.trim_start_matches('#');
        (!hash.is_empty()).then(|| hash.to_string())
    }

    pub fn set_url_hash(hash: &str) {
        // replaceState: settings changes should not flood the back button.
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            let url = format!("#{hash}");
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }

    pub fn page_hidden() -> bool {
        document().is_some_and(|d| d.hidden())
    }

    pub fn save_bytes(file_name: &str, mime: &str, contents: &[u8]) -> Result<String, String> {
        let fail = |what: &str| format!("could not download {file_name}: {what}");
        let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(contents));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(mime);
        let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
            .map_err(|_| fail("Blob"))?;
        let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| fail("URL"))?;
        let doc = document().ok_or_else(|| fail("no document"))?;
        let anchor: web_sys::HtmlAnchorElement = doc
            .create_element("a")
            .map_err(|_| fail("element"))?
            .dyn_into()
            .map_err(|_| fail("anchor"))?;
        anchor.set_href(&url);
        anchor.set_download(file_name);
        anchor.click();
        let _ = web_sys::Url::revoke_object_url(&url);
        Ok(format!("downloaded {file_name}"))
    }

    pub fn publish_status(json: &str) {
        if let Some(el) = document().and_then(|d| d.get_element_by_id("ire-status")) {
            el.set_text_content(Some(json));
        }
    }

    /// Adds the hidden `<input type=file>` whose picks land in `inbox` (once per page).
    pub fn install_file_picker(inbox: FileInbox) {
        use wasm_bindgen::closure::Closure;
        let Some(doc) = document() else { return };
        if doc.get_element_by_id(LOG_INPUT_ID).is_some() {
            return;
        }
        let Ok(input) = doc
            .create_element("input")
            .map(|e| e.unchecked_into::<web_sys::HtmlInputElement>())
        else {
            return;
        };
        input.set_type("file");
        input.set_id(LOG_INPUT_ID);
        input.set_accept(".jsonl,.json,.log,.txt,.safetensors");
        input.set_multiple(true);
        let _ = input.style().set_property("display", "none");
        let target = input.clone();
        let on_change = Closure::<dyn FnMut()>::new(move || {
            let Some(files) = target.files() else { return };
            for i in 0..files.length() {
                if let Some(file) = files.get(i) {
                    read_file(file, inbox.clone());
                }
            }
            // The same file can be picked again later.
            target.set_value("");
        });
        input.set_onchange(Some(on_change.as_ref().unchecked_ref()));
        on_change.forget();
        if let Some(body) = doc.body() {
            let _ = body.append_child(&input);
        }
    }

    fn read_file(file: web_sys::File, inbox: FileInbox) {
        wasm_bindgen_futures::spawn_local(async move {
            let name = file.name();
            let read = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
                .await
                .map(|buffer| js_sys::Uint8Array::new(&buffer).to_vec())
                .map_err(|_| format!("the browser could not read {name}"));
            inbox.borrow_mut().push((name, read));
            super::wake();
        });
    }

    pub fn pick_files() {
        if let Some(input) = document().and_then(|d| d.get_element_by_id(LOG_INPUT_ID)) {
            input.unchecked_into::<web_sys::HtmlElement>().click();
        }
    }

    pub fn read_dropped(file: egui::DroppedFileHandle, inbox: FileInbox) {
        wasm_bindgen_futures::spawn_local(async move {
            let name = file.path().display().to_string();
            let read = file.bytes_async().await;
            inbox.borrow_mut().push((name, read));
            super::wake();
        });
    }

    pub fn request_context(slot: ContextSlot) {
        wasm_bindgen_futures::spawn_local(async move {
            let result = GpuContext::new().await.map_err(|e| e.to_string());
            *slot.borrow_mut() = Some(result);
            super::wake();
        });
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::*;

    pub fn url_hash() -> Option<String> {
        None
    }

    pub fn set_url_hash(_hash: &str) {}

    pub fn page_hidden() -> bool {
        false
    }

    pub fn save_bytes(file_name: &str, _mime: &str, contents: &[u8]) -> Result<String, String> {
        let path = std::env::current_dir()
            .map(|d| d.join(file_name))
            .map_err(|e| e.to_string())?;
        crate::files::write_atomic(&path, contents).map_err(|e| e.to_string())?;
        Ok(format!("saved {}", path.display()))
    }

    pub fn publish_status(_json: &str) {}

    pub fn install_file_picker(_inbox: FileInbox) {}

    pub fn pick_files() {}

    pub fn read_dropped(file: egui::DroppedFileHandle, inbox: FileInbox) {
        let name = file.path().display().to_string();
        inbox.borrow_mut().push((name, file.bytes()));
    }

    pub fn request_context(slot: ContextSlot) {
        let result = pollster::block_on(GpuContext::new())
            .and_then(GpuContext::with_submitter_thread)
            .map_err(|e| e.to_string());
        *slot.borrow_mut() = Some(result);
    }
}

/// The settings part of the page URL (web), if any.
pub fn url_hash() -> Option<String> {
    imp::url_hash()
}

/// Replaces the page URL's hash without adding a history entry (web; no-op on the desktop).
pub fn set_url_hash(hash: &str) {
    imp::set_url_hash(hash)
}

/// Whether the browser tab is hidden (training pauses then). Always false on the desktop.
pub fn page_hidden() -> bool {
    imp::page_hidden()
}

/// Downloads (web) or writes into the working directory (desktop) a text file; returns a
/// message saying where it went.
pub fn save_text(file_name: &str, mime: &str, contents: &str) -> Result<String, String> {
    imp::save_bytes(file_name, mime, contents.as_bytes())
}

/// Like [`save_text`], for binary files (a ZIP).
pub fn save_bytes(file_name: &str, mime: &str, contents: &[u8]) -> Result<String, String> {
    imp::save_bytes(file_name, mime, contents)
}

/// Writes a JSON status into the page's `#ire-status` element (read by the browser test).
pub fn publish_status(json: &str) {
    imp::publish_status(json)
}

/// The window to wake when something the app waits for arrives (a data set, a file, a device):
/// an idle window draws no frames until then.
static WAKER: std::sync::OnceLock<egui::Context> = std::sync::OnceLock::new();

/// Remembers the window that [`wake`] wakes.
pub fn set_waker(ctx: &egui::Context) {
    let _ = WAKER.set(ctx.clone());
}

/// Asks for a frame: something the app waits for has arrived.
pub fn wake() {
    if let Some(ctx) = WAKER.get() {
        ctx.request_repaint();
    }
}

/// Opens a fresh device of its own (after the shared one was lost); the result lands in `slot`.
pub fn request_context(slot: ContextSlot) {
    imp::request_context(slot)
}

/// Web: adds the hidden file input behind "Open log" (its picks land in `inbox`). Desktop:
/// nothing (logs are opened by path or dropped on the window).
pub fn install_file_picker(inbox: FileInbox) {
    imp::install_file_picker(inbox)
}

/// Web: opens the browser's file picker for logs. Desktop: nothing.
pub fn pick_files() {
    imp::pick_files()
}

/// Reads a file dropped on the window into `inbox` (asynchronously on the web).
pub fn read_dropped(file: egui::DroppedFileHandle, inbox: FileInbox) {
    imp::read_dropped(file, inbox)
}
