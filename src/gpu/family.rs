//! Which family of kernels a context runs. The kernels shaped for CPU adapters (the texel
//! matmul, fused attention, 16 elements per elementwise invocation) and those shaped for GPUs
//! (workgroup-tiled and vec4 products, attention over stored probabilities, one element per
//! invocation) compute the same results; the adapter picks its family, and `IRE_KERNELS` or
//! `--kernels` may pick the other, so that a machine without a GPU tests the GPU kernels too.

use crate::error::{Error, Result};
use serde::Serialize;

/// A kernel family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KernelFamily {
    /// Kernels shaped for CPU adapters (the texel matmul needs an adapter that is a CPU with
    /// subgroups of at least 8 lanes; elsewhere this family uses the vec4 products).
    Cpu,
    /// Kernels shaped for GPUs.
    Gpu,
}

/// The environment variable that picks the kernel family of every context opened (`auto`,
/// `gpu` or `cpu`), as `--kernels` does for one command.
pub const KERNELS_ENV: &str = "IRE_KERNELS";

impl KernelFamily {
    /// The family an adapter runs by default.
    pub fn for_adapter(is_cpu: bool) -> Self {
        if is_cpu {
            Self::Cpu
        } else {
            Self::Gpu
        }
    }

    /// `auto` (None: the adapter's), `gpu` or `cpu`; anything else is refused with the choices.
    pub fn parse(s: &str) -> Result<Option<Self>> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => Ok(None),
            "gpu" => Ok(Some(Self::Gpu)),
            "cpu" => Ok(Some(Self::Cpu)),
            other => Err(Error::InvalidConfig(format!(
                "unknown kernel family '{other}'; choose auto, gpu or cpu"
            ))),
        }
    }

    /// The family `IRE_KERNELS` asks for (None: unset or `auto`).
    pub fn from_env() -> Result<Option<Self>> {
        match std::env::var(KERNELS_ENV) {
            Ok(value) => {
                Self::parse(&value).map_err(|e| Error::InvalidConfig(format!("{KERNELS_ENV}: {e}")))
            }
            Err(_) => Ok(None),
        }
    }

    /// Its name, as `--kernels` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Gpu => "gpu",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_parse_and_refuse_other_names() {
        assert_eq!(KernelFamily::parse("GPU").unwrap(), Some(KernelFamily::Gpu));
        assert_eq!(KernelFamily::parse("auto").unwrap(), None);
        let refused = KernelFamily::parse("tpu").unwrap_err().to_string();
        assert!(refused.contains("choose auto, gpu or cpu"), "{refused}");
    }
}
