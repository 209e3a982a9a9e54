//! Verdicts: what a check concluded, as data. A failed check is never an `Err`. Verdicts must
//! not know where the state came from (a snapshot's path, a cluster): evidence that depends on
//! it is left to the report.

use serde::Serialize;

/// Why a check did not pass, as a stable machine-readable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// The object does not exist.
    ObjectMissing,
    /// A field differs from what the check expects.
    FieldMismatch,
    /// The object exists but must not.
    ObjectPresent,
    /// The object changed since setup.
    Changed,
    /// The workload is not fully rolled out.
    NotRolledOut,
    /// Fewer ready endpoints than required.
    TooFewEndpoints,
    /// Endpoints come from pods the check does not accept.
    ForeignEndpoints,
    /// Fewer Ready pods than required.
    PodsNotReady,
    /// A pod restarted too often.
    TooManyRestarts,
    /// A connection that must succeed was refused.
    ConnectionRefused,
    /// A connection that must succeed timed out.
    ConnectionTimedOut,
    /// A connection that must be blocked succeeded.
    NotBlocked,
    /// A connection that must be blocked was refused rather than dropped.
    RefusedNotBlocked,
    /// A blocked connection did not stay blocked for `stableFor`.
    NotBlockedLongEnough,
    /// A name did not resolve.
    DnsFailure,
    /// A name resolved to the wrong address (or resolved when it must not).
    WrongAnswer,
    /// Unexpected HTTP status.
    HttpStatus,
    /// The HTTP body lacks the expected text.
    BodyMismatch,
    /// The connection failed for another reason.
    ProbeFailed,
    /// No baseline to compare with (an environment problem).
    NoBaseline,
    /// The probe could not run (an environment problem).
    ProbeError,
    /// The probe pod or the probe's output is not what kubedrill sent (a mutating webhook, a
    /// look-alike image, output without this grade's nonce): nothing it printed is trusted.
    ProbeTampered,
    /// The check cannot be evaluated from what was observed.
    NotObserved,
    /// A binding's object or field is missing (e.g. the Service was deleted).
    BindingUnresolved,
    /// Traffic passed that NetworkPolicies should block: the cluster does not enforce policy.
    PolicyNotEnforced,
}

/// Evidence a learner can reproduce: the equivalent command and what it showed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The equivalent command (empty when [`Evidence::explain`] is set: the report writes it,
    /// knowing where the state came from).
    pub command: String,
    /// What it returned, abridged.
    pub observed: String,
    /// A flow `kubedrill explain` traces to show the same answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<ExplainFlow>,
}

impl Evidence {
    /// Evidence from a command and its observation.
    #[must_use]
    pub fn new(command: impl Into<String>, observed: impl Into<String>) -> Self {
        Self {
            command: command.into(),
            observed: observed.into(),
            explain: None,
        }
    }

    /// Evidence that `kubedrill explain` reproduces; the command is left to the report, which
    /// knows the snapshot's path (or that there is none).
    #[must_use]
    pub fn explained(flow: ExplainFlow, observed: impl Into<String>) -> Self {
        Self {
            command: String::new(),
            observed: observed.into(),
            explain: Some(flow),
        }
    }
}

/// The arguments of a `kubedrill explain` run, in the syntax its `--from` and `--to` accept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExplainFlow {
    /// `--from`: `<namespace>/<pod>`, or `<namespace>/<label>=<value>,...` for a pod with those
    /// labels (`<namespace>/{}`: a pod without labels).
    pub from: String,
    /// `--to`: `<namespace>/svc/<name>:<port>[/<protocol>]`, `<namespace>/pod/<name>:<port>[/<protocol>]`,
    /// or `<namespace>/<service>` alone with `by_name` (only resolve the name).
    pub to: String,
    /// `--by-name`: resolve the Service through cluster DNS first.
    pub by_name: bool,
}

impl ExplainFlow {
    /// The words after `kubedrill explain --snapshot <file>`.
    #[must_use]
    pub fn args(&self) -> Vec<String> {
        let mut args = vec![
            "--from".to_owned(),
            self.from.clone(),
            "--to".to_owned(),
            self.to.clone(),
        ];
        if self.by_name {
            args.push("--by-name".to_owned());
        }
        args
    }
}

/// The outcome of one check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Verdict {
    /// The check holds.
    Pass {
        /// What shows it.
        evidence: Evidence,
    },
    /// The check does not hold: scored against the learner.
    Fail {
        /// Machine-readable reason.
        reason: Reason,
        /// One learner-facing sentence.
        message: String,
        /// What shows it.
        evidence: Evidence,
    },
    /// The environment prevented an answer (policy not enforced, probe could not run, no
    /// baseline): never scored against the learner.
    Error {
        /// Machine-readable reason.
        reason: Reason,
        /// What went wrong and what to do.
        message: String,
    },
    /// Nothing observed lets this check be answered (e.g. a probe check on a snapshot without
    /// recorded probe results): not scored.
    NotEvaluated {
        /// Why.
        message: String,
    },
}

impl Verdict {
    /// A failure.
    #[must_use]
    pub fn fail(reason: Reason, message: impl Into<String>, evidence: Evidence) -> Self {
        Self::Fail {
            reason,
            message: message.into(),
            evidence,
        }
    }

    /// Whether the check passed.
    #[must_use]
    pub const fn is_pass(&self) -> bool {
        matches!(self, Self::Pass { .. })
    }

    /// Whether this verdict counts towards the score: a pass, a fail, or a tampered probe
    /// (scored as a fail: an environment error is left out of the score, but a cluster that
    /// rewrites kubedrill's probes must not turn failing checks into unscored ones).
    #[must_use]
    pub const fn is_scored(&self) -> bool {
        matches!(self, Self::Pass { .. } | Self::Fail { .. }) || self.is_tampered()
    }

    /// Whether a probe pod or its output was altered: fails the check, and the attempt.
    #[must_use]
    pub const fn is_tampered(&self) -> bool {
        matches!(
            self,
            Self::Error {
                reason: Reason::ProbeTampered,
                ..
            }
        )
    }

    /// Whether this verdict counts as a failure (a fail, or a tampered probe).
    #[must_use]
    pub const fn is_failure(&self) -> bool {
        matches!(self, Self::Fail { .. }) || self.is_tampered()
    }

    /// The verdict's learner-facing sentence (empty for a pass).
    #[must_use]
    pub fn message(&self) -> &str {
        match self {
            Self::Pass { .. } => "",
            Self::Fail { message, .. } | Self::Error { message, .. } | Self::NotEvaluated { message } => message,
        }
    }

    /// The verdict's status word.
    #[must_use]
    pub const fn status(&self) -> &'static str {
        match self {
            Self::Pass { .. } => "pass",
            Self::Fail { .. } => "fail",
            Self::Error { .. } => "error",
            Self::NotEvaluated { .. } => "not-evaluated",
        }
    }
}
