//! The history of graded attempts: an embedded SQLite database (`history.sqlite3` in
//! kubedrill's data folder, WAL mode) written one transaction per submit, so a crash or
//! `kill -9` mid-write leaves every committed attempt intact and none half-written. An attempt
//! is keyed by its session and task, so retrying a submit never records it twice.
//!
//! Reads and writes the database only; never grades or prints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, params};
use serde::Serialize;

use super::clock::Timestamp;
use super::error::PracticeError;

/// Schema version (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    task_index INTEGER NOT NULL,
    mode TEXT NOT NULL,
    scenario TEXT NOT NULL,
    domain TEXT NOT NULL,
    seed INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    earned INTEGER,
    possible INTEGER,
    total INTEGER,
    percent REAL,
    passed INTEGER,
    hints_used INTEGER NOT NULL,
    hint_penalty INTEGER NOT NULL,
    checks_run INTEGER NOT NULL,
    graded_late_ms INTEGER NOT NULL,
    kubedrill_version TEXT NOT NULL,
    UNIQUE (session_id, task_index)
);
CREATE TABLE IF NOT EXISTS verdicts (
    attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    check_id TEXT NOT NULL,
    grader TEXT NOT NULL,
    status TEXT NOT NULL,
    points INTEGER NOT NULL,
    earned INTEGER NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (attempt_id, check_id)
);
CREATE INDEX IF NOT EXISTS attempts_by_scenario ON attempts (scenario, ended_at);
";

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Submitted by the learner.
    Submitted,
    /// Graded when time ran out.
    TimedOut,
    /// Abandoned: not graded.
    Abandoned,
}

impl Outcome {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::TimedOut => "timed-out",
            Self::Abandoned => "abandoned",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "submitted" => Self::Submitted,
            "timed-out" => Self::TimedOut,
            _ => Self::Abandoned,
        }
    }
}

/// A graded attempt's score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Score {
    /// Points earned after hint penalties.
    pub earned: u32,
    /// Points of the checks evaluated.
    pub possible: u32,
    /// Points of every check.
    pub total: u32,
    /// Percentage.
    pub percent: f64,
    /// At or above the pass mark.
    pub passed: bool,
}

/// One check's verdict in an attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckRow {
    /// Check id.
    pub check_id: String,
    /// Grader id.
    pub grader: String,
    /// `pass`, `fail`, `error`, `not-evaluated`.
    pub status: String,
    /// Points it is worth.
    pub points: u32,
    /// Points earned.
    pub earned: u32,
    /// The verdict's sentence.
    pub message: String,
}

/// One attempt at one task.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Attempt {
    /// The session it belongs to.
    pub session_id: String,
    /// Its task's position in the session.
    pub task_index: u32,
    /// `practice` or `exam`.
    pub mode: String,
    /// Scenario id.
    pub scenario: String,
    /// CKA domain.
    pub domain: String,
    /// Seed.
    pub seed: u64,
    /// When the timer started.
    pub started_at: Timestamp,
    /// When it ended.
    pub ended_at: Timestamp,
    /// Time used (capped at the limit).
    pub duration_ms: u64,
    /// How it ended.
    pub outcome: Outcome,
    /// The score (none when abandoned).
    pub score: Option<Score>,
    /// Hints taken.
    pub hints_used: u32,
    /// Points they cost.
    pub hint_penalty: u32,
    /// `check` runs.
    pub checks_run: u32,
    /// How long after the deadline it was graded (time-outs noticed on a later command).
    pub graded_late_ms: u64,
    /// Per-check verdicts.
    pub checks: Vec<CheckRow>,
}

/// The history database.
#[derive(Debug)]
pub struct History {
    conn: Connection,
    path: PathBuf,
}

fn db_error(path: &Path) -> impl Fn(rusqlite::Error) -> PracticeError + '_ {
    move |e| PracticeError::History {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn to_u32(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

impl History {
    /// Open (or create) the database at `path`; waits up to 5 s for another writer.
    pub fn open(path: &Path) -> Result<Self, PracticeError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| PracticeError::io(dir, &e))?;
        }
        let err = db_error(path);
        let conn = Connection::open(path).map_err(&err)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(&err)?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(&err)?;
        if version > SCHEMA_VERSION {
            return Err(PracticeError::History {
                path: path.to_path_buf(),
                message: format!("written by a newer kubedrill (schema {version}, this one reads {SCHEMA_VERSION})"),
            });
        }
        conn.pragma_update(None, "journal_mode", "WAL").map_err(&err)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(&err)?;
        conn.execute_batch(SCHEMA).map_err(&err)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(&err)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Record attempts in one transaction; how many were new (already recorded ones, from a
    /// retried submit, are left as they are).
    pub fn record(&mut self, attempts: &[Attempt]) -> Result<usize, PracticeError> {
        let path = self.path.clone();
        let err = db_error(&path);
        let tx = self.conn.transaction().map_err(&err)?;
        let mut inserted = 0;
        for a in attempts {
            let score = a.score.as_ref();
            let changed = tx
                .execute(
                    "INSERT OR IGNORE INTO attempts (session_id, task_index, mode, scenario, domain, seed, started_at,
                        ended_at, duration_ms, outcome, earned, possible, total, percent, passed, hints_used,
                        hint_penalty, checks_run, graded_late_ms, kubedrill_version)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
                    params![
                        a.session_id,
                        a.task_index,
                        a.mode,
                        a.scenario,
                        a.domain,
                        to_i64(a.seed),
                        a.started_at.0,
                        a.ended_at.0,
                        to_i64(a.duration_ms),
                        a.outcome.as_str(),
                        score.map(|s| s.earned),
                        score.map(|s| s.possible),
                        score.map(|s| s.total),
                        score.map(|s| s.percent),
                        score.map(|s| s.passed),
                        a.hints_used,
                        a.hint_penalty,
                        a.checks_run,
                        to_i64(a.graded_late_ms),
                        env!("CARGO_PKG_VERSION"),
                    ],
                )
                .map_err(&err)?;
            if changed == 0 {
                continue;
            }
            let id = tx.last_insert_rowid();
            for c in &a.checks {
                tx.execute(
                    "INSERT INTO verdicts (attempt_id, check_id, grader, status, points, earned, message)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![id, c.check_id, c.grader, c.status, c.points, c.earned, c.message],
                )
                .map_err(&err)?;
            }
            inserted += 1;
        }
        tx.commit().map_err(&err)?;
        Ok(inserted)
    }

    /// Attempts, newest first (optionally of one scenario), with their verdicts.
    pub fn attempts(&self, scenario: Option<&str>) -> Result<Vec<Attempt>, PracticeError> {
        let err = db_error(&self.path);
        let mut statement = self
            .conn
            .prepare(
                "SELECT id, session_id, task_index, mode, scenario, domain, seed, started_at, ended_at, duration_ms,
                        outcome, earned, possible, total, percent, passed, hints_used, hint_penalty, checks_run,
                        graded_late_ms
                 FROM attempts WHERE ?1 IS NULL OR scenario = ?1 ORDER BY ended_at DESC, id DESC",
            )
            .map_err(&err)?;
        let rows = statement
            .query_map([scenario], |r| {
                let score = match r.get::<_, Option<i64>>(11)? {
                    Some(earned) => Some(Score {
                        earned: to_u32(earned),
                        possible: to_u32(r.get(12)?),
                        total: to_u32(r.get(13)?),
                        percent: r.get(14)?,
                        passed: r.get(15)?,
                    }),
                    None => None,
                };
                Ok((
                    r.get::<_, i64>(0)?,
                    Attempt {
                        session_id: r.get(1)?,
                        task_index: r.get(2)?,
                        mode: r.get(3)?,
                        scenario: r.get(4)?,
                        domain: r.get(5)?,
                        seed: u64::try_from(r.get::<_, i64>(6)?).unwrap_or(0),
                        started_at: Timestamp(r.get(7)?),
                        ended_at: Timestamp(r.get(8)?),
                        duration_ms: u64::try_from(r.get::<_, i64>(9)?).unwrap_or(0),
                        outcome: Outcome::parse(&r.get::<_, String>(10)?),
                        score,
                        hints_used: r.get(16)?,
                        hint_penalty: r.get(17)?,
                        checks_run: r.get(18)?,
                        graded_late_ms: u64::try_from(r.get::<_, i64>(19)?).unwrap_or(0),
                        checks: Vec::new(),
                    },
                ))
            })
            .map_err(&err)?;
        let mut attempts = Vec::new();
        for row in rows {
            let (id, mut attempt) = row.map_err(&err)?;
            attempt.checks = self.checks(id)?;
            attempts.push(attempt);
        }
        Ok(attempts)
    }

    fn checks(&self, attempt: i64) -> Result<Vec<CheckRow>, PracticeError> {
        let err = db_error(&self.path);
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT check_id, grader, status, points, earned, message FROM verdicts WHERE attempt_id = ?1 ORDER BY rowid",
            )
            .map_err(&err)?;
        let rows = statement
            .query_map([attempt], |r| {
                Ok(CheckRow {
                    check_id: r.get(0)?,
                    grader: r.get(1)?,
                    status: r.get(2)?,
                    points: r.get(3)?,
                    earned: r.get(4)?,
                    message: r.get(5)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(&err)
    }
}

/// Per-scenario statistics.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ScenarioStats {
    /// Scenario id.
    pub scenario: String,
    /// Attempts (including abandoned).
    pub attempts: usize,
    /// Graded attempts that passed.
    pub passed: usize,
    /// Best percentage.
    pub best_percent: Option<f64>,
    /// Fastest passing time.
    pub best_time_ms: Option<u64>,
    /// Median passing time.
    pub median_time_ms: Option<u64>,
}

/// A check that keeps failing.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WeakSpot {
    /// Scenario id.
    pub scenario: String,
    /// Check id.
    pub check: String,
    /// Graded attempts in which it failed.
    pub failed: usize,
    /// Graded attempts in which it was scored.
    pub scored: usize,
}

/// A domain's average.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DomainStats {
    /// Graded attempts.
    pub attempts: usize,
    /// Mean percentage.
    pub mean_percent: f64,
}

/// Everything `kubedrill stats` shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stats {
    /// Per scenario, by id.
    pub scenarios: Vec<ScenarioStats>,
    /// Checks failed most often (fail rate, then count), at most 5.
    pub weak_spots: Vec<WeakSpot>,
    /// Per domain.
    pub domains: BTreeMap<String, DomainStats>,
}

/// Statistics over attempts (pure, so it is tested without a database).
#[must_use]
pub fn stats(attempts: &[Attempt]) -> Stats {
    let mut by_scenario: BTreeMap<&str, Vec<&Attempt>> = BTreeMap::new();
    for a in attempts {
        by_scenario.entry(&a.scenario).or_default().push(a);
    }
    let scenarios = by_scenario
        .iter()
        .map(|(scenario, list)| {
            let mut times: Vec<u64> = list
                .iter()
                .filter(|a| a.score.as_ref().is_some_and(|s| s.passed))
                .map(|a| a.duration_ms)
                .collect();
            times.sort_unstable();
            ScenarioStats {
                scenario: (*scenario).to_owned(),
                attempts: list.len(),
                passed: times.len(),
                best_percent: list
                    .iter()
                    .filter_map(|a| a.score.as_ref().map(|s| s.percent))
                    .reduce(f64::max),
                best_time_ms: times.first().copied(),
                median_time_ms: median(&times),
            }
        })
        .collect();
    Stats {
        scenarios,
        weak_spots: weak_spots(attempts),
        domains: domains(attempts),
    }
}

fn median(sorted: &[u64]) -> Option<u64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some(u64::midpoint(sorted[n / 2 - 1], sorted[n / 2])),
    }
}

fn weak_spots(attempts: &[Attempt]) -> Vec<WeakSpot> {
    let mut counts: BTreeMap<(&str, &str), (usize, usize)> = BTreeMap::new();
    for a in attempts.iter().filter(|a| a.score.is_some()) {
        for c in a.checks.iter().filter(|c| c.status == "pass" || c.status == "fail") {
            let entry = counts.entry((&a.scenario, &c.check_id)).or_default();
            entry.1 += 1;
            if c.status == "fail" {
                entry.0 += 1;
            }
        }
    }
    let mut spots: Vec<WeakSpot> = counts
        .into_iter()
        .filter(|(_, (failed, _))| *failed > 0)
        .map(|((scenario, check), (failed, scored))| WeakSpot {
            scenario: scenario.to_owned(),
            check: check.to_owned(),
            failed,
            scored,
        })
        .collect();
    // Highest fail rate first (compared as fractions, exactly), then most failures.
    spots.sort_by(|a, b| {
        (b.failed * a.scored)
            .cmp(&(a.failed * b.scored))
            .then(b.failed.cmp(&a.failed))
    });
    spots.truncate(5);
    spots
}

fn domains(attempts: &[Attempt]) -> BTreeMap<String, DomainStats> {
    let mut sums: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
    for a in attempts {
        if let Some(score) = &a.score {
            let entry = sums.entry(&a.domain).or_default();
            entry.0 += 1;
            entry.1 += score.percent;
        }
    }
    sums.into_iter()
        .map(|(domain, (n, sum))| {
            #[allow(clippy::cast_precision_loss)]
            let mean = sum / n as f64;
            (
                domain.to_owned(),
                DomainStats {
                    attempts: n,
                    mean_percent: mean,
                },
            )
        })
        .collect()
}
