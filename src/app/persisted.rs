//! What the app remembers between visits in eframe's storage (the browser's local storage, a
//! file on the desktop): the settings, the plot options and whether the guide was closed. Runs
//! are kept elsewhere (`keeper`).

use super::plots::PlotOptions;
use super::Settings;

const STORAGE_KEY: &str = "ire-playground";

#[derive(serde::Serialize, serde::Deserialize, Default)]
#[serde(default)]
pub struct Persisted {
    pub settings: Option<Settings>,
    pub plots: PlotOptions,
    /// The first-visit guide was closed.
    pub guide_seen: bool,
}

impl Persisted {
    /// What the last visit left (defaults on a first visit).
    pub fn load(storage: Option<&dyn eframe::Storage>) -> Self {
        storage
            .and_then(|s| eframe::get_value(s, STORAGE_KEY))
            .unwrap_or_default()
    }

    /// Remembers this for the next visit.
    pub fn store(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STORAGE_KEY, self);
    }
}
