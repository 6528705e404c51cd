//! What the user chose: model, optimizer, IRE, schedule, probes, compare mode. Persisted between
//! visits (eframe storage) and round-tripped through the page's URL hash, so a shared link
//! reproduces the run.

use super::findings::{Finding, FINDINGS};
use crate::optim::OptimizerKind;
use crate::train::{Family, TrainConfig};
use serde::{Deserialize, Serialize};

/// Model presets the app offers: transformers on Shakespeare, ResNets on Fashion-MNIST.
pub const PRESETS: [&str; 6] = [
    "tiny",
    "small",
    "llama-tiny",
    "llama-small",
    "resnet-tiny",
    "resnet20",
];

/// Steps of the first experiment (see [`Settings::first_visit`]).
pub const FIRST_EXPERIMENT_STEPS: usize = 600;
/// The first experiment's peak learning rate, for both runs: one at which the two losses stay
/// close and IRE's flatter region shows at every probe (two seeds on lavapipe). It is not
/// AdamW's best for so short a run (larger rates train `tiny` a little better in 600 steps, and
/// are flatter by themselves), which the guide says, pointing to "tune both" for a fair speed
/// comparison (docs/BENCHMARKS.md, "The first experiment").
pub const FIRST_EXPERIMENT_LR: f32 = 6e-3;

/// How the warning about a link's missing text begins.
pub const MISSING_TEXT: &str = "This link's run trained on your own text,";

/// Everything needed to start (and reproduce) a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Model preset (see [`PRESETS`]).
    pub preset: String,
    /// Optimizer, schedule, batch, seed, IRE (with its recorded switches) and probe settings.
    pub train: TrainConfig,
    /// Train the base optimizer and its IRE twin side by side from the same start.
    pub compare: bool,
    /// In compare mode: sweep each arm's peak learning rate (x0.5, x1, x2) over the first tenth
    /// of the run, then continue the best of each (see `app::tune`).
    pub tune: bool,
    /// ResNets: random crops and flips of the training images.
    pub augment: bool,
    /// Loss-landscape slices and spectra (what the L and H keys compute).
    pub analysis: super::AnalysisOptions,
    /// The user's own text the transformer trains on, by name (None: the embedded corpus). A
    /// link cannot carry the text itself; it says which one the run needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Compare mode: a third run, the base optimizer at this (its tuned) peak learning rate,
    /// beside the base and its IRE twin (the "untuned-lr" finding shows why it matters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_lr: Option<f32>,
}

impl Default for Settings {
    fn default() -> Self {
        Self::for_adapter(true)
    }
}

impl Settings {
    /// First-visit defaults: `tiny` with a small batch on a CPU adapter, `small` on a GPU; the
    /// transformer recipe over 2,000 steps, evaluated every 50 and probed every 25 steps.
    pub fn for_adapter(is_cpu: bool) -> Self {
        let mut train = TrainConfig {
            batch: if is_cpu { 16 } else { 32 },
            eval_every: 50,
            eval_batches: 4,
            probe_every: 25,
            ..TrainConfig::recipe(Family::Transformer, OptimizerKind::AdamW, 2000)
        };
        train.sharpness.power_iters = 4;
        train.sharpness.hutchinson_samples = 2;
        Self {
            preset: if is_cpu { "tiny" } else { "small" }.into(),
            train,
            compare: false,
            tune: false,
            augment: false,
            analysis: Default::default(),
            text: None,
            reference_lr: None,
        }
    }

    /// The first experiment, what a first visit opens: `tiny` with batch 16 (on every adapter:
    /// what the guide promises was measured on it; a GPU runs it in seconds), AdamW beside AdmIRE
    /// from the same initial weights and data order at one learning rate
    /// ([`FIRST_EXPERIMENT_LR`]), with a short warm-up so that IRE acts early, and probes often
    /// enough that the difference in sharpness shows within about a minute on a CPU adapter
    /// (measured: docs/BENCHMARKS.md, "The first experiment").
    pub fn first_visit() -> Self {
        let mut s = Self::for_adapter(true);
        s.compare = true;
        s.train = s.train.with_peak_lr(FIRST_EXPERIMENT_LR);
        let t = &mut s.train;
        t.steps = FIRST_EXPERIMENT_STEPS;
        t.warmup = 30;
        t.eval_every = 50;
        t.probe_every = 20;
        t.ire.kappa = 2.0;
        t.ire.gamma = 0.9;
        t.ire.mask_every = 10;
        s
    }

    /// Whether these are the first experiment's settings.
    pub fn is_first_experiment(&self) -> bool {
        Self::first_visit() == *self
    }

    /// The training configuration a run starts with: the IRE switch at `ire_on`, and the
    /// recorded switch steps replayed (in compare mode the IRE twin never switches).
    pub fn train_config(&self, ire_on: bool) -> TrainConfig {
        let mut config = self.train.clone();
        config.ire.enabled = ire_on;
        if self.compare {
            config.ire.toggle_at.clear();
        }
        config
    }

    /// What to tell the user when these settings (from a link) name a text of their own that
    /// is not loaded: the run they describe needs it.
    pub fn missing_text(&self) -> Option<String> {
        // A generated task is made again from its description.
        if crate::data::Puzzle::of_source(self.text.as_deref()).is_some() {
            return None;
        }
        self.text.as_ref().map(|name| {
            format!(
                "{MISSING_TEXT} {name}, which a link cannot carry. \
                 Open that text (Model and data > Use your own text) to reproduce the run; \
                 until then the model trains on Shakespeare."
            )
        })
    }

    /// Why these settings cannot start a run, if they cannot.
    pub fn problem(&self) -> Option<String> {
        if !PRESETS.contains(&self.preset.as_str()) {
            return Some(format!("unknown preset '{}'", self.preset));
        }
        if let Some(problem) = self.analysis.problem() {
            // A link's analysis settings are checked, not dropped when L or H is pressed.
            return Some(format!("analysis: {problem}"));
        }
        self.train_config(true)
            .validate()
            .err()
            .map(|e| e.to_string())
    }

    /// Whether the preset is a ResNet (image classification) rather than a transformer.
    pub fn is_resnet(&self) -> bool {
        self.family() == Family::ResNet
    }

    /// The transformer preset's window (characters per sequence); 0 for a ResNet.
    pub fn seq_len(&self) -> usize {
        crate::models::TransformerConfig::preset(&self.preset, 1).map_or(0, |c| c.seq_len)
    }

    /// The model family of the preset.
    pub fn family(&self) -> Family {
        Family::of_preset(&self.preset)
    }

    /// After the preset changed family: that family's recipe (see `train::recipe`) for its usual
    /// optimizer, keeping the run's length, batch, seed, evaluation, IRE and probe settings.
    pub fn apply_family_recipe(&mut self) {
        let kind = crate::train::recipe::default_optimizer(self.family());
        self.apply_optimizer_recipe(kind);
        let recipe = TrainConfig::recipe(self.family(), kind, self.train.steps);
        self.train.schedule = recipe.schedule;
        self.train.grad_clip = recipe.grad_clip;
    }

    /// After the base optimizer changed: its recipe's learning rates, weight decay and own
    /// hyperparameters for this family (Lion's lr is a tenth of AdamW's, Muon's ten times).
    pub fn apply_optimizer_recipe(&mut self, kind: crate::optim::OptimizerKind) {
        let recipe = TrainConfig::recipe(self.family(), kind, self.train.steps);
        self.train.optimizer = recipe.optimizer;
        self.train.min_lr = recipe.min_lr;
    }

    /// Display names of the base optimizer and its IRE variant.
    pub fn optimizer_names(&self) -> (&'static str, &'static str) {
        let described = self.train.optimizer.kind.descriptor();
        (described.name, described.ire_name)
    }

    /// The settings as a URL hash fragment (without the `#`).
    pub fn to_url_hash(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        percent_encode(&json)
    }

    /// Settings from a URL hash fragment (with or without the `#`): the settings JSON, or
    /// `finding=NAME` for one of docs/RESULTS.md's comparisons (see [`FINDINGS`]). Unknown fields are ignored
    /// and missing ones take their defaults; anything unreadable or invalid is an error that
    /// says why, so a broken link never starts a surprising run.
    pub fn from_url_hash(hash: &str) -> Result<Self, String> {
        let raw = hash.trim_start_matches('#');
        if let Some(name) = raw.strip_prefix("finding=") {
            let known: Vec<&str> = FINDINGS.iter().map(|f| f.name).collect();
            return Finding::named(name).map(Finding::settings).ok_or(format!(
                "the link names an unknown finding '{name}'; known: {}",
                known.join(", ")
            ));
        }
        let json =
            percent_decode(raw).ok_or("the link's settings are not valid percent-encoding")?;
        let settings: Settings = serde_json::from_str(&json)
            .map_err(|e| format!("the link's settings could not be read: {e}"))?;
        match settings.problem() {
            Some(problem) => Err(format!("the link's settings are invalid: {problem}")),
            None => Ok(settings),
        }
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~:,".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_hash_round_trips() {
        let mut s = Settings::for_adapter(false);
        s.train.optimizer.kind = OptimizerKind::Sam;
        s.train.ire.kappa = 4.5;
        s.compare = true;
        s.train.schedule = crate::optim::ScheduleKind::Constant;
        let back = Settings::from_url_hash(&format!("#{}", s.to_url_hash())).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn bad_links_are_explained() {
        assert!(Settings::from_url_hash("%zz")
            .unwrap_err()
            .contains("percent"));
        assert!(Settings::from_url_hash("not-json")
            .unwrap_err()
            .contains("read"));
        let mut s = Settings::default();
        s.train.ire.gamma = 1.5;
        let err = Settings::from_url_hash(&s.to_url_hash()).unwrap_err();
        assert!(err.contains("gamma"), "{err}");
        let mut s = Settings::default();
        s.analysis.slice.grid = 4;
        let err = Settings::from_url_hash(&s.to_url_hash()).unwrap_err();
        assert!(err.contains("analysis") && err.contains("grid"), "{err}");
    }

    #[test]
    fn a_link_from_a_run_on_ones_own_text_names_the_text() {
        let mut s = Settings::default();
        assert_eq!(s.missing_text(), None);
        s.text = Some("notes.txt (35 KB)".into());
        let back = Settings::from_url_hash(&s.to_url_hash()).unwrap();
        let notice = back
            .missing_text()
            .expect("the link says which text it needs");
        assert!(notice.contains("notes.txt"), "{notice}");
    }

    #[test]
    fn recorded_switches_are_replayed_outside_compare_mode() {
        let mut s = Settings::default();
        s.train.ire.toggle_at = vec![8];
        assert_eq!(s.train_config(false).ire.toggle_at, vec![8]);
        s.compare = true;
        assert!(s.train_config(true).ire.toggle_at.is_empty());
    }
}
