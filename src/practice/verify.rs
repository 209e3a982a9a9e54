//! `kubedrill scenario verify`: a scenario's self-test on a real cluster, so an instructor can
//! prove a new scenario before sharing it. Set up broken (it scores at most 10%), apply the
//! reference solution (full marks), then for each known shortcut start again from broken and
//! apply the shortcut (below the pass mark, and every check it names fails), and for each
//! alternative fix start again and apply it (full marks); reset at the end.
//!
//! Runs through the [`Lab`] trait (tested with a fake); never prints.

use graders::score::{DEFAULT_PASS_MARK, ScoreCard, grade};
use serde::Serialize;

use super::lab::Lab;
use crate::cluster::lifecycle::Timings;
use crate::error::Error;
use crate::scenario::lint::BROKEN_AT_MOST;
use crate::scenario::model::Profile;
use crate::scenario::{Rendered, Scenario};

/// One stage of the self-test.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stage {
    /// `broken`, `solution`, or `shortcut <id>`.
    pub name: String,
    /// Points earned of those possible.
    pub earned: u32,
    /// Points possible.
    pub possible: u32,
    /// Whether the stage behaved as it must.
    pub ok: bool,
    /// What it showed (the failing checks, or what went wrong).
    pub detail: String,
    /// Every check's verdict (`pass`, `fail`, `error`, `not-evaluated`) and whether it was
    /// predicted rather than probed.
    pub checks: Vec<CheckOutcome>,
}

/// One check's outcome in a stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckOutcome {
    /// Check id.
    pub id: String,
    /// Its grader.
    pub grader: &'static str,
    /// Verdict status word.
    pub verdict: &'static str,
    /// Judged by the analyzer, not by traffic.
    pub predicted: bool,
    /// The verdict's sentence (empty for a pass).
    pub message: String,
}

fn failing(card: &ScoreCard) -> Vec<&str> {
    card.checks
        .iter()
        .filter(|c| !c.verdict.is_pass())
        .map(|c| c.id.as_str())
        .collect()
}

fn full(card: &ScoreCard) -> bool {
    card.is_complete() && card.earned == card.total
}

/// Checks that could not be judged (no traffic in predict mode, an environment error).
fn unjudged(card: &ScoreCard) -> Vec<&str> {
    card.checks
        .iter()
        .filter(|c| !c.verdict.is_scored())
        .map(|c| c.id.as_str())
        .collect()
}

fn stage(name: String, card: &ScoreCard, ok: bool, mut detail: String) -> Stage {
    let unjudged = unjudged(card);
    if !unjudged.is_empty() {
        detail = format!("{detail}; not judged: {}", unjudged.join(", "));
    }
    Stage {
        name,
        earned: card.earned,
        possible: card.possible,
        ok,
        detail,
        checks: card
            .checks
            .iter()
            .map(|c| CheckOutcome {
                id: c.id.clone(),
                grader: c.grader,
                verdict: c.verdict.status(),
                predicted: c.predicted,
                message: c.verdict.message().to_owned(),
            })
            .collect(),
    }
}

/// Run the self-test of `scenario` with `seed` on `profile`'s cluster (default: its own).
pub fn verify(lab: &dyn Lab, scenario: &Scenario, seed: u64, profile: Option<Profile>) -> Result<Vec<Stage>, Error> {
    let rendered = crate::catalogue::render(scenario, seed)?;
    let cluster = &scenario.file.cluster;
    let profile = profile.unwrap_or(cluster.profile);
    let mut timings = Timings::default();
    let mut stages = Vec::new();
    let grade_now = |access: &_| -> Result<ScoreCard, Error> {
        let observation = lab.observe(access, &rendered)?;
        Ok(ScoreCard::new(grade(&rendered.checks, &observation), 0, 100.0))
    };
    // Broken, then the reference solution.
    let access = lab.prepare(profile, cluster.workers, &mut timings)?;
    lab.set_up(&access, scenario.id(), &rendered, &mut timings)?;
    let broken = grade_now(&access)?;
    let fails = failing(&broken).join(", ");
    stages.push(stage(
        "broken".into(),
        &broken,
        broken.percent <= BROKEN_AT_MOST,
        format!("failing: {fails}"),
    ));
    lab.apply(&access, &rendered, &rendered.solution)?;
    let solved = grade_now(&access)?;
    let detail = if full(&solved) {
        "full marks".to_owned()
    } else {
        format!("still failing: {}", failing(&solved).join(", "))
    };
    stages.push(stage("solution".into(), &solved, full(&solved), detail));
    for shortcut in &rendered.shortcuts {
        stages.push(try_shortcut(lab, scenario, &rendered, shortcut, profile, &grade_now)?);
    }
    for alternative in &rendered.alternatives {
        let access = lab.prepare(profile, cluster.workers, &mut timings)?;
        lab.set_up(&access, scenario.id(), &rendered, &mut timings)?;
        lab.apply(&access, &rendered, &alternative.steps)?;
        let card = grade_now(&access)?;
        let detail = if full(&card) {
            "full marks".to_owned()
        } else {
            format!("a correct fix, yet failing: {}", failing(&card).join(", "))
        };
        stages.push(stage(
            format!("alternative {}", alternative.id),
            &card,
            full(&card),
            detail,
        ));
    }
    lab.prepare(profile, cluster.workers, &mut timings)?;
    Ok(stages)
}

fn try_shortcut(
    lab: &dyn Lab,
    scenario: &Scenario,
    rendered: &Rendered,
    shortcut: &crate::scenario::render::Shortcut,
    profile: Profile,
    grade_now: &dyn Fn(&super::session::Access) -> Result<ScoreCard, Error>,
) -> Result<Stage, Error> {
    let mut timings = Timings::default();
    let access = lab.prepare(profile, scenario.file.cluster.workers, &mut timings)?;
    lab.set_up(&access, scenario.id(), rendered, &mut timings)?;
    lab.apply(&access, rendered, &shortcut.steps)?;
    let card = grade_now(&access)?;
    let failed = failing(&card);
    let missed: Vec<&str> = shortcut
        .fails
        .iter()
        .map(String::as_str)
        .filter(|id| !failed.contains(id))
        .collect();
    let below = card.percent < DEFAULT_PASS_MARK;
    let ok = !full(&card) && missed.is_empty() && below;
    let detail = if !missed.is_empty() {
        format!("should fail but passed: {}", missed.join(", "))
    } else if below {
        format!("caught by: {}", failed.join(", "))
    } else {
        format!("scores {:.0}%, at or above the pass mark", card.percent)
    };
    Ok(stage(format!("shortcut {}", shortcut.id), &card, ok, detail))
}
