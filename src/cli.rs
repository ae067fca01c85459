//! The command line: `burrow [serve]`, `burrow init`, `burrow passwd`,
//! `burrow import`.
//! Every failure is one line that names the problem and the fix.

use crate::config::{self, Config, Overrides, CONFIG_FILE};
use crate::ops::{setup, OpError};
use crate::server::{self, Server};
use crate::state::KeyGen;
use clap::{Args, Parser, Subcommand};
use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "burrow",
    version,
    about = "A one-person fediverse server for small hardware"
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no subcommand, Burrow serves.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Create the owner and the settings file, without the setup page.
    Init(InitArgs),
    /// Change the owner's password.
    Passwd(PasswdArgs),
    /// Bring in your posts from a Mastodon or Twitter/X archive (server stopped).
    Import(ImportArgs),
}

#[derive(Args, Debug, Clone)]
pub struct DataDirArg {
    /// Where Burrow keeps its settings and data.
    #[arg(long, env = "BURROW_DATA_DIR", default_value = config::DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data: DataDirArg,
    /// Address and port to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "BURROW_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// The public URL, e.g. https://example.net [default: http://localhost:8080].
    #[arg(long, env = "BURROW_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Allow fetching from and delivering to private and loopback addresses
    /// (tests and local setups only). From the environment, `1`, `yes`,
    /// `on` and `true` all switch it on, as people write them.
    #[arg(long, env = "BURROW_ALLOW_PRIVATE_NETWORK", value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_private_network: bool,
    /// Database page cache in MiB [default: 16].
    #[arg(long, env = "BURROW_CACHE_MIB")]
    pub cache_mib: Option<u64>,
}

impl ServeArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            listen: self.listen,
            public_url: self.public_url.clone(),
            allow_private_network: self.allow_private_network.then_some(true),
            cache_mib: self.cache_mib,
        }
    }
}

#[derive(Args, Debug)]
pub struct InitArgs {
    #[command(flatten)]
    pub data: DataDirArg,
    /// The public URL, e.g. https://example.net. Part of your identity.
    #[arg(long, env = "BURROW_PUBLIC_URL")]
    pub public_url: String,
    /// Your username: the `me` in @me@example.net.
    #[arg(long)]
    pub username: String,
    #[arg(long, default_value = "")]
    pub display_name: String,
    /// Address and port to listen on, written to the settings file.
    #[arg(long, env = "BURROW_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Read the password as one line from standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Args, Debug)]
pub struct PasswdArgs {
    #[command(flatten)]
    pub data: DataDirArg,
    /// Read the new password as one line from standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Where the archive comes from.
    pub kind: ImportKind,
    /// The archive's zip file, as downloaded.
    pub archive: PathBuf,
    #[command(flatten)]
    pub data: DataDirArg,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum ImportKind {
    /// Mastodon's "Request your archive" export.
    Mastodon,
    /// An X/Twitter archive.
    Twitter,
}

/// A failed command: printed as `error: …` with exit status 1.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Start(#[from] server::StartError),
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("{0}")]
    Message(String),
}

impl From<OpError> for CliError {
    fn from(e: OpError) -> Self {
        CliError::Message(e.to_string())
    }
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        None => serve(cli.serve),
        Some(Command::Serve(args)) => serve(args),
        Some(Command::Init(args)) => init(args),
        Some(Command::Passwd(args)) => passwd(args),
        Some(Command::Import(args)) => import(args),
    }
}

/// Async worker threads: two serve one person well and keep thread
/// stacks (and memory) few, whatever the number of cores.
pub const WORKER_THREADS: usize = 2;
/// Threads for blocking work (argon2, RSA, file I/O); tokio's default is
/// 512. Password checks among them run one at a time (`crypto::password`).
pub const MAX_BLOCKING_THREADS: usize = 8;

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKER_THREADS)
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .enable_all()
        .build()
        .map_err(|e| CliError::Message(format!("cannot start the async runtime: {e}")))
}

fn serve(args: ServeArgs) -> Result<(), CliError> {
    let config = Config::load(&args.data.data_dir, &args.overrides())?;
    runtime()?.block_on(async {
        let server = Server::bind(&args.data.data_dir, config, KeyGen::Random).await?;
        server.run(server::shutdown_signal()).await?;
        Ok(())
    })
}

fn init(args: InitArgs) -> Result<(), CliError> {
    let dir = &args.data.data_dir;
    // Refuse a bad name before anything is created on disk.
    setup::validate_username(&args.username)?;
    let overrides = Overrides {
        listen: args.listen,
        public_url: Some(args.public_url.clone()),
        ..Default::default()
    };
    let file = dir.join(CONFIG_FILE);
    let existing = file.exists();
    let config = Config::load(dir, &overrides)?;
    if existing {
        let on_disk = Config::load(dir, &Overrides::default())?;
        if on_disk.server.public_url != config.server.public_url {
            return Err(CliError::Message(format!(
                "{} says public_url = \"{}\" but --public-url is {}; make them agree (nothing was changed)",
                file.display(),
                on_disk.server.public_url,
                config.server.public_url
            )));
        }
    }
    let store = server::open_store(dir, &config)?;
    if let Some(owner) = store.owner().map_err(OpError::from)? {
        return Err(CliError::Message(format!(
            "{} already has an owner (@{}); nothing was changed. Use `burrow passwd` to change the password",
            dir.display(),
            owner.username
        )));
    }
    let password = read_password(args.password_stdin, "Password for the new account: ")?;
    crate::crypto::password::check_strength(&password).map_err(CliError::Message)?;
    let urls = crate::urls::Urls::new(&config.server.public_url);
    let new = setup::NewOwner {
        username: args.username.clone(),
        display_name: args.display_name.clone(),
        password,
    };
    let account = setup::create_owner(&store, &urls, &new, KeyGen::Random.generate())?;
    if !existing {
        std::fs::write(&file, config.to_documented_toml()).map_err(|e| {
            CliError::Message(format!(
                "cannot write {}: {e}; check the directory's permissions",
                file.display()
            ))
        })?;
    }
    println!(
        "Created @{}@{} in {}. Start the server with: burrow serve --data-dir {}",
        account.username,
        urls.host,
        dir.display(),
        dir.display()
    );
    Ok(())
}

fn passwd(args: PasswdArgs) -> Result<(), CliError> {
    let dir = &args.data.data_dir;
    let config = Config::load(dir, &Overrides::default())?;
    // Opening the store would create an empty database; a mistyped
    // --data-dir should be reported, not silently populated.
    if !dir.join(server::DB_DIR).is_dir() {
        return Err(CliError::Message(format!(
            "{} holds no Burrow data; check --data-dir, or create the owner with `burrow init`",
            dir.display()
        )));
    }
    let store = server::open_store(dir, &config)?;
    if store.owner().map_err(OpError::from)?.is_none() {
        return Err(CliError::Message(format!(
            "{} has no owner yet; create one with `burrow init` or the setup page",
            dir.display()
        )));
    }
    let password = read_password(args.password_stdin, "New password: ")?;
    let revoked = setup::change_password(&store, &password, None)?;
    println!(
        "Password changed. All apps and browser sessions were signed out ({} app token(s) revoked); log in again with the new password.",
        revoked.len()
    );
    Ok(())
}

fn import(args: ImportArgs) -> Result<(), CliError> {
    use crate::ops::import::{self, mastodon, twitter, Archive, Source};
    let dir = &args.data.data_dir;
    let config = Config::load(dir, &Overrides::default())?;
    if !dir.join(server::DB_DIR).is_dir() {
        return Err(CliError::Message(format!(
            "{} holds no Burrow data; check --data-dir, or create the owner with `burrow init`",
            dir.display()
        )));
    }
    // The running server holds the store's lock; imports run beside it
    // only once there is a way to hand it work, so it must be stopped.
    let store = server::open_store(dir, &config).map_err(|e| {
        CliError::Message(format!(
            "{e}. Stop the server before importing, then start it again afterwards"
        ))
    })?;
    if store.owner().map_err(OpError::from)?.is_none() {
        return Err(CliError::Message(format!(
            "{} has no owner yet; create one with `burrow init` or the setup page",
            dir.display()
        )));
    }
    let mut archive = Archive::open(&args.archive).map_err(CliError::Message)?;
    let (source, parsed) = match args.kind {
        ImportKind::Mastodon => (Source::Mastodon, mastodon::parse(&mut archive)),
        ImportKind::Twitter => (Source::Twitter, twitter::parse(&mut archive)),
    };
    let parsed = parsed.map_err(CliError::Message)?;
    let state = crate::state::AppState::new(config, dir.clone(), store, KeyGen::Random);
    let show = std::io::stdout().is_terminal();
    let summary = runtime()?.block_on(import::import(
        &state,
        source,
        &mut archive,
        parsed,
        |done, total| {
            if show {
                print!("\rImporting: {done}/{total}");
                let _ = std::io::stdout().flush();
            }
        },
    ))?;
    if show {
        println!();
    }
    println!(
        "Imported {} post(s); {} were already here.",
        summary.imported, summary.already
    );
    for (why, n) in &summary.skipped {
        println!("Skipped {n}: {why}");
    }
    Ok(())
}

/// One line from stdin with `--password-stdin`, otherwise a prompt without
/// echo on a terminal.
fn read_password(from_stdin: bool, prompt: &str) -> Result<String, CliError> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| {
            CliError::Message(format!("cannot read the password from standard input: {e}"))
        })?;
        let pw = line.trim_end_matches(['\r', '\n']).to_string();
        if pw.is_empty() {
            return Err(CliError::Message(
                "standard input held no password; pipe one line into --password-stdin".into(),
            ));
        }
        return Ok(pw);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Message(
            "no password given: run this in a terminal, or pipe the password into --password-stdin"
                .into(),
        ));
    }
    let _ = std::io::stdout().flush();
    let first = rpassword::prompt_password(prompt)
        .map_err(|e| CliError::Message(format!("cannot read the password: {e}")))?;
    let again = rpassword::prompt_password("Once more: ")
        .map_err(|e| CliError::Message(format!("cannot read the password: {e}")))?;
    if first != again {
        return Err(CliError::Message(
            "the two passwords differ; nothing was changed".into(),
        ));
    }
    Ok(first)
}
