//! Lion and Muon as whole optimizers: Muon's update against the fixture script's float64
//! implementation of the published algorithm and against torch.optim.Muon
//! (tests/fixtures/muon.safetensors), and each as IRE's base: IRE with kappa 0 is the base
//! optimizer bit for bit, and IRE acting changes training. (Lion's update kernel is checked
//! against PyTorch in tests/kernels.rs, Lion-IRE's step in tests/ire.rs, resume in
//! tests/resume.rs.)

mod common;

use common::{assert_close, ctx, read, Fixture};
use ire_playground::data::Corpus;
use ire_playground::gpu::Tensor;
use ire_playground::kernels::slot;
use ire_playground::models::{Family, TransformerConfig};
use ire_playground::nn::{Init, ParamSet, ParamSpec};
use ire_playground::optim::{IreConfig, Optimizer, OptimizerConfig, OptimizerKind};
use ire_playground::train::TrainConfig;
use std::collections::HashMap;
use std::sync::Arc;

#[test]
fn muon_matches_the_published_algorithm_and_torch_optim_muon() {
    let ctx = ctx();
    let f = Fixture::load("muon.safetensors");
    let spec = |name: &str, shape: &[usize], decay| ParamSpec::new(name, shape, decay, Init::Zeros);
    let params = ParamSet::new(
        &ctx,
        vec![
            spec("emb.weight", &[30, 8], true).outer(),
            spec("h1.weight", &[24, 40], true),
            spec("h1.bias", &[24], false),
            spec("h2.weight", &[48, 16], true),
            spec("conv.weight", &[6, 4, 3, 3], true),
        ],
    );
    let named = |what: &str| -> Vec<f32> {
        let values: HashMap<String, Vec<f32>> = params
            .specs
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    f.f(&format!("muon.{}.{what}", s.name)).to_vec(),
                )
            })
            .collect();
        params.flatten(&values).unwrap()
    };
    params.params.write(&ctx, &named("p0"));
    let mut scalars = vec![0.0f32; slot::COUNT];
    scalars[slot::CLIP_SCALE] = 1.0;
    let scalars = Tensor::from_slice(&ctx, "scalars", &scalars);
    let no_mask = Tensor::zeros(&ctx, "mask", params.params.len);
    let muon = OptimizerKind::Muon;
    let config = (muon.descriptor().defaults)(OptimizerConfig {
        kind: muon,
        lr: 2e-2,
        weight_decay: 0.01,
        aux_lr: 3e-3,
        ..OptimizerConfig::default()
    });
    let mut optimizer = Optimizer::new(&ctx, config, &params, &scalars, &no_mask).unwrap();
    for (t, lr) in [2e-2f32, 1.5e-2, 1e-2].into_iter().enumerate() {
        params.grads.write(&ctx, &named(&format!("g{t}")));
        optimizer.prepare_step(&ctx, lr, 0.0);
        optimizer.plan().submit(&ctx);
    }
    let got = read(&ctx, &params.params);
    for (spec, values) in params.unflatten(&got) {
        let name = &spec.name;
        let want = f.f(&format!("muon.{name}.want"));
        assert_close(
            &format!("{name} (float64 algorithm)"),
            values,
            want,
            2e-6,
            1e-5,
        );
        // torch.optim.Muon orthogonalises in bfloat16: agreement to its precision (a step moves
        // a coordinate by up to ~0.05 here; bfloat16 keeps 3 significant digits).
        let torch = f.f(&format!("muon.{name}.torch"));
        assert_close(
            &format!("{name} (torch.optim.Muon)"),
            values,
            torch,
            2e-3,
            1e-2,
        );
    }
}

/// The loss of each of the first `steps` steps of `kind` on `tiny`, IRE as `ire` says.
fn losses(kind: OptimizerKind, ire: IreConfig, steps: usize) -> Vec<u32> {
    let corpus = Arc::new(Corpus::shakespeare().unwrap());
    let model = TransformerConfig::preset("tiny", corpus.vocab.len()).unwrap();
    let config = TrainConfig {
        batch: 4,
        warmup: 2,
        eval_every: 0,
        eval_batches: 1,
        ire,
        ..TrainConfig::recipe(Family::Transformer, kind, steps)
    };
    let mut trainer = common::text_trainer(&ctx(), model, config, corpus).unwrap();
    let records = common::run_to_end(&mut trainer).unwrap();
    common::steps(&records)
        .iter()
        .map(|s| s.loss.to_bits())
        .collect()
}

#[test]
fn lion_and_muon_are_bases_for_ire_kappa_zero_is_the_base_bit_for_bit() {
    for kind in [OptimizerKind::Lion, OptimizerKind::Muon] {
        let ire = |kappa| IreConfig {
            enabled: true,
            kappa,
            mask_every: 2,
            ..Default::default()
        };
        let base = losses(kind, IreConfig::default(), 6);
        assert_eq!(base, losses(kind, ire(0.0), 6), "{kind:?}-IRE with kappa 0");
        let on = losses(kind, ire(4.0), 6);
        assert_eq!(
            base[..3],
            on[..3],
            "{kind:?}-IRE acts from the end of warm-up"
        );
        assert_ne!(
            base[3..],
            on[3..],
            "{kind:?}-IRE with kappa 4 changes training"
        );
        let first = f32::from_bits(base[0]);
        let last = f32::from_bits(base[5]);
        assert!(last < first, "{kind:?} lowers the loss: {first} -> {last}");
    }
}
