//! The table, printed and written to `BENCHMARKS.md`, with the machine
//! it was measured on.

use crate::proc::Limits;
use crate::seed::Scale;
use crate::Row;

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpu
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .map(|k| format!("{:.0} GiB", k as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{model}, {cores} cores, {mem} memory, Linux {}, {}",
        kernel.trim(),
        std::env::consts::ARCH
    )
}

pub fn render(tables: &[(Limits, Vec<Row>)], scale: Scale, seconds: u64) -> String {
    let mut out = String::new();
    out.push_str("# Burrow benchmarks\n\n");
    out.push_str("Made by `cargo bench --bench year`");
    if scale.name() != "year" {
        out.push_str(" -- --quick");
    }
    out.push_str(". Do not edit: run it again.\n\n");
    out.push_str(&format!("- Machine: {}\n", machine()));
    out.push_str(&format!(
        "- Store: {} own posts, {} remote statuses from {} accounts on {} hosts \
         (signed, through the inbox), {} followers, {} followed, about {} notifications, \
         {} bookmarks and favourites\n",
        scale.own_posts,
        scale.remote_statuses,
        scale.accounts,
        scale.hosts,
        scale.accounts,
        scale.followed,
        scale.notifications,
        scale.bookmarks
    ));
    out.push_str(&format!(
        "- Load: {} connections for {seconds} s a row, from the same machine over loopback\n",
        crate::CONNS
    ));
    for (limits, rows) in tables {
        let title = match limits {
            Limits::None => "As the machine is".to_string(),
            Limits::Pi => "Pi-like: one core (taskset -c 0), 256 MiB memory cap".to_string(),
        };
        out.push_str(&format!(
            "\n## {title}\n\n| figure | measured | target |\n|---|---|---|\n"
        ));
        for r in rows {
            out.push_str(&format!("| {} | {} | {} |\n", r.name, r.value, r.target));
        }
    }
    out
}
