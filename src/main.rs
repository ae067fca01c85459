use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() {
    let cli = burrow::cli::Cli::parse();
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("burrow=info,warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = burrow::cli::run(cli) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
