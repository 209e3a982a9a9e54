//! The attempt history on a real SQLite file: concurrent writers, a crash in the middle of a
//! write (the files on disk copied while a transaction is open, as a `kill -9` would leave
//! them), a retried submit, and statistics.

use std::path::Path;

use kubedrill::practice::clock::Timestamp;
use kubedrill::practice::history::{Attempt, CheckRow, History, Outcome, Score, stats};

fn attempt(session: &str, scenario: &str, percent: f64, duration_ms: u64, failing: &[&str]) -> Attempt {
    let checks = ["a", "b", "c"]
        .iter()
        .map(|id| {
            let fail = failing.contains(id);
            CheckRow {
                check_id: (*id).to_owned(),
                grader: "assert".to_owned(),
                status: if fail { "fail" } else { "pass" }.to_owned(),
                points: 1,
                earned: u32::from(!fail),
                message: String::new(),
            }
        })
        .collect();
    Attempt {
        session_id: session.to_owned(),
        task_index: 0,
        mode: "practice".to_owned(),
        scenario: scenario.to_owned(),
        domain: "services-networking".to_owned(),
        seed: 1,
        started_at: Timestamp(1_000),
        ended_at: Timestamp(1_000 + i64::try_from(duration_ms).expect("small")),
        duration_ms,
        outcome: Outcome::Submitted,
        score: Some(Score {
            earned: 3,
            possible: 3,
            total: 3,
            percent,
            passed: percent >= 66.0,
        }),
        hints_used: 0,
        hint_penalty: 0,
        checks_run: 0,
        graded_late_ms: 0,
        checks,
    }
}

fn count(path: &Path) -> usize {
    History::open(path).expect("open").attempts(None).expect("read").len()
}

#[test]
fn concurrent_writers_all_commit() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("history.sqlite3");
    History::open(&path).expect("create");
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut history = History::open(&path).expect("open");
                for i in 0..25 {
                    let inserted = history
                        .record(&[attempt(&format!("w{w}-{i}"), "s", 100.0, 1_000, &[])])
                        .expect("record under contention");
                    assert_eq!(inserted, 1);
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("writer");
    }
    assert_eq!(count(&path), 100);
}

#[test]
fn a_crash_mid_write_keeps_every_committed_attempt_and_none_half_written() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("history.sqlite3");
    let mut history = History::open(&path).expect("open");
    history
        .record(&[
            attempt("one", "s", 100.0, 1_000, &[]),
            attempt("two", "s", 50.0, 2_000, &["a"]),
        ])
        .expect("committed");

    // A writer is killed mid-transaction: its attempt row is in, its verdicts are not, no commit.
    let writer = rusqlite::Connection::open(&path).expect("writer");
    writer.execute_batch("BEGIN IMMEDIATE").expect("begin");
    writer
        .execute(
            "INSERT INTO attempts (session_id, task_index, mode, scenario, domain, seed, started_at, ended_at,
               duration_ms, outcome, hints_used, hint_penalty, checks_run, graded_late_ms, kubedrill_version)
             VALUES ('half', 0, 'practice', 's', 'x', 1, 0, 0, 0, 'submitted', 0, 0, 0, 0, 'x')",
            [],
        )
        .expect("half written");
    // What the disk holds at that instant (database and write-ahead log), as a crash leaves it.
    let crashed = tempfile::tempdir().expect("crash");
    for suffix in ["", "-wal", "-shm"] {
        let from = dir.path().join(format!("history.sqlite3{suffix}"));
        if from.exists() {
            std::fs::copy(&from, crashed.path().join(format!("history.sqlite3{suffix}"))).expect("copy");
        }
    }
    drop(writer);

    let after = crashed.path().join("history.sqlite3");
    let recovered = History::open(&after).expect("reopens after the crash");
    let attempts = recovered.attempts(None).expect("read");
    let sessions: Vec<&str> = attempts.iter().map(|a| a.session_id.as_str()).collect();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    assert!(!sessions.contains(&"half"));
    assert!(attempts.iter().all(|a| a.checks.len() == 3), "verdicts intact");
    let check: String = rusqlite::Connection::open(&after)
        .expect("raw")
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity");
    assert_eq!(check, "ok");
}

#[test]
fn recording_the_same_attempt_twice_keeps_one() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("h.sqlite3");
    let mut history = History::open(&path).expect("open");
    assert_eq!(history.record(&[attempt("x", "s", 100.0, 1, &[])]).expect("first"), 1);
    assert_eq!(history.record(&[attempt("x", "s", 100.0, 1, &[])]).expect("retry"), 0);
    assert_eq!(count(&path), 1);
}

#[test]
fn a_file_that_is_not_a_database_is_reported_and_left_alone() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("h.sqlite3");
    std::fs::write(&path, "my notes").expect("write");
    let error = History::open(&path).expect_err("not a database");
    assert!(error.to_string().contains("h.sqlite3"), "{error}");
    assert_eq!(std::fs::read_to_string(&path).expect("untouched"), "my notes");
}

#[test]
fn stats_best_and_median_times_and_weak_spots() {
    let attempts = [
        attempt("1", "svc", 100.0, 300_000, &[]),
        attempt("2", "svc", 100.0, 200_000, &[]),
        attempt("3", "svc", 33.3, 400_000, &["a", "b"]),
        attempt("4", "svc", 100.0, 500_000, &[]),
        attempt("5", "dns", 66.7, 100_000, &["a"]),
        attempt("6", "dns", 0.0, 600_000, &["a", "b", "c"]),
    ];
    let stats = stats(&attempts);
    let svc = stats.scenarios.iter().find(|s| s.scenario == "svc").expect("svc");
    assert_eq!((svc.attempts, svc.passed), (4, 3));
    assert_eq!(svc.best_time_ms, Some(200_000));
    assert_eq!(svc.median_time_ms, Some(300_000), "median of 200k, 300k, 500k");
    let dns = stats.scenarios.iter().find(|s| s.scenario == "dns").expect("dns");
    assert_eq!((dns.best_time_ms, dns.median_time_ms), (Some(100_000), Some(100_000)));
    // dns/a failed 2 of 2: the weakest spot.
    assert_eq!(
        (
            stats.weak_spots[0].scenario.as_str(),
            stats.weak_spots[0].check.as_str()
        ),
        ("dns", "a")
    );
    assert_eq!((stats.weak_spots[0].failed, stats.weak_spots[0].scored), (2, 2));
    assert!(stats.weak_spots.len() <= 5);
    let mean = stats.domains["services-networking"].mean_percent;
    assert!((mean - (100.0 + 100.0 + 33.3 + 100.0 + 66.7 + 0.0) / 6.0).abs() < 1e-9);
}
