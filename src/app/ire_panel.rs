//! The "update rule" box of the IRE panel: IRE's rule with the IRE run's live values, so a reader
//! sees what the switch does in numbers (the amplification now, the mask's size, the mean step
//! scale) without reading the paper.

use super::settings::Settings;
use super::Session;

/// The rule and the live values of the IRE run (the settings' values before a run exists).
pub fn update_rule_ui(ui: &mut egui::Ui, settings: &Settings, session: Option<&Session>) {
    let ire = &settings.train.ire;
    let (base, _) = settings.optimizer_names();
    ui.label(
        egui::RichText::new("new θ = θ + Δ · (1 + κ · m)")
            .monospace()
            .strong(),
    )
    .on_hover_text(
        "After each step of the base optimizer, IRE scales the step of every coordinate in \
             the flat set m by 1 + κ: movement along flat directions, where the loss barely \
             changes, is sped up, which drifts training towards flatter minima (Wang et al., \
             NeurIPS 2024).",
    );
    ui.weak(format!("Δ: {base}'s step this iteration"));
    let run = session.map(|s| &s.runs[s.ire_run]);
    let decay = if ire.prog_decay {
        " × lr/lr_max (prog-decay)"
    } else {
        ""
    };
    let last_kappa = run.and_then(|r| r.series.last_kappa);
    match last_kappa {
        Some((step, k)) if k > 0.0 => {
            ui.label(format!(
                "κ = {:.2}{decay}: {k:.2} at step {step:.0}",
                ire.kappa
            ));
        }
        Some((step, _)) => {
            ui.label(format!(
                "κ = {:.2}{decay}; not applied at step {step:.0} (IRE off, or warm-up)",
                ire.kappa
            ));
        }
        None => {
            ui.label(format!("κ = {:.2}{decay}", ire.kappa));
        }
    }
    let params = run.map(|r| r.trainer.network().params().count());
    let flat = run.and_then(|r| r.series.flat_count.last().map(|p| (p[0], p[1])));
    ui.label(format!(
        "m = 1 on the γ = {:.0}% of coordinates with the smallest Fisher values (ties \
         included), refreshed every {} steps",
        ire.gamma * 100.0,
        ire.mask_every
    ));
    if let (Some(n), Some((step, count))) = (params, flat) {
        let fraction = count / n.max(1) as f64;
        let kappa = last_kappa.map_or(0.0, |(_, k)| k);
        ui.label(format!(
            "at step {step:.0}: {count:.0} of {n} coordinates flat ({:.1}%); mean step scale \
             1 + κ·|m|/n = {:.2}",
            fraction * 100.0,
            1.0 + kappa * fraction
        ));
    } else {
        ui.weak("the mask's size appears with the first probe");
    }
}
