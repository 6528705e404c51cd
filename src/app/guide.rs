//! The first visit's guide: what to press and what the first experiment (AdamW beside AdmIRE
//! from the same start) will show, with the run's own numbers. It sits at the top of the plots,
//! so it never covers the toolbar, and is closed for good with "Got it" (remembered with the
//! settings).

use super::settings::Settings;

/// The guide's steps for `settings` (the first experiment's when it is a comparison).
pub fn steps(settings: &Settings) -> Vec<String> {
    let (base, ire_name) = settings.optimizer_names();
    let ire = &settings.train.ire;
    let start = settings.train.ire_start();
    let flat = format!(
        "From step {start} IRE acts: every {} steps it marks the {:.0}% of coordinates with the \
         smallest Fisher values as flat and multiplies their steps by 1 + κ = {}.",
        ire.mask_every,
        ire.gamma * 100.0,
        super::axes::format_value(1.0 + ire.kappa as f64)
    );
    if settings.compare {
        vec![
            format!(
                "Press Run (Space). {base} (blue) and {ire_name} = {base} + IRE (orange) train \
                 from the same initial weights on the same batches."
            ),
            format!("Until step {start} they are the same run: IRE is armed. {flat}"),
            if settings.is_first_experiment() {
                format!(
                    "Watch Sharpness (about a minute on a CPU adapter, seconds on a GPU): the \
                     two loss curves stay close, while from about step 60 on {ire_name}'s λ_max \
                     (orange) stays below {base}'s (blue) at every probe, at a quarter to four \
                     fifths of it: a similar loss in a flatter region. The band around λ_max is \
                     its uncertainty; the (?) beside each plot says how to read it."
                )
            } else {
                format!(
                    "Watch Sharpness: once IRE acts, {ire_name}'s λ_max (orange) is expected to \
                     fall below {base}'s (blue); compare the loss curves to see what it costs \
                     or gains. The (?) beside each plot says how to read it."
                )
            },
            "Is it IRE, or just bigger steps? Both runs share one learning rate here, and AdamW \
             at a larger rate is flatter by itself (for a run this short it also trains a \
             little better). Watch the weight norm too: IRE's amplified steps grow the \
             weights, and behind a normalisation layer larger weights are flatter by scale \
             alone. Tick 'tune both' to compare each at its best rate, pick a finding \
             (the experiments behind docs/RESULTS.md), or untick compare and Reset to switch \
             IRE on and off live (I)."
                .into(),
        ]
    } else {
        vec![
            "Press Run (Space). The model trains; the loss falls.".into(),
            format!("Switch IRE on (I): it is armed until step {start}. {flat}"),
            "To see what IRE changes, tick compare and Reset (R): the base optimizer and its \
             IRE twin from the same start, side by side."
                .into(),
        ]
    }
}

/// Shows the guide while `seen` is false; sets it when the reader closes it.
pub fn guide_ui(ui: &mut egui::Ui, settings: &Settings, seen: &mut bool) {
    if *seen {
        return;
    }
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new("Start here").strong().size(16.0));
            if ui.button("Got it").clicked() {
                *seen = true;
            }
        });
        for (i, step) in steps(settings).iter().enumerate() {
            ui.label(format!("{}. {step}", i + 1));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_experiments_guide_names_its_own_numbers() {
        let s = Settings::first_visit();
        let text = steps(&s).join(" ");
        let start = s.train.ire_start();
        assert!(text.contains(&format!("Until step {start}")), "{text}");
        assert!(text.contains("AdamW") && text.contains("AdmIRE"), "{text}");
        assert!(
            text.contains("λ_max") && text.contains("from about step 60"),
            "{text}"
        );
        // Another comparison is not promised the first experiment's numbers.
        let mut other = s.clone();
        other.train.ire.kappa = 4.0;
        assert!(!steps(&other).join(" ").contains("from about step 60"));
        // A single run's guide never promises what one run cannot show.
        let single = steps(&Settings::for_adapter(true)).join(" ");
        assert!(!single.contains("λ_max"), "{single}");
    }
}
