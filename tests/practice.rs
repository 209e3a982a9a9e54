//! The learner's loop end to end over a fake lab (the cluster's state read from the fixture
//! snapshots of each scenario, broken until the test "fixes" it) and an injected clock: no
//! Docker, no sleeps, a real session file and a real SQLite history in a temp folder.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use graders::state::Observation;
use kubedrill::catalogue::resolve;
use kubedrill::cluster::lifecycle::Timings;
use kubedrill::error::Error;
use kubedrill::practice::clock::{Clock, Timestamp};
use kubedrill::practice::error::PracticeError;
use kubedrill::practice::flow::{self, Env, ExamRequest, Now, StartRequest};
use kubedrill::practice::history::{History, Outcome};
use kubedrill::practice::lab::{Lab, with_setup_baseline};
use kubedrill::practice::session::{Access, Mode, NextHint};
use kubedrill::practice::store::Store;
use kubedrill::scenario::Rendered;
use kubedrill::scenario::model::Profile;
use kubedrill::scenario::step::Step;
use kubedrill::snapshot;

const MIN: u64 = 60_000;
const T0: Timestamp = Timestamp(1_800_000_000_000);

/// A clock the test moves.
struct FakeClock(Cell<Timestamp>);

impl FakeClock {
    fn advance(&self, ms: u64) {
        self.0.set(self.0.get().plus(ms));
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        self.0.get()
    }
}

/// One cluster state per scenario ("broken" or "fixed", from the fixture snapshots, which are
/// recorded for seed 1); records what it was asked to do.
#[derive(Default)]
struct FakeLab {
    states: RefCell<BTreeMap<String, String>>,
    calls: RefCell<Vec<String>>,
    fail_setup: Cell<bool>,
    /// The reference solution changes nothing (a scenario bug `scenario verify` must catch).
    ineffective_solution: Cell<bool>,
    /// Every shortcut fixes everything (a grading hole `scenario verify` must catch).
    leaky_shortcuts: Cell<bool>,
}

fn fixture_path(scenario: &str, state: &str) -> String {
    format!(
        "{}/tests/fixtures/snapshots/{scenario}/{state}.yaml",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn scenario_id(rendered: &Rendered) -> String {
    rendered.params["scenario_id"].as_str().expect("scenario_id").to_owned()
}

impl FakeLab {
    /// The learner fixes the scenario.
    fn fix(&self, rendered: &Rendered) {
        assert_eq!(rendered.seed, 1, "fixtures are recorded for seed 1");
        self.states
            .borrow_mut()
            .insert(scenario_id(rendered), "fixed".to_owned());
    }
}

impl Lab for FakeLab {
    fn prepare(&self, profile: Profile, workers: u8, _: &mut Timings) -> Result<Access, Error> {
        self.calls
            .borrow_mut()
            .push(format!("prepare {profile} workers={workers}"));
        Ok(Access {
            profile,
            kubeconfig: PathBuf::from(format!("/fake/{profile}/kubeconfig")),
            context: Some(format!("kind-kubedrill-{profile}")),
            given: false,
            allow_foreign: false,
            agnhost_loaded: false,
        })
    }

    fn set_up(&self, _: &Access, scenario: &str, _: &Rendered, _: &mut Timings) -> Result<(), Error> {
        self.calls.borrow_mut().push(format!("set up {scenario}"));
        if self.fail_setup.get() {
            return Err(Error::Cluster(kubedrill::cluster::ClusterError::Interrupted {
                phase: "scenario setup".into(),
            }));
        }
        self.states
            .borrow_mut()
            .insert(scenario.to_owned(), "broken".to_owned());
        Ok(())
    }

    /// The solution leads to the `fixed` fixture; a shortcut to its `shortcut-<id>` fixture
    /// when one was recorded, else it leaves the state as it was.
    fn apply(&self, _: &Access, rendered: &Rendered, steps: &[Step]) -> Result<(), Error> {
        let id = scenario_id(rendered);
        let next = if steps == rendered.solution.as_slice() {
            (!self.ineffective_solution.get()).then(|| "fixed".to_owned())
        } else if let Some(alternative) = rendered.alternatives.iter().find(|a| a.steps == steps) {
            Some(format!("{ALTERNATIVE}{}", alternative.id))
        } else {
            let shortcut = rendered
                .shortcuts
                .iter()
                .find(|s| s.steps == steps)
                .expect("a known shortcut");
            let name = format!("shortcut-{}", shortcut.id);
            if self.leaky_shortcuts.get() {
                Some("fixed".to_owned())
            } else {
                Path::new(&fixture_path(&id, &name)).exists().then_some(name)
            }
        };
        self.calls.borrow_mut().push(format!("apply {} step(s)", steps.len()));
        if let Some(next) = next {
            self.states.borrow_mut().insert(id, next);
        }
        Ok(())
    }

    fn observe(&self, _: &Access, rendered: &Rendered) -> Result<Observation, Error> {
        let id = scenario_id(rendered);
        let state = self.states.borrow()[&id].clone();
        let alternative = state.strip_prefix(ALTERNATIVE).map(str::to_owned);
        let path = fixture_path(&id, if alternative.is_some() { "fixed" } else { &state });
        let mut snapshot = snapshot::parse(&std::fs::read_to_string(path).expect("fixture")).expect("parses");
        if let Some(alternative) = alternative {
            overlay_alternative(&mut snapshot.observation, rendered, &alternative);
        }
        with_setup_baseline(snapshot.observation, rendered)
    }
}

/// A fake state name: the fixed fixture with the reference solution's NetworkPolicies
/// replaced by the named alternative's, and its namespace label patches applied.
const ALTERNATIVE: &str = "alternative:";

fn overlay_alternative(observation: &mut Observation, rendered: &Rendered, id: &str) {
    let applied = |steps: &[Step]| -> Vec<serde_json::Value> {
        steps
            .iter()
            .filter_map(|s| match s {
                Step::Apply(path) => Some(rendered.files[path].objects.iter().map(|m| m.object.clone())),
                _ => None,
            })
            .flatten()
            .filter(|o| o["kind"] == "NetworkPolicy")
            .collect()
    };
    let state = &mut observation.state;
    let alternative = rendered.alternatives.iter().find(|a| a.id == id).expect("alternative");
    // The solution's policies go back to what the setup applied, then the alternative's apply.
    let replaced: Vec<serde_json::Value> = applied(&rendered.solution);
    let setup = applied(&rendered.setup);
    let named = |list: &[serde_json::Value], p: &serde_json::Value| {
        list.iter().any(|r| {
            r["metadata"]["name"] == p["metadata"]["name"] && r["metadata"]["namespace"] == p["metadata"]["namespace"]
        })
    };
    let restored: Vec<serde_json::Value> = setup.into_iter().filter(|p| named(&replaced, p)).collect();
    let alternative_policies = applied(&alternative.steps);
    state.network_policies.retain(|p| {
        !replaced
            .iter()
            .any(|r| r["metadata"]["name"].as_str() == p.metadata.name.as_deref())
    });
    let kept: Vec<serde_json::Value> = restored
        .into_iter()
        .filter(|p| !named(&alternative_policies, p))
        .collect();
    for policy in kept.into_iter().chain(alternative_policies) {
        state
            .network_policies
            .push(serde_json::from_value(policy).expect("a NetworkPolicy"));
    }
    for step in &alternative.steps {
        let Step::Patch(patch) = step else { continue };
        let labels = patch.patch["metadata"]["labels"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for namespace in state
            .namespaces
            .iter_mut()
            .filter(|n| n.metadata.name.as_deref() == Some(patch.target.name.as_str()))
        {
            let current = namespace.metadata.labels.get_or_insert_with(BTreeMap::new);
            for (k, v) in &labels {
                current.insert(k.clone(), v.as_str().unwrap_or_default().to_owned());
            }
        }
    }
}

/// Whether [`overlay_alternative`] models every step of an alternative: NetworkPolicies
/// applied and Namespace labels patched. Other fixes (a Service's targetPort, a ConfigMap)
/// change what the fixture's recorded probe results and EndpointSlices say, which the fake
/// cannot recompute: `scenario verify` on kind proves those with real traffic.
fn fake_can_model(rendered: &Rendered, alternative: &kubedrill::scenario::render::Alternative) -> bool {
    alternative.steps.iter().all(|step| match step {
        Step::Apply(path) => rendered.files[path]
            .objects
            .iter()
            .all(|m| m.object["kind"] == "NetworkPolicy"),
        Step::Patch(patch) => patch.target.kind.to_string() == "Namespace",
        _ => false,
    })
}

struct World {
    _dir: tempfile::TempDir,
    store: Store,
    history: PathBuf,
    clock: FakeClock,
    lab: FakeLab,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("dir");
        Self {
            store: Store::new(dir.path().join("session")),
            history: dir.path().join("history.sqlite3"),
            clock: FakeClock(Cell::new(T0)),
            lab: FakeLab::default(),
            _dir: dir,
        }
    }

    fn env(&self) -> Env<'_> {
        Env {
            lab: &self.lab,
            clock: &self.clock,
            store: &self.store,
            history: &self.history,
            scenarios_dir: None,
            pass_mark: 66.0,
        }
    }

    fn start(&self, id: &str, seed: u64) -> Result<flow::Started, Error> {
        let scenario = resolve(id, None).expect("builtin");
        flow::start(
            &self.env(),
            StartRequest {
                scenario: &scenario,
                reference: id.to_owned(),
                seed,
                time_limit_ms: None,
                profile: None,
            },
        )
    }

    fn attempts(&self) -> Vec<kubedrill::practice::history::Attempt> {
        History::open(&self.history)
            .expect("open")
            .attempts(None)
            .expect("attempts")
    }
}

#[test]
fn practice_attempt_start_check_hints_fix_submit_and_history() {
    let world = World::new();
    let started = world.start("service-wrong-selector", 1).expect("start");
    assert_eq!(started.session.countdown.started, T0, "the timer starts after setup");
    assert_eq!(started.session.countdown.limit_ms, 6 * MIN, "the scenario's time limit");
    assert!(started.rendered.task.contains("Service"), "{}", started.rendered.task);
    assert_eq!(
        *world.lab.calls.borrow(),
        ["prepare kindnet workers=1", "set up service-wrong-selector"]
    );

    // Broken: check shows failures and counts the run.
    world.clock.advance(MIN);
    let Now::Running(graded) = flow::check(&world.env()).expect("check") else {
        panic!("time is not up");
    };
    assert!(!graded.card.passed && graded.card.earned < graded.card.possible);
    assert_eq!(world.store.require().expect("session").checks_run, 1);

    // At 1m the first hint (after 2m) is locked; without asking to pay, nothing is taken.
    let Now::Running(view) = flow::hint(&world.env(), false).expect("hint") else {
        panic!()
    };
    assert!(matches!(view.next, NextHint::Locked { index: 0, unlocks_in_ms, penalty: 0 } if unlocks_in_ms == MIN));
    assert!(!view.took_new && view.taken.is_empty());
    // At 2m30s it is free; the second (after 4m, penalty 1) is then taken early.
    world.clock.advance(90_000);
    let Now::Running(view) = flow::hint(&world.env(), false).expect("hint") else {
        panic!()
    };
    assert!(view.took_new && view.taken[0].1 == 0);
    let Now::Running(view) = flow::hint(&world.env(), true).expect("hint") else {
        panic!()
    };
    assert_eq!(view.taken.len(), 2);
    assert_eq!(view.taken[1].1, 1, "taken early: its penalty");
    assert_eq!(view.next, NextHint::AllTaken);

    // Fixed and submitted before time: full marks minus the hint penalty.
    world.lab.fix(&started.rendered);
    world.clock.advance(MIN);
    let finished = flow::submit(&world.env()).expect("submit");
    assert_eq!(finished.outcome, Outcome::Submitted);
    let card = &finished.graded[0].card;
    assert_eq!(card.penalty, 1);
    assert_eq!(card.earned + 1, card.possible, "{card:?}");
    assert!(card.passed);
    assert!(world.store.load().expect("read").is_none(), "the session ended");

    let attempts = world.attempts();
    assert_eq!(attempts.len(), 1);
    let a = &attempts[0];
    assert_eq!(
        (a.scenario.as_str(), a.seed, a.outcome),
        ("service-wrong-selector", 1, Outcome::Submitted)
    );
    assert_eq!((a.hints_used, a.hint_penalty, a.checks_run), (2, 1, 1));
    assert_eq!(a.duration_ms, 3 * MIN + 30_000);
    assert!(a.score.as_ref().is_some_and(|s| s.passed));
    assert_eq!(a.checks.len(), card.checks.len());
}

#[test]
fn one_session_at_a_time_and_a_failed_setup_leaves_no_session() {
    let world = World::new();
    world.lab.fail_setup.set(true);
    let error = world.start("service-wrong-selector", 1).expect_err("interrupted");
    assert!(
        error.to_string().contains("interrupted") || error.to_string().contains("Ctrl-C"),
        "{error}"
    );
    assert!(world.store.load().expect("read").is_none(), "nothing half-started");

    world.lab.fail_setup.set(false);
    world.start("service-wrong-selector", 1).expect("the lock was released");
    let error = world.start("netpol-default-deny", 1).expect_err("one at a time");
    assert!(
        matches!(error, Error::Practice(PracticeError::Active { .. })),
        "{error}"
    );
    assert_eq!(error.exit() as u8, 2);
    let _held = world.store.lock().expect("another command");
    let error = flow::submit(&world.env()).expect_err("locked");
    assert!(
        matches!(error, Error::Practice(PracticeError::Locked { .. })),
        "{error}"
    );
}

#[test]
fn profile_and_time_limit_overrides() {
    let world = World::new();
    let scenario = resolve("netpol-default-deny", None).expect("builtin");
    let request = |profile| StartRequest {
        scenario: &scenario,
        reference: "netpol-default-deny".to_owned(),
        seed: 1,
        time_limit_ms: Some(3 * MIN),
        profile: Some(profile),
    };
    let error = flow::start(&world.env(), request(Profile::Flannel)).expect_err("flannel does not enforce policy");
    assert!(
        matches!(error, Error::Practice(PracticeError::ProfileTooWeak { .. })),
        "{error}"
    );
    assert!(world.lab.calls.borrow().is_empty(), "refused before touching a cluster");
    let started = flow::start(&world.env(), request(Profile::Calico)).expect("calico enforces policy");
    assert_eq!(started.session.tasks[0].access.profile, Profile::Calico);
    assert_eq!(started.session.countdown.limit_ms, 3 * MIN);
}

#[test]
fn time_running_out_is_graded_by_the_next_command_and_recorded_as_timed_out() {
    let world = World::new();
    world.start("service-wrong-selector", 2).expect("start");
    assert_eq!(flow::overdue(&world.env()), None, "time left");
    world.clock.advance(6 * MIN + 45_000);
    assert_eq!(
        flow::overdue(&world.env()),
        Some(flow::Overdue {
            limit_ms: 6 * MIN,
            late_ms: 45_000
        }),
        "what a command says first"
    );
    let Now::TimeUp(finished) = flow::hint(&world.env(), false).expect("hint") else {
        panic!("time is up");
    };
    assert_eq!(finished.outcome, Outcome::TimedOut);
    assert_eq!(finished.late_ms, 45_000, "graded 45 s after the deadline, and says so");
    assert!(!finished.graded[0].card.passed, "still broken");
    assert!(world.store.load().expect("read").is_none());
    let attempts = world.attempts();
    assert_eq!(
        (attempts[0].outcome, attempts[0].duration_ms, attempts[0].graded_late_ms),
        (Outcome::TimedOut, 6 * MIN, 45_000)
    );
    assert!(flow::status(&world.env()).expect("status").is_none(), "idle now");
    assert_eq!(flow::overdue(&world.env()), None, "nothing is overdue once graded");
}

#[test]
fn a_retried_submit_records_once_and_a_broken_history_keeps_the_session() {
    let world = World::new();
    let started = world.start("service-wrong-selector", 5).expect("start");
    // The history file is not a database: submit fails and the session survives.
    std::fs::write(&world.history, "not a database, but someone's notes").expect("write");
    let error = flow::submit(&world.env()).expect_err("history unusable");
    assert!(
        matches!(error, Error::Practice(PracticeError::History { .. })),
        "{error}"
    );
    assert_eq!(error.exit() as u8, 3);
    assert!(world.store.load().expect("read").is_some(), "the attempt is not lost");
    assert_eq!(
        std::fs::read_to_string(&world.history).expect("kept"),
        "not a database, but someone's notes"
    );

    // Moved aside: submit works.
    std::fs::rename(&world.history, world.history.with_extension("bak")).expect("aside");
    flow::submit(&world.env()).expect("submit");
    // A crash after the commit but before the session file was removed: the retry records nothing new.
    world.store.save(&started.session).expect("session back");
    let again = flow::submit(&world.env()).expect("retry");
    assert_eq!(again.recorded, 0);
    assert_eq!(world.attempts().len(), 1);
    assert!(world.store.load().expect("read").is_none());
}

#[test]
fn abandon_records_an_ungraded_attempt_and_solutions_unlock_after_a_graded_one() {
    let world = World::new();
    let history = world.history.clone();
    assert!(matches!(
        flow::solution_seed(&history, "service-wrong-selector", false),
        Err(Error::Practice(PracticeError::SolutionLocked { .. }))
    ));
    assert_eq!(
        flow::solution_seed(&history, "service-wrong-selector", true).expect("forced"),
        None
    );

    world.start("service-wrong-selector", 8).expect("start");
    let abandoned = flow::abandon(&world.env(), false).expect("abandon");
    assert_eq!(abandoned.session.expect("session").tasks[0].seed, 8);
    assert_eq!(world.attempts()[0].outcome, Outcome::Abandoned);
    assert!(world.attempts()[0].score.is_none());
    assert!(
        flow::solution_seed(&history, "service-wrong-selector", false).is_err(),
        "abandoning does not unlock it"
    );

    world.start("service-wrong-selector", 9).expect("start");
    let finished = flow::submit(&world.env()).expect("submit");
    assert!(!finished.graded[0].card.passed, "a failed attempt unlocks it too");
    assert_eq!(
        flow::solution_seed(&history, "service-wrong-selector", false).expect("unlocked"),
        Some(9)
    );
}

#[test]
fn a_corrupted_session_file_is_reported_and_set_aside_with_force() {
    let world = World::new();
    std::fs::create_dir_all(world.store.dir()).expect("dir");
    std::fs::write(world.store.session_path(), "{ half a session").expect("corrupt");
    let error = flow::status(&world.env()).expect_err("corrupt");
    assert!(error.to_string().contains("session.json"), "{error}");
    assert!(flow::abandon(&world.env(), false).is_err());
    let abandoned = flow::abandon(&world.env(), true).expect("force");
    let aside = abandoned.set_aside.expect("renamed");
    assert_eq!(std::fs::read_to_string(aside).expect("kept"), "{ half a session");
    world
        .start("service-wrong-selector", 1)
        .expect("a new session can start");
}

#[test]
fn exam_sets_every_task_up_first_forbids_checking_and_grades_by_weight() {
    let world = World::new();
    let pool: Vec<_> = [
        "service-wrong-selector",
        "netpol-default-deny",
        "coredns-corefile-error",
    ]
    .iter()
    .map(|id| resolve(id, None).expect("builtin"))
    .collect();
    let started = flow::exam_start(
        &world.env(),
        &ExamRequest {
            pool: &pool,
            tasks: 3,
            duration_ms: 30 * MIN,
            seed: 11,
        },
    )
    .expect("exam");
    let session = &started.session;
    assert_eq!(session.mode, Mode::Exam);
    let ids: Vec<&str> = session.tasks.iter().map(|t| t.scenario.as_str()).collect();
    // CoreDNS is broken cluster-wide, so it never shares the kindnet cluster with another task.
    assert!(!ids.contains(&"coredns-corefile-error") || ids.len() == 1, "{ids:?}");
    let calls = world.lab.calls.borrow().clone();
    assert_eq!(
        calls.iter().filter(|c| c.starts_with("prepare")).count(),
        1,
        "one cluster per profile: {calls:?}"
    );
    assert_eq!(calls.iter().filter(|c| c.starts_with("set up")).count(), ids.len());

    assert!(matches!(
        flow::check(&world.env()),
        Err(Error::Practice(PracticeError::ExamForbids { .. }))
    ));
    assert!(matches!(
        flow::hint(&world.env(), true),
        Err(Error::Practice(PracticeError::ExamForbids { .. }))
    ));
    let Now::Running((session, rendered)) = flow::exam_task(&world.env(), ids.len(), Some(true)).expect("task") else {
        panic!()
    };
    assert_eq!(session.current, ids.len() - 1);
    assert!(session.tasks[ids.len() - 1].flagged);
    assert_eq!(rendered.seed, session.tasks[ids.len() - 1].seed);
    assert!(matches!(
        flow::exam_task(&world.env(), 9, None),
        Err(Error::Practice(PracticeError::NoTask { number: 9, .. }))
    ));

    // Nothing fixed: every task is graded, weighted, and the exam is not passed.
    world.clock.advance(10 * MIN);
    let finished = flow::submit(&world.env()).expect("submit");
    let exam = finished.exam.expect("exam score");
    assert_eq!(exam.tasks.len(), ids.len());
    assert!(!exam.passed && exam.percent < 66.0, "{exam:?}");
    let weights: Vec<u32> = exam.tasks.iter().map(|t| t.weight).collect();
    let expected: Vec<u32> = session.tasks.iter().map(|t| t.weight).collect();
    assert_eq!(weights, expected);
    let attempts = world.attempts();
    assert_eq!(attempts.len(), ids.len());
    assert!(attempts.iter().all(|a| a.mode == "exam" && a.session_id == session.id));
}

#[test]
fn scenario_verify_passes_the_builtin_scenarios_and_catches_broken_ones() {
    let catalogue = kubedrill::catalogue::Catalogue::load(None).expect("catalogue");
    for entry in &catalogue.entries {
        let scenario = &entry.scenario;
        let id = scenario.id();
        let lab = FakeLab::default();
        let stages = kubedrill::practice::verify::verify(&lab, scenario, 1, None).expect("verify");
        let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names[..2], ["broken", "solution"], "{id}");
        let (shortcuts, alternatives) = (scenario.file.shortcuts.len(), scenario.file.alternatives.len());
        assert_eq!(stages.len(), 2 + shortcuts + alternatives, "{id}");
        // Every shortcut has a recorded fixture (tests/grading.rs insists), so every stage counts
        // (alternatives the fake cannot model are left to kind, below).
        assert!(
            stages
                .iter()
                .filter(|s| !s.name.starts_with("alternative "))
                .all(|s| s.ok),
            "{id}: {stages:#?}"
        );
        let prepares = lab.calls.borrow().iter().filter(|c| c.starts_with("prepare")).count();
        assert_eq!(
            prepares,
            2 + shortcuts + alternatives,
            "a fresh broken state per shortcut and alternative, and a final reset"
        );
        let rendered = scenario.render(1).expect("renders");
        for alternative in rendered.alternatives.iter().filter(|a| fake_can_model(&rendered, a)) {
            let stage = stages
                .iter()
                .find(|s| s.name == format!("alternative {}", alternative.id))
                .expect("a stage per alternative");
            assert_eq!(stage.detail, "full marks", "{id}: {stage:#?}");
        }
    }
    let scenario = resolve("service-wrong-selector", None).expect("builtin");
    let lab = FakeLab::default();
    lab.ineffective_solution.set(true);
    let stages = kubedrill::practice::verify::verify(&lab, &scenario, 1, None).expect("verify");
    assert!(
        !stages[1].ok && stages[1].detail.starts_with("still failing"),
        "{:?}",
        stages[1]
    );
    let lab = FakeLab::default();
    lab.leaky_shortcuts.set(true);
    let stages = kubedrill::practice::verify::verify(&lab, &scenario, 1, None).expect("verify");
    assert!(
        stages[2..]
            .iter()
            .all(|s| !s.ok && s.detail.starts_with("should fail but passed")),
        "{stages:#?}"
    );
}
