//! The command line: `burrow [serve]`, `burrow init`, `burrow passwd`,
//! `burrow import`.
//! Every failure is one line that names the problem and the fix.

use crate::admin::{self, Request};
use crate::config::{self, Config, Overrides, CONFIG_FILE};
use crate::ops::backup::{self as backups, BackupError};
use crate::ops::backup_format::Counts;
use crate::ops::doctor::{self, Facts, Finding};
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
    /// Write a backup (settings, store, media) to a file, while the server
    /// runs or not.
    Backup(BackupArgs),
    /// Rebuild a data directory from a backup file.
    Restore(RestoreArgs),
    /// Records and bytes per kind in the store.
    Stats(StatsArgs),
    /// Show (or with --apply, remove) old remote content nobody kept.
    Prune(PruneArgs),
    /// Check settings, data directory, reachability and clock.
    Doctor(DoctorArgs),
    /// Block, unblock and list whole servers, as in the web settings.
    #[command(subcommand)]
    DomainBlock(DomainBlockCommand),
    /// Bring in your posts from a Mastodon or Twitter/X archive (server stopped).
    Import(ImportArgs),
}

#[derive(Args, Debug)]
pub struct BackupArgs {
    #[command(flatten)]
    pub data: DataDirArg,
    /// The backup file to write; it must not exist yet.
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// The backup file to restore.
    pub archive: PathBuf,
    /// The new data directory; it must be empty or not exist.
    #[arg(long, env = "BURROW_DATA_DIR")]
    pub data_dir: PathBuf,
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    #[command(flatten)]
    pub data: DataDirArg,
}

#[derive(Args, Debug)]
pub struct PruneArgs {
    #[command(flatten)]
    pub data: DataDirArg,
    /// Remove what the dry run lists.
    #[arg(long)]
    pub apply: bool,
}

#[derive(Args, Debug)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub data: DataDirArg,
    /// The public URL, when not in the settings file.
    #[arg(long, env = "BURROW_PUBLIC_URL")]
    pub public_url: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum DomainBlockCommand {
    /// Block a server: its follows end and nothing reaches it.
    Add(DomainArgs),
    /// Unblock a server.
    Remove(DomainArgs),
    /// List blocked servers, newest first.
    List(StatsArgs),
}

#[derive(Args, Debug)]
pub struct DomainArgs {
    #[command(flatten)]
    pub data: DataDirArg,
    /// The server's domain, e.g. spam.example.
    pub domain: String,
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
    /// Serve HTTPS without a proxy, with a certificate from Let's Encrypt
    /// for the public URL's domain, registered with this e-mail address:
    /// writes acme_domain and acme_email, listen 0.0.0.0:443 (unless
    /// --listen says otherwise) and http_listen 0.0.0.0:80.
    #[arg(long)]
    pub acme_email: Option<String>,
}

/// Where `init --acme-email` listens: the standard ports on every address.
const ACME_LISTEN: &str = "0.0.0.0:443";
const ACME_HTTP_LISTEN: &str = "0.0.0.0:80";

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
        Some(Command::Backup(args)) => backup(args),
        Some(Command::Restore(args)) => restore(args),
        Some(Command::Stats(args)) => print_answer(&args.data.data_dir, Request::Stats),
        Some(Command::Prune(args)) => {
            print_answer(&args.data.data_dir, Request::Prune { apply: args.apply })
        }
        Some(Command::Doctor(args)) => doctor(args),
        Some(Command::DomainBlock(DomainBlockCommand::Add(a))) => print_answer(
            &a.data.data_dir,
            Request::DomainBlockAdd { domain: a.domain },
        ),
        Some(Command::DomainBlock(DomainBlockCommand::Remove(a))) => print_answer(
            &a.data.data_dir,
            Request::DomainBlockRemove { domain: a.domain },
        ),
        Some(Command::DomainBlock(DomainBlockCommand::List(a))) => {
            print_answer(&a.data.data_dir, Request::DomainBlockList)
        }
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
    server::limit_malloc_arenas();
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
    let mut config = Config::load(dir, &overrides)?;
    if let Some(email) = &args.acme_email {
        if existing {
            return Err(CliError::Message(format!(
                "{} exists already; set acme_domain and acme_email in it instead of --acme-email (nothing was changed)",
                file.display()
            )));
        }
        let server = &mut config.server;
        server.acme_domain = url::Url::parse(&server.public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string));
        server.acme_email = Some(email.clone());
        server.http_listen = ACME_HTTP_LISTEN.parse().ok();
        if args.listen.is_none() {
            server.listen = ACME_LISTEN.parse().expect("a socket address");
        }
        config.validate()?;
    }
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
    if setup::public_url_is_local(&urls.base) {
        println!(
            "\nWarning: nobody else can reach this identity. {}",
            setup::local_url_warning(&urls.base)
        );
    }
    println!(
        "\nNext: in a Mastodon app, log in on the server {}; find people by typing @name@their.server into the search box; share your profile {}",
        urls.host, account.url
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

/// The data directory's store, opened by this command when no server
/// holds it, with the state operations expect.
fn local_state(
    dir: &std::path::Path,
) -> Result<(tokio::runtime::Runtime, crate::state::AppState), CliError> {
    let config = Config::load(dir, &Overrides::default())?;
    if !dir.join(server::DB_DIR).is_dir() {
        return Err(CliError::Message(format!(
            "{} holds no Burrow data; check --data-dir, or create the owner with `burrow init`",
            dir.display()
        )));
    }
    let store = server::open_store(dir, &config).map_err(|e| match e {
        server::StartError::Store { reason, .. } if reason.contains("locked") => {
            CliError::Message(format!(
                "a Burrow server holds {} but did not answer on {}; wait for it to finish starting, or restart it",
                dir.display(),
                admin::socket_path(dir).display()
            ))
        }
        e => e.into(),
    })?;
    let rt = runtime()?;
    let state = {
        let _in_runtime = rt.enter();
        crate::state::AppState::new(config, dir.to_path_buf(), store, KeyGen::Random)
    };
    Ok((rt, state))
}

/// Asks the running server, or does it here when none runs.
fn answer(dir: &std::path::Path, req: Request) -> Result<String, CliError> {
    if let Some(stream) = admin::connect(dir) {
        let mut reply = admin::ask(stream, &req).map_err(CliError::Message)?;
        let mut text = String::new();
        std::io::Read::read_to_string(&mut reply, &mut text).map_err(|e| {
            CliError::Message(format!("the server's answer broke off: {e}; see its log"))
        })?;
        return Ok(text);
    }
    let (rt, state) = local_state(dir)?;
    let text = rt.block_on(admin::answer(&state, &req));
    if let Err(e) = state.store.flush_sync() {
        return Err(CliError::Message(format!("cannot save the changes: {e}")));
    }
    text.map_err(CliError::Message)
}

fn print_answer(dir: &std::path::Path, req: Request) -> Result<(), CliError> {
    print!("{}", answer(dir, req)?);
    Ok(())
}

/// A progress line on a terminal, rewritten in place; nothing otherwise.
struct Progress {
    label: &'static str,
    shown: bool,
    tty: bool,
    last: std::time::Instant,
}

/// How often the progress line is redrawn, at most.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

impl Progress {
    fn new(label: &'static str) -> Progress {
        Progress {
            label,
            shown: false,
            tty: std::io::stdout().is_terminal(),
            last: std::time::Instant::now(),
        }
    }

    fn show(&mut self, c: &Counts) {
        if !self.tty || self.last.elapsed() < PROGRESS_EVERY {
            return;
        }
        self.last = std::time::Instant::now();
        self.shown = true;
        print!(
            "\r{}: {} records, {} media files, {:.1} MiB ",
            self.label,
            c.records,
            c.files,
            c.bytes as f64 / (1 << 20) as f64
        );
        let _ = std::io::stdout().flush();
    }

    fn done(&mut self) {
        if self.shown {
            println!();
            self.shown = false;
        }
    }
}

fn backup(args: BackupArgs) -> Result<(), CliError> {
    let dir = &args.data.data_dir;
    let out = &args.out;
    if out.exists() {
        return Err(CliError::Message(format!(
            "{} exists; name a new file (nothing was written)",
            out.display()
        )));
    }
    let mut progress = Progress::new("backup");
    let written = if let Some(stream) = admin::connect(dir) {
        backups::write_file(out, &mut |c| progress.show(c), |file, show| {
            let mut reply = admin::ask(stream, &Request::Backup).map_err(BackupError::Refused)?;
            let mut counts = Counts::default();
            let mut buf = vec![0u8; 64 << 10];
            loop {
                let n = std::io::Read::read(&mut reply, &mut buf)?;
                let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else {
                    break;
                };
                file.write_all(chunk)?;
                counts.bytes += n as u64;
                show(&counts);
            }
            Ok(())
        })
    } else {
        let (_rt, state) = local_state(dir)?;
        backups::write_file(out, &mut |c| progress.show(c), |file, show| {
            backups::write(&state.store, dir, file, show).map(|_| ())
        })
    };
    progress.done();
    let counts = written.map_err(|e| match e {
        BackupError::Archive { source, .. } => CliError::Message(format!(
            "the backup came out unreadable ({source}); see the server's log. Nothing was written"
        )),
        e => CliError::Message(format!("{e}; nothing was written")),
    })?;
    println!(
        "Backed up {} records and {} media files ({:.1} MiB) to {}.",
        counts.records,
        counts.files,
        counts.bytes as f64 / (1 << 20) as f64,
        out.display()
    );
    Ok(())
}

fn restore(args: RestoreArgs) -> Result<(), CliError> {
    let mut progress = Progress::new("restore");
    let result = backups::restore(&args.archive, &args.data_dir, &mut |c| progress.show(c));
    progress.done();
    let (header, counts) = result.map_err(|e| CliError::Message(e.to_string()))?;
    println!(
        "Restored {} records and {} media files from a backup made by Burrow {} at {} into {}. Start it with: burrow serve --data-dir {}",
        counts.records,
        counts.files,
        header.burrow_version,
        header.created_at,
        args.data_dir.display(),
        args.data_dir.display()
    );
    Ok(())
}

fn doctor(args: DoctorArgs) -> Result<(), CliError> {
    let dir = &args.data.data_dir;
    let overrides = Overrides {
        public_url: args.public_url.clone(),
        ..Default::default()
    };
    let mut findings = Vec::new();
    let config = match Config::load(dir, &overrides) {
        Ok(c) => {
            findings.push(Finding::ok(format!(
                "settings ({})",
                dir.join(CONFIG_FILE).display()
            )));
            Some(c)
        }
        Err(e) => {
            findings.push(Finding::problem(
                "settings",
                e.to_string(),
                "edit burrow.toml as the message says (every key is in the README)",
            ));
            None
        }
    };
    findings.extend(doctor::check_data_dir(dir));
    let running = admin::connect(dir).is_some();
    let facts = if !dir.join(server::DB_DIR).is_dir() {
        findings.push(Finding::problem(
            "store",
            format!("{} holds no Burrow data", dir.display()),
            "check --data-dir, or create the owner with `burrow init`",
        ));
        None
    } else {
        match answer(dir, Request::Facts) {
            Ok(json) => serde_json::from_str::<Facts>(json.trim()).ok(),
            Err(e) => {
                findings.push(Finding::problem("store", e.to_string(), "see the message"));
                None
            }
        }
    };
    let rt = runtime()?;
    match (&config, facts.as_ref().and_then(|f| f.username.clone())) {
        (Some(_), None) if facts.is_some() => findings.push(Finding::problem(
            "owner",
            "there is no owner yet",
            "create one with `burrow init`, or open the setup link the server prints",
        )),
        (Some(c), Some(user)) if running => {
            findings.push(rt.block_on(doctor::check_public_url(&c.server.public_url, &user)))
        }
        (Some(_), Some(_)) => findings.push(Finding::problem(
            "server",
            "it is not running (nothing answers on its admin socket)",
            format!(
                "start it: sudo systemctl start burrow, or burrow serve --data-dir {}",
                dir.display()
            ),
        )),
        _ => {}
    }
    if let Some(f) = &facts {
        findings.push(rt.block_on(doctor::check_clock(&f.peers)));
    }
    let problems = findings.iter().filter(|f| f.problem.is_some()).count();
    for f in &findings {
        println!("{}", f.line());
    }
    if problems > 0 {
        return Err(CliError::Message(format!(
            "{problems} problem(s) found; each says above what to do"
        )));
    }
    println!("No problems found.");
    Ok(())
}
