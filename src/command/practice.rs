//! `kubedrill start | status | check | hint | submit | abandon | solution` and `exam ...`: the
//! practice loop's commands. Each builds the environment (kind lab, system clock, session store,
//! history), runs a flow from `practice::flow`, and hands the result to the printer. When a
//! session's time is up, the first line says so. Never decides session rules or grades itself
//! (the flows do) and never prints but through the printer.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::{
    AbandonArgs, CheckArgs, ExamCommand, ExamStartArgs, HintArgs, LiveArgs, OutputFormat, SessionOutputArgs,
    SolutionArgs, StartArgs, SubmitArgs,
};
use crate::cluster::kind::cluster_name;
use crate::cluster::lifecycle::Timings;
use crate::cluster::live::ProbeMode;
use crate::cluster::paths::DataDir;
use crate::error::{Error, Exit};
use crate::output::Printer;
use crate::practice::clock::{Clock, SystemClock, clock_text};
use crate::practice::flow::{self, Env, ExamRequest, Finished, Graded, Now, StartRequest, Started};
use crate::practice::lab::{Given, KindLab, history_path, session_dir};
use crate::practice::session::{Mode, NextHint, Session};
use crate::practice::solution::{ShellStep, shell_steps};
use crate::practice::status::{GradedStatus, Status};
use crate::practice::store::Store;
use crate::practice::timer::{Tick, tick};
use crate::progress::{CountdownBar, Spinner};
use crate::report::{GradeReport, Origin, ReportFormat, ScenarioInfo};

/// Everything a flow needs, owned here for the command's lifetime.
struct Context {
    data: DataDir,
    spinner: Spinner,
    store: Store,
    history: PathBuf,
    user_dir: Option<PathBuf>,
    given: Option<Given>,
    probes: ProbeMode,
}

impl Context {
    fn new(user_dir: Option<&Path>, printer: &Printer) -> Self {
        let data = DataDir::from_env();
        Self {
            spinner: Spinner::new(printer.is_quiet()),
            store: Store::new(session_dir(&data)),
            history: history_path(&data),
            user_dir: user_dir.map(Path::to_path_buf),
            data,
            given: None,
            probes: ProbeMode::Exec,
        }
    }

    /// On the cluster named on the command line (if any), judging traffic as `probes` says.
    fn on(mut self, live: &LiveArgs) -> Self {
        self.given = Given::from_args(&live.cluster);
        self.probes = live.probes.probes;
        self
    }

    fn lab(&self) -> KindLab<'_> {
        KindLab {
            data: self.data.clone(),
            progress: &self.spinner,
            given: self.given.clone(),
            probes: self.probes,
        }
    }

    /// Offer kind and kubectl when kubedrill's own kind clusters will be used.
    fn offer_tools(&self, printer: &Printer) -> Result<(), Error> {
        if self.given.is_none() {
            super::cluster::offer_missing_tools(&self.data, printer)?;
        }
        Ok(())
    }

    /// Run a session command's flow. When the session's time has run out, the first line says
    /// so; when the attempt then cannot be graded, the next says what the learner can do, and
    /// the error follows.
    fn session<T>(
        &self,
        printer: &Printer,
        pass_mark: f64,
        f: impl FnOnce(&Env<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let overdue = self.run(pass_mark, |env| Ok(flow::overdue(env)))?;
        if let Some(overdue) = overdue {
            printer.warning(&format!(
                "time is up: the {} ran out {} ago",
                clock_text(overdue.limit_ms),
                clock_text(overdue.late_ms)
            ));
        }
        self.run(pass_mark, f).inspect_err(|_| {
            if overdue.is_some() {
                printer.hint(
                    "the attempt stays open: `kubedrill submit` grades it once the problem below is fixed (changes made after the deadline count); `kubedrill abandon` ends it ungraded",
                );
            }
        })
    }

    fn run<T>(&self, pass_mark: f64, f: impl FnOnce(&Env<'_>) -> Result<T, Error>) -> Result<T, Error> {
        let lab = self.lab();
        let env = Env {
            lab: &lab,
            clock: &SystemClock,
            store: &self.store,
            history: &self.history,
            scenarios_dir: self.user_dir.as_deref(),
            pass_mark,
        };
        f(&env)
    }
}

const PASS_MARK: f64 = graders::score::DEFAULT_PASS_MARK;

/// A seed for an attempt that did not name one (random bits from the standard library).
fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new().build_hasher().finish() % 1_000_000
}

/// `kubedrill start`.
pub fn start(args: &StartArgs, user_dir: Option<&Path>, printer: &Printer) -> Result<Exit, Error> {
    let context = Context::new(user_dir, printer).on(&args.live);
    context.offer_tools(printer)?;
    let scenario = super::resolve(&args.scenario, user_dir)?;
    let request = StartRequest {
        scenario: &scenario,
        reference: args.scenario.clone(),
        seed: args.seed.unwrap_or_else(fresh_seed),
        time_limit_ms: args.time_limit.map(graders::Duration::as_millis),
        profile: args.profile,
    };
    let started = context.run(PASS_MARK, |env| flow::start(env, request))?;
    show_started(printer, &started, args.output, args.verbose);
    if args.detach || args.output != OutputFormat::Text {
        return Ok(Exit::Success);
    }
    foreground(&context, &started.session, printer)
}

#[derive(Serialize)]
struct StartedView<'a> {
    session: &'a Session,
    task: &'a str,
    kubeconfig: String,
    timings: &'a Timings,
}

fn show_started(printer: &Printer, started: &Started, output: OutputFormat, verbose: bool) {
    let session = &started.session;
    let task = &session.tasks[0];
    let view = StartedView {
        session,
        task: &started.rendered.task,
        kubeconfig: task.access.kubeconfig.display().to_string(),
        timings: &started.timings,
    };
    match output {
        OutputFormat::Json => printer.json(&view),
        OutputFormat::Yaml => printer.yaml(&view),
        OutputFormat::Text => {
            if verbose {
                printer.data(&super::cluster::phases(&started.timings));
            }
            let mut out = String::new();
            if session.mode == Mode::Exam {
                let _ = writeln!(out, "{}", exam_tasks(printer, session));
                let _ = writeln!(out, "{}", printer.heading("Task 1"));
            }
            let _ = write!(out, "{}", task_text(printer, session, 0, &started.rendered.task));
            printer.data(&out);
        }
    }
}

fn task_text(printer: &Printer, session: &Session, index: usize, text: &str) -> String {
    let task = &session.tasks[index];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}\n",
        printer.heading(&format!("{} — {} (seed {})", task.scenario, task.title, task.seed))
    );
    let _ = writeln!(out, "{}\n", text.trim_end());
    let _ = writeln!(
        out,
        "Use this cluster:  export KUBECONFIG={}",
        task.access.kubeconfig.display()
    );
    if let Some(context) = &task.access.context {
        let _ = writeln!(out, "Context:           {context}");
    }
    let _ = writeln!(
        out,
        "Time:              {}  (`kubedrill status`, {}`kubedrill submit`)",
        clock_text(session.countdown.limit_ms),
        if session.mode == Mode::Practice {
            "`kubedrill check`, `kubedrill hint`, "
        } else {
            "`kubedrill exam task N`, "
        }
    );
    out
}

/// Stay in the foreground with the countdown until time runs out (then grade), the session
/// ends in another terminal, or Ctrl-C (the timer keeps running).
fn foreground(context: &Context, session: &Session, printer: &Printer) -> Result<Exit, Error> {
    if printer.is_quiet() || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return Ok(Exit::Success);
    }
    let runtime = crate::cluster::runtime::runtime()?;
    let countdown = session.countdown;
    let bar = CountdownBar::new(countdown.limit_ms / 1000);
    let mut last = SystemClock.now();
    loop {
        let interrupted = runtime.block_on(async {
            tokio::select! {
                () = tokio::time::sleep(std::time::Duration::from_secs(1)) => false,
                _ = tokio::signal::ctrl_c() => true,
            }
        });
        let now = SystemClock.now();
        if interrupted {
            bar.clear();
            printer.hint("the timer keeps running: `kubedrill status` shows it, `kubedrill submit` ends it");
            return Ok(Exit::Success);
        }
        let running = matches!(context.store.load(), Ok(Some(s)) if s.id == session.id);
        match tick(&countdown, last, now, running) {
            Tick::Ended => {
                bar.clear();
                printer.success("the session ended in another terminal");
                return Ok(Exit::Success);
            }
            Tick::Expired => {
                bar.clear();
                printer.warning("time is up: grading now");
                let finished = context.run(PASS_MARK, flow::submit)?;
                return show_finished(printer, &finished, ReportFormat::Text);
            }
            Tick::Continue(warnings) => {
                for left in warnings {
                    bar.note(&format!("⏰ {} left", clock_text(left)));
                }
            }
        }
        bar.show(countdown.elapsed(now) / 1000, &clock_text(countdown.remaining(now)));
        last = now;
    }
}

/// `kubedrill status`.
pub fn status(args: &SessionOutputArgs, user_dir: Option<&Path>, printer: &Printer) -> Result<Exit, Error> {
    let context = Context::new(user_dir, printer);
    let found = context.session(printer, PASS_MARK, flow::status).inspect_err(|_| {
        // Time is up and the attempt could not be graded: where the session stands, as data.
        if args.output != OutputFormat::Text
            && let Ok(Some(session)) = context.store.load()
        {
            show_status(printer, args.output, &Status::of(&session, SystemClock.now()));
        }
    })?;
    let now = SystemClock.now();
    let (status, exit) = match found {
        None if args.output == OutputFormat::Text => {
            printer.data("no active session (start one with `kubedrill start <scenario>`)\n");
            return Ok(Exit::Success);
        }
        None => (Status::idle(), Exit::Success),
        Some(Now::Running(session)) if args.output == OutputFormat::Text => {
            printer.data(&status_text(printer, &session, now));
            return Ok(Exit::Success);
        }
        Some(Now::Running(session)) => (Status::of(&session, now), Exit::Success),
        Some(Now::TimeUp(finished)) if args.output == OutputFormat::Text => return time_up(printer, &finished),
        Some(Now::TimeUp(finished)) => (
            Status::ended(&finished.session, now, graded_status(&finished)),
            exit_for(&finished),
        ),
    };
    show_status(printer, args.output, &status);
    Ok(exit)
}

/// The status document as JSON or YAML.
fn show_status(printer: &Printer, output: OutputFormat, status: &Status) {
    match output {
        OutputFormat::Yaml => printer.yaml(status),
        OutputFormat::Json | OutputFormat::Text => printer.json(status),
    }
}

fn graded_status(finished: &Finished) -> GradedStatus {
    finished.exam.as_ref().map_or_else(
        || GradedStatus {
            percent: finished.graded.first().map_or(0.0, |g| g.card.percent),
            passed: finished.graded.iter().all(|g| g.card.passed),
        },
        |exam| GradedStatus {
            percent: exam.percent,
            passed: exam.passed,
        },
    )
}

fn status_text(printer: &Printer, session: &Session, now: crate::practice::clock::Timestamp) -> String {
    let countdown = session.countdown;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} left of {}",
        printer.heading(session.mode.as_str()),
        clock_text(countdown.remaining(now)),
        clock_text(countdown.limit_ms)
    );
    if session.mode == Mode::Exam {
        let _ = writeln!(out, "{}", exam_tasks(printer, session));
    } else {
        let task = &session.tasks[0];
        let _ = writeln!(out, "task:    {} — {} (seed {})", task.scenario, task.title, task.seed);
        let _ = writeln!(
            out,
            "hints:   {} taken, {}",
            task.hints.len(),
            crate::output::penalty(task.hint_penalty())
        );
        let _ = writeln!(out, "checks:  {} run", session.checks_run);
    }
    let _ = writeln!(
        out,
        "cluster: export KUBECONFIG={}",
        session.tasks[session.current].access.kubeconfig.display()
    );
    out
}

fn exam_tasks(printer: &Printer, session: &Session) -> String {
    let mut rows = vec![vec![
        printer.heading("TASK"),
        printer.heading("FLAG"),
        printer.heading("WEIGHT"),
        printer.heading("SCENARIO"),
    ]];
    for (i, task) in session.tasks.iter().enumerate() {
        let marker = if i == session.current { "*" } else { " " };
        rows.push(vec![
            format!("{marker}{}", i + 1),
            if task.flagged {
                "review".to_owned()
            } else {
                String::new()
            },
            task.weight.to_string(),
            format!("{} — {}", task.scenario, task.title),
        ]);
    }
    crate::output::table(&rows)
}

/// `kubedrill check`.
pub fn check(args: &CheckArgs, user_dir: Option<&Path>, printer: &Printer) -> Result<Exit, Error> {
    let context = Context::new(user_dir, printer).on(&args.live);
    let graded = match context.session(printer, PASS_MARK, flow::check)? {
        Now::TimeUp(finished) => return time_up(printer, &finished),
        Now::Running(graded) => graded,
    };
    let session = context.store.require()?;
    let mut report = report_for(&graded);
    report.explanation = String::new();
    match args.output {
        OutputFormat::Text => {
            printer.data(&report.render(ReportFormat::Text, printer)?);
            let now = SystemClock.now();
            printer.data(&format!(
                "\n{} left; `kubedrill submit` when you are done\n",
                clock_text(session.countdown.remaining(now))
            ));
        }
        OutputFormat::Json => printer.json(&report),
        OutputFormat::Yaml => printer.yaml(&report),
    }
    Ok(Exit::Success)
}

/// `kubedrill hint`.
pub fn hint(args: &HintArgs, user_dir: Option<&Path>, printer: &Printer) -> Result<Exit, Error> {
    let context = Context::new(user_dir, printer);
    let view = match context.session(printer, PASS_MARK, |env| flow::hint(env, args.now))? {
        Now::TimeUp(finished) => return time_up(printer, &finished),
        Now::Running(view) => view,
    };
    let mut out = String::new();
    for (i, (text, penalty)) in view.taken.iter().enumerate() {
        let cost = if *penalty > 0 {
            printer.caution(&format!(" (-{penalty} point{})", if *penalty == 1 { "" } else { "s" }))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{}{cost}\n  {}\n",
            printer.heading(&format!("Hint {}", i + 1)),
            text.trim()
        );
    }
    printer.data(&out);
    match view.next {
        NextHint::AllTaken => printer.success("no more hints"),
        NextHint::Unlocked { .. } => printer.hint("another hint is unlocked: `kubedrill hint`"),
        NextHint::Locked {
            unlocks_in_ms, penalty, ..
        } => {
            let early = if penalty == 0 {
                "`kubedrill hint --now` takes it now (free)".to_owned()
            } else {
                format!("`kubedrill hint --now` takes it now for -{penalty} point(s)")
            };
            printer.hint(&format!(
                "the next hint unlocks in {}; {early}",
                clock_text(unlocks_in_ms)
            ));
        }
    }
    Ok(Exit::Success)
}

/// `kubedrill submit`.
pub fn submit(args: &SubmitArgs, user_dir: Option<&Path>, printer: &Printer) -> Result<Exit, Error> {
    let context = Context::new(user_dir, printer).on(&args.live);
    let finished = context.session(printer, args.pass_mark, flow::submit)?;
    show_finished(printer, &finished, args.output)
}

fn time_up(printer: &Printer, finished: &Finished) -> Result<Exit, Error> {
    printer.warning("the attempt was graded now and ended (changes made after the deadline count)");
    show_finished(printer, finished, ReportFormat::Text)
}

fn report_for(graded: &Graded) -> GradeReport {
    GradeReport {
        schema_version: crate::report::SCHEMA_VERSION,
        kubedrill_version: env!("CARGO_PKG_VERSION"),
        scenario: ScenarioInfo {
            id: graded.task.scenario.clone(),
            title: graded.task.title.clone(),
            domain: graded.task.domain,
            seed: graded.task.seed,
        },
        source: source_of(&graded.task.access),
        score: graded.card.clone(),
        explanation: graded.rendered.explanation.clone(),
        integrity: None,
    }
    .with_suggested_commands(&format!("cluster:{}", graded.task.access.kubeconfig.display()))
}

/// The report's `source`: kubedrill's own cluster by name, a given one by its kubeconfig.
fn source_of(access: &crate::practice::session::Access) -> String {
    let own = (!access.given).then(|| crate::cluster::kind::cluster_name(access.profile));
    Origin::cluster(&access.kubeconfig, own.as_deref()).source()
}

#[derive(Serialize)]
struct ExamView<'a> {
    exam: &'a graders::score::ExamScore,
    reports: Vec<GradeReport>,
}

fn show_finished(printer: &Printer, finished: &Finished, format: ReportFormat) -> Result<Exit, Error> {
    let reports: Vec<GradeReport> = finished.graded.iter().map(report_for).collect();
    match (&finished.exam, format) {
        (Some(exam), ReportFormat::Json) => printer.json(&ExamView { exam, reports }),
        (_, ReportFormat::Junit) => printer.data(&crate::report::junit_all(&reports.iter().collect::<Vec<_>>())?),
        // One CSV document (one header) for all tasks.
        (_, ReportFormat::Csv) => printer.data(&crate::report::csv_all(&reports.iter().collect::<Vec<_>>())?),
        (exam, format) => {
            let mut out = String::new();
            for report in &reports {
                let _ = writeln!(out, "{}", report.render(format, printer)?);
            }
            if let Some(exam) = exam {
                let _ = write!(out, "{}", exam_summary(printer, exam));
            }
            printer.data(&out);
        }
    }
    printer.success(&format!(
        "recorded in your history (`kubedrill history`); `kubedrill solution {}` shows the reference solution",
        finished.session.tasks[0].scenario
    ));
    Ok(exit_for(finished))
}

/// 3 when a check could not be judged, else 0 at or above the pass mark and 1 below.
fn exit_for(finished: &Finished) -> Exit {
    let errors = finished.graded.iter().any(|g| g.card.errors > 0);
    let passed = finished
        .exam
        .as_ref()
        .map_or_else(|| finished.graded.iter().all(|g| g.card.passed), |e| e.passed);
    if errors {
        Exit::Environment
    } else if passed {
        Exit::Success
    } else {
        Exit::Failed
    }
}

fn exam_summary(printer: &Printer, exam: &graders::score::ExamScore) -> String {
    let mut rows = vec![vec![
        printer.heading("TASK"),
        printer.heading("SCENARIO"),
        printer.heading("WEIGHT"),
        printer.heading("SCORE"),
    ]];
    for (i, task) in exam.tasks.iter().enumerate() {
        rows.push(vec![
            (i + 1).to_string(),
            task.scenario.clone(),
            task.weight.to_string(),
            format!("{:.0}%", task.percent),
        ]);
    }
    let verdict = if exam.passed {
        printer.good("PASSED")
    } else {
        printer.bad("NOT PASSED")
    };
    format!(
        "{}\n{}\nexam: {:.1}% (pass mark {:.0}%) — {verdict}\n",
        printer.heading("Exam"),
        crate::output::table(&rows),
        exam.percent,
        exam.pass_mark
    )
}

/// `kubedrill abandon`.
pub fn abandon(args: &AbandonArgs, user_dir: Option<&Path>, printer: &Printer) -> Result<Exit, Error> {
    let context = Context::new(user_dir, printer);
    let abandoned = context.session(printer, PASS_MARK, |env| flow::abandon(env, args.force))?;
    if let Some(path) = abandoned.set_aside {
        printer.success(&format!(
            "the unreadable session file was set aside as `{}`",
            path.display()
        ));
    } else if let Some(session) = abandoned.session {
        printer.success(&format!(
            "abandoned the {} session ({}); the cluster is reset by the next `kubedrill start`",
            session.mode.as_str(),
            session
                .tasks
                .iter()
                .map(|t| t.scenario.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(Exit::Success)
}

#[derive(Serialize)]
struct SolutionView<'a> {
    scenario: &'a str,
    seed: u64,
    explanation: &'a str,
    steps: Vec<ShellStep<'a>>,
}

/// `kubedrill solution`.
pub fn solution(args: &SolutionArgs, user_dir: Option<&Path>, printer: &Printer) -> Result<Exit, Error> {
    let context = Context::new(user_dir, printer);
    let scenario = super::resolve(&args.scenario, user_dir)?;
    let latest = flow::solution_seed(&context.history, scenario.id(), args.force)?;
    let seed = args.seed.or(latest).unwrap_or(1);
    let rendered = super::render(&scenario, seed)?;
    let profile = scenario.file.cluster.profile;
    let steps =
        shell_steps(&rendered.solution, &rendered.files, &cluster_name(profile)).map_err(|e| Error::Template {
            name: "solution".to_owned(),
            message: e.to_string(),
        })?;
    let view = SolutionView {
        scenario: scenario.id(),
        seed,
        explanation: &rendered.explanation,
        steps,
    };
    match args.output {
        OutputFormat::Json => printer.json(&view),
        OutputFormat::Yaml => printer.yaml(&view),
        OutputFormat::Text => {
            let commands: Vec<&str> = view.steps.iter().map(|s| s.shell.as_str()).collect();
            printer.data(&format!(
                "{}\n{}\n\n{}\n{}\n",
                printer.heading(&format!("{} (seed {seed}) — what was wrong", scenario.id())),
                rendered.explanation.trim_end(),
                printer.heading("Reference solution (paste into a shell)"),
                commands.join("\n\n"),
            ));
            printer.hint(&format!(
                "the commands act on the cluster `KUBECONFIG` names; kubedrill's is `export KUBECONFIG={}`",
                context.data.kubeconfig(profile).display()
            ));
        }
    }
    Ok(Exit::Success)
}

/// `kubedrill scenario verify`.
pub fn verify(
    args: &crate::cli::VerifyScenarioArgs,
    user_dir: Option<&Path>,
    printer: &Printer,
) -> Result<Exit, Error> {
    let context = Context::new(user_dir, printer).on(&args.live);
    context.offer_tools(printer)?;
    let scenario = super::resolve(&args.scenario, user_dir)?;
    let lab = context.lab();
    let stages = crate::practice::verify::verify(&lab, &scenario, args.seed, args.profile)?;
    match args.output {
        OutputFormat::Json => printer.json(&stages),
        OutputFormat::Yaml => printer.yaml(&stages),
        OutputFormat::Text => {
            let mut rows = vec![
                ["STAGE", "RESULT", "POINTS", "DETAIL"]
                    .map(|h| printer.heading(h))
                    .to_vec(),
            ];
            for s in &stages {
                rows.push(vec![
                    s.name.clone(),
                    if s.ok { printer.good("ok") } else { printer.bad("WRONG") },
                    format!("{}/{}", s.earned, s.possible),
                    s.detail.clone(),
                ]);
            }
            printer.data(&crate::output::table(&rows));
        }
    }
    if stages.iter().all(|s| s.ok) {
        printer.success(&format!(
            "`{}` behaves: broken fails, the solution gets full marks, every shortcut is caught",
            scenario.id()
        ));
        Ok(Exit::Success)
    } else {
        Ok(Exit::Failed)
    }
}

/// `kubedrill exam ...`.
pub fn exam(command: &ExamCommand, user_dir: Option<&Path>, printer: &Printer) -> Result<Exit, Error> {
    let context = Context::new(user_dir, printer);
    match command {
        ExamCommand::Start(args) => exam_start(&context.on(&args.live), args, printer),
        ExamCommand::Task(args) => exam_task(&context, args.number, None, printer),
        ExamCommand::Flag(args) => exam_task(&context, args.number, Some(!args.off), printer),
    }
}

fn exam_start(context: &Context, args: &ExamStartArgs, printer: &Printer) -> Result<Exit, Error> {
    context.offer_tools(printer)?;
    let catalogue = crate::catalogue::Catalogue::load(context.user_dir.as_deref())?;
    let scenarios = catalogue.entries.into_iter().map(|e| e.scenario).collect();
    let pool = if context.given.is_some() {
        // One cluster for every task: one profile's scenarios that stay in their namespaces.
        let profile = args.profile.unwrap_or(crate::scenario::model::Profile::Kindnet);
        flow::exam_pool(scenarios, args.domain, Some(profile))
            .into_iter()
            .filter(|s| crate::catalogue::render(s, 1).is_ok_and(|r| !r.is_cluster_wide()))
            .collect()
    } else {
        flow::exam_pool(scenarios, args.domain, args.profile)
    };
    let request = ExamRequest {
        pool: &pool,
        tasks: args.tasks,
        duration_ms: args.duration.as_millis(),
        seed: args.seed.unwrap_or_else(fresh_seed),
    };
    let started = context.run(PASS_MARK, |env| flow::exam_start(env, &request))?;
    if started.session.tasks.len() < args.tasks {
        printer.warning(&format!(
            "only {} of {} tasks could be drawn (the catalogue is small, or tasks could not share a cluster)",
            started.session.tasks.len(),
            args.tasks
        ));
    }
    show_started(printer, &started, args.output, args.verbose);
    if args.output != OutputFormat::Text {
        return Ok(Exit::Success);
    }
    foreground(context, &started.session, printer)
}

fn exam_task(context: &Context, number: usize, flag: Option<bool>, printer: &Printer) -> Result<Exit, Error> {
    let (session, rendered) = match context.session(printer, PASS_MARK, |env| flow::exam_task(env, number, flag))? {
        Now::TimeUp(finished) => return time_up(printer, &finished),
        Now::Running(found) => found,
    };
    let index = number - 1;
    if let Some(flag) = flag {
        printer.success(&format!(
            "task {number} {}",
            if flag { "flagged for review" } else { "unflagged" }
        ));
        return Ok(Exit::Success);
    }
    let mut out = format!(
        "{}\n",
        printer.heading(&format!("Task {number} of {}", session.tasks.len()))
    );
    out.push_str(&task_text(printer, &session, index, &rendered.task));
    printer.data(&out);
    Ok(Exit::Success)
}
