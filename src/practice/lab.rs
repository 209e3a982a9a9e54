//! The cluster as practice sessions see it: the [`Lab`] trait (prepare a profile's cluster,
//! set a scenario up broken, observe what its checks need) and [`KindLab`], kubedrill's kind
//! clusters behind it. Flows are tested with a fake lab; only `KindLab` does I/O.
//!
//! Never grades or prints: phases are reported through a [`Progress`].

use graders::state::Observation;

use super::session::Access;
use crate::cluster::kind::cluster_name;
use crate::cluster::lifecycle::{self, KindNodes, Progress, Timings};
use crate::cluster::live::Live;
use crate::cluster::paths::DataDir;
use crate::cluster::process::SystemRunner;
use crate::cluster::steps::StepContext;
use crate::cluster::tools;
use crate::command::cluster::block_on;
use crate::error::Error;
use crate::scenario::Rendered;
use crate::scenario::model::Profile;
use crate::scenario::step::Step;
use crate::snapshot::Snapshot;

/// Where practice happens.
pub trait Lab {
    /// Have `profile`'s cluster up and clean: created when missing, else reset (recreated only
    /// when its health gate fails).
    fn prepare(&self, profile: Profile, workers: u8, timings: &mut Timings) -> Result<Access, Error>;
    /// Apply and break `rendered` on it, then verify the checks do not all pass.
    fn set_up(&self, access: &Access, scenario: &str, rendered: &Rendered, timings: &mut Timings) -> Result<(), Error>;
    /// Observe and probe what `rendered`'s checks need (with the setup as the baseline).
    fn observe(&self, access: &Access, rendered: &Rendered) -> Result<Observation, Error>;
    /// Run `steps` (a reference solution, a shortcut) as the learner would.
    fn apply(&self, access: &Access, rendered: &Rendered, steps: &[Step]) -> Result<(), Error>;
}

/// kubedrill's own kind clusters.
pub struct KindLab<'p> {
    /// kubedrill's data folder.
    pub data: DataDir,
    /// Phase reporting.
    pub progress: &'p dyn Progress,
}

impl KindLab<'_> {
    fn nodes(&self, profile: Profile) -> KindNodes<'static> {
        KindNodes {
            runner: &SystemRunner,
            kind: tools::program("kind", &self.data.bin()),
            cluster: cluster_name(profile),
        }
    }
}

impl Lab for KindLab<'_> {
    fn prepare(&self, profile: Profile, workers: u8, timings: &mut Timings) -> Result<Access, Error> {
        if lifecycle::exists(profile, &self.data, &SystemRunner)? {
            block_on(
                "cluster reset",
                lifecycle::reset(profile, workers, &self.data, &SystemRunner, self.progress, timings),
            )?;
        } else {
            let created = block_on(
                "cluster up",
                lifecycle::up(profile, workers, &self.data, &SystemRunner, self.progress),
            )?;
            timings.0.extend(created.0);
        }
        Ok(Access {
            profile,
            kubeconfig: self.data.kubeconfig(profile),
            context: Some(format!("kind-{}", cluster_name(profile))),
        })
    }

    fn set_up(&self, access: &Access, scenario: &str, rendered: &Rendered, timings: &mut Timings) -> Result<(), Error> {
        let name = cluster_name(access.profile);
        let nodes = self.nodes(access.profile);
        let saved = self.data.saved(access.profile);
        let cache = self.data.root().join("cache");
        block_on("scenario setup", async {
            let live = Live::open(&access.kubeconfig, None, Some(&name), false).await?;
            if crate::cluster::addons::needs_ingress(rendered) {
                timings
                    .run(
                        self.progress,
                        "ingress controller",
                        live.ensure_ingress(&SystemRunner, &cache),
                    )
                    .await?;
            }
            live.setup(scenario, rendered, Some(&nodes), Some(&saved), timings, self.progress)
                .await
                .map(drop)
        })?;
        Ok(())
    }

    fn observe(&self, access: &Access, rendered: &Rendered) -> Result<Observation, Error> {
        let name = cluster_name(access.profile);
        block_on("grading", async {
            let live = Live::open(&access.kubeconfig, access.context.as_deref(), Some(&name), false).await?;
            live.observe_checks(&rendered.checks).await
        })
        .map_err(Error::from)
        .and_then(|observation| with_setup_baseline(observation, rendered))
    }

    fn apply(&self, access: &Access, rendered: &Rendered, steps: &[Step]) -> Result<(), Error> {
        let name = cluster_name(access.profile);
        let nodes = self.nodes(access.profile);
        let saved = self.data.saved(access.profile);
        let context = StepContext {
            files: &rendered.files,
            nodes: Some(&nodes),
            saved: Some(&saved),
        };
        block_on("steps", async {
            let live = Live::open(&access.kubeconfig, None, Some(&name), false).await?;
            live.run_steps(steps, &context).await
        })?;
        Ok(())
    }
}

/// A live observation with the rendered setup as its baseline (for `unchanged` checks).
pub fn with_setup_baseline(observation: Observation, rendered: &Rendered) -> Result<Observation, Error> {
    let mut snapshot = Snapshot {
        observation,
        scenario: None,
        seed: None,
    };
    snapshot.baseline_from_setup(rendered).map_err(|e| Error::Template {
        name: "rendered setup".to_owned(),
        message: e.message,
    })?;
    Ok(snapshot.observation)
}

/// The history database in kubedrill's data folder.
#[must_use]
pub fn history_path(data: &DataDir) -> std::path::PathBuf {
    data.root().join("history.sqlite3")
}

/// The session folder in kubedrill's data folder.
#[must_use]
pub fn session_dir(data: &DataDir) -> std::path::PathBuf {
    data.root().join("session")
}
