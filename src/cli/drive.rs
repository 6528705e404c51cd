//! The command line's training loop, shared by `train`, `bench` and `experiment`: submit while
//! the trainer can take steps, wait for the oldest result, log what arrived; pause between
//! steps for periodic checkpoints, and stop cleanly when interrupted.

use ire_playground::train::{Record, Trainer};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// How a driven run ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// Every step ran.
    Finished,
    /// The stop flag was raised; the run stopped between steps with nothing in flight.
    Interrupted,
    /// Writing the log failed (a full disk, say; the cause): no new step started, the steps
    /// in flight finished, and the run's state is whole, so it can still be saved.
    LogFailed(String),
}

/// A callback run between steps every `every` steps (with nothing in flight), e.g. a
/// periodic checkpoint.
pub struct Periodic<'a> {
    /// Steps between calls.
    pub every: usize,
    /// The callback.
    pub call: &'a mut dyn FnMut(&Trainer) -> anyhow::Result<()>,
}

/// Runs `trainer` to the end, writing every record to `log` as it arrives and handing it to
/// `on_record`. Records that arrive with a divergence are written before the error returns.
pub fn drive(
    trainer: &mut Trainer,
    log: &mut Option<std::io::BufWriter<std::fs::File>>,
    on_record: impl FnMut(&Record),
) -> anyhow::Result<()> {
    match drive_with(trainer, log, on_record, None, None)? {
        Ended::LogFailed(cause) => anyhow::bail!("writing the log failed: {cause}"),
        Ended::Finished | Ended::Interrupted => Ok(()),
    }
}

/// [`drive`] with periodic callbacks between steps and a stop flag (Ctrl-C): once it is
/// raised, no new step starts, the steps in flight finish and are logged, and the run ends
/// [`Ended::Interrupted`].
pub fn drive_with<W: Write>(
    trainer: &mut Trainer,
    log: &mut Option<W>,
    mut on_record: impl FnMut(&Record),
    mut periodic: Option<Periodic<'_>>,
    stop: Option<&AtomicBool>,
) -> anyhow::Result<Ended> {
    let every = periodic.as_ref().map_or(0, |p| p.every);
    let mut pause_at = None;
    // A log that cannot be written ends the run like Ctrl-C, so that its state can be saved.
    let mut log_failed: Option<String> = None;
    loop {
        let stopping = log_failed.is_some() || stop.is_some_and(|s| s.load(Ordering::SeqCst));
        if !stopping {
            while pause_at.is_none() && trainer.can_submit() {
                trainer.submit_step()?;
                let done = trainer.steps_submitted();
                if every > 0 && done.is_multiple_of(every) && done < trainer.config.steps {
                    pause_at = Some(done);
                }
            }
        }
        if trainer.in_flight() == 0 {
            if let (Some(_), Some(p)) = (pause_at.take(), periodic.as_mut()) {
                // After a failed log write the disk may be full: the final save comes first.
                if log_failed.is_none() {
                    (p.call)(trainer)?;
                }
                continue;
            }
            if stopping && !trainer.is_finished() {
                return Ok(log_failed.map_or(Ended::Interrupted, Ended::LogFailed));
            }
        }
        if trainer.is_finished() {
            return Ok(log_failed.map_or(Ended::Finished, Ended::LogFailed));
        }
        trainer.wait_for_oldest();
        // Records that arrived with a divergence are logged before the error ends the run.
        let (records, outcome) = trainer.poll_with_outcome();
        if let Some(w) = log {
            if let Err(e) = write_to(w, &records) {
                log_failed = Some(e.to_string());
                *log = None;
            }
        }
        records.iter().for_each(&mut on_record);
        outcome?;
    }
}

/// Appends `records` to a JSONL log, one object per line, and flushes (so an interrupted run
/// keeps what it logged).
pub fn write_to(log: &mut impl Write, records: &[Record]) -> std::io::Result<()> {
    for r in records {
        serde_json::to_writer(&mut *log, r)?;
        log.write_all(b"\n")?;
    }
    log.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ire_playground::checkpoint::ModelSpec;
    use ire_playground::data::Corpus;
    use ire_playground::gpu::GpuContext;
    use ire_playground::optim::OptimizerKind;
    use ire_playground::train::{Family, TaskData, TrainConfig};
    use std::sync::Arc;

    /// A log that takes `room` bytes, then reports a full disk.
    struct FullAfter {
        room: usize,
    }

    impl Write for FullAfter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if buf.len() > self.room {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::StorageFull,
                    "no space left on device",
                ));
            }
            self.room -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A full disk under the log stops the run between steps with its state whole: the
    /// trainer can still be checkpointed, at the last step whose results arrived.
    #[test]
    fn a_log_that_fills_up_ends_the_run_with_its_state_whole() {
        let ctx = pollster::block_on(GpuContext::new()).expect("an adapter");
        let mut config = TrainConfig::recipe(Family::Transformer, OptimizerKind::AdamW, 200);
        config.batch = 2;
        config.eval_every = 0;
        config.probe_every = 0;
        let corpus = Arc::new(Corpus::shakespeare().unwrap());
        let data = TaskData::Text(corpus);
        let model = ModelSpec::of_preset("tiny", &data).unwrap();
        let mut trainer = Trainer::build(&ctx, &model, config, data).unwrap();
        let mut log = Some(FullAfter { room: 600 });
        let ended = drive_with(&mut trainer, &mut log, |_| {}, None, None).unwrap();
        assert!(
            matches!(&ended, Ended::LogFailed(cause) if cause.contains("no space left")),
            "{ended:?}"
        );
        assert!(log.is_none(), "the log is given up");
        let done = trainer.steps_submitted();
        assert!(done > 0 && done < 200, "stopped early, at step {done}");
        assert_eq!(trainer.in_flight(), 0);
        let checkpoint = trainer.checkpoint().expect("the state can be saved");
        assert_eq!(checkpoint.step, done);
    }
}
