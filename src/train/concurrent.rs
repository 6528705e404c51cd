//! Several independent runs on one device at once (learning-rate sweeps, seeds): their steps are
//! submitted interleaved, so the GPU always has work queued from some run while the host
//! prepares the next batch of another. Native only: it waits on the GPU when no run can move.

use super::{Record, Trainer};
use crate::error::{Error, Result};

/// Advances every trainer until each has finished or failed. `on_records(i, records)` receives
/// what run `i` produced, as it arrives (records that come with a divergence included). A run
/// that fails (diverges, or meets a device error) stops; the others go on. Returns each run's
/// outcome, in order.
pub fn run_all(
    trainers: &mut [Trainer],
    mut on_records: impl FnMut(usize, &[Record]) -> Result<()>,
) -> Vec<Result<()>> {
    let mut outcome: Vec<Option<Result<()>>> = trainers.iter().map(|_| None).collect();
    loop {
        let mut progressed = false;
        for (i, trainer) in trainers.iter_mut().enumerate() {
            if outcome[i].is_some() {
                continue;
            }
            if let Err(e) = submit_all(trainer) {
                outcome[i] = Some(Err(e));
                continue;
            }
            let (records, result) = trainer.poll_with_outcome();
            progressed |= !records.is_empty();
            let logged = on_records(i, &records);
            if let Err(e) = result.and(logged) {
                outcome[i] = Some(Err(e));
            } else if trainer.is_finished() {
                outcome[i] = Some(Ok(()));
            }
        }
        let running: Vec<usize> = (0..trainers.len())
            .filter(|&i| outcome[i].is_none())
            .collect();
        match running.first() {
            None => break,
            // Nothing arrived this round: wait for the run that has waited longest.
            Some(&i) if !progressed => trainers[i].wait_for_oldest(),
            Some(_) => {}
        }
    }
    outcome
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(Error::NotReady("run never finished".into()))))
        .collect()
}

fn submit_all(trainer: &mut Trainer) -> Result<()> {
    while trainer.can_submit() {
        trainer.submit_step()?;
    }
    Ok(())
}
