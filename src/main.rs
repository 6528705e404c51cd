//! `ire-playground`: the desktop app (no subcommand) and the command line (train / eval / bench /
//! experiment). Built for wasm32 it is the web app.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {
    ire_playground::web::start();
}
