//! The user's own image set for the ResNets: four IDX files (training images and labels, test
//! images and labels; gzipped or not, as MNIST-style sets ship) dropped on the window or picked
//! together (on the desktop also a folder typed into the path field, or `app --data-dir`) replace
//! the embedded Fashion-MNIST subset. The presets take 28 x 28 grey images in 10 classes.

use super::datasets::DataFile;
use super::PlaygroundApp;
use crate::data::ImageDataset;
use crate::models::ResNetConfig;
use std::sync::Arc;

/// What a picked or dropped file is, as far as image sets go.
pub(super) enum IdxFile {
    /// One of the four, at this index of `data::IDX_NAMES` order.
    Role(usize),
    /// An IDX file whose name says neither training nor test.
    Unnamed,
    /// Not an IDX file.
    No,
}

/// Recognises IDX files by name (`train-images-idx3-ubyte`, `t10k-labels-idx1-ubyte.gz`, ...) or,
/// uncompressed, by their magic number; the name tells training (`train`) from test (`t10k`,
/// `test`).
pub(super) fn idx_file(name: &str, bytes: &[u8]) -> IdxFile {
    let lower = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(name)
        .to_lowercase();
    let kind = if lower.contains("idx3") {
        0
    } else if lower.contains("idx1") {
        1
    } else {
        match bytes {
            [0, 0, 8, 3, ..] => 0,
            [0, 0, 8, 1, ..] => 1,
            _ => return IdxFile::No,
        }
    };
    if lower.contains("t10k") || lower.contains("test") {
        IdxFile::Role(2 + kind)
    } else if lower.contains("train") {
        IdxFile::Role(kind)
    } else {
        IdxFile::Unnamed
    }
}

/// IDX files received so far, by role.
#[derive(Default)]
pub struct PendingImages {
    files: [Option<(String, Vec<u8>)>; 4],
}

const ROLES: [&str; 4] = [
    "training images",
    "training labels",
    "test images",
    "test labels",
];

impl PlaygroundApp {
    /// Takes one IDX file; once all four have arrived, trains a ResNet on them.
    pub(super) fn take_idx_file(&mut self, name: &str, file: IdxFile, bytes: Vec<u8>) {
        let role = match file {
            IdxFile::Role(role) => role,
            IdxFile::Unnamed => {
                self.notices.push(
                    true,
                    format!(
                        "{name} is an IDX file, but its name says neither training nor test: \
                         name the files train-… and t10k-… (or test-…), as MNIST-style sets do"
                    ),
                );
                return;
            }
            IdxFile::No => return,
        };
        self.pending_images.files[role] = Some((name.to_string(), bytes));
        let missing: Vec<&str> = (0..4)
            .filter(|&i| self.pending_images.files[i].is_none())
            .map(|i| ROLES[i])
            .collect();
        if !missing.is_empty() {
            self.notices.push(
                false,
                format!(
                    "image set: {name} taken; still missing the {}",
                    missing.join(", ")
                ),
            );
            return;
        }
        let files: Vec<(String, Vec<u8>)> = std::mem::take(&mut self.pending_images.files)
            .into_iter()
            .flatten()
            .collect();
        let source = short_name(&files[0].0);
        let bytes: Vec<Vec<u8>> = files.into_iter().map(|(_, b)| b).collect();
        match ImageDataset::from_idx(&source, [&bytes[0], &bytes[1], &bytes[2], &bytes[3]]) {
            Ok(set) => self.use_images(source, set, bytes),
            Err(e) => self.notices.push(true, e.to_string()),
        }
    }

    /// Desktop: the four IDX files of a folder (the path field, `app --data-dir`).
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn use_image_dir(&mut self, dir: &std::path::Path) {
        let source = dir.display().to_string();
        let loaded = ImageDataset::read_idx_files(dir).and_then(|bytes| {
            ImageDataset::from_idx(&source, [&bytes[0], &bytes[1], &bytes[2], &bytes[3]])
                .map(|set| (set, bytes))
        });
        match loaded {
            Ok((set, bytes)) => self.use_images(source, set, bytes),
            Err(e) => self.notices.push(true, e.to_string()),
        }
    }

    /// Replaces the image set, switches to a ResNet if a transformer was chosen, and starts.
    fn use_images(&mut self, source: String, set: ImageDataset, files: Vec<Vec<u8>>) {
        let wanted = ResNetConfig::preset("resnet-tiny").map(|c| (c.image_size, c.in_channels));
        if let Ok((size, _)) = wanted {
            if (set.train.height, set.train.width) != (size, size) {
                self.notices.push(true, format!(
                        "{source}: the ResNet presets take {size} x {size} images; these are {} x {}",
                        set.train.height, set.train.width
                    ));
                return;
            }
        }
        let Some(data) = &mut self.data else {
            self.notices.push(true, "the app's data has not loaded yet");
            return;
        };
        let (train, test) = (set.train.len(), set.test.len());
        data.images = Some(Arc::new(set));
        data.image_files = Some(files.into_iter().map(DataFile::Owned).collect());
        data.image_source = Some(format!("{source} ({train} training, {test} test images)"));
        if !self.settings.is_resnet() {
            self.settings.preset = "resnet-tiny".into();
            self.settings.augment = false;
        }
        self.reset();
        if self.session.is_some() {
            self.notices.push(
                false,
                format!("training on {source}: {train} training and {test} test images"),
            );
        }
    }

    /// The user's image set, when the ResNets train on one.
    pub(super) fn image_source(&self) -> Option<String> {
        self.data.as_ref().and_then(|d| d.image_source.clone())
    }
}

/// A set's name from its first file: the folder it came from, or the file name.
fn short_name(path: &str) -> String {
    let mut parts = path.rsplit(['/', '\\']);
    let file = parts.next().unwrap_or(path);
    parts
        .next()
        .map_or(file.to_string(), |dir| format!("{dir}/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idx_files_are_recognised_by_name_or_magic() {
        let role = |name: &str, bytes: &[u8]| match idx_file(name, bytes) {
            IdxFile::Role(r) => Some(r),
            _ => None,
        };
        assert_eq!(role("train-images-idx3-ubyte.gz", &[0x1f, 0x8b]), Some(0));
        assert_eq!(role("dir/train-labels-idx1-ubyte", &[]), Some(1));
        assert_eq!(role("t10k-images-idx3-ubyte", &[]), Some(2));
        assert_eq!(role("my-test-labels.bin", &[0, 0, 8, 1]), Some(3));
        assert!(matches!(
            idx_file("images.bin", &[0, 0, 8, 3]),
            IdxFile::Unnamed
        ));
        assert!(matches!(idx_file("notes.txt", b"hello"), IdxFile::No));
    }
}
