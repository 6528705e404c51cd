//! One Rust file per WGSL kernel family in `shaders/`: each builds its pipelines (through the
//! device's pipeline cache) and turns tensors into ready [`Dispatch`](crate::gpu::Dispatch)es.

pub mod attention;
pub mod batchnorm;
pub mod conv;
pub mod cross_entropy;
pub mod elementwise;
pub mod embedding;
pub mod ire;
pub mod layernorm;
pub mod matmul;
pub mod optimizer;
pub mod reduce;
pub mod relu_pool;
pub mod segments;
pub mod vector;

/// Declares a `Shader` constant for a file in `shaders/`.
macro_rules! shader {
    ($file:literal) => {
        $crate::gpu::Shader {
            name: $file,
            source: include_str!(concat!("../../shaders/", $file)),
        }
    };
}
pub(crate) use shader;
