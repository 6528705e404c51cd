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
    drive_with(trainer, log, on_record, None, None).map(|_| ())
}

/// [`drive`] with periodic callbacks between steps and a stop flag (Ctrl-C): once it is
/// raised, no new step starts, the steps in flight finish and are logged, and the run ends
/// [`Ended::Interrupted`].
pub fn drive_with(
    trainer: &mut Trainer,
    log: &mut Option<std::io::BufWriter<std::fs::File>>,
    mut on_record: impl FnMut(&Record),
    mut periodic: Option<Periodic<'_>>,
    stop: Option<&AtomicBool>,
) -> anyhow::Result<Ended> {
    let every = periodic.as_ref().map_or(0, |p| p.every);
    let mut pause_at = None;
    loop {
        let stopping = stop.is_some_and(|s| s.load(Ordering::SeqCst));
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
                (p.call)(trainer)?;
                continue;
            }
            if stopping && !trainer.is_finished() {
                return Ok(Ended::Interrupted);
            }
        }
        if trainer.is_finished() {
            return Ok(Ended::Finished);
        }
        trainer.wait_for_oldest();
        // Records that arrived with a divergence are logged before the error ends the run.
        let (records, outcome) = trainer.poll_with_outcome();
        write_records(log, &records)?;
        records.iter().for_each(&mut on_record);
        outcome?;
    }
}

fn write_records(
    log: &mut Option<std::io::BufWriter<std::fs::File>>,
    records: &[Record],
) -> anyhow::Result<()> {
    if let Some(w) = log {
        write_to(w, records)?;
    }
    Ok(())
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
