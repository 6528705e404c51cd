//! `ire-playground`: the command line (train / eval / bench). Without a subcommand it trains the
//! default model on the embedded corpus.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
