//! `kubedrill cluster up|down|status|reset|setup`: kubedrill's own kind clusters, one per
//! profile, and setting a scenario up on one. Ctrl-C stops the running phase cleanly (the
//! cluster stays resettable) and exits 3.

use std::fmt::Write;
use std::time::Duration;

use serde::Serialize;

use crate::cli::{ClusterArgs, ClusterCommand, OutputFormat, ResetArgs, SetupArgs, UpArgs};
use crate::cluster::kind::cluster_name;
use crate::cluster::lifecycle::{self, KindNodes, Timings};
use crate::cluster::live::Live;
use crate::cluster::paths::DataDir;
use crate::cluster::process::SystemRunner;
use crate::cluster::runtime::block_on;
use crate::cluster::tools;
use crate::error::{Error, Exit};
use crate::output::Printer;
use crate::progress::Spinner;

/// Run `cluster ...`.
pub fn run(command: &ClusterCommand, user_dir: Option<&std::path::Path>, printer: &Printer) -> Result<Exit, Error> {
    let data = DataDir::from_env();
    let spinner = Spinner::new(printer.is_quiet());
    match command {
        ClusterCommand::Up(UpArgs { cluster: args, size }) => {
            offer_missing_tools(&data, printer)?;
            let timings = block_on(
                "cluster up",
                lifecycle::up(args.profile, size.workers, &data, &SystemRunner, &spinner),
            )?;
            report(printer, args, "up", &timings);
        }
        ClusterCommand::Down(args) => {
            lifecycle::down(args.profile, &data, &SystemRunner)?;
            printer.success(&format!("deleted cluster `{}`", cluster_name(args.profile)));
        }
        ClusterCommand::Status(args) => return status(args, &data, printer),
        ClusterCommand::Reset(ResetArgs {
            cluster: args,
            size,
            given,
        }) => {
            if let Some(given) = crate::practice::lab::Given::from_args(given) {
                return reset_given(args, size.workers, given, &data, printer, &spinner);
            }
            let mut timings = Timings::default();
            let recreated = block_on(
                "cluster reset",
                lifecycle::reset(args.profile, size.workers, &data, &SystemRunner, &spinner, &mut timings),
            )?;
            if recreated {
                printer.warning("the health gate failed after the reset, so the cluster was recreated");
            }
            report(printer, args, "reset", &timings);
        }
        ClusterCommand::LoadImages(args) => {
            let name = cluster_name(args.profile);
            let images = crate::cluster::images::for_profile(args.profile);
            crate::cluster::images::preload(&SystemRunner, &tools::program("kind", &data.bin()), &name, &images)?;
            crate::cluster::images::record_preloaded(&data, args.profile, &images)?;
            printer.success(&format!("loaded {} image(s) into `{name}`", images.len()));
        }
        ClusterCommand::Setup(args) => return setup(args, user_dir, &data, printer, &spinner),
    }
    Ok(Exit::Success)
}

/// `cluster reset --kubeconfig F`: clean a cluster the user named (scenario namespaces gone,
/// saved system objects restored and the health gate on a cluster kubedrill owns); never
/// recreated.
fn reset_given(
    args: &ClusterArgs,
    workers: u8,
    given: crate::practice::lab::Given,
    data: &DataDir,
    printer: &Printer,
    spinner: &Spinner,
) -> Result<Exit, Error> {
    use crate::practice::lab::{KindLab, Lab};
    let lab = KindLab {
        given: Some(given),
        ..KindLab::new(data.clone(), spinner)
    };
    let mut timings = Timings::default();
    lab.prepare(args.profile, workers, &mut timings)?;
    report(printer, args, "reset", &timings);
    Ok(Exit::Success)
}

/// Docker first: without it no kind cluster can run, so nothing is offered. Then, when kind or
/// kubectl is missing and the user is at a terminal, offer to download the pinned,
/// SHA-256-verified release (never silently: without a yes nothing is downloaded and the
/// command fails naming `kubedrill doctor --fix`).
pub fn offer_missing_tools(data: &DataDir, printer: &Printer) -> Result<(), Error> {
    crate::cluster::doctor::require_docker(&SystemRunner)?;
    let missing = tools::missing(&["kind", "kubectl"], &data.bin());
    if missing.is_empty() {
        return Ok(());
    }
    let question = format!(
        "{} not found; download the pinned release (SHA-256 verified) into {}?",
        missing.join(" and "),
        data.bin().display()
    );
    if printer.confirm(&question) {
        for path in tools::install_missing(&SystemRunner, &missing, &data.bin())? {
            printer.success(&format!("installed `{}` (SHA-256 verified)", path.display()));
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct PhaseReport<'a> {
    cluster: String,
    action: &'a str,
    timings: &'a Timings,
}

fn report(printer: &Printer, args: &ClusterArgs, action: &str, timings: &Timings) {
    let name = cluster_name(args.profile);
    match args.output {
        OutputFormat::Json => printer.json(&PhaseReport {
            cluster: name,
            action,
            timings,
        }),
        OutputFormat::Yaml => printer.yaml(&PhaseReport {
            cluster: name,
            action,
            timings,
        }),
        OutputFormat::Text => {
            if args.verbose {
                printer.data(&phases(timings));
            }
            printer.success(&format!(
                "cluster `{name}` is {}",
                if action == "up" { "up" } else { "reset" }
            ));
        }
    }
}

/// Each phase's time, one per line.
#[must_use]
pub fn phases(timings: &Timings) -> String {
    let mut out = String::new();
    for t in &timings.0 {
        let _ = writeln!(
            out,
            "{:<28} {:>8.1}s",
            t.phase,
            Duration::from_millis(u64::try_from(t.ms).unwrap_or(u64::MAX)).as_secs_f64()
        );
    }
    out.trim_end().to_owned()
}

#[derive(Serialize)]
struct Status {
    cluster: String,
    exists: bool,
    kubeconfig: String,
    healthy: Option<bool>,
    problem: Option<String>,
}

fn status(args: &ClusterArgs, data: &DataDir, printer: &Printer) -> Result<Exit, Error> {
    let name = cluster_name(args.profile);
    let kubeconfig = data.kubeconfig(args.profile);
    let exists = lifecycle::exists(args.profile, data, &SystemRunner)?;
    let health = exists.then(|| {
        block_on("cluster status", async {
            let live = Live::open(&kubeconfig, None, Some(&name), false).await?;
            let state = live.observe(&lifecycle::gate_lists(args.profile)).await?;
            Ok(lifecycle::healthy(args.profile, &state))
        })
    });
    let (healthy, problem) = match health {
        None => (None, None),
        Some(Ok(Ok(()))) => (Some(true), None),
        Some(Ok(Err(why))) => (Some(false), Some(why)),
        Some(Err(e)) => (Some(false), Some(e.to_string())),
    };
    let status = Status {
        cluster: name,
        exists,
        kubeconfig: kubeconfig.display().to_string(),
        healthy,
        problem,
    };
    match args.output {
        OutputFormat::Json => printer.json(&status),
        OutputFormat::Yaml => printer.yaml(&status),
        OutputFormat::Text => printer.data(&match (&status.healthy, &status.problem) {
            (None, _) => format!(
                "{}: not created (run `kubedrill cluster up --profile {}`)",
                status.cluster, args.profile
            ),
            (Some(true), _) => format!("{}: healthy\nkubeconfig: {}", status.cluster, status.kubeconfig),
            (Some(false), problem) => format!(
                "{}: unhealthy: {}\nkubeconfig: {}",
                status.cluster,
                problem.as_deref().unwrap_or("?"),
                status.kubeconfig
            ),
        }),
    }
    Ok(if status.healthy == Some(true) {
        Exit::Success
    } else {
        Exit::Environment
    })
}

#[derive(Serialize)]
struct SetupReport<'a> {
    scenario: &'a str,
    seed: u64,
    task: &'a str,
    failing: Vec<&'a str>,
    timings: &'a Timings,
}

fn setup(
    args: &SetupArgs,
    user_dir: Option<&std::path::Path>,
    data: &DataDir,
    printer: &Printer,
    spinner: &Spinner,
) -> Result<Exit, Error> {
    let scenario = super::resolve(&args.scenario, user_dir)?;
    let rendered = crate::catalogue::render_for(&scenario, args.seed, args.target.namespace_prefix.as_deref())?;
    let profile = scenario.file.cluster.profile;
    let connection = super::connection(&args.target.cluster, profile, data)?;
    let nodes = KindNodes {
        runner: &SystemRunner,
        kind: tools::program("kind", &data.bin()),
        cluster: connection.expected.clone().unwrap_or_default(),
    };
    let mut timings = Timings::default();
    let observation = block_on("scenario setup", async {
        let live = connection.open(args.probes.probes).await?;
        let preloaded = crate::cluster::images::preloaded(data, profile);
        let cache = data.root().join("cache");
        live.ensure_addons(&rendered, &SystemRunner, &cache, &preloaded, &mut timings, spinner)
            .await?;
        // Node steps reach kind's node containers: only on kubedrill's own kind cluster.
        let own_kind = live.guard.is_owned() && args.target.cluster.kubeconfig.is_none();
        let nodes: Option<&dyn crate::cluster::steps::Nodes> = if own_kind { Some(&nodes) } else { None };
        let saved = match (live.guard.is_owned(), args.target.cluster.kubeconfig.is_some()) {
            (false, _) => None,
            (true, true) => Some(data.given_saved(&live.target.server)),
            (true, false) => Some(data.saved(profile)),
        };
        let saved = saved.as_deref();
        live.setup(scenario.id(), &rendered, nodes, saved, &mut timings, spinner)
            .await
    })?;
    let results = graders::score::grade(&rendered.checks, &observation);
    let failing: Vec<&str> = results
        .iter()
        .filter(|r| !r.verdict.is_pass())
        .map(|r| r.id.as_str())
        .collect();
    let report = SetupReport {
        scenario: scenario.id(),
        seed: args.seed,
        task: &rendered.task,
        failing,
        timings: &timings,
    };
    match args.output {
        OutputFormat::Json => printer.json(&report),
        OutputFormat::Yaml => printer.yaml(&report),
        OutputFormat::Text => {
            if args.verbose {
                printer.data(&phases(&timings));
            }
            printer.data(rendered.task.trim_end());
            printer.data(&format!(
                "\nkubectl for this cluster: export KUBECONFIG={}\n",
                connection.kubeconfig.display()
            ));
            printer.success(&format!(
                "`{}` is set up and broken ({} of {} checks fail); grade with `kubedrill grade --scenario {} --seed {}`",
                scenario.id(),
                report.failing.len(),
                rendered.checks.len(),
                scenario.id(),
                args.seed
            ));
        }
    }
    Ok(Exit::Success)
}
