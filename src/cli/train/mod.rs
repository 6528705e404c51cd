//! `ire-playground train`: the run loop (progress, periodic checkpoints, the final save, and
//! what is kept when a run diverges or is interrupted). Flags: `args.rs`; resuming: `resume.rs`;
//! building the run: `trainers.rs`; the files beside `--save`: `periodic.rs`.

mod args;
mod periodic;
mod resume;
mod trainers;

pub use args::TrainArgs;

use super::drive::{drive_with, Ended, Periodic};
use anyhow::bail;
use args::{check_flags, check_outputs};
use indicatif::{ProgressBar, ProgressStyle};
use ire_playground::checkpoint::Checkpoint;
use ire_playground::train::{EventRecord, Record, TrainConfig, Trainer};
use periodic::{newest_periodic, periodic_path, prune_periodic, sibling};
use resume::resumed_config;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub fn run(args: TrainArgs, given: &[String]) -> anyhow::Result<()> {
    check_flags(&args, given)?;
    check_outputs(&args)?;
    // Held until the run is over: a second run saving to the same name is refused at once.
    let _save_claim = match &args.save {
        Some(save) => Some(ire_playground::files::claim_output("--save", save)?),
        None => None,
    };
    let checkpoint = args
        .resume
        .as_ref()
        .map(|p| Checkpoint::load(p))
        .transpose()?;
    let mut config = match &checkpoint {
        Some(c) => resumed_config(c, &args, given)?,
        None => args.train_config()?,
    };
    let family = match &checkpoint {
        Some(c) => c.model.family(),
        None => args.family()?,
    };
    // A Hugging Face model to start from: its weights, this command's configuration.
    let imported = match &args.init_from {
        Some(dir) => Some(trainers::imported(dir, args.text_file.is_some())?),
        None => None,
    };
    let (mut trainer, described) = trainers::trainer(
        &args,
        family,
        &mut config,
        checkpoint.as_ref().or(imported.as_ref()),
    )?;
    // The run's id: a resumed run keeps the one its checkpoint carries.
    let run_id = checkpoint
        .as_ref()
        .and_then(|c| c.run_id.clone())
        .unwrap_or_else(periodic::new_run_id);
    if let Some(save) = &args.save {
        // Temporary files of an earlier run of these names that was killed mid-save.
        let stem = periodic::stem_of(save);
        ire_playground::files::remove_stale_temps(ire_playground::files::folder_of(save), &stem);
    }
    if let (Some(save), Some(every)) = (&args.save, args.checkpoint_every) {
        let span = (trainer.steps_submitted(), config.steps);
        periodic::check_periodic_targets(save, every, span, &run_id)?;
    }
    let mut log = match &args.log {
        Some(p) => {
            // A resumed run continues its log; a fresh one starts it.
            let file = ire_playground::files::open_log(p, checkpoint.is_some())?;
            Some(std::io::BufWriter::new(file))
        }
        None => None,
    };
    eprintln!(
        "{}",
        summary(&described, &config, trainer.steps_submitted())
    );
    if args.verbose {
        eprintln!("configuration: {}", serde_json::to_string_pretty(&config)?);
    }
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // Without a handler (another one installed, or none possible) Ctrl-C just ends the
        // process as before; the periodic checkpoints are then the saved state.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }

    let bar = ProgressBar::new(config.steps as u64);
    bar.set_position(trainer.steps_submitted() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {pos}/{len} [{elapsed_precise}<{eta_precise}] {msg}",
        )
        .expect("valid template"),
    );
    // Without a terminal the bar is hidden; print its lines plainly so logs still show progress.
    let say = |line: String| {
        if bar.is_hidden() {
            eprintln!("{line}");
        } else {
            bar.println(line);
        }
    };
    // No validation loss is shown before the first evaluation.
    let mut last_val: Option<f32> = None;
    let mut save_periodic = |t: &Trainer| -> anyhow::Result<()> {
        let save = args.save.as_ref().expect("clap requires --save");
        let path = periodic_path(save, t.steps_submitted());
        stamped(t, &run_id)?.save(&path)?;
        prune_periodic(save, 3, &run_id);
        say(format!(
            "step {:>6}  saved {}",
            t.steps_submitted(),
            path.display()
        ));
        Ok(())
    };
    let periodic = args.checkpoint_every.map(|every| Periodic {
        every,
        call: &mut save_periodic,
    });
    let result = drive_with(
        &mut trainer,
        &mut log,
        |r| match r {
            Record::Step(s) => {
                bar.set_position(s.step as u64);
                let val = last_val.map_or(String::new(), |v| format!("  val {v:.4}"));
                bar.set_message(format!(
                    "loss {:.4}{val}  lr {:.2e}  {:.0} ms/step",
                    s.loss, s.lr, s.ms
                ));
            }
            Record::Eval(e) => {
                last_val = Some(e.val_loss);
                let acc = e
                    .val_acc
                    .map_or(String::new(), |a| format!("  val_acc {:.2}%", a * 100.0));
                say(format!(
                    "step {:>6}  val_loss {:.4}{acc}",
                    e.step, e.val_loss
                ));
            }
            Record::Event(e) => say(format!("step {:>6}  {}", e.step, e.event)),
            Record::Probe(p) => {
                let fmt = |v: Option<f32>| v.map_or("-".into(), |v| format!("{v:.3}"));
                say(format!(
                    "step {:>6}  lambda_max {}  trace {}  |w| {}  fisher_trace {:.3e}  flat {}  below_eps {}",
                    p.step,
                    fmt(p.lambda_max),
                    fmt(p.trace),
                    fmt(p.weight_norm),
                    p.fisher_trace,
                    p.flat_count,
                    p.below_eps_count
                ))
            }
        },
        periodic,
        Some(&stop),
    );
    bar.finish();
    finish(&args, &trainer, &run_id, &mut log, result)
}

/// The trainer's full checkpoint, marked as this run's.
fn stamped(trainer: &Trainer, run_id: &str) -> anyhow::Result<Checkpoint> {
    let mut checkpoint = trainer.checkpoint()?;
    checkpoint.run_id = Some(run_id.to_string());
    Ok(checkpoint)
}

/// After the loop: the final checkpoint, or on divergence a record in the log and the last
/// weights beside (never over) the --save file, which keeps the last good state.
fn finish(
    args: &TrainArgs,
    trainer: &Trainer,
    run_id: &str,
    log: &mut Option<std::io::BufWriter<std::fs::File>>,
    result: anyhow::Result<Ended>,
) -> anyhow::Result<()> {
    match result {
        Ok(ended) => {
            if let Some(path) = &args.save {
                stamped(trainer, run_id)?.save(path).map_err(|e| {
                    let kept = newest_periodic(path, run_id)
                        .map_or("no periodic checkpoint was written".to_string(), |p| {
                            format!("the latest periodic checkpoint is {}", p.display())
                        });
                    anyhow::anyhow!("{e}; the run's final state could not be saved ({kept})")
                })?;
                eprintln!(
                    "saved {} (step {})",
                    path.display(),
                    trainer.steps_submitted()
                );
            }
            let saved = || {
                args.save
                    .as_ref()
                    .map_or("nothing was saved (no --save)".to_string(), |p| {
                        format!(
                            "the run's state is in {}: --resume it to continue",
                            p.display()
                        )
                    })
            };
            if let Ended::LogFailed(cause) = &ended {
                // The log could not take more (a full disk, say); the checkpoint above, on its
                // own file, still could.
                bail!(
                    "writing the log failed ({cause}), so the run stopped at step {}; {}",
                    trainer.steps_submitted(),
                    saved()
                );
            }
            if ended == Ended::Interrupted {
                bail!(
                    "interrupted at step {}; {}",
                    trainer.steps_submitted(),
                    saved()
                );
            }
            Ok(())
        }
        Err(e) => {
            let Some(step) = trainer.diverged_at() else {
                return Err(e);
            };
            let event = Record::Event(EventRecord {
                step,
                event: "diverged".into(),
            });
            if let Some(w) = log {
                super::drive::write_to(w, &[event])?;
            }
            let kept = match &args.save {
                Some(save) => {
                    let path = sibling(save, "diverged");
                    trainer.weights_checkpoint()?.save(&path)?;
                    let last_good = if save.exists() {
                        format!("{} keeps the last good state", save.display())
                    } else {
                        "there is no earlier checkpoint".into()
                    };
                    format!(
                        "; the last weights (no training state) are in {}, {last_good}",
                        path.display()
                    )
                }
                None => String::new(),
            };
            Err(e.context(format!("the run diverged at step {step}{kept}")))
        }
    }
}

/// The run in one line: the model, the optimizer and its learning rate, the length, the batch,
/// IRE and the probes (`--verbose` prints the whole configuration).
fn summary(model: &str, c: &TrainConfig, done: usize) -> String {
    let ire = if c.ire.enabled {
        format!(
            "IRE on from step {} (kappa {}, gamma {}, mask every {})",
            c.ire_start(),
            c.ire.kappa,
            c.ire.gamma,
            c.ire.mask_every
        )
    } else {
        "IRE off".into()
    };
    let probes = match c.probe_every {
        0 => String::new(),
        n => format!(", probes every {n} steps"),
    };
    let from = if done > 0 {
        format!(", resumed at step {done}")
    } else {
        String::new()
    };
    format!(
        "training {model}\n  {} lr {} ({} after {} warm-up steps), {} steps of batch {}{from}, \
         seed {}; {ire}{probes}",
        c.optimizer.kind.name(),
        // 1e-30, not 0.000000000000000000000000000001.
        if (1e-4..1e4).contains(&c.optimizer.lr.abs()) {
            c.optimizer.lr.to_string()
        } else {
            format!("{:e}", c.optimizer.lr)
        },
        format!("{:?}", c.schedule).to_lowercase(),
        c.warmup,
        c.steps,
        c.batch,
        c.seed
    )
}
