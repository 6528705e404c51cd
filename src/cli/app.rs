//! `ire-playground app` (and no subcommand): the desktop window.

use clap::Args;

/// Options for scripted use; a person just runs `ire-playground`.
#[cfg_attr(not(feature = "gui"), allow(dead_code))]
#[derive(Args, Debug, Default)]
pub struct AppArgs {
    /// Settings in the web app's URL-hash format (as shared links carry them).
    #[arg(long)]
    settings: Option<String>,
    /// Start training as soon as the window opens.
    #[arg(long)]
    run: bool,
    /// Switch IRE on once this many steps are done.
    #[arg(long, value_name = "STEPS")]
    ire_on_at: Option<usize>,
    /// Close the window after this many steps and print the run status as JSON on stdout.
    #[arg(long, value_name = "STEPS")]
    quit_after: Option<usize>,
    /// Open this JSONL log (a CLI --log, an exported train.py's log, or the app's own) and
    /// show it next to the live runs; may be given several times.
    #[arg(long, value_name = "FILE")]
    open_log: Vec<std::path::PathBuf>,
    /// Export the runs to PyTorch (one ZIP in the working folder; in compare mode with every
    /// run's checkpoint) once this many steps are done.
    #[arg(long, value_name = "STEPS")]
    export_at: Option<usize>,
    /// Save each run as a run file (its checkpoint and log, `.safetensors`, in the working
    /// folder) once this many steps are done, as "Save run files" does.
    #[arg(long, value_name = "STEPS")]
    save_runs_at: Option<usize>,
    /// Export the runs' models to Hugging Face (one ZIP in the working folder, a model folder
    /// per run) once this many steps are done, as the F key does.
    #[arg(long, value_name = "STEPS")]
    export_hf_at: Option<usize>,
    /// Train the transformer on this UTF-8 text instead of the embedded Shakespeare.
    #[arg(long, value_name = "FILE")]
    text_file: Option<std::path::PathBuf>,
    /// Compute a loss-landscape slice and a Hessian spectrum of every run once this many steps
    /// are done (as the L and H keys do); with --quit-after the window waits for them.
    #[arg(long, value_name = "STEPS")]
    analyse_at: Option<usize>,
    /// Train the ResNets on the four IDX files of this folder (train-images-idx3-ubyte,
    /// train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; gzipped or not)
    /// instead of the embedded Fashion-MNIST subset.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<std::path::PathBuf>,
    /// With --quit-after: pause there, wait until no result is in flight, then stay idle this
    /// many seconds before closing; the status reports the frames drawn meanwhile.
    #[arg(long, value_name = "SECONDS")]
    idle_check: Option<f64>,
    /// Keep the runs (saved every few seconds, when paused and on close) in this folder
    /// instead of the user's data folder. Scripted launches (--quit-after) keep nothing
    /// unless given it.
    #[arg(long, value_name = "DIR")]
    state_dir: Option<std::path::PathBuf>,
    /// Continue the newest kept session at start (an error when there is none).
    #[arg(long)]
    resume: bool,
}

/// Without the `gui` feature there is no window to open: say so and how to get one.
#[cfg(not(feature = "gui"))]
pub fn run(_args: AppArgs) -> anyhow::Result<()> {
    anyhow::bail!(
        "this build of ire-playground has no UI (it was built without the `gui` feature). \
         Rebuild with default features (`cargo build --release`) for the app, or use \
         `ire-playground train` / `eval` / `bench` / `experiment` headless"
    )
}

/// `--idle-check`'s wait, refused when it is not a positive number of seconds or comes without
/// `--quit-after`.
#[cfg(feature = "gui")]
fn idle_check(
    seconds: Option<f64>,
    quit_after: Option<usize>,
) -> anyhow::Result<Option<std::time::Duration>> {
    let Some(s) = seconds else { return Ok(None) };
    anyhow::ensure!(
        quit_after.is_some(),
        "--idle-check needs --quit-after (the step at which the window pauses)"
    );
    anyhow::ensure!(
        s.is_finite() && s > 0.0 && s <= 600.0,
        "--idle-check must be between 0 and 600 seconds, not {s}"
    );
    Ok(Some(std::time::Duration::from_secs_f64(s)))
}

/// Where the window keeps its runs: `state_dir`, else the user's data folder (eframe's, beside
/// the saved settings) unless the launch is `scripted` (a test must not fill the user's folder).
#[cfg(feature = "gui")]
fn keep_runs(
    state_dir: Option<std::path::PathBuf>,
    scripted: bool,
) -> anyhow::Result<Option<std::path::PathBuf>> {
    if let Some(dir) = state_dir {
        anyhow::ensure!(
            !dir.exists() || dir.is_dir(),
            "--state-dir {} is not a folder",
            dir.display()
        );
        return Ok(Some(dir));
    }
    if scripted {
        return Ok(None);
    }
    Ok(eframe::storage_dir("ire-playground").map(|d| d.join("runs")))
}

/// Opens the window and returns when it closes.
#[cfg(feature = "gui")]
pub fn run(args: AppArgs) -> anyhow::Result<()> {
    use anyhow::anyhow;
    use ire_playground::app::{LaunchOptions, PlaygroundApp};

    let launch = LaunchOptions {
        settings: args.settings,
        run: args.run || args.quit_after.is_some(),
        ire_on_at: args.ire_on_at,
        quit_after: args.quit_after,
        failure: Default::default(),
        open_logs: args.open_log,
        export_at: args.export_at,
        export_hf_at: args.export_hf_at,
        save_runs_at: args.save_runs_at,
        text_file: args.text_file,
        analyse_at: args.analyse_at,
        data_dir: args.data_dir,
        idle_check: idle_check(args.idle_check, args.quit_after)?,
        keep_runs: keep_runs(args.state_dir, args.quit_after.is_some() && !args.resume)?,
        resume: args.resume,
    };
    let failure = launch.failure.clone();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([720.0, 480.0])
            .with_title("ire-playground"),
        wgpu_options: PlaygroundApp::wgpu_options(),
        ..Default::default()
    };
    eframe::run_native(
        "ire-playground",
        options,
        Box::new(|cc| Ok(Box::new(PlaygroundApp::new(cc, launch)))),
    )
    .map_err(|e| {
        anyhow!(
            "could not open the app window ({e}). Without a display, use `ire-playground train` \
             for headless training, or run under Xvfb"
        )
    })?;
    let failure = failure.lock().map(|f| f.clone()).unwrap_or(None);
    match failure {
        Some(why) => Err(anyhow!(why)),
        None => Ok(()),
    }
}
