//! `ire-playground`: the desktop app (no subcommand) and the command line (train / eval / bench /
//! experiment). Built for wasm32 it is the web app.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(all(target_arch = "wasm32", feature = "gui"))]
fn main() {
    ire_playground::web::start();
}

/// Without the `gui` feature the wasm build is the engine library only; there is no page to start.
#[cfg(all(target_arch = "wasm32", not(feature = "gui")))]
fn main() {}
