//! Command-line arguments (clap derive structs only; behaviour lives in `command/`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::scenario::model::{Domain, Profile};

/// Practise the CKA exam's Services & Networking troubleshooting on a local kind cluster.
#[derive(Debug, Parser)]
#[command(name = "kubedrill", version, propagate_version = true, max_term_width = 100)]
#[command(
    after_help = "Output: `-o/--output FORMAT` picks the format wherever data is printed; files are written only by flags that say so (`--report-file`, `--report-dir`).\nExit codes: 0 success, 1 graded below the pass mark, 2 usage or input error, 3 environment error."
)]
pub struct Cli {
    /// An instructor's scenario folder; its scenarios override built-ins with the same id.
    #[arg(long, global = true, env = "KUBEDRILL_SCENARIOS", value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
    /// When to colour output (`NO_COLOR` is respected with `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Hide warnings and progress; errors are still printed.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// When to use colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Output format for data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// For people.
    #[default]
    Text,
    /// For programs.
    Json,
    /// For programs and people.
    Yaml,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the scenario catalogue.
    List(ListArgs),
    /// Show a scenario's task, requirements and points (never its solution).
    Show(ShowArgs),
    /// Author scenarios: lint, render, scaffold, and self-test on a cluster (verify).
    #[command(subcommand)]
    Scenario(ScenarioCommand),
    /// Grade an attempt: a live cluster (kubedrill's, or `--kubeconfig`), a snapshot file, or a
    /// whole class (`--batch`). Exit 0 at or above the pass mark, 1 below, 2 bad input, 3
    /// environment errors.
    Grade(GradeArgs),
    /// Explain why a connection is allowed or blocked (hop by hop), or print the allow/deny
    /// matrix, from a snapshot. Exit 0 when allowed, 1 when blocked, 2 on bad input.
    Explain(ExplainArgs),
    /// Check that this machine can run scenarios: Docker, kind, kubectl, cgroup v2, inotify,
    /// br_netfilter, memory, disk. Exit 0 when nothing fails, 3 otherwise.
    Doctor(DoctorArgs),
    /// Create, inspect, reset and remove kubedrill's kind clusters; set a scenario up on one.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Start a timed practice task: prepare the cluster, set the scenario up broken (verified),
    /// print the task and start the countdown.
    Start(StartArgs),
    /// Show the active session: task(s), time left, hints taken.
    Status(SessionOutputArgs),
    /// Grade the practice task now without ending it (not during an exam).
    Check(CheckArgs),
    /// Show the hints taken so far and take the next one once it is unlocked (`--now`: take it
    /// early for its point penalty). Not during an exam.
    Hint(HintArgs),
    /// Grade and end the active session; the report explains what still fails and why.
    /// Exit 0 at or above the pass mark, 1 below, 3 when the cluster could not be graded.
    Submit(SubmitArgs),
    /// Drop the active session without grading (recorded as abandoned).
    Abandon(AbandonArgs),
    /// Print a scenario's reference solution (after an attempt has been graded).
    Solution(SolutionArgs),
    /// Timed exam: several tasks, no checking or hints, graded by weight at the end.
    #[command(subcommand)]
    Exam(ExamCommand),
    /// Every recorded attempt, newest first.
    History(HistoryArgs),
    /// Attempts, best and median times per scenario, and weak spots.
    Stats(StatsArgs),
    /// Work with saved grade reports.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Print shell completions.
    Completions(CompletionsArgs),
}

/// `kubedrill report ...`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Check that JSON reports (from `grade -o json`, or a batch's) were not edited after
    /// grading: content digest, signature (with `KUBEDRILL_REPORT_KEY` set), scenario files.
    /// Exit 0 when every report is intact, 1 when one is not, 2 on unreadable input.
    Verify(VerifyArgs),
}

/// `kubedrill report verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// JSON report files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// `kubedrill start`.
#[derive(Debug, Args)]
pub struct StartArgs {
    /// Scenario id (or path to a scenario folder).
    pub scenario: String,
    /// Seed for names, labels and ports (default: a new one each attempt).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Time allowed instead of the scenario's own limit, e.g. `12m`.
    #[arg(long, value_name = "DURATION")]
    pub time_limit: Option<graders::Duration>,
    /// Run on this cluster profile instead of the scenario's own (a policy scenario needs a
    /// profile that enforces NetworkPolicy).
    #[arg(long, value_enum)]
    pub profile: Option<Profile>,
    /// Return at once instead of showing the countdown in this terminal.
    #[arg(long)]
    pub detach: bool,
    /// Print each setup phase's time.
    #[arg(short, long)]
    pub verbose: bool,
    /// Output format (`json` implies `--detach`).
    #[arg(short, long, value_enum, default_value_t)]
    pub output: OutputFormat,
    /// Practise on this cluster instead of kubedrill's kind cluster (one whose nodes carry
    /// kubedrill's label, or any with `--allow-foreign-cluster`), and how traffic is judged.
    #[command(flatten)]
    pub live: LiveArgs,
}

/// Output of the session commands.
#[derive(Debug, Args)]
pub struct SessionOutputArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// `kubedrill check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: OutputFormat,
    /// The cluster, when not the one the session was started on, and how traffic is judged.
    #[command(flatten)]
    pub live: LiveArgs,
}

/// `kubedrill hint`.
#[derive(Debug, Args)]
pub struct HintArgs {
    /// Take the next hint now even though it is still locked, for its point penalty.
    #[arg(long)]
    pub now: bool,
}

/// `kubedrill submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// Output format of the report.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: crate::report::ReportFormat,
    /// Pass mark in percent.
    #[arg(long, default_value_t = graders::score::DEFAULT_PASS_MARK, value_parser = percent)]
    pub pass_mark: f64,
    /// The cluster, when not the one the session was started on, and how traffic is judged.
    #[command(flatten)]
    pub live: LiveArgs,
}

/// `kubedrill abandon`.
#[derive(Debug, Args)]
pub struct AbandonArgs {
    /// Also set aside an unreadable session file, and abandon even if history cannot be written.
    #[arg(long)]
    pub force: bool,
}

/// `kubedrill solution`.
#[derive(Debug, Args)]
pub struct SolutionArgs {
    /// Scenario id (or path to a scenario folder).
    pub scenario: String,
    /// Seed (default: the one of your latest graded attempt).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Show it even without a graded attempt.
    #[arg(long)]
    pub force: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// `kubedrill exam ...`.
#[derive(Debug, Subcommand)]
pub enum ExamCommand {
    /// Draw the tasks, set every one up broken, then start the countdown.
    Start(ExamStartArgs),
    /// Show task N (and make it the current one).
    Task(ExamTaskArgs),
    /// Flag task N for review (`--off` to clear).
    Flag(ExamFlagArgs),
}

/// `kubedrill exam start`.
#[derive(Debug, Args)]
pub struct ExamStartArgs {
    /// How many tasks (at least 1).
    #[arg(long, default_value_t = 8, value_parser = at_least_one)]
    pub tasks: usize,
    /// Time for the whole exam.
    #[arg(long, default_value = "60m", value_name = "DURATION")]
    pub duration: graders::Duration,
    /// Only this CKA domain.
    #[arg(long, value_enum)]
    pub domain: Option<Domain>,
    /// Only scenarios of this cluster profile.
    #[arg(long, value_enum)]
    pub profile: Option<Profile>,
    /// Seed of the draw and of every task (default: a new one).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print each setup phase's time.
    #[arg(short, long)]
    pub verbose: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: OutputFormat,
    /// Run every task on this cluster instead of kubedrill's kind clusters (then only
    /// scenarios that stay in their own namespaces are drawn), and how traffic is judged.
    #[command(flatten)]
    pub live: LiveArgs,
}

/// `kubedrill exam task`.
#[derive(Debug, Args)]
pub struct ExamTaskArgs {
    /// Task number (1-based).
    pub number: usize,
}

/// `kubedrill exam flag`.
#[derive(Debug, Args)]
pub struct ExamFlagArgs {
    /// Task number (1-based).
    pub number: usize,
    /// Clear the flag.
    #[arg(long)]
    pub off: bool,
}

/// `kubedrill history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only this scenario.
    #[arg(long)]
    pub scenario: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// `kubedrill stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// `kubedrill list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this CKA domain.
    #[arg(long, value_enum)]
    pub domain: Option<Domain>,
    /// Only scenarios for this cluster profile.
    #[arg(long, value_enum)]
    pub profile: Option<Profile>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// `kubedrill show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Scenario id.
    pub id: String,
    /// Seed for the randomised names, labels and ports in the task text.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// `kubedrill scenario ...`.
#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// Validate scenario folders (default: ./scenarios if present, else the catalogue).
    Lint(LintArgs),
    /// Print a scenario's rendered setup manifests as multi-document YAML.
    Render(RenderArgs),
    /// Scaffold a new scenario folder that passes lint.
    New(NewArgs),
    /// Self-test a scenario on kubedrill's kind cluster: set up broken (checks fail), apply the
    /// reference solution (full marks), each shortcut from broken (below full marks), reset.
    /// Exit 0 when every stage behaves, 1 when one does not, 3 on cluster problems.
    Verify(VerifyScenarioArgs),
}

/// `kubedrill scenario verify`.
#[derive(Debug, Args)]
pub struct VerifyScenarioArgs {
    /// A catalogue id or a scenario folder.
    pub scenario: String,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Cluster profile (default: the scenario's own).
    #[arg(long, value_enum)]
    pub profile: Option<Profile>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: OutputFormat,
    /// Self-test on this cluster instead of kubedrill's kind cluster, and how traffic is
    /// judged.
    #[command(flatten)]
    pub live: LiveArgs,
}

/// `kubedrill scenario lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Scenario folders, folders of scenarios, or scenario.yaml files.
    pub paths: Vec<PathBuf>,
    /// Output format (`text` or `json`).
    #[arg(short, long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// `kubedrill scenario render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// A catalogue id or a scenario folder.
    pub scenario: String,
    /// The attempt's seed; the same seed always renders the same bytes.
    #[arg(long)]
    pub seed: u64,
}

/// `kubedrill scenario new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// Id of the new scenario (kebab-case; also its folder name).
    pub id: String,
    /// Folder to create it in.
    #[arg(long, default_value = "scenarios")]
    pub dir: PathBuf,
    /// Title (default: from the id).
    #[arg(long)]
    pub title: Option<String>,
}

/// `kubedrill grade`.
#[derive(Debug, Args)]
pub struct GradeArgs {
    /// Scenario id (or path to a scenario folder).
    #[arg(long, required_unless_present = "batch")]
    pub scenario: Option<String>,
    /// Grade every student of a roster file (see README) concurrently; one combined report.
    #[arg(long, value_name = "ROSTER", conflicts_with_all = ["scenario", "snapshot", "seed"])]
    pub batch: Option<PathBuf>,
    /// With `--batch`: students graded at once.
    #[arg(long, default_value_t = 4, requires = "batch")]
    pub jobs: usize,
    /// With `--batch`: also write each student's report (`<name>.json`, `<name>.junit.xml`) here.
    #[arg(long, value_name = "DIR", requires = "batch")]
    pub report_dir: Option<PathBuf>,
    /// The attempt's seed (default: the one the snapshot names).
    #[arg(long)]
    pub seed: Option<u64>,
    /// A snapshot file: `kubectl get ... -o yaml|json` output or a kubedrill Snapshot document.
    /// Without it, the live cluster is graded (the scenario profile's kubedrill cluster, or
    /// `--kubeconfig`).
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Which live cluster.
    #[command(flatten)]
    pub target: ClusterTarget,
    /// How traffic checks are judged on a live cluster.
    #[command(flatten)]
    pub probes: ProbeArgs,
    /// Output format of the report.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: crate::report::ReportFormat,
    /// Write the report to this file instead of stdout (in the `--output` format).
    #[arg(long, value_name = "FILE")]
    pub report_file: Option<PathBuf>,
    /// Pass mark in percent.
    #[arg(long, default_value_t = graders::score::DEFAULT_PASS_MARK, value_parser = percent)]
    pub pass_mark: f64,
}

fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("an exam has at least 1 task".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a whole number")),
    }
}

fn percent(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if (0.0..=100.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is not a percentage between 0 and 100"))
    }
}

/// `kubedrill explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A snapshot file (see `kubedrill grade`).
    #[arg(long, value_name = "FILE")]
    pub snapshot: PathBuf,
    /// Source: `<namespace>/<pod>`, `<namespace>/<label>=<value>,...` for a pod with those labels,
    /// or `node/<node>` for the node's own address (a hostNetwork pod there).
    #[arg(long, required_unless_present = "matrix")]
    pub from: Option<String>,
    /// Destination: `<namespace>/<service|pod>:<port>[/<protocol>]` (prefix `svc/` or `pod/` to choose),
    /// `node/<node>:<port>` for a port of a node's address (a NodePort, a hostPort), or
    /// `<address>:<port>` for an address (outside the cluster: only egress policies decide);
    /// with `--by-name`, `<namespace>/<service>` alone only resolves the name.
    #[arg(long, required_unless_present = "matrix")]
    pub to: Option<String>,
    /// Reach the Service by its DNS name (adds the DNS hop).
    #[arg(long)]
    pub by_name: bool,
    /// Print the allow/deny matrix between pods instead.
    #[arg(long, conflicts_with_all = ["from", "to", "by_name"])]
    pub matrix: bool,
    /// With `--matrix`: only the pods of this namespace.
    #[arg(short = 'n', long, requires = "matrix")]
    pub namespace: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// `kubedrill doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Download missing kind and kubectl (pinned releases, SHA-256 verified) into kubedrill's
    /// data folder and use them.
    #[arg(long)]
    pub fix: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// `kubedrill completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// A cluster the user names instead of kubedrill's own kind cluster.
#[derive(Debug, Args, Clone, Default)]
pub struct GivenCluster {
    /// Use this kubeconfig instead of kubedrill's own cluster of the scenario's profile. A
    /// cluster whose nodes lack kubedrill's label is foreign: nothing is written to it without
    /// `--allow-foreign-cluster`.
    #[arg(long, value_name = "FILE", env = "KUBEDRILL_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
    /// Context in `--kubeconfig` (default: its current context).
    #[arg(long, requires = "kubeconfig")]
    pub context: Option<String>,
    /// Allow writes (scenario namespaces, probe pods) to a cluster kubedrill did not create.
    /// System namespaces and cluster-wide objects stay off limits, so only namespaced
    /// scenarios run there.
    #[arg(long)]
    pub allow_foreign_cluster: bool,
    /// agnhost, the probe pods' image, is already in `--kubeconfig`'s nodes under its tag,
    /// loaded by hand rather than pulled (an offline cluster, kubedrill's local test node):
    /// probe pods use that copy. Their image ID then cannot be compared with the registry's
    /// digest; everything else about them still is.
    #[arg(long, requires = "kubeconfig")]
    pub agnhost_loaded: bool,
}

/// Which live cluster to talk to.
#[derive(Debug, Args, Clone, Default)]
pub struct ClusterTarget {
    /// The cluster, when not kubedrill's own.
    #[command(flatten)]
    pub cluster: GivenCluster,
    /// One student's share of a shared cluster: every generated name (hence every scenario
    /// namespace) starts with this prefix. Refused for scenarios that break cluster-wide parts.
    #[arg(long, value_name = "PREFIX")]
    pub namespace_prefix: Option<String>,
}

/// A live cluster for the practice commands: which one, and how its traffic is judged.
#[derive(Debug, Args, Clone, Default)]
pub struct LiveArgs {
    /// The cluster, when not kubedrill's own.
    #[command(flatten)]
    pub cluster: GivenCluster,
    /// How traffic checks are judged.
    #[command(flatten)]
    pub probes: ProbeArgs,
}

/// How live traffic checks are judged.
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct ProbeArgs {
    /// `exec`: real traffic from probe pods (default). `predict`: no traffic; the reachability
    /// analyzer judges connectivity, DNS and HTTP checks from the live state, and every report
    /// marks them "predicted" (for clusters whose RBAC forbids exec).
    #[arg(long, value_enum, default_value_t)]
    pub probes: crate::cluster::live::ProbeMode,
}

/// `kubedrill cluster ...`.
#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Create (or reuse) the profile's kind cluster and wait until it is healthy.
    Up(UpArgs),
    /// Delete the profile's kind cluster and its files.
    Down(ClusterArgs),
    /// Show whether the profile's cluster exists and is healthy.
    Status(ClusterArgs),
    /// Remove scenario namespaces, restore what scenarios broke in kube-system, check health;
    /// recreate the cluster only if that fails (never a cluster named with `--kubeconfig`).
    Reset(ResetArgs),
    /// Pull every image the profile needs and load it into the cluster's nodes (offline practice).
    LoadImages(ClusterArgs),
    /// Set a scenario up on its profile's cluster: apply, break, verify it is broken.
    Setup(SetupArgs),
}

/// Arguments of `cluster up|down|status|reset|load-images`.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// The cluster profile.
    #[arg(long, value_enum, default_value = "kindnet")]
    pub profile: Profile,
    /// Print each phase's time.
    #[arg(short, long)]
    pub verbose: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// Worker nodes of a cluster kubedrill creates.
#[derive(Debug, Args, Clone, Copy)]
pub struct WorkersArg {
    /// Worker nodes, when the cluster has to be created.
    #[arg(long, default_value_t = 1)]
    pub workers: u8,
}

/// Arguments of `cluster up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// The profile's cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Its size.
    #[command(flatten)]
    pub size: WorkersArg,
}

/// Arguments of `cluster reset`.
#[derive(Debug, Args)]
pub struct ResetArgs {
    /// The profile's cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Its size, should it have to be recreated.
    #[command(flatten)]
    pub size: WorkersArg,
    /// Reset this cluster instead of kubedrill's kind cluster.
    #[command(flatten)]
    pub given: GivenCluster,
}

/// Arguments of `cluster setup`.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Scenario id (or path to a scenario folder).
    pub scenario: String,
    /// Seed (default 1).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print each phase's time.
    #[arg(short, long)]
    pub verbose: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: OutputFormat,
    /// Which live cluster.
    #[command(flatten)]
    pub target: ClusterTarget,
    /// How traffic checks are judged (while verifying the setup is broken).
    #[command(flatten)]
    pub probes: ProbeArgs,
}
