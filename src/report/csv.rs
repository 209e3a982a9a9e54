//! CSV (RFC 4180, CRLF line ends): one line per report, or per student of a batch, where a
//! student who could not be graded has only a status and the error. Written with the `csv`
//! crate, never by hand.
//!
//! Builds strings; must not grade, print, or know where its entries come from.

use super::{Entry, GradeReport};
use crate::error::Error;

/// The columns, in order.
const HEADER: [&str; 9] = [
    "student", "scenario", "seed", "status", "earned", "possible", "percent", "passed", "error",
];

/// One CSV document: the header, then a line per entry.
pub(super) fn render(entries: &[Entry<'_>]) -> Result<String, Error> {
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(HEADER).map_err(failed)?;
    for (student, outcome) in entries {
        let student = student.unwrap_or_default();
        let record = match outcome {
            Ok(report) => graded(student, report),
            Err(message) => not_graded(student, message),
        };
        writer.write_record(&record).map_err(failed)?;
    }
    let bytes = writer.into_inner().map_err(|e| failed(e.into_error()))?;
    String::from_utf8(bytes).map_err(failed)
}

fn graded(student: &str, report: &GradeReport) -> [String; 9] {
    let score = &report.score;
    [
        student.to_owned(),
        report.scenario.id.clone(),
        report.scenario.seed.to_string(),
        if score.errors > 0 { "error" } else { "graded" }.to_owned(),
        score.earned.to_string(),
        score.possible.to_string(),
        format!("{:.1}", score.percent),
        score.passed.to_string(),
        String::new(),
    ]
}

fn not_graded(student: &str, message: &str) -> [String; 9] {
    [student, "", "", "error", "", "", "", "false", message].map(str::to_owned)
}

fn failed(error: impl std::fmt::Display) -> Error {
    Error::Template {
        name: "csv report".to_owned(),
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use graders::score::ScoreCard;

    use super::render;
    use crate::report::{GradeReport, SCHEMA_VERSION, ScenarioInfo, csv_all};
    use crate::scenario::model::Domain;

    fn report(earned: u32, possible: u32, errors: usize) -> GradeReport {
        let mut score = ScoreCard::new(Vec::new(), 0, 66.0);
        score.earned = earned;
        score.possible = possible;
        score.percent = f64::from(earned) * 100.0 / f64::from(possible);
        score.passed = score.percent >= score.pass_mark;
        score.errors = errors;
        GradeReport {
            schema_version: SCHEMA_VERSION,
            kubedrill_version: "TEST",
            scenario: ScenarioInfo {
                id: "svc".to_owned(),
                title: "T".to_owned(),
                domain: Domain::ServicesNetworking,
                seed: 3,
            },
            source: String::new(),
            score,
            explanation: String::new(),
            integrity: None,
        }
    }

    #[test]
    fn lines_end_in_crlf_and_fields_are_quoted_only_when_they_must_be() {
        let (failed, passed, incomplete) = (report(4, 7, 0), report(7, 7, 0), report(2, 3, 1));
        let csv = render(&[
            (None, Ok(&failed)),
            (Some("bob"), Ok(&passed)),
            (Some("carol"), Ok(&incomplete)),
            (Some("dave"), Err("no scenario `a,\"b` in the catalogue")),
            (Some("eve"), Err("line one\r\nline two")),
        ])
        .expect("csv");
        assert_eq!(
            csv,
            concat!(
                "student,scenario,seed,status,earned,possible,percent,passed,error\r\n",
                ",svc,3,graded,4,7,57.1,false,\r\n",
                "bob,svc,3,graded,7,7,100.0,true,\r\n",
                "carol,svc,3,error,2,3,66.7,true,\r\n",
                "dave,,,error,,,,false,\"no scenario `a,\"\"b` in the catalogue\"\r\n",
                "eve,,,error,,,,false,\"line one\r\nline two\"\r\n",
            )
        );
    }

    #[test]
    fn an_exams_tasks_share_one_header() {
        let (first, second) = (report(1, 2, 0), report(2, 2, 0));
        let csv = csv_all(&[&first, &second]).expect("csv");
        let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
        assert_eq!(lines.len(), 3, "{csv}");
        assert!(lines[0].starts_with("student,"));
        assert_eq!(
            lines[1..],
            [",svc,3,graded,1,2,50.0,false,", ",svc,3,graded,2,2,100.0,true,"]
        );
    }

    #[test]
    fn no_entries_is_the_header_alone() {
        assert_eq!(
            render(&[]).expect("csv"),
            "student,scenario,seed,status,earned,possible,percent,passed,error\r\n"
        );
    }
}
