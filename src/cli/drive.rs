//! The command line's training loop, shared by `train`, `bench` and `experiment`: submit while
//! the trainer can take steps, wait for the oldest result, log what arrived.

use ire_playground::train::{Record, Trainer};
use std::io::Write;

/// Runs `trainer` to the end, writing every record to `log` as it arrives and handing it to
/// `on_record`. Records that arrive with a divergence are written before the error returns.
pub fn drive(
    trainer: &mut Trainer,
    log: &mut Option<std::io::BufWriter<std::fs::File>>,
    mut on_record: impl FnMut(&Record),
) -> anyhow::Result<()> {
    loop {
        while trainer.can_submit() {
            trainer.submit_step()?;
        }
        if trainer.is_finished() {
            return Ok(());
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
