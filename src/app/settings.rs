//! What the user chose: model, optimizer, IRE, schedule, probes, compare mode. Persisted between
//! visits (eframe storage) and round-tripped through the page's URL hash, so a shared link
//! reproduces the run.

use crate::optim::OptimizerKind;
use crate::train::TrainConfig;
use serde::{Deserialize, Serialize};

/// Model presets the app offers: transformers on Shakespeare, ResNets on Fashion-MNIST.
pub const PRESETS: [&str; 4] = ["tiny", "small", "resnet-tiny", "resnet20"];

/// Shape of the learning-rate schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleKind {
    /// Linear warm-up, then cosine decay to the minimum learning rate.
    Cosine,
    /// Linear warm-up, then constant.
    Constant,
}

/// Everything needed to start (and reproduce) a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Model preset (see [`PRESETS`]).
    pub preset: String,
    /// Optimizer, schedule, batch, seed, IRE and probe settings.
    pub train: TrainConfig,
    /// Learning-rate schedule shape (`train.min_lr` applies to cosine only).
    pub schedule: ScheduleKind,
    /// Train the base optimizer and its IRE twin side by side from the same start.
    pub compare: bool,
    /// ResNets: random crops and flips of the training images.
    pub augment: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self::for_adapter(true)
    }
}

impl Settings {
    /// First-visit defaults: `tiny` with a small batch on a CPU adapter, `small` on a GPU.
    pub fn for_adapter(is_cpu: bool) -> Self {
        let mut train = TrainConfig {
            steps: 2000,
            batch: if is_cpu { 16 } else { 32 },
            warmup: 50,
            eval_every: 50,
            eval_batches: 4,
            probe_every: 25,
            ..TrainConfig::default()
        };
        train.optimizer.lr = 3e-3;
        train.min_lr = 3e-4;
        train.sharpness.power_iters = 4;
        train.sharpness.hutchinson_samples = 2;
        Self {
            preset: if is_cpu { "tiny" } else { "small" }.into(),
            train,
            schedule: ScheduleKind::Cosine,
            compare: false,
            augment: false,
        }
    }

    /// The training configuration a run starts with (`ire_on` overrides the IRE switch).
    pub fn train_config(&self, ire_on: bool) -> TrainConfig {
        let mut config = self.train.clone();
        config.ire.enabled = ire_on;
        config.ire.toggle_at.clear();
        if self.schedule == ScheduleKind::Constant {
            config.min_lr = config.optimizer.lr;
        }
        config
    }

    /// Why these settings cannot start a run, if they cannot.
    pub fn problem(&self) -> Option<String> {
        if !PRESETS.contains(&self.preset.as_str()) {
            return Some(format!("unknown preset '{}'", self.preset));
        }
        self.train_config(true)
            .validate()
            .err()
            .map(|e| e.to_string())
    }

    /// Whether the preset is a ResNet (image classification) rather than a transformer.
    pub fn is_resnet(&self) -> bool {
        self.preset.starts_with("resnet")
    }

    /// After the preset changed family: the usual recipe for it (AdamW with clipping for the
    /// transformers; SGD with momentum, weight decay 5e-4 and no clipping for the ResNets).
    pub fn apply_family_recipe(&mut self) {
        let resnet = self.is_resnet();
        let o = &mut self.train.optimizer;
        if resnet {
            o.kind = OptimizerKind::Sgd;
            o.lr = 0.05;
            o.weight_decay = 5e-4;
            o.momentum = 0.9;
            self.train.min_lr = 5e-4;
            self.train.grad_clip = 0.0;
        } else {
            o.kind = OptimizerKind::AdamW;
            o.lr = 3e-3;
            o.weight_decay = 0.1;
            self.train.min_lr = 3e-4;
            self.train.grad_clip = 1.0;
        }
    }

    /// Display names of the base optimizer and its IRE variant.
    pub fn optimizer_names(&self) -> (&'static str, &'static str) {
        match self.train.optimizer.kind {
            OptimizerKind::AdamW => ("AdamW", "AdmIRE"),
            OptimizerKind::Sgd => ("SGD", "SGD-IRE"),
            OptimizerKind::Sam => ("SAM", "SAM-IRE"),
        }
    }

    /// The settings as a URL hash fragment (without the `#`).
    pub fn to_url_hash(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        percent_encode(&json)
    }

    /// Settings from a URL hash fragment (with or without the `#`). Unknown fields are ignored
    /// and missing ones take their defaults; anything unreadable or invalid is an error that
    /// says why, so a broken link never starts a surprising run.
    pub fn from_url_hash(hash: &str) -> Result<Self, String> {
        let raw = hash.trim_start_matches('#');
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
        s.schedule = ScheduleKind::Constant;
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
    }

    #[test]
    fn constant_schedule_holds_the_peak() {
        let s = Settings {
            schedule: ScheduleKind::Constant,
            ..Settings::default()
        };
        let c = s.train_config(false);
        assert_eq!(c.schedule().at(c.steps - 1), c.optimizer.lr);
    }
}
