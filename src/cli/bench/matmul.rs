//! Matrix-product throughput of each kernel variant on this adapter.

use ire_playground::gpu::{GpuContext, Plan, Tensor};
use ire_playground::kernels::matmul::{matmul_variant, MatmulShape, MatmulVariant, Operand};
use std::time::Instant;

pub(super) fn matmul_gflops(ctx: &GpuContext, variant: MatmulVariant, n: usize) -> f64 {
    let a = Tensor::from_slice(ctx, "a", &vec![0.5f32; n * n]);
    let b = Tensor::from_slice(ctx, "b", &vec![0.25f32; n * n]);
    let c = Tensor::zeros(ctx, "c", n * n);
    let product = Operand {
        b: &b,
        bias: None,
        c: &c,
        shape: MatmulShape::nn(n, n, n),
    };
    let mut plan = Plan::new();
    plan.extend_dispatches(matmul_variant(ctx, variant, &a, product));
    plan.submit(ctx);
    ctx.wait_idle();
    // Repeat until at least 0.3 s of work is timed, so small sizes are not timer noise.
    let mut reps = 1;
    loop {
        let t = Instant::now();
        let mut plan = Plan::new();
        for _ in 0..reps {
            plan.extend_dispatches(matmul_variant(ctx, variant, &a, product));
        }
        plan.submit(ctx);
        ctx.wait_idle();
        let s = t.elapsed().as_secs_f64();
        if s > 0.3 || reps >= 256 {
            return 2.0 * (n as f64).powi(3) * reps as f64 / s / 1e9;
        }
        reps *= 2;
    }
}
