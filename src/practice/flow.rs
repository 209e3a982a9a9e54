//! The learner's loop as functions over a [`Lab`], a [`Clock`], the session [`Store`] and the
//! history database: `start`, `exam_start`, `status`, `check`, `hint`, `submit`, `abandon`,
//! exam navigation, `solution`. Every command first settles a session whose time ran out
//! (graded automatically, recorded, ended) before doing anything else.
//!
//! Order makes crashes harmless: the session file is written only after the scenario is set
//! up and verified broken; on submit, history is committed before the session is removed (a
//! retried submit finds the attempt already recorded). Never prints.

use std::path::{Path, PathBuf};

use graders::score::{ExamScore, ExamTask, ScoreCard, grade};

use super::clock::{Clock, Timestamp};
use super::error::PracticeError;
use super::exam::{Candidate, draw};
use super::history::{Attempt, CheckRow, History, Outcome, Score};
use super::lab::Lab;
use super::session::{Access, Mode, NextHint, SESSION_VERSION, Session, Task, take_hint};
use super::store::Store;
use super::timer::Countdown;
use crate::catalogue::{render, resolve};
use crate::cluster::lifecycle::Timings;
use crate::error::Error;
use crate::scenario::footprint::footprint;
use crate::scenario::model::{Domain, Profile};
use crate::scenario::prng::SplitMix64;
use crate::scenario::{Rendered, Scenario};

/// What every flow works with.
pub struct Env<'a> {
    /// The clusters.
    pub lab: &'a dyn Lab,
    /// The time.
    pub clock: &'a dyn Clock,
    /// The session file.
    pub store: &'a Store,
    /// The history database.
    pub history: &'a Path,
    /// The instructor's scenario folder (`--scenarios`), if any.
    pub scenarios_dir: Option<&'a Path>,
    /// Pass mark in percent.
    pub pass_mark: f64,
}

/// A session that has just started.
#[derive(Debug)]
pub struct Started {
    /// The session as saved.
    pub session: Session,
    /// The first task's rendered scenario (its task text is shown).
    pub rendered: Rendered,
    /// Each setup phase's time.
    pub timings: Timings,
}

/// One graded task.
#[derive(Debug)]
pub struct Graded {
    /// Its position.
    pub index: usize,
    /// The task.
    pub task: Task,
    /// Its rendered scenario (explanation, solution).
    pub rendered: Rendered,
    /// The score, hint penalties deducted.
    pub card: ScoreCard,
}

/// A session that has ended with a grade.
#[derive(Debug)]
pub struct Finished {
    /// The session as it was.
    pub session: Session,
    /// Every task graded.
    pub graded: Vec<Graded>,
    /// Submitted, or timed out.
    pub outcome: Outcome,
    /// How long after the deadline it was graded (0 unless timed out).
    pub late_ms: u64,
    /// The weighted exam result (exam mode).
    pub exam: Option<ExamScore>,
    /// Attempts newly written to history (0 when a retried submit had recorded them).
    pub recorded: usize,
}

/// What a practice attempt asks for.
pub struct StartRequest<'s> {
    /// The scenario.
    pub scenario: &'s Scenario,
    /// How the learner named it.
    pub reference: String,
    /// Its seed.
    pub seed: u64,
    /// Overrides the scenario's time limit (milliseconds).
    pub time_limit_ms: Option<u64>,
    /// Overrides the scenario's cluster profile.
    pub profile: Option<Profile>,
}

fn task_for(scenario: &Scenario, reference: String, seed: u64, access: Access) -> Task {
    let file = &scenario.file;
    Task {
        scenario: scenario.id().to_owned(),
        reference,
        title: file.title.clone(),
        domain: file.domain,
        weight: file.weight,
        seed,
        access,
        flagged: false,
        hints: Vec::new(),
    }
}

fn ensure_idle(store: &Store) -> Result<(), PracticeError> {
    match store.load()? {
        Some(active) => Err(PracticeError::Active {
            mode: active.mode.as_str(),
            scenario: active.tasks.first().map(|t| t.scenario.clone()).unwrap_or_default(),
        }),
        None => Ok(()),
    }
}

/// Start a practice attempt: prepare the cluster, set the scenario up broken (verified), then
/// start the countdown and save the session.
pub fn start(env: &Env<'_>, request: StartRequest<'_>) -> Result<Started, Error> {
    let _lock = env.store.lock()?;
    ensure_idle(env.store)?;
    let scenario = request.scenario;
    let rendered = render(scenario, request.seed)?;
    let mut timings = Timings::default();
    let cluster = &scenario.file.cluster;
    let profile = request.profile.unwrap_or(cluster.profile);
    if cluster.profile.enforces_network_policy() && !profile.enforces_network_policy() {
        return Err(PracticeError::ProfileTooWeak {
            scenario: scenario.id().to_owned(),
            profile,
        }
        .into());
    }
    let access = env.lab.prepare(profile, cluster.workers, &mut timings)?;
    env.lab.set_up(&access, scenario.id(), &rendered, &mut timings)?;
    let started = env.clock.now();
    let session = Session {
        version: SESSION_VERSION,
        id: Session::new_id(started, scenario.id()),
        mode: Mode::Practice,
        countdown: Countdown {
            started,
            limit_ms: request
                .time_limit_ms
                .unwrap_or_else(|| scenario.file.time_limit.value.as_millis()),
        },
        scenarios_dir: env.scenarios_dir.map(Path::to_path_buf),
        tasks: vec![task_for(scenario, request.reference, request.seed, access)],
        current: 0,
        checks_run: 0,
    };
    env.store.save(&session)?;
    Ok(Started {
        session,
        rendered,
        timings,
    })
}

/// What an exam asks for.
pub struct ExamRequest<'s> {
    /// Scenarios to draw from (already filtered by domain).
    pub pool: &'s [Scenario],
    /// Tasks wanted.
    pub tasks: usize,
    /// Time for the whole exam (milliseconds).
    pub duration_ms: u64,
    /// Seed of the draw and of every task.
    pub seed: u64,
}

/// A task's own seed within an exam (so two scenarios with alike params do not collide).
#[must_use]
pub fn task_seed(exam_seed: u64, scenario: &str) -> u64 {
    SplitMix64::for_param(exam_seed, scenario).next_u64() % 1_000_000
}

/// Start an exam: draw the tasks, prepare one cluster per profile they need, set every task up
/// (all verified broken) and only then start the countdown.
pub fn exam_start(env: &Env<'_>, request: &ExamRequest<'_>) -> Result<Started, Error> {
    let _lock = env.store.lock()?;
    ensure_idle(env.store)?;
    let mut rendered = Vec::new();
    let mut candidates = Vec::new();
    for scenario in request.pool {
        let seed = task_seed(request.seed, scenario.id());
        let r = render(scenario, seed)?;
        candidates.push(Candidate {
            id: scenario.id().to_owned(),
            domain: scenario.file.domain,
            weight: scenario.file.weight,
            profile: scenario.file.cluster.profile,
            footprint: footprint(&r),
        });
        rendered.push((seed, r));
    }
    let picked = draw(&candidates, request.tasks, request.seed);
    if picked.is_empty() {
        return Err(PracticeError::NoExam {
            reason: "no scenario matches".to_owned(),
        }
        .into());
    }
    let mut timings = Timings::default();
    let mut clusters: Vec<Access> = Vec::new();
    let mut tasks = Vec::new();
    for &i in &picked {
        let scenario = &request.pool[i];
        let profile = scenario.file.cluster.profile;
        let access = if let Some(access) = clusters.iter().find(|a| a.profile == profile) {
            access.clone()
        } else {
            let workers = picked
                .iter()
                .map(|&j| &request.pool[j].file.cluster)
                .filter(|c| c.profile == profile)
                .map(|c| c.workers)
                .max()
                .unwrap_or(1);
            let access = env.lab.prepare(profile, workers, &mut timings)?;
            clusters.push(access.clone());
            access
        };
        let (seed, r) = &rendered[i];
        env.lab.set_up(&access, scenario.id(), r, &mut timings)?;
        tasks.push(task_for(scenario, scenario.id().to_owned(), *seed, access));
    }
    let started = env.clock.now();
    let session = Session {
        version: SESSION_VERSION,
        id: Session::new_id(started, "exam"),
        mode: Mode::Exam,
        countdown: Countdown {
            started,
            limit_ms: request.duration_ms,
        },
        scenarios_dir: env.scenarios_dir.map(Path::to_path_buf),
        tasks,
        current: 0,
        checks_run: 0,
    };
    env.store.save(&session)?;
    let first = rendered.swap_remove(picked[0]).1;
    Ok(Started {
        session,
        rendered: first,
        timings,
    })
}

/// Render a session's task (the same bytes as at setup: same scenario, same seed).
pub fn render_task(session: &Session, index: usize) -> Result<Rendered, Error> {
    let task = session.tasks.get(index).ok_or(PracticeError::NoTask {
        number: index + 1,
        count: session.tasks.len(),
    })?;
    let scenario = resolve(&task.reference, session.scenarios_dir.as_deref())?;
    render(&scenario, task.seed)
}

fn grade_task(env: &Env<'_>, session: &Session, index: usize) -> Result<Graded, Error> {
    let rendered = render_task(session, index)?;
    let task = session.tasks[index].clone();
    let observation = env.lab.observe(&task.access, &rendered)?;
    let card = ScoreCard::new(
        grade(&rendered.checks, &observation),
        task.hint_penalty(),
        env.pass_mark,
    );
    Ok(Graded {
        index,
        task,
        rendered,
        card,
    })
}

/// How one task ended, for its history row.
struct Ending {
    outcome: Outcome,
    now: Timestamp,
    late_ms: u64,
}

fn attempt(session: &Session, index: usize, task: &Task, card: Option<&ScoreCard>, end: &Ending) -> Attempt {
    let Ending { outcome, now, late_ms } = *end;
    Attempt {
        session_id: session.id.clone(),
        task_index: u32::try_from(index).unwrap_or(u32::MAX),
        mode: session.mode.as_str().to_owned(),
        scenario: task.scenario.clone(),
        domain: task.domain.to_string(),
        seed: task.seed,
        started_at: session.countdown.started,
        ended_at: now,
        duration_ms: session.countdown.elapsed(now),
        outcome,
        score: card.map(|card| Score {
            earned: card.earned,
            possible: card.possible,
            total: card.total,
            percent: card.percent,
            passed: card.passed,
        }),
        hints_used: u32::try_from(task.hints.len()).unwrap_or(u32::MAX),
        hint_penalty: task.hint_penalty(),
        checks_run: session.checks_run,
        graded_late_ms: late_ms,
        checks: card
            .iter()
            .flat_map(|card| &card.checks)
            .map(|c| CheckRow {
                check_id: c.id.clone(),
                grader: c.grader.to_owned(),
                status: c.verdict.status().to_owned(),
                points: c.points,
                earned: c.earned,
                message: c.verdict.message().to_owned(),
            })
            .collect(),
    }
}

/// Grade every task, record the attempts, end the session. The caller holds the lock.
fn finish(env: &Env<'_>, session: Session) -> Result<Finished, Error> {
    let now = env.clock.now();
    let deadline = session.countdown.deadline();
    let (outcome, late_ms) = if session.countdown.expired(now) {
        (Outcome::TimedOut, now.since(deadline))
    } else {
        (Outcome::Submitted, 0)
    };
    let graded = (0..session.tasks.len())
        .map(|i| grade_task(env, &session, i))
        .collect::<Result<Vec<_>, _>>()?;
    let end = Ending { outcome, now, late_ms };
    let attempts: Vec<Attempt> = graded
        .iter()
        .map(|g| attempt(&session, g.index, &g.task, Some(&g.card), &end))
        .collect();
    let recorded = History::open(env.history)?.record(&attempts)?;
    env.store.remove()?;
    let exam = (session.mode == Mode::Exam).then(|| {
        let tasks = graded
            .iter()
            .map(|g| ExamTask {
                scenario: g.task.scenario.clone(),
                domain: g.task.domain.to_string(),
                weight: g.task.weight,
                percent: g.card.percent,
            })
            .collect();
        ExamScore::new(tasks, env.pass_mark)
    });
    Ok(Finished {
        session,
        graded,
        outcome,
        late_ms,
        exam,
        recorded,
    })
}

/// Load the session; when its time has run out, grade and end it first (`Err(Finished)`).
fn live_session(env: &Env<'_>) -> Result<Result<Session, Box<Finished>>, Error> {
    let session = env.store.require()?;
    if !session.countdown.expired(env.clock.now()) {
        return Ok(Ok(session));
    }
    let _lock = env.store.lock()?;
    let session = env.store.require()?;
    Ok(Err(Box::new(finish(env, session)?)))
}

/// How far past its deadline a session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overdue {
    /// The time it had (milliseconds).
    pub limit_ms: u64,
    /// How long ago that ran out (milliseconds).
    pub late_ms: u64,
}

/// The active session's overdue time when its time has run out; `None` with time left, no
/// session, or a session file that cannot be read (the command's flow reports that).
#[must_use]
pub fn overdue(env: &Env<'_>) -> Option<Overdue> {
    let countdown = env.store.load().ok().flatten()?.countdown;
    let now = env.clock.now();
    countdown.expired(now).then(|| Overdue {
        limit_ms: countdown.limit_ms,
        late_ms: now.since(countdown.deadline()),
    })
}

/// Grade and end the active session now.
pub fn submit(env: &Env<'_>) -> Result<Finished, Error> {
    let _lock = env.store.lock()?;
    let session = env.store.require()?;
    finish(env, session)
}

/// A command's result while the session runs, or the grade it got because its time had run
/// out (graded automatically, recorded and ended before the command could run).
#[derive(Debug)]
pub enum Now<T> {
    /// The session runs: the command's result.
    Running(T),
    /// Time ran out: the attempt has just been graded and ended.
    TimeUp(Box<Finished>),
}

/// The active session (`None` when idle), settling it if its time is up.
pub fn status(env: &Env<'_>) -> Result<Option<Now<Session>>, Error> {
    if env.store.load()?.is_none() {
        return Ok(None);
    }
    Ok(Some(match live_session(env)? {
        Ok(session) => Now::Running(session),
        Err(finished) => Now::TimeUp(finished),
    }))
}

/// Grade the practice task now, without ending it.
pub fn check(env: &Env<'_>) -> Result<Now<Box<Graded>>, Error> {
    let session = match live_session(env)? {
        Ok(session) => session,
        Err(finished) => return Ok(Now::TimeUp(finished)),
    };
    if session.mode == Mode::Exam {
        return Err(PracticeError::ExamForbids { command: "check" }.into());
    }
    let graded = grade_task(env, &session, session.current)?;
    let _lock = env.store.lock()?;
    if let Some(mut latest) = env.store.load()?.filter(|s| s.id == session.id) {
        latest.checks_run += 1;
        env.store.save(&latest)?;
    }
    Ok(Now::Running(Box::new(graded)))
}

/// The hints taken so far and what comes next.
#[derive(Debug)]
pub struct HintView {
    /// Taken hints: text and the points each cost.
    pub taken: Vec<(String, u32)>,
    /// The next hint's state (after this call).
    pub next: NextHint,
    /// Whether this call took a new one.
    pub took_new: bool,
}

/// Take the next hint if it is unlocked (or `early`, for its penalty); show all taken.
pub fn hint(env: &Env<'_>, early: bool) -> Result<Now<HintView>, Error> {
    if let Err(finished) = live_session(env)? {
        return Ok(Now::TimeUp(finished));
    }
    let _lock = env.store.lock()?;
    let mut session = env.store.require()?;
    if session.mode == Mode::Exam {
        return Err(PracticeError::ExamForbids { command: "hint" }.into());
    }
    let rendered = render_task(&session, session.current)?;
    let now = env.clock.now();
    let countdown = session.countdown;
    let current = session.current;
    let task = &mut session.tasks[current];
    let before = task.hints.len();
    take_hint(&rendered.hints, task, &countdown, now, early);
    let took_new = task.hints.len() > before;
    let next = super::session::next_hint(&rendered.hints, &task.hints, countdown.elapsed(now));
    let taken = task
        .hints
        .iter()
        .filter_map(|h| rendered.hints.get(h.index).map(|r| (r.text.clone(), h.penalty)))
        .collect();
    if took_new {
        env.store.save(&session)?;
    }
    Ok(Now::Running(HintView { taken, next, took_new }))
}

/// What `abandon` did.
#[derive(Debug)]
pub struct Abandoned {
    /// The session dropped (none when its file was unreadable).
    pub session: Option<Session>,
    /// Where an unreadable session file was moved.
    pub set_aside: Option<PathBuf>,
}

/// Drop the active session, recorded as abandoned (ungraded). With `force`, an unreadable
/// session file is set aside, and a history that cannot be written does not stop it.
pub fn abandon(env: &Env<'_>, force: bool) -> Result<Abandoned, Error> {
    let _lock = env.store.lock()?;
    let session = match env.store.load() {
        Ok(Some(session)) => session,
        Ok(None) => return Err(PracticeError::NoSession.into()),
        Err(PracticeError::CorruptSession { .. }) if force => {
            let set_aside = env.store.quarantine(env.clock.now())?;
            return Ok(Abandoned {
                session: None,
                set_aside,
            });
        }
        Err(e) => return Err(e.into()),
    };
    let end = Ending {
        outcome: Outcome::Abandoned,
        now: env.clock.now(),
        late_ms: 0,
    };
    let attempts: Vec<Attempt> = session
        .tasks
        .iter()
        .enumerate()
        .map(|(index, task)| attempt(&session, index, task, None, &end))
        .collect();
    let recorded = History::open(env.history).and_then(|mut h| h.record(&attempts));
    if let Err(e) = recorded
        && !force
    {
        return Err(e.into());
    }
    env.store.remove()?;
    Ok(Abandoned {
        session: Some(session),
        set_aside: None,
    })
}

/// Show exam task `number` (1-based), making it the current one; optionally set its flag.
pub fn exam_task(env: &Env<'_>, number: usize, flag: Option<bool>) -> Result<Now<(Session, Rendered)>, Error> {
    let command = if flag.is_some() { "exam flag" } else { "exam task" };
    let session = match live_session(env).map_err(|e| match e {
        Error::Practice(PracticeError::NoSession) => PracticeError::NotAnExam { command }.into(),
        e => e,
    })? {
        Ok(session) => session,
        Err(finished) => return Ok(Now::TimeUp(finished)),
    };
    if session.mode != Mode::Exam {
        return Err(PracticeError::NotAnExam { command }.into());
    }
    let index = number.wrapping_sub(1);
    if index >= session.tasks.len() {
        return Err(PracticeError::NoTask {
            number,
            count: session.tasks.len(),
        }
        .into());
    }
    let _lock = env.store.lock()?;
    let mut session = env.store.require()?;
    session.current = index;
    if let Some(flag) = flag {
        session.tasks[index].flagged = flag;
    }
    env.store.save(&session)?;
    let rendered = render_task(&session, index)?;
    Ok(Now::Running((session, rendered)))
}

/// The scenarios an exam may draw from: the catalogue, optionally one domain and profile.
#[must_use]
pub fn exam_pool(scenarios: Vec<Scenario>, domain: Option<Domain>, profile: Option<Profile>) -> Vec<Scenario> {
    scenarios
        .into_iter()
        .filter(|s| domain.is_none_or(|d| s.file.domain == d))
        .filter(|s| profile.is_none_or(|p| s.file.cluster.profile == p))
        .collect()
}

/// The seed of `scenario`'s latest graded attempt, or `SolutionLocked` unless `force`.
pub fn solution_seed(history: &Path, scenario: &str, force: bool) -> Result<Option<u64>, Error> {
    let attempts = match Some(history).filter(|h| h.exists()).map_or(Ok(Vec::new()), |h| {
        History::open(h).and_then(|h| h.attempts(Some(scenario)))
    }) {
        Ok(attempts) => attempts,
        Err(_) if force => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let latest = attempts
        .iter()
        .find(|a| a.outcome != Outcome::Abandoned)
        .map(|a| a.seed);
    if latest.is_none() && !force {
        return Err(PracticeError::SolutionLocked {
            scenario: scenario.to_owned(),
        }
        .into());
    }
    Ok(latest)
}
