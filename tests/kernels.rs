//! Every kernel's forward and backward against PyTorch (tests/fixtures/kernels.safetensors, made
//! by scripts/make_fixtures.py). Tolerances: f32 kernels vs float64 references, so 1e-4 relative
//! plus a small absolute term scaled to each quantity's magnitude.

mod common;

use common::update::UpdateRig;
use common::{assert_close, ctx, read, Fixture};
use ire_playground::gpu::{KernelFamily, Plan, Tensor};
use ire_playground::kernels::{
    attention, attention_fused, cross_entropy, elementwise, embedding, layernorm, matmul, reduce,
    slot,
};
use ire_playground::optim::OptimizerKind;
use matmul::{lanes, Layout, MatmulShape, MatmulVariant, Operand};

fn run(
    ctx: &ire_playground::gpu::GpuContext,
    dispatches: impl IntoIterator<Item = ire_playground::gpu::Dispatch>,
) {
    let mut plan = Plan::new();
    for d in dispatches {
        plan.push(d);
    }
    plan.submit(ctx);
}

#[test]
fn matmul_all_transposes_and_variants() {
    let ctx = ctx();
    let f = Fixture::load("kernels.safetensors");
    let (m, k, n) = (37, 29, 45);
    let a = f.tensor(&ctx, "mm.a");
    let b = f.tensor(&ctx, "mm.b");
    let a_t = f.tensor(&ctx, "mm.a_t");
    let b_t = f.tensor(&ctx, "mm.b_t");
    let bias = f.tensor(&ctx, "mm.bias");
    for variant in [
        MatmulVariant::Vec4,
        MatmulVariant::Blocked,
        MatmulVariant::Tiled,
    ] {
        type Case<'a> = (
            &'a Tensor,
            &'a Tensor,
            bool,
            bool,
            Option<&'a Tensor>,
            &'a str,
        );
        let cases: [Case; 4] = [
            (&a, &b, false, false, None, "mm.nn"),
            (&a, &b, false, false, Some(&bias), "mm.nn_bias"),
            (&a_t, &b, true, false, None, "mm.tn"),
            (&a, &b_t, false, true, None, "mm.nt"),
        ];
        for (aa, bb, ta, tb, bias, want) in cases {
            let c = Tensor::zeros(&ctx, "c", m * n);
            let shape = MatmulShape::with(m, n, k, ta, tb);
            run(
                &ctx,
                matmul::matmul_variant(
                    &ctx,
                    variant,
                    aa,
                    Operand {
                        b: bb,
                        bias,
                        c: &c,
                        shape,
                    },
                ),
            );
            assert_close(
                &format!("{want} {variant:?}"),
                &read(&ctx, &c),
                f.f(want),
                1e-4,
                1e-4,
            );
        }
    }
}

/// Shapes the vec4 and texel (`Lanes`) kernels take: contiguous dimensions multiples of 4, with
/// partial row and column blocks, an odd column count for `nt` and an inner dimension that is not
/// a multiple of 4 for `tn`.
#[test]
fn matmul_aligned_shapes_every_variant() {
    let ctx = ctx();
    let f = Fixture::load("kernels.safetensors");
    // lavapipe has 8-lane subgroups: the texel kernel must really run there, not fall back
    // (unless the GPU kernel family was chosen, IRE_KERNELS=gpu).
    let cpu_family_on_lavapipe =
        ctx.adapter.name.contains("llvmpipe") && ctx.kernels == KernelFamily::Cpu;
    if cpu_family_on_lavapipe {
        assert!(
            lanes::available(&ctx),
            "lavapipe should run the texel matmul"
        );
    }
    // 36 rows run the texel kernel's 16-row blocks, 72 rows its 32-row blocks.
    for (tag, m, n) in [("mm4", 36, 76), ("mm72", 72, 44)] {
        matmul_aligned_case(&ctx, &f, tag, m, n);
    }
}

fn matmul_aligned_case(
    ctx: &ire_playground::gpu::GpuContext,
    f: &Fixture,
    tag: &str,
    m: usize,
    n: usize,
) {
    let (k, k_tail) = (28, 29);
    let t = |name: &str| f.tensor(ctx, &format!("{tag}.{name}"));
    let (a, b, b_t) = (t("a"), t("b"), t("b_t"));
    let (a_tail, b_tail) = (t("a_tail"), t("b_tail"));
    let bias = f.tensor(ctx, "mm4.bias");
    type Case<'a> = (
        &'a Tensor,
        &'a Tensor,
        Option<&'a Tensor>,
        MatmulShape,
        String,
    );
    let shape = |n, k, trans_a, trans_b| MatmulShape::with(m, n, k, trans_a, trans_b);
    let name = |case: &str| format!("{tag}.{case}");
    let mut cases: Vec<Case> = vec![
        (&a, &b, None, shape(n, k, false, false), name("nn")),
        (&a, &b_t, None, shape(n + 1, k, false, true), name("nt")),
        (
            &a_tail,
            &b_tail,
            None,
            shape(n, k_tail, true, false),
            name("tn"),
        ),
    ];
    // The bias case (its bias has 76 columns) only for the first shape.
    if tag == "mm4" {
        cases.push((
            &a,
            &b,
            Some(&bias),
            shape(n, k, false, false),
            name("nn_bias"),
        ));
    }
    for variant in [
        MatmulVariant::Lanes,
        MatmulVariant::Vec4,
        MatmulVariant::Blocked,
        MatmulVariant::Tiled,
    ] {
        for (aa, bb, bias, shape, want) in &cases {
            let c = Tensor::zeros(ctx, "c", shape.m * shape.n);
            run(
                ctx,
                matmul::matmul_variant(
                    ctx,
                    variant,
                    aa,
                    Operand {
                        b: bb,
                        bias: *bias,
                        c: &c,
                        shape: *shape,
                    },
                ),
            );
            assert_close(
                &format!("{want} {variant:?}"),
                &read(ctx, &c),
                f.f(want),
                1e-4,
                1e-4,
            );
        }
    }
}

/// Products whose A rows are not whole texels: the texel kernel pads them with zero columns
/// (`nn` with K = 29, `tn` with M = 37, as the head's 83-symbol vocabulary in `small`).
#[test]
fn matmul_padded_a_every_variant() {
    let ctx = ctx();
    let f = Fixture::load("kernels.safetensors");
    let (a, a_t, b) = (
        f.tensor(&ctx, "mmpad.a"),
        f.tensor(&ctx, "mmpad.a_t"),
        f.tensor(&ctx, "mmpad.b"),
    );
    let (k, n) = (29, 44);
    let cases = [(&a, 40, false, "mmpad.nn"), (&a_t, 37, true, "mmpad.tn")];
    for (aa, m, trans_a, want) in cases {
        let shape = MatmulShape::with(m, n, k, trans_a, false);
        assert!(Layout::of(&shape).is_none(), "{want}: A is ragged");
        for variant in [
            MatmulVariant::Lanes,
            MatmulVariant::Vec4,
            MatmulVariant::Blocked,
        ] {
            let c = Tensor::zeros(&ctx, "c", m * n);
            let dispatches = matmul::matmul_variant(
                &ctx,
                variant,
                aa,
                Operand {
                    b: &b,
                    bias: None,
                    c: &c,
                    shape,
                },
            );
            if variant == MatmulVariant::Lanes && lanes::available(&ctx) {
                let kernels: Vec<_> = dispatches.iter().map(|d| d.label.to_string()).collect();
                assert!(
                    kernels.iter().any(|k| k == "pad_columns:pad_columns"),
                    "{want}: the texel kernel should pad A, ran {kernels:?}"
                );
            }
            run(&ctx, dispatches);
            assert_close(
                &format!("{want} {variant:?}"),
                &read(&ctx, &c),
                f.f(want),
                1e-4,
                1e-4,
            );
        }
    }
}

#[test]
fn linear_forward_and_backward() {
    let ctx = ctx();
    let f = Fixture::load("kernels.safetensors");
    let (rows, fin, fout) = (19, 24, 33);
    let x = f.tensor(&ctx, "lin.x");
    let w = f.tensor(&ctx, "lin.w");
    let b = f.tensor(&ctx, "lin.b");
    let dy = f.tensor(&ctx, "lin.dy");
    let y = Tensor::zeros(&ctx, "y", rows * fout);
    let dx = Tensor::zeros(&ctx, "dx", rows * fin);
    let dw = Tensor::zeros(&ctx, "dw", fout * fin);
    let db = Tensor::zeros(&ctx, "db", fout);
    run(
        &ctx,
        [
            matmul::matmul(&ctx, &x, &w, Some(&b), &y, MatmulShape::nt(rows, fout, fin)),
            matmul::matmul(&ctx, &dy, &w, None, &dx, MatmulShape::nn(rows, fin, fout)),
            matmul::matmul(&ctx, &dy, &x, None, &dw, MatmulShape::tn(fout, fin, rows)),
        ]
        .into_iter()
        .flatten()
        .chain(matmul::bias_backward(&ctx, &dy, &db, rows, fout)),
    );
    assert_close("linear y", &read(&ctx, &y), f.f("lin.y"), 1e-4, 1e-4);
    assert_close("linear dx", &read(&ctx, &dx), f.f("lin.dx"), 1e-4, 1e-4);
    assert_close("linear dw", &read(&ctx, &dw), f.f("lin.dw"), 1e-4, 1e-4);
    assert_close("linear db", &read(&ctx, &db), f.f("lin.db"), 1e-4, 1e-4);
}

#[test]
fn layernorm_forward_and_backward() {
    let ctx = ctx();
    let f = Fixture::load("kernels.safetensors");
    let (rows, cols) = (21, 40);
    let x = f.tensor(&ctx, "ln.x");
    let gamma = f.tensor(&ctx, "ln.gamma");
    let beta = f.tensor(&ctx, "ln.beta");
    let dy = f.tensor(&ctx, "ln.dy");
    let dres = f.tensor(&ctx, "ln.dres");
    let y = Tensor::zeros(&ctx, "y", rows * cols);
    let stats = Tensor::zeros(&ctx, "stats", rows * 2);
    let dx = Tensor::zeros(&ctx, "dx", rows * cols);
    let dx_nores = Tensor::zeros(&ctx, "dx", rows * cols);
    let dgamma = Tensor::zeros(&ctx, "dgamma", cols);
    let dbeta = Tensor::zeros(&ctx, "dbeta", cols);
    let mut d = vec![layernorm::forward(
        &ctx,
        layernorm::NormKind::Layer,
        rows,
        cols,
        &x,
        &gamma,
        &beta,
        &y,
        &stats,
    )];
    for (res, out) in [(Some(&dres), &dx), (None, &dx_nores)] {
        let grads = layernorm::LayerNormGrads {
            x: &x,
            gamma: &gamma,
            stats: &stats,
            dy: &dy,
            dresidual: res,
            dx: out,
            dgamma: &dgamma,
            dbeta: &dbeta,
        };
        d.extend(layernorm::backward(
            &ctx,
            layernorm::NormKind::Layer,
            rows,
            cols,
            grads,
        ));
    }
    run(&ctx, d);
    assert_close("ln y", &read(&ctx, &y), f.f("ln.y"), 1e-4, 1e-4);
    assert_close(
        "ln dx (+residual)",
        &read(&ctx, &dx),
        f.f("ln.dx"),
        2e-4,
        1e-4,
    );
    assert_close(
        "ln dx",
        &read(&ctx, &dx_nores),
        f.f("ln.dx_nores"),
        2e-4,
        1e-4,
    );
    assert_close(
        "ln dgamma",
        &read(&ctx, &dgamma),
        f.f("ln.dgamma"),
        1e-4,
        1e-4,
    );
    assert_close("ln dbeta", &read(&ctx, &dbeta), f.f("ln.dbeta"), 1e-4, 1e-4);
}

#[test]
fn gelu_forward_and_backward() {
    let ctx = ctx();
    let f = Fixture::load("kernels.safetensors");
    let x = f.tensor(&ctx, "gelu.x");
    let dy = f.tensor(&ctx, "gelu.dy");
    let y = Tensor::zeros(&ctx, "y", x.len);
    let dx = Tensor::zeros(&ctx, "dx", x.len);
    run(
        &ctx,
        [
            elementwise::gelu_forward(&ctx, &x, &y),
            elementwise::gelu_backward(&ctx, &x, &dy, &dx),
        ],
    );
    assert_close("gelu y", &read(&ctx, &y), f.f("gelu.y"), 1e-5, 1e-5);
    assert_close("gelu dx", &read(&ctx, &dx), f.f("gelu.dx"), 1e-5, 1e-4);
}

#[test]
fn residual_add() {
    let ctx = ctx();
    let f = Fixture::load("kernels.safetensors");
    let a = f.tensor(&ctx, "res.a");
    let b = f.tensor(&ctx, "res.b");
    let out = Tensor::zeros(&ctx, "out", a.len);
    run(&ctx, [elementwise::residual_add(&ctx, &a, &b, &out)]);
    assert_close("residual", &read(&ctx, &out), f.f("res.out"), 1e-6, 1e-6);
}

#[test]
fn attention_forward_and_backward() {
    let ctx = ctx();
    let f = Fixture::load("kernels.safetensors");
    // head_dim 5 runs the scalar kernels, head_dim 8 the vec4 ones and, where the adapter has
    // 8-lane subgroups, the fused ones (att8's 9 rows leave the last 8-row block one row long,
    // att20 has three blocks).
    let cases = [
        ("att", (2, 7, 3, 5)),
        ("att8", (2, 9, 2, 8)),
        ("att20", (2, 20, 2, 8)),
    ];
    for (tag, (batch, seq, heads, head_dim)) in cases {
        let shape = attention::AttentionShape {
            batch,
            seq,
            heads,
            head_dim,
        };
        assert_eq!(shape.vec4(), head_dim == 8);
        let fused = attention_fused::FusedTexels::new(&ctx, shape);
        if ctx.adapter.name.contains("llvmpipe") && ctx.kernels == KernelFamily::Cpu {
            assert_eq!(fused.is_some(), shape.vec4(), "{tag}: fused kernels");
        }
        let mut paths = vec!["rows"];
        if fused.is_some() {
            paths.push("fused");
        }
        for path in paths {
            let d = heads * head_dim;
            let qkv = f.tensor(&ctx, &format!("{tag}.qkv"));
            let dout = f.tensor(&ctx, &format!("{tag}.dout"));
            let probs = Tensor::zeros(&ctx, "probs", shape.probs_len());
            let dscores = Tensor::zeros(&ctx, "dscores", shape.probs_len());
            let out = Tensor::zeros(&ctx, "out", batch * seq * d);
            let dqkv = Tensor::zeros(&ctx, "dqkv", batch * seq * 3 * d);
            let ds = match path {
                "fused" => {
                    let t = fused.as_ref().unwrap();
                    let mut ds = attention_fused::forward(&ctx, shape, t, &qkv, &out);
                    ds.extend(attention_fused::backward(
                        &ctx, shape, t, &out, &dout, &dqkv,
                    ));
                    ds
                }
                _ => {
                    let mut ds = vec![attention::forward(&ctx, shape, &qkv, &probs, &out)];
                    ds.extend(attention::backward(
                        &ctx, shape, &qkv, &probs, &dout, &dscores, &dqkv,
                    ));
                    ds
                }
            };
            run(&ctx, ds);
            let name = |what: &str| format!("{tag} {what} ({path})");
            let want = |what: &str| f.f(&format!("{tag}.{what}"));
            assert_close(&name("out"), &read(&ctx, &out), want("out"), 1e-5, 1e-4);
            // The fused kernels store no probabilities: their backward pass recomputes them
            // from the saved log-sum-exp, so dqkv below checks that too.
            if path != "fused" {
                assert_close(
                    &name("probs"),
                    &read(&ctx, &probs),
                    want("probs"),
                    1e-6,
                    1e-4,
                );
            }
            assert_close(&name("dqkv"), &read(&ctx, &dqkv), want("dqkv"), 1e-5, 1e-4);
        }
    }
}

/// More sequences than one grid dimension holds: the fused kernels decline and the row kernels,
/// whose grid is 1-D, take over. The shape is small enough otherwise (one token of one 4-wide
/// head per sequence) that every texture fits, so only the grid check can decline it.
#[test]
fn fused_attention_declines_a_grid_past_the_dispatch_limit() {
    let ctx = ctx();
    let shape = |batch| attention::AttentionShape {
        batch,
        seq: 1,
        heads: 1,
        head_dim: 4,
    };
    let max = ctx.limits.max_compute_workgroups_per_dimension as usize;
    if ire_playground::kernels::matmul::lanes::available(&ctx) {
        assert!(attention_fused::FusedTexels::new(&ctx, shape(max)).is_some());
    }
    assert!(attention_fused::FusedTexels::new(&ctx, shape(max + 1)).is_none());
}

#[test]
fn embedding_forward_and_backward() {
    let ctx = ctx();
    let f = Fixture::load("kernels.safetensors");
    let shape = embedding::EmbeddingShape {
        rows: 18,
        seq: 6,
        dim: 8,
        vocab: 11,
    };
    let tokens = f.int_tensor(&ctx, "emb.tokens");
    let index = embedding::TokenIndex::new(&ctx, 18, 11);
    index.write(&ctx, f.u("emb.tokens"));
    let wte = f.tensor(&ctx, "emb.wte");
    let wpe = f.tensor(&ctx, "emb.wpe");
    let dx = f.tensor(&ctx, "emb.dx");
    let x = Tensor::zeros(&ctx, "x", 18 * 8);
    let dwte = Tensor::zeros(&ctx, "dwte", 11 * 8);
    let dwpe = Tensor::zeros(&ctx, "dwpe", 6 * 8);
    run(
        &ctx,
        [
            embedding::forward(&ctx, shape, &tokens, &wte, Some(&wpe), &x),
            embedding::backward(&ctx, shape, &index, &dx, &dwte, Some(&dwpe)),
        ],
    );
    assert_close("embedding x", &read(&ctx, &x), f.f("emb.x"), 1e-6, 1e-6);
    assert_close(
        "embedding dwte",
        &read(&ctx, &dwte),
        f.f("emb.dwte"),
        1e-5,
        1e-5,
    );
    assert_close(
        "embedding dwpe",
        &read(&ctx, &dwpe),
        f.f("emb.dwpe"),
        1e-5,
        1e-5,
    );
}

/// Softmax cross-entropy, its mean and gradient, and accuracy against PyTorch: every row
/// scored (`ce`), and every third row unscored (`ce_masked`: `ignore_index`, the engine's IGNORE).
fn cross_entropy_case(prefix: &str, scored: usize) {
    let ctx = ctx();
    let f = Fixture::load("kernels.safetensors");
    let (rows, vocab) = (23, 17);
    let logits = f.tensor(&ctx, "ce.logits");
    let targets = f.int_tensor(&ctx, &format!("{prefix}.targets"));
    let losses = Tensor::zeros(&ctx, "losses", rows);
    let dlogits = Tensor::zeros(&ctx, "dlogits", rows * vocab);
    let correct = Tensor::zeros(&ctx, "correct", rows);
    let partials = Tensor::zeros(&ctx, "partials", reduce::partials_len(rows));
    let scalars = Tensor::zeros(&ctx, "scalars", slot::COUNT);
    let mut ds = vec![cross_entropy::forward_backward(
        &ctx,
        (rows, scored),
        vocab,
        &logits,
        &targets,
        &losses,
        Some(&dlogits),
    )];
    let mean = |slot| reduce::ReduceMode::Store {
        slot,
        scale: 1.0 / scored as f32,
    };
    ds.extend(reduce::reduce(
        &ctx,
        mean(slot::LOSS),
        &losses,
        &partials,
        &scalars,
    ));
    ds.push(cross_entropy::correct_rows(
        &ctx, rows, vocab, &logits, &targets, &correct,
    ));
    let accuracy = mean(slot::TRAIN_CORRECT);
    ds.extend(reduce::reduce(
        &ctx, accuracy, &correct, &partials, &scalars,
    ));
    run(&ctx, ds);
    let want = |what: &str| f.f(&format!("{prefix}.{what}"));
    assert_close(
        "ce losses",
        &read(&ctx, &losses),
        want("losses"),
        1e-5,
        1e-5,
    );
    assert_close(
        "ce dlogits",
        &read(&ctx, &dlogits),
        want("dlogits"),
        1e-6,
        1e-4,
    );
    let s = read(&ctx, &scalars);
    assert_close("ce mean loss", &s[..1], want("loss"), 1e-5, 1e-5);
    if prefix == "ce_masked" {
        let acc = &s[slot::TRAIN_CORRECT..][..1];
        assert_close(
            "accuracy over scored rows",
            acc,
            want("accuracy"),
            1e-6,
            1e-6,
        );
    }
}

#[test]
fn cross_entropy_loss_and_gradient() {
    cross_entropy_case("ce", 23);
}

#[test]
fn cross_entropy_skips_unscored_rows_as_ignore_index_does() {
    // Rows 0, 3, ..., 21 are unscored: 15 of 23 count.
    cross_entropy_case("ce_masked", 15);
}

#[test]
fn grad_norm_clipping_and_nonfinite_flag() {
    let ctx = ctx();
    let f = Fixture::load("kernels.safetensors");
    let grads = f.tensor(&ctx, "clip.grads");
    let norm = f.f("clip.norm")[0];
    let partials = Tensor::zeros(&ctx, "partials", reduce::partials_len(grads.len));
    for clip in [0.0f32, norm * 2.0, norm * 0.25] {
        let scalars = Tensor::zeros(&ctx, "scalars", slot::COUNT);
        run(
            &ctx,
            reduce::reduce(
                &ctx,
                reduce::ReduceMode::GradNorm { clip },
                &grads,
                &partials,
                &scalars,
            ),
        );
        let s = read(&ctx, &scalars);
        assert_close("grad norm", &[s[slot::GRAD_NORM]], &[norm], 0.0, 1e-5);
        let want_scale = if clip > 0.0 && norm > clip {
            clip / norm
        } else {
            1.0
        };
        assert_close(
            "clip scale",
            &[s[slot::CLIP_SCALE]],
            &[want_scale],
            0.0,
            1e-5,
        );
        assert_eq!(s[slot::NONFINITE], 0.0);
    }
    // A NaN in the gradient sets the flag and zeroes the clip factor.
    let mut bad = f.f("clip.grads").to_vec();
    bad[12345] = f32::NAN;
    let bad = Tensor::from_slice(&ctx, "bad", &bad);
    let scalars = Tensor::zeros(&ctx, "scalars", slot::COUNT);
    run(
        &ctx,
        reduce::reduce(
            &ctx,
            reduce::ReduceMode::GradNorm { clip: 1.0 },
            &bad,
            &partials,
            &scalars,
        ),
    );
    let s = read(&ctx, &scalars);
    assert_eq!(s[slot::NONFINITE], 1.0);
    assert_eq!(s[slot::CLIP_SCALE], 0.0);
}

fn optimizer_three_steps(rule: OptimizerKind, want: &str) {
    let ctx = ctx();
    let f = Fixture::load("kernels.safetensors");
    let params = f.tensor(&ctx, "opt.p0");
    let grads = Tensor::zeros(&ctx, "grads", params.len);
    let no_mask = Tensor::zeros(&ctx, "mask", params.len);
    let rig = UpdateRig::new(&ctx, rule, (&params, &grads), &no_mask, 2000);
    for (t, lr) in [1e-2f32, 7e-3, 3e-3].into_iter().enumerate() {
        grads.write(&ctx, f.f(&format!("opt.g{t}")));
        rig.step(&ctx, t as u64 + 1, lr, 0.0);
    }
    assert_close(want, &read(&ctx, &params), f.f(want), 1e-6, 1e-5);
}

#[test]
fn adamw_matches_torch_optim() {
    optimizer_three_steps(OptimizerKind::AdamW, "opt.adamw");
}

#[test]
fn sgd_momentum_matches_torch_optim() {
    optimizer_three_steps(OptimizerKind::Sgd, "opt.sgd");
}

/// Lion against the fixture script's implementation of the paper's Algorithm 2 (PyTorch has no
/// Lion of its own).
#[test]
fn lion_matches_the_papers_algorithm_in_pytorch() {
    optimizer_three_steps(OptimizerKind::Lion, "opt.lion");
}

/// The two-stage column reductions (bias and LayerNorm parameter gradients) over several row
/// slices, the last one partial: against sums taken on the host in f64 (the fixtures' batches
/// fit in one slice).
#[test]
fn column_reductions_cover_every_row_slice() {
    let ctx = ctx();
    let (rows, cols) = (3 * matmul::COLUMN_SLICE + 17, 70);
    let mut rng = ire_playground::rng::Rng::new(5);
    let mut draw = |n: usize| (0..n).map(|_| rng.normal()).collect::<Vec<f32>>();
    let (dy_h, x_h) = (draw(rows * cols), draw(rows * cols));
    // Per-row mean and rstd as the forward pass would have saved them.
    let stats_h: Vec<f32> = (0..rows)
        .flat_map(|r| [0.1 * r as f32 / rows as f32, 1.5])
        .collect();
    let t = |v: &[f32]| Tensor::from_slice(&ctx, "input", v);
    let (dy, x, stats) = (t(&dy_h), t(&x_h), t(&stats_h));
    let z = |n: usize| Tensor::zeros(&ctx, "out", n);
    let (db, dgamma, dbeta, dx, gamma) = (
        z(cols),
        z(cols),
        z(cols),
        z(rows * cols),
        t(&vec![1.0; cols]),
    );
    let grads = layernorm::LayerNormGrads {
        x: &x,
        gamma: &gamma,
        stats: &stats,
        dy: &dy,
        dresidual: None,
        dx: &dx,
        dgamma: &dgamma,
        dbeta: &dbeta,
    };
    let mut d = matmul::bias_backward(&ctx, &dy, &db, rows, cols).to_vec();
    d.extend(layernorm::backward(
        &ctx,
        layernorm::NormKind::Layer,
        rows,
        cols,
        grads,
    ));
    run(&ctx, d);
    let column = |f: &dyn Fn(usize) -> f64| -> Vec<f32> {
        (0..cols)
            .map(|c| (0..rows).map(|r| f(r * cols + c)).sum::<f64>() as f32)
            .collect()
    };
    let sum_dy = column(&|i| dy_h[i] as f64);
    let xhat = |i: usize| {
        let r = i / cols;
        (x_h[i] as f64 - stats_h[2 * r] as f64) * stats_h[2 * r + 1] as f64
    };
    let sum_dy_xhat = column(&|i| dy_h[i] as f64 * xhat(i));
    assert_close("bias gradient", &read(&ctx, &db), &sum_dy, 1e-4, 1e-5);
    assert_close("dbeta", &read(&ctx, &dbeta), &sum_dy, 1e-4, 1e-5);
    assert_close("dgamma", &read(&ctx, &dgamma), &sum_dy_xhat, 1e-4, 1e-5);
}
