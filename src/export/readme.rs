//! The exported project's README: what the run is, and the exact commands to continue it on one
//! process, under torchrun, and to bring it back into the playground.

use crate::checkpoint::{Checkpoint, ModelSpec};
use crate::train::TrainConfig;

/// The README of a project continuing `checkpoint` (whose run configuration is `config`).
pub fn readme(checkpoint: &Checkpoint, config: &TrainConfig) -> String {
    let model = match &checkpoint.model {
        ModelSpec::Transformer { config: c, .. } => format!(
            "a character transformer (layers {}, d_model {}, heads {}, d_ff {}, context {}, \
             vocabulary {})",
            c.n_layer, c.d_model, c.n_head, c.d_ff, c.seq_len, c.vocab
        ),
        ModelSpec::ResNet(c) => format!(
            "a ResNet-{} (width {}) on {}x{} images, {} classes",
            6 * c.blocks_per_stage + 2,
            c.width,
            c.image_size,
            c.image_size,
            c.classes
        ),
    };
    let ire = if config.ire.enabled || !config.ire.toggle_at.is_empty() {
        format!(
            ", IRE (kappa {}, gamma {}, mask every {} steps{})",
            config.ire.kappa,
            config.ire.gamma,
            config.ire.mask_every,
            if config.ire.prog_decay {
                ", prog-decay"
            } else {
                ""
            }
        )
    } else {
        String::new()
    };
    let state = if checkpoint.state.is_some() {
        "with its full training state (optimizer moments, IRE's Fisher estimate and mask, \
         the data order)"
    } else {
        "with its weights only (optimizer moments and IRE's state start from zero)"
    };
    let (step, optimizer, batch) = (checkpoint.step, config.optimizer.kind, config.batch);
    // A finished run can only be continued by raising its total (the schedule stretches).
    let (steps, finished) = if step < config.steps {
        (config.steps, String::new())
    } else {
        (
            config.steps.saturating_mul(2).max(step + 1),
            format!(
                " The run had finished its {} steps; the commands below continue it to {} \
                 (the learning-rate schedule is stretched to the new end).",
                config.steps,
                config.steps.saturating_mul(2).max(step + 1)
            ),
        )
    };
    format!(
        r#"# An ire-playground run, exported to PyTorch

This folder continues a run of ire-playground in PyTorch: {model},
trained by {optimizer:?} (peak lr {lr}){ire}, batch {batch}, at step {step} of {total},
{state}.{finished}

`train.py` has the playground's semantics to the letter: the same model and parameter names, the
same optimizers and IRE (labels sampled from the model with the same random stream, the exact
k-th-value threshold, `theta += delta * (1 + kappa * mask)`), the same learning-rate schedule and
the same batches in the same order. Its log rows are the CLI's, and its checkpoints are in the
playground's format.

## Run it

```sh
python3 -m venv .venv && .venv/bin/pip install -r requirements.txt
.venv/bin/python train.py --steps {steps} --log run.jsonl --save run.safetensors
```

`--steps` is the run's total, as in `ire-playground train` (raise it to train longer: the
schedule is stretched to the new end). `--checkpoint-every K` also keeps the newest three
`run-step<N>.safetensors`; `--eval-every E` changes how often the validation loss is logged;
`--device cuda` (the default when a GPU is present) or `cpu`; `--threads N`.

On several GPUs of one node (DistributedDataParallel over NCCL; gloo on CPUs), the global batch
of {batch} is split evenly over the processes, so it is the same run:

```sh
.venv/bin/torchrun --nproc_per_node 8 train.py -- --steps {steps} --log run.jsonl --save run.safetensors
```

(The `--` keeps torchrun from reading `--log` as an abbreviation of its own `--log-dir`.)

Ctrl-C saves the state (with `--save`) and stops; run the same command again with
`--checkpoint run.safetensors` to continue. A NaN/Inf loss stops the run with a `diverged` row in
the log; `--save` keeps the last good state.

## Bring it back

```sh
ire-playground eval --checkpoint run.safetensors
ire-playground train --resume run.safetensors --steps {more} --log run.jsonl
```

The app opens `run.jsonl` (the "Open log" field, or drop the file on the window) and shows it
next to live runs.

## Files

- `train.py`: the command line; `playground/`: models, optimizers and IRE, data, checkpoints.
- `checkpoint.safetensors`: the run at step {step}.
- `data/`: the data the run trains on with their licence notices.
"#,
        lr = config.optimizer.lr,
        total = config.steps,
        more = steps.saturating_mul(2),
    )
}
