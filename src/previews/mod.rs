//! What the app shows beside the plots, computed on the GPU from a run's current weights: text
//! sampled character by character by a batch-1 copy of a transformer, and a ResNet's predictions
//! on a few test images. They copy weights by GPU buffer copies and never wait on the GPU.

mod predictor;
mod sampler;

pub use predictor::ImagePredictor;
pub use sampler::TextSampler;

/// Index of the largest value (the first on ties, like `torch.argmax`; 0 when none is larger
/// than the first, e.g. all NaN).
pub(crate) fn argmax(values: &[f32]) -> usize {
    (1..values.len()).fold(0, |best, i| if values[i] > values[best] { i } else { best })
}
