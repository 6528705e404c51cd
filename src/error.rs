//! Library-wide error type. Every failure a user can cause or meet ends up here with a message
//! that says what went wrong and, where possible, how to fix it.

use thiserror::Error;

/// Errors raised by the engine.
#[derive(Debug, Error)]
pub enum Error {
    /// No WebGPU/Vulkan/Metal/DX12/GL adapter could be found.
    #[error(
        "no GPU adapter found ({0}). On Linux without a GPU install Mesa's software Vulkan driver: \
         `sudo apt-get install mesa-vulkan-drivers`; in a browser, use one with WebGPU enabled"
    )]
    NoAdapter(String),
    /// The adapter exists but cannot run compute shaders (e.g. WebGL2).
    #[error(
        "the GPU adapter '{0}' cannot run compute shaders (WebGL2/GLES without compute). \
         Use a browser with WebGPU (Chrome/Edge 113+, or Firefox/Safari with WebGPU enabled)"
    )]
    NoCompute(String),
    /// Requesting the logical device failed.
    #[error("could not open the GPU device: {0}")]
    RequestDevice(String),
    /// A hyperparameter or model configuration value is out of range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// The model does not fit the adapter's limits; detected before allocating.
    #[error("model too large for this adapter: {0}")]
    TooLarge(String),
    /// A checkpoint file is missing, truncated or not in the expected format.
    #[error("bad checkpoint '{path}': {reason}")]
    Checkpoint {
        /// File that was read.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Data (corpus, batches) is unusable.
    #[error("bad data: {0}")]
    Data(String),
    /// The trainer cannot take this request now (finished, diverged, or too many results in
    /// flight); poll, then try again.
    #[error("not ready: {0}")]
    NotReady(String),
    /// A GPU readback failed (device lost or mapping error).
    #[error("GPU readback failed: {0}")]
    Readback(String),
    /// Training produced a NaN or infinite loss or gradient; the update of that step was skipped,
    /// so the weights hold their last finite values.
    #[error(
        "training diverged at step {step}: the loss or gradient became NaN/Inf. The weights keep \
         their last finite values; try a smaller learning rate or gradient clipping"
    )]
    NonFinite {
        /// Step (1-based) whose loss or gradient was not finite.
        step: usize,
    },
    /// The GPU device was lost or reported an error it could not recover from (driver reset,
    /// out of memory, validation failure). The run stops; its history is kept.
    #[error(
        "GPU device failure: {0}. Press Reset (or restart the command) to start on a fresh device"
    )]
    DeviceFault(String),
    /// A loss-landscape slice or spectrum could not be computed (non-finite values near the
    /// weights, or a request the model cannot serve).
    #[error("analysis failed: {0}")]
    Analysis(String),
    /// I/O failure with the path that caused it. The cause is part of the message and not a
    /// `source()`, so an error chain printed with `{:#}` says it once.
    #[error("{path}: {cause}")]
    Io {
        /// File involved.
        path: String,
        /// Underlying error.
        cause: std::io::Error,
    },
}

/// Result alias for engine operations.
pub type Result<T> = std::result::Result<T, Error>;
