//! JUnit XML: one test suite per scenario, one test case per check (pass, failure, error for
//! environment problems, skipped when not evaluated). Written with quick-junit, never by hand.

use graders::score::{Gate, Role};
use graders::verdict::Verdict;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::{Entry, GradeReport};
use crate::error::Error;

/// One JUnit document: a suite per entry (named after its student, if any), and for a student
/// who could not be graded a suite with one errored `grading` case.
pub(super) fn render(entries: &[Entry<'_>]) -> Result<String, Error> {
    let mut junit = Report::new("kubedrill");
    for (student, entry) in entries {
        let prefix = student.map(|s| format!("{s}: ")).unwrap_or_default();
        let suite = match entry {
            Ok(report) => suite(report, &prefix),
            Err(message) => {
                let mut suite = TestSuite::new(format!("{prefix}not graded"));
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                status.set_message(*message);
                suite.add_test_case(TestCase::new("grading", status));
                suite
            }
        };
        junit.add_test_suite(suite);
    }
    junit.to_string().map_err(|e| Error::Template {
        name: "junit report".to_owned(),
        message: e.to_string(),
    })
}

fn suite(report: &GradeReport, prefix: &str) -> TestSuite {
    let mut suite = TestSuite::new(format!(
        "{prefix}{} (seed {})",
        report.scenario.id, report.scenario.seed
    ));
    for check in &report.score.checks {
        let status = match &check.verdict {
            Verdict::Pass { .. } => TestCaseStatus::success(),
            Verdict::Fail { message, evidence, .. } => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let hint = check.hint.as_ref().map(|h| format!("\nhint: {h}")).unwrap_or_default();
                let description = format!("$ {}\n{}{hint}", evidence.command, evidence.observed);
                status.set_message(message.as_str()).set_description(description);
                status
            }
            Verdict::Error { message, .. } => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                let what = if check.verdict.is_tampered() {
                    "probe tampered with, scored as a failure"
                } else {
                    "environment problem, not scored"
                };
                status.set_message(format!("{what}: {message}"));
                status
            }
            Verdict::NotEvaluated { message } => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(message.as_str());
                status
            }
        };
        let name = match check.role {
            Role::Guard => format!("{} (guard)", check.id),
            Role::Objective => format!("{} ({} points)", check.id, check.points),
        };
        let mut case = TestCase::new(name, status);
        case.set_classname(format!("kubedrill.{}", report.scenario.id));
        if check.role == Role::Guard {
            case.add_property(("kubedrill.role", "guard"));
            case.add_property(("kubedrill.cost", check.cost.to_string().as_str()));
        }
        match &check.gated {
            Some(Gate::Cancelled { guard }) => case.add_property(("kubedrill.cancelled-by", guard.as_str())),
            Some(Gate::Held { guard }) => case.add_property(("kubedrill.held-by", guard.as_str())),
            None => &mut case,
        };
        if check.predicted {
            // Judged by the reachability analyzer from the state, not by traffic.
            case.add_property(("kubedrill.predicted", "true"));
        }
        suite.add_test_case(case);
    }
    suite
}
