//! "Branch from here" (key B): a new run from the current state of the run the IRE switch
//! controls, with IRE switched the other way and the kappa and K set in the settings, beside
//! the run it came from, which goes on unchanged. Both share the history up to the branch step
//! (the branch's curves start on its parent's), so the plots show what the change did from
//! there: switch IRE on at step 500 of an AdamW run, or off in an AdmIRE run, same weights, same
//! data order. The IRE switch then controls the branch.

use super::pytorch_export::Target;
use super::snapshot::RunRead;
use super::{LiveRun, PlaygroundApp};
use crate::train::{LiveParams, Trainer};

/// At most this many runs train side by side.
pub const MAX_RUNS: usize = 8;

impl PlaygroundApp {
    /// Branches the run the IRE switch controls (the button and the B key).
    pub(super) fn start_branch(&mut self) {
        let Some(session) = &self.session else {
            self.notices
                .push(true, "no run to branch from: press Reset first");
            return;
        };
        let run = &session.runs[session.ire_run];
        let why_not = if session.runs.len() >= MAX_RUNS {
            Some(format!("at most {MAX_RUNS} runs train side by side"))
        } else if let Some(e) = &run.error {
            Some(format!("{} stopped ({e})", run.label))
        } else if run.trainer.is_finished() {
            Some(format!("{} has finished", run.label))
        } else if session.tuning.as_ref().is_some_and(|t| !t.decided) {
            Some("'tune both' is still sweeping".to_string())
        } else {
            None
        };
        match why_not {
            Some(why) => self.notices.push(true, format!("no branch: {why}")),
            None => self.start_export_to(Target::Branch(session.ire_run)),
        }
    }

    /// Adds the branch of run `index` once its state has been read back; returns what was done.
    pub(super) fn finish_branch(
        &mut self,
        index: usize,
        runs: Vec<RunRead>,
    ) -> Result<String, String> {
        let read = runs.into_iter().nth(index).ok_or("the run went away")?;
        let checkpoint = read.outcome.ok_or("its state was not read back")??;
        let (Some(session), Some(ctx)) = (&mut self.session, &self.ctx) else {
            return Err("the runs went away".into());
        };
        let parent = session.runs.get(index).ok_or("the run went away")?;
        let data = parent.trainer.task.data();
        let mut trainer = Trainer::reopen(ctx, &checkpoint, data).map_err(|e| e.to_string())?;
        let ire = &self.settings.train.ire;
        let on = !trainer.ire_enabled();
        trainer
            .set_live(LiveParams {
                ire_on: on,
                ..LiveParams::of(ire)
            })
            .map_err(|e| e.to_string())?;
        let change = if on {
            format!("IRE on, kappa {}, K {}", ire.kappa, ire.mask_every)
        } else {
            "IRE off".to_string()
        };
        let label = format!("{} from step {}: {change}", parent.label, checkpoint.step);
        // Only what happened up to the branch step (the run may have stepped since).
        let history = parent
            .trainer
            .history
            .iter()
            .filter(|r| r.step() <= checkpoint.step)
            .cloned()
            .collect();
        let branch = LiveRun::reopened(ctx, label.clone(), trainer, history, None);
        session.runs.push(branch);
        session.ire_run = session.runs.len() - 1;
        self.resave();
        Ok(format!("branched: {label}"))
    }
}
