//! Fashion-MNIST: IDX files (optionally gzip-compressed, as distributed), the embedded subset
//! (data/fashion-mnist/, see its LICENSE.md), normalisation and the CIFAR-style augmentation
//! (random crop from a 4-pixel zero-padded image, horizontal flip).

use crate::error::{Error, Result};
use crate::rng::Rng;

/// Class names, by label.
pub const FASHION_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// Fashion-MNIST's pixel mean and standard deviation (on [0, 1] intensities, training set).
const MEAN: f32 = 0.2860;
const STD: f32 = 0.3530;
/// Zero padding before the random crop.
const PAD: usize = 4;

/// The IDX files of an image set: training images and labels, test images and labels.
pub const IDX_NAMES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// The subset's file names under `data/fashion-mnist/` (the web build fetches them from there).
pub const FASHION_FILES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

/// Embedded in native builds only (see [`FASHION_FILES`] for the web).
#[cfg(not(target_arch = "wasm32"))]
const EMBEDDED: [&[u8]; 4] = [
    include_bytes!("../../data/fashion-mnist/train-images-idx3-ubyte.gz"),
    include_bytes!("../../data/fashion-mnist/train-labels-idx1-ubyte.gz"),
    include_bytes!("../../data/fashion-mnist/t10k-images-idx3-ubyte.gz"),
    include_bytes!("../../data/fashion-mnist/t10k-labels-idx1-ubyte.gz"),
];

/// Greyscale images with labels.
#[derive(Clone, Debug)]
pub struct ImageSet {
    /// Pixels, `len * height * width` bytes, row-major per image.
    pub pixels: Vec<u8>,
    /// Labels in `0..classes`.
    pub labels: Vec<u8>,
    /// Image height.
    pub height: usize,
    /// Image width.
    pub width: usize,
}

impl ImageSet {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set holds no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        let size = self.height * self.width;
        &self.pixels[i * size..(i + 1) * size]
    }
}

/// Training and test splits.
#[derive(Clone, Debug)]
pub struct ImageDataset {
    /// Training images.
    pub train: ImageSet,
    /// Test images (evaluation).
    pub test: ImageSet,
    /// Number of classes.
    pub classes: usize,
}

impl ImageDataset {
    /// The embedded subset (10,000 training and 2,000 test images).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn fashion_mnist_embedded() -> Result<Self> {
        let [ti, tl, vi, vl] = EMBEDDED;
        Self::from_idx("embedded Fashion-MNIST", [ti, tl, vi, vl])
    }

    /// Batches of `batch` test images that cover the test split (at least one).
    pub fn test_batches(&self, batch: usize) -> usize {
        (self.test.len() / batch.max(1)).max(1)
    }

    /// The embedded subset's four IDX files (gzipped), in [`IDX_NAMES`] order.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn embedded_files() -> [&'static [u8]; 4] {
        EMBEDDED
    }

    /// The four IDX files of a folder, in [`IDX_NAMES`] order, each gzip-compressed (`.gz`, as
    /// Debian's `dataset-fashion-mnist` has them) or not.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_idx_files(dir: &std::path::Path) -> Result<Vec<Vec<u8>>> {
        let mut files = Vec::new();
        for name in IDX_NAMES {
            let plain = dir.join(name);
            let gz = dir.join(format!("{name}.gz"));
            let path = if gz.exists() { gz } else { plain };
            let bytes = std::fs::read(&path).map_err(|e| Error::Io {
                path: path.display().to_string(),
                cause: e,
            })?;
            files.push(bytes);
        }
        Ok(files)
    }

    /// The full set from a folder holding the [`IDX_NAMES`] files, gzipped or not.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn fashion_mnist_dir(dir: &std::path::Path) -> Result<Self> {
        let files = Self::read_idx_files(dir)?;
        Self::from_idx(
            &dir.display().to_string(),
            [&files[0], &files[1], &files[2], &files[3]],
        )
    }

    /// Parses four IDX files (train images, train labels, test images, test labels).
    pub fn from_idx(source: &str, files: [&[u8]; 4]) -> Result<Self> {
        let bad = |what: &str, why: String| Error::Data(format!("{source}: {what}: {why}"));
        let mut parsed = Vec::new();
        for (i, bytes) in files.iter().enumerate() {
            let what = [
                "training images",
                "training labels",
                "test images",
                "test labels",
            ][i];
            let raw = gunzip_if_needed(bytes).map_err(|e| bad(what, e))?;
            parsed.push(parse_idx(&raw).map_err(|e| bad(what, e))?);
        }
        let set = |images: &(Vec<usize>, Vec<u8>), labels: &(Vec<usize>, Vec<u8>), what: &str| {
            if images.0.len() != 3 || labels.0.len() != 1 || images.0[0] != labels.0[0] {
                return Err(bad(
                    what,
                    format!(
                        "image dims {:?} do not match label dims {:?}",
                        images.0, labels.0
                    ),
                ));
            }
            if let Some(&l) = labels.1.iter().find(|&&l| l >= 10) {
                return Err(bad(what, format!("label {l} is not a class 0-9")));
            }
            Ok(ImageSet {
                pixels: images.1.clone(),
                labels: labels.1.clone(),
                height: images.0[1],
                width: images.0[2],
            })
        };
        let train = set(&parsed[0], &parsed[1], "training set")?;
        let test = set(&parsed[2], &parsed[3], "test set")?;
        if train.is_empty()
            || test.is_empty()
            || (train.height, train.width) != (test.height, test.width)
        {
            return Err(bad(
                "sets",
                "empty, or training and test image sizes differ".into(),
            ));
        }
        Ok(Self {
            train,
            test,
            classes: 10,
        })
    }
}

/// Inflates a gzip member; returns other bytes unchanged.
fn gunzip_if_needed(bytes: &[u8]) -> std::result::Result<Vec<u8>, String> {
    if bytes.len() < 18 || bytes[0] != 0x1f || bytes[1] != 0x8b {
        return Ok(bytes.to_vec());
    }
    if bytes[2] != 8 {
        return Err("gzip with an unknown compression method".into());
    }
    let flags = bytes[3];
    let mut at = 10;
    let truncated = || "truncated gzip header".to_string();
    // The trailer (CRC and size) takes the last 8 bytes; every header field must end before.
    let end = bytes.len() - 8;
    if flags & 4 != 0 {
        let extra = u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize;
        at += 2 + extra;
    }
    for flag in [8, 16] {
        if flags & flag != 0 {
            let field = bytes.get(at..end).ok_or_else(truncated)?;
            at += field.iter().position(|&b| b == 0).ok_or_else(truncated)? + 1;
        }
    }
    if flags & 2 != 0 {
        at += 2;
    }
    let body = bytes.get(at..end).ok_or_else(truncated)?;
    // The trailer's size field bounds the output (no decompression bomb past it).
    let size = u32::from_le_bytes(bytes[end + 4..].try_into().expect("4 bytes")) as usize;
    miniz_oxide::inflate::decompress_to_vec_with_limit(body, size.max(1))
        .map_err(|e| format!("corrupt gzip data ({:?})", e.status))
}

/// Parses an unsigned-byte IDX file: dimensions and data.
fn parse_idx(bytes: &[u8]) -> std::result::Result<(Vec<usize>, Vec<u8>), String> {
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08 {
        return Err("not an unsigned-byte IDX file".into());
    }
    let ndim = bytes[3] as usize;
    let header = 4 + 4 * ndim;
    if ndim == 0 || bytes.len() < header {
        return Err("truncated IDX header".into());
    }
    let dims: Vec<usize> = (0..ndim)
        .map(|i| u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize)
        .collect();
    let len = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| format!("IDX dimensions {dims:?} overflow"))?;
    if bytes.len() - header != len {
        return Err(format!(
            "IDX data holds {} bytes, its header says {len}",
            bytes.len() - header
        ));
    }
    Ok((dims, bytes[header..].to_vec()))
}

/// Normalised pixels `[batch, height, width]` (the CNHW layout with one channel) and labels.
#[derive(Clone, Debug, Default)]
pub struct ImageBatch {
    /// Pixels, `(p / 255 - mean) / std`.
    pub pixels: Vec<f32>,
    /// Labels.
    pub labels: Vec<u32>,
}

/// Draws training batches (with augmentation if asked) and the fixed evaluation batches.
#[derive(Clone, Debug)]
pub struct ImageBatcher {
    /// Images per batch.
    pub batch: usize,
    /// Random crop with 4-pixel padding and horizontal flip for training batches.
    pub augment: bool,
}

impl ImageBatcher {
    /// `batch` training images drawn uniformly at random from the run's seeded generator.
    pub fn train_batch(&self, set: &ImageSet, rng: &mut Rng) -> ImageBatch {
        let mut out = ImageBatch::default();
        for _ in 0..self.batch {
            let i = rng.below(set.len());
            if self.augment {
                let (dy, dx) = (rng.below(2 * PAD + 1), rng.below(2 * PAD + 1));
                let flip = rng.uniform() < 0.5;
                push_augmented(&mut out.pixels, set, i, dy, dx, flip);
            } else {
                out.pixels
                    .extend(set.image(i).iter().map(|&p| normalise(p)));
            }
            out.labels.push(set.labels[i] as u32);
        }
        out
    }

    /// Evaluation batches available in `set` (the tail that does not fill a batch is skipped).
    pub fn batches_available(&self, set: &ImageSet) -> usize {
        set.len() / self.batch
    }

    /// Evaluation batch `j`: images `j * batch ..`, unaugmented.
    pub fn eval_batch(&self, set: &ImageSet, j: usize) -> Result<ImageBatch> {
        if j >= self.batches_available(set) {
            return Err(Error::Data(format!(
                "evaluation batch {j} requested but the test set holds {} batches of {}",
                self.batches_available(set),
                self.batch
            )));
        }
        let mut out = ImageBatch::default();
        for i in j * self.batch..(j + 1) * self.batch {
            out.pixels
                .extend(set.image(i).iter().map(|&p| normalise(p)));
            out.labels.push(set.labels[i] as u32);
        }
        Ok(out)
    }
}

fn normalise(p: u8) -> f32 {
    (p as f32 / 255.0 - MEAN) / STD
}

/// The crop at offset (dy, dx) of the image zero-padded by PAD, optionally mirrored.
fn push_augmented(out: &mut Vec<f32>, set: &ImageSet, i: usize, dy: usize, dx: usize, flip: bool) {
    let (h, w) = (set.height, set.width);
    let img = set.image(i);
    for y in 0..h {
        for x in 0..w {
            let sx = if flip { w - 1 - x } else { x };
            // Source coordinates in the unpadded image; outside it is padding (black).
            let (py, px) = (
                (y + dy) as isize - PAD as isize,
                (sx + dx) as isize - PAD as isize,
            );
            let p = if py >= 0 && px >= 0 && (py as usize) < h && (px as usize) < w {
                img[py as usize * w + px as usize]
            } else {
                0
            };
            out.push(normalise(p));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_subset_loads_with_balanced_classes() {
        let d = ImageDataset::fashion_mnist_embedded().unwrap();
        assert_eq!((d.train.len(), d.test.len()), (10_000, 2_000));
        assert_eq!((d.train.height, d.train.width), (28, 28));
        for c in 0..10u8 {
            let n = d.train.labels.iter().filter(|&&l| l == c).count();
            assert!((900..1100).contains(&n), "class {c}: {n}");
        }
    }

    #[test]
    fn corrupt_files_are_explained() {
        let [ti, tl, vi, vl] = EMBEDDED;
        let truncated = &ti[..ti.len() / 2];
        let err = ImageDataset::from_idx("x", [truncated, tl, vi, vl]).unwrap_err();
        assert!(err.to_string().contains("training images"), "{err}");
        let err = ImageDataset::from_idx("x", [ti, vl, vi, vl]).unwrap_err();
        assert!(err.to_string().contains("do not match"), "{err}");
    }

    #[test]
    fn augmentation_crops_and_flips() {
        let set = ImageSet {
            pixels: (0..16).collect(),
            labels: vec![1],
            height: 4,
            width: 4,
        };
        let mut out = Vec::new();
        // No shift (offset PAD), no flip: the image itself.
        push_augmented(&mut out, &set, 0, PAD, PAD, false);
        let plain: Vec<f32> = (0..16).map(normalise).collect();
        assert_eq!(out, plain);
        // Flip: each row reversed.
        out.clear();
        push_augmented(&mut out, &set, 0, PAD, PAD, true);
        assert_eq!(out[0], normalise(3));
        // Shift down by one row: the top row is padding.
        out.clear();
        push_augmented(&mut out, &set, 0, PAD - 1, PAD, false);
        assert_eq!(out[0], normalise(0));
        assert_eq!(&out[4..8], &plain[0..4]);
    }
}
