//! The data sets the app trains on and how they arrive. The desktop binary embeds them; the web
//! build fetches them from `data/` next to the page (kept in the browser's Cache Storage after the
//! first visit), so that the first download is the code and the text corpus only, and the
//! 5 MB image set is fetched when a ResNet is first chosen. The app takes in what has arrived each
//! frame and starts the run that waited for it.

use crate::data::{Corpus, ImageDataset};
use crate::models::Family;
use crate::train::TaskData;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

/// The data the app trains on.
pub struct Datasets {
    /// Shakespeare (transformers).
    pub corpus: Arc<Corpus>,
    /// Fashion-MNIST subset (ResNets): None until it has arrived.
    pub images: Option<Arc<ImageDataset>>,
    /// The corpus file as it came (zlib), for exports: the embedded bytes on the desktop.
    pub corpus_file: DataFile,
    /// The image set's four IDX files as they came, for exports.
    pub image_files: Option<Vec<DataFile>>,
    /// The user's image set replacing Fashion-MNIST, by name (None: Fashion-MNIST).
    pub image_source: Option<String>,
}

impl Datasets {
    /// The data a run of `family` trains on (`augment`: random crops and flips of images);
    /// an error while the image set has not arrived.
    pub fn task_data(&self, family: Family, augment: bool) -> crate::Result<TaskData> {
        Ok(match family {
            Family::Transformer => TaskData::Text(self.corpus.clone()),
            Family::ResNet => TaskData::Images {
                images: self.images.clone().ok_or_else(|| {
                    crate::Error::Data("the image data set has not arrived yet".into())
                })?,
                augment,
            },
        })
    }
}

/// A data file's bytes: borrowed from the binary on the desktop, fetched on the web.
pub type DataFile = std::borrow::Cow<'static, [u8]>;

/// A data set that has finished loading (or failed to).
pub enum Arrival {
    /// The text corpus, and its file.
    Corpus(Result<(Corpus, DataFile), String>),
    /// The image data set, and its four IDX files.
    Images(Result<(ImageDataset, Vec<DataFile>), String>),
}

/// Where loaded data sets land (at once on the desktop, asynchronously on the web).
pub type DataSlot = Rc<RefCell<Vec<Arrival>>>;

/// Starts loading the text corpus into `slot`.
pub fn load_corpus(slot: DataSlot) {
    imp::load_corpus(slot)
}

/// Starts loading the image data set into `slot`.
pub fn load_images(slot: DataSlot) {
    imp::load_images(slot)
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::*;

    pub fn load_corpus(slot: DataSlot) {
        let corpus = Corpus::shakespeare()
            .map(|c| (c, DataFile::Borrowed(Corpus::shakespeare_zlib())))
            .map_err(|e| e.to_string());
        slot.borrow_mut().push(Arrival::Corpus(corpus));
    }

    pub fn load_images(slot: DataSlot) {
        let files = ImageDataset::embedded_files()
            .map(DataFile::Borrowed)
            .to_vec();
        let images = ImageDataset::fashion_mnist_embedded()
            .map(|d| (d, files))
            .map_err(|e| e.to_string());
        slot.borrow_mut().push(Arrival::Images(images));
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::*;
    use crate::data::{FASHION_FILES, SHAKESPEARE_FILE};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    /// Bump when a data file changes, so that returning visitors fetch the new one.
    const CACHE_NAME: &str = "ire-playground-data-v1";

    pub fn load_corpus(slot: DataSlot) {
        wasm_bindgen_futures::spawn_local(async move {
            let url = format!("data/{SHAKESPEARE_FILE}");
            let corpus = fetch_bytes(&url).await.and_then(|bytes| {
                Corpus::from_zlib(&url, &bytes)
                    .map(|c| (c, DataFile::Owned(bytes)))
                    .map_err(|e| e.to_string())
            });
            slot.borrow_mut().push(Arrival::Corpus(corpus));
            crate::app::platform::wake();
        });
    }

    pub fn load_images(slot: DataSlot) {
        wasm_bindgen_futures::spawn_local(async move {
            let mut files = Vec::new();
            let mut failure = None;
            for name in FASHION_FILES {
                match fetch_bytes(&format!("data/fashion-mnist/{name}")).await {
                    Ok(bytes) => files.push(bytes),
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
            let images = match failure {
                Some(e) => Err(e),
                None => {
                    let [ti, tl, vi, vl] = [&files[0], &files[1], &files[2], &files[3]];
                    let parsed = ImageDataset::from_idx(
                        "Fashion-MNIST (data/fashion-mnist)",
                        [ti, tl, vi, vl],
                    );
                    parsed
                        .map(|d| (d, files.into_iter().map(DataFile::Owned).collect()))
                        .map_err(|e| e.to_string())
                }
            };
            slot.borrow_mut().push(Arrival::Images(images));
            crate::app::platform::wake();
        });
    }

    /// The file's bytes, from Cache Storage when a previous visit stored it, else from the
    /// server (then stored). Without Cache Storage (an insecure origin) it just fetches.
    async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
        let fail = |what: &str, e: JsValue| format!("could not load {url}: {what} ({e:?})");
        let window = web_sys::window().ok_or("no window")?;
        let cache = match window.caches() {
            Ok(caches) => JsFuture::from(caches.open(CACHE_NAME))
                .await
                .ok()
                .and_then(|c| c.dyn_into::<web_sys::Cache>().ok()),
            Err(_) => None,
        };
        let cached = match &cache {
            Some(cache) => JsFuture::from(cache.match_with_str(url))
                .await
                .ok()
                .and_then(|r| r.dyn_into::<web_sys::Response>().ok()),
            None => None,
        };
        let response = match cached {
            Some(response) => response,
            None => {
                let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
                    .await
                    .map_err(|e| fail("network error", e))?
                    .dyn_into()
                    .map_err(|e| fail("not a response", e))?;
                if !response.ok() {
                    return Err(format!(
                        "could not load {url}: the server answered {} {}",
                        response.status(),
                        response.status_text()
                    ));
                }
                if let (Some(cache), Ok(copy)) = (&cache, response.clone()) {
                    // Best effort: a full quota only means the next visit fetches again.
                    let _ = JsFuture::from(cache.put_with_str(url, &copy)).await;
                }
                response
            }
        };
        let buffer = JsFuture::from(response.array_buffer().map_err(|e| fail("body", e))?)
            .await
            .map_err(|e| fail("body", e))?;
        Ok(js_sys::Uint8Array::new(&buffer).to_vec())
    }
}

impl super::PlaygroundApp {
    /// Takes in data sets that have arrived, and starts the run that was waiting for one.
    pub(super) fn adopt_data(&mut self) {
        let arrived: Vec<Arrival> = self.arrivals.borrow_mut().drain(..).collect();
        for arrival in arrived {
            match arrival {
                Arrival::Corpus(Ok((corpus, file))) => {
                    self.data = Some(Datasets {
                        corpus: Arc::new(corpus),
                        images: None,
                        corpus_file: file,
                        image_files: None,
                        image_source: None,
                    });
                    self.sync_corpus_to_settings();
                }
                Arrival::Images(Ok((images, files))) => {
                    // The user's own set, taken while Fashion-MNIST was on its way, stays.
                    if let Some(data) = self.data.as_mut().filter(|d| d.image_source.is_none()) {
                        data.images = Some(Arc::new(images));
                        data.image_files = Some(files);
                    }
                }
                Arrival::Corpus(Err(e)) => {
                    self.notices
                        .push(true, format!("the text corpus is unusable: {e}"));
                }
                Arrival::Images(Err(e)) => {
                    self.waiting_reopen = None;
                    // Not requested any more: the next Reset tries again.
                    self.images_requested = false;
                    self.notices
                        .push(true, format!("the image data set is unusable: {e}"));
                }
            }
            if self.session.is_none() && self.notices.errors().next().is_none() {
                self.reset();
            }
        }
        // Runs to continue that waited for their image set.
        if self.data.as_ref().is_some_and(|d| d.images.is_some()) {
            if let Some((manifest, files)) = self.waiting_reopen.take() {
                self.reopen(manifest, files);
            }
        }
    }
}
