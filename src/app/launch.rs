//! Start-up options for scripted use of the app (the native smoke test, screenshots).

use std::sync::Arc;

/// Start-up options for scripted use (the native smoke test).
#[derive(Clone, Debug, Default)]
pub struct LaunchOptions {
    /// Settings to start with, in the URL-hash format (overrides persisted ones).
    pub settings: Option<String>,
    /// Start training at once.
    pub run: bool,
    /// Switch IRE on after this many steps.
    pub ire_on_at: Option<usize>,
    /// Close the window after this many steps (or as soon as no run can reach them) and print
    /// the status as JSON on stdout.
    pub quit_after: Option<usize>,
    /// Set when a scripted launch ended without reaching `quit_after` steps: why (the caller
    /// turns it into a failing exit status).
    pub failure: Arc<std::sync::Mutex<Option<String>>>,
    /// Logs to open at start (desktop).
    pub open_logs: Vec<std::path::PathBuf>,
    /// Export the runs to PyTorch once this many steps are done (as the E key does).
    pub export_at: Option<usize>,
    /// Save every run's run file (checkpoint and log) once this many steps are done (as
    /// "Save run files" does).
    pub save_runs_at: Option<usize>,
    /// Export the runs' models to Hugging Face once this many steps are done (as the F key
    /// does).
    pub export_hf_at: Option<usize>,
    /// Train on this text instead of the embedded corpus (desktop).
    pub text_file: Option<std::path::PathBuf>,
    /// Compute a loss-landscape slice and a spectrum of every run once this many steps are
    /// done (as the L and H keys do); `quit_after` then waits for them.
    pub analyse_at: Option<usize>,
    /// Train the ResNets on the four IDX files in this folder (desktop).
    pub data_dir: Option<std::path::PathBuf>,
    /// With `quit_after`: pause there, wait until nothing is in flight, then stay idle this
    /// long before quitting; the status then reports the frames drawn meanwhile (none expected).
    pub idle_check: Option<web_time::Duration>,
    /// Keep the runs across restarts in this folder (desktop; the browser keeps them in its
    /// own storage whatever the path). None: nothing is kept (scripted tests).
    pub keep_runs: Option<std::path::PathBuf>,
    /// Continue the newest kept session at start (and fail if there is none).
    pub resume: bool,
}
