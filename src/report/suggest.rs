//! Commands a report suggests. The graders name a `kubedrill explain` flow as data, since they
//! cannot know where the state came from; here it becomes a command that runs as printed: on
//! the graded snapshot's path, shell-quoted, or — graded on a live cluster — on a snapshot the
//! command first saves with kubectl.
//!
//! Builds strings only: must not grade, trace flows or print.

use graders::score::ScoreCard;
use graders::verdict::{ExplainFlow, Verdict};

use crate::cluster::probe::script::quote;

/// What `kubectl get` saves of a live cluster for `explain` (the README's snapshot command).
const SNAPSHOT_KINDS: &str = "ns,nodes,pods,deploy,svc,endpointslices,networkpolicies,cm";

/// Where the suggested command saves a live cluster's state.
const LIVE_SNAPSHOT: &str = "kubedrill-state.yaml";

/// Write the command of every verdict whose evidence names an `explain` flow, for state that
/// came from `source` (a report's `snapshot:<path>` or `cluster:<kubeconfig>`).
pub(super) fn suggest_commands(card: &mut ScoreCard, source: &str) {
    for check in &mut card.checks {
        if let Verdict::Pass { evidence } | Verdict::Fail { evidence, .. } = &mut check.verdict
            && let Some(flow) = &evidence.explain
        {
            evidence.command = command(flow, source);
        }
    }
}

fn command(flow: &ExplainFlow, source: &str) -> String {
    if let Some(path) = source.strip_prefix("snapshot:") {
        return explain(path, flow);
    }
    source.strip_prefix("cluster:").map_or_else(String::new, |kubeconfig| {
        format!(
            "kubectl --kubeconfig {} get {SNAPSHOT_KINDS} -A -o yaml > {LIVE_SNAPSHOT} && {}",
            quote(kubeconfig),
            explain(LIVE_SNAPSHOT, flow)
        )
    })
}

fn explain(snapshot: &str, flow: &ExplainFlow) -> String {
    let words = ["kubedrill", "explain", "--snapshot", snapshot].map(str::to_owned);
    let words: Vec<String> = words.into_iter().chain(flow.args()).map(|w| quote(&w)).collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use graders::verdict::ExplainFlow;

    use super::command;

    fn flow() -> ExplainFlow {
        ExplainFlow {
            from: "batch/role=client".to_owned(),
            to: "batch/svc/importer:80".to_owned(),
            by_name: true,
        }
    }

    #[test]
    fn a_snapshot_path_is_quoted_for_the_shell() {
        assert_eq!(
            command(&flow(), "snapshot:my states/it's.yaml"),
            r"kubedrill explain --snapshot 'my states/it'\''s.yaml' --from batch/role=client --to batch/svc/importer:80 --by-name"
        );
    }

    #[test]
    fn a_live_cluster_is_saved_to_a_snapshot_first() {
        assert_eq!(
            command(&flow(), "cluster:/home/me/kube config"),
            "kubectl --kubeconfig '/home/me/kube config' get ns,nodes,pods,deploy,svc,endpointslices,networkpolicies,cm -A -o yaml > kubedrill-state.yaml && kubedrill explain --snapshot kubedrill-state.yaml --from batch/role=client --to batch/svc/importer:80 --by-name"
        );
    }

    #[test]
    fn an_unknown_source_suggests_nothing() {
        assert_eq!(command(&flow(), "somewhere"), "");
    }
}
