//! The one table of the `scalars` buffer's slots: loss, gradient norm, clipping factor, NaN flag,
//! evaluation sums, Fisher trace, SAM's loss and the probes' results. The Rust constants and the
//! WGSL constants (`S_LOSS`, ...) prepended to every kernel file both come from it.

macro_rules! slots {
    ($group:ident: $($(#[doc = $doc:literal])* $name:ident = $value:literal;)*) => {
        $($(#[doc = $doc])* pub const $name: usize = $value;)*

        /// This group of the table as WGSL constants, `const S_<NAME>: u32 = <slot>u;`.
        const $group: &str = concat!(
            $("const S_", stringify!($name), ": u32 = ", stringify!($value), "u;\n",)*
        );
    };
}

// Written by every training step.
slots! { STEP:
    /// Mean training loss of the last step.
    LOSS = 0;
    /// Global gradient L2 norm before clipping.
    GRAD_NORM = 1;
    /// Factor the optimizer scales gradients by.
    CLIP_SCALE = 2;
    /// 1.0 when the step's loss or gradient was NaN/Inf (the update was skipped).
    NONFINITE = 3;
    /// Share of the batch's scored predictions that were right (models measuring accuracy).
    TRAIN_CORRECT = 12;
}

// Accumulated over an evaluation's batches.
slots! { EVALUATION:
    /// The sum of per-batch mean losses.
    EVAL_LOSS = 4;
    /// The sum of per-batch accuracies (image classifiers).
    EVAL_CORRECT = 11;
}

// Written by IRE's Fisher refresh and SAM's first pass.
slots! { OPTIMIZERS:
    /// Sum of the diagonal Fisher estimate (its trace) at the last refresh.
    FISHER_SUM = 5;
    /// SAM: loss at the unperturbed weights (the reported loss).
    SAM_LOSS = 6;
}

// The sharpness probes' scratch and results.
slots! { PROBES:
    /// Scratch: a dot product or squared norm.
    DOT = 7;
    /// Scratch: a second dot product.
    DOT2 = 8;
    /// Rayleigh quotient of the last power iteration (`lambda_max`).
    LAMBDA_MAX = 9;
    /// Hutchinson trace estimate.
    TRACE = 10;
    /// Squared L2 norm of all the weights.
    WEIGHT_SQ = 13;
}

/// Number of fixed slots; per-tensor statistics follow (see [`per_tensor`]).
pub const COUNT: usize = 16;

/// The whole table as WGSL constants, in parts; `shader!` puts them in every kernel module.
pub const WGSL: [&str; 4] = [STEP, EVALUATION, OPTIMIZERS, PROBES];

/// Per-tensor statistics after the fixed slots, `tensors` entries each: IRE mask counts,
/// below-`eps_rel * mean` counts, Fisher sums.
pub mod per_tensor {
    /// Offset of the mask counts.
    pub fn mask_counts(_tensors: usize) -> usize {
        super::COUNT
    }
    /// Offset of the below-threshold counts.
    pub fn below_counts(tensors: usize) -> usize {
        super::COUNT + tensors
    }
    /// Offset of the Fisher sums.
    pub fn fisher_sums(tensors: usize) -> usize {
        super::COUNT + 2 * tensors
    }
    /// Total scalars-buffer length for a model with `tensors` parameter tensors.
    pub fn scalars_len(tensors: usize) -> usize {
        super::COUNT + 3 * tensors
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn wgsl_constants_follow_the_table() {
        let wgsl = super::WGSL.concat();
        assert!(wgsl.contains("const S_LOSS: u32 = 0u;\n"));
        assert!(wgsl.contains("const S_EVAL_CORRECT: u32 = 11u;\n"));
        assert!(wgsl.contains("const S_TRACE: u32 = 10u;\n"));
    }
}
