//! One Rust file per WGSL kernel family in `shaders/`: each declares its shaders' interface once
//! (uniform structs and bindings, from which the WGSL declarations and the bind-group layouts are
//! generated), builds its pipelines through the device's pipeline cache and turns tensors into
//! ready [`Dispatch`](crate::gpu::Dispatch)es. [`slot`] is the one table of the scalars buffer.

pub mod attention;
pub mod attention_fused;
pub mod batchnorm;
pub mod conv;
pub mod cross_entropy;
pub mod elementwise;
pub mod embedding;
pub mod ire;
pub mod layernorm;
pub mod matmul;
pub mod muon;
pub mod optimizer;
pub mod reduce;
pub mod relu_pool;
pub mod rope;
pub mod sam;
pub mod segments;
pub mod slot;
pub mod swiglu;
pub mod vector;

/// A deterministic 256-wide workgroup sum, for kernels that reduce in workgroup memory.
const WORKGROUP_SUM: &str = include_str!("../../shaders/workgroup_sum.wgsl");

/// Declares a `Shader` for a file in `shaders/`: the uniform structs it reads (types declared
/// with `wgsl_struct!`), its bindings in order (`uniform`, `read`, `write`, `read_as`, `write_as`
/// from `gpu::binding`), optional shared WGSL preludes, and its elementwise entry points with
/// the condition that ends each (see [`crate::gpu::Shader::elementwise`]). This is the kernel's
/// one interface declaration: the WGSL declarations, the elementwise entry points and the
/// bind-group layout are generated from it.
macro_rules! shader {
    ($file:literal, structs: [$($s:ty),* $(,)?], bindings: [$($b:expr),* $(,)?] $(, preludes: [$($p:expr),* $(,)?])? $(, elementwise: [$($e:expr),* $(,)?])? $(,)?) => {{
        #[allow(unused_imports)]
        use $crate::gpu::binding::{read, read_as, texels, uniform, write, write_as};
        $crate::gpu::Shader {
            name: $file,
            source: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/", $file)),
            constants: &$crate::kernels::slot::WGSL,
            structs: &[$(<$s as $crate::gpu::WgslStruct>::WGSL),*],
            preludes: &[$($($p),*)?],
            bindings: &[$($b),*],
            elementwise: &[$($($e),*)?],
        }
    }};
}
pub(crate) use shader;
