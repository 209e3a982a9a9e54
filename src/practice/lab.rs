//! The cluster as practice sessions see it: the [`Lab`] trait (prepare a profile's cluster,
//! set a scenario up broken, observe what its checks need) and [`KindLab`], kubedrill's kind
//! clusters behind it. Flows are tested with a fake lab; only `KindLab` does I/O.
//!
//! Never grades or prints: phases are reported through a [`Progress`].

use std::path::PathBuf;

use graders::state::Observation;

use super::session::Access;
use crate::cli::GivenCluster;
use crate::cluster::connect::Connection;
use crate::cluster::error::ClusterError;
use crate::cluster::kind::cluster_name;
use crate::cluster::lifecycle::{self, KindNodes, Progress, Timings};
use crate::cluster::live::{Live, ProbeMode};
use crate::cluster::paths::DataDir;
use crate::cluster::process::SystemRunner;
use crate::cluster::runtime::block_on;
use crate::cluster::steps::{Nodes, StepContext};
use crate::cluster::tools;
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

/// A cluster the user names with `--kubeconfig` instead of kubedrill's own kind cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Given {
    /// The kubeconfig file.
    pub kubeconfig: PathBuf,
    /// The context in it (`None`: its current context).
    pub context: Option<String>,
    /// Writes allowed although its nodes lack kubedrill's label (namespaced scenarios only).
    pub allow_foreign: bool,
    /// The probe image is in its nodes under its tag (`--agnhost-loaded`).
    pub agnhost_loaded: bool,
}

impl Given {
    /// From the command line's cluster target, when it names a kubeconfig.
    #[must_use]
    pub fn from_args(cluster: &GivenCluster) -> Option<Self> {
        cluster.kubeconfig.as_ref().map(|kubeconfig| Self {
            kubeconfig: kubeconfig.clone(),
            context: cluster.context.clone(),
            allow_foreign: cluster.allow_foreign_cluster,
            agnhost_loaded: cluster.agnhost_loaded,
        })
    }
}

/// kubedrill's own kind clusters, or one cluster the user names (`given`).
pub struct KindLab<'p> {
    /// kubedrill's data folder.
    pub data: DataDir,
    /// Phase reporting.
    pub progress: &'p dyn Progress,
    /// The user's cluster instead of kubedrill's kind clusters.
    pub given: Option<Given>,
    /// How traffic checks are judged.
    pub probes: ProbeMode,
}

impl<'p> KindLab<'p> {
    /// kubedrill's kind clusters, real probes.
    #[must_use]
    pub fn new(data: DataDir, progress: &'p dyn Progress) -> Self {
        Self {
            data,
            progress,
            given: None,
            probes: ProbeMode::Exec,
        }
    }

    fn nodes(&self, profile: Profile) -> KindNodes<'static> {
        KindNodes {
            runner: &SystemRunner,
            kind: tools::program("kind", &self.data.bin()),
            cluster: cluster_name(profile),
        }
    }

    /// Open the task's cluster: kubedrill's kind cluster (which must be the one named), or the
    /// given one (owned when its nodes carry kubedrill's label).
    async fn open(&self, access: &Access) -> Result<Live, ClusterError> {
        let access = &self.effective(access);
        let connection = if access.given {
            Connection::given(
                &access.kubeconfig,
                access.context.as_deref(),
                access.allow_foreign,
                access.agnhost_loaded,
            )
        } else {
            Connection {
                context: access.context.clone(),
                ..Connection::own(access.profile, &self.data)?
            }
        };
        connection.open(self.probes).await
    }

    /// The task's cluster, or the one named on this command's line (`check --kubeconfig`).
    fn effective(&self, access: &Access) -> Access {
        match &self.given {
            Some(given) => Access {
                profile: access.profile,
                kubeconfig: given.kubeconfig.clone(),
                context: given.context.clone(),
                given: true,
                allow_foreign: given.allow_foreign,
                agnhost_loaded: given.agnhost_loaded,
            },
            None => access.clone(),
        }
    }

    /// Where saved system objects go: per profile for kind clusters, per API server otherwise.
    fn saved(&self, access: &Access, live: &Live) -> PathBuf {
        if access.given {
            self.data.given_saved(&live.target.server)
        } else {
            self.data.saved(access.profile)
        }
    }

    /// Clean the given cluster for a new scenario: scenario namespaces removed (and gone),
    /// saved system objects put back and, on a cluster kubedrill owns, the health gate.
    /// Nothing is created, and a foreign cluster without the opt-in gets no write at all.
    fn prepare_given(&self, given: &Given, profile: Profile, timings: &mut Timings) -> Result<Access, Error> {
        let access = Access {
            profile,
            kubeconfig: given.kubeconfig.clone(),
            context: given.context.clone(),
            given: true,
            allow_foreign: given.allow_foreign,
            agnhost_loaded: given.agnhost_loaded,
        };
        block_on("cluster reset", async {
            let live = self.open(&access).await?;
            live.guard.allow_any_write()?;
            timings
                .run(
                    self.progress,
                    "remove scenario namespaces",
                    live.remove_scenario_namespaces(),
                )
                .await?;
            if live.guard.is_owned() {
                let saved = self.saved(&access, &live);
                timings
                    .run(self.progress, "restore system objects", live.restore_saved(&saved))
                    .await?;
                timings
                    .run(
                        self.progress,
                        "health gate",
                        live.gate(profile, std::time::Duration::from_secs(90)),
                    )
                    .await?;
            }
            Ok(())
        })?;
        Ok(access)
    }
}

impl Lab for KindLab<'_> {
    fn prepare(&self, profile: Profile, workers: u8, timings: &mut Timings) -> Result<Access, Error> {
        if let Some(given) = &self.given {
            return self.prepare_given(given, profile, timings);
        }
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
            given: false,
            allow_foreign: false,
            agnhost_loaded: false,
        })
    }

    fn set_up(&self, access: &Access, scenario: &str, rendered: &Rendered, timings: &mut Timings) -> Result<(), Error> {
        let access = &self.effective(access);
        let nodes = self.nodes(access.profile);
        let cache = self.data.root().join("cache");
        block_on("scenario setup", async {
            let live = self.open(access).await?;
            let preloaded = crate::cluster::images::preloaded(&self.data, access.profile);
            live.ensure_addons(rendered, &SystemRunner, &cache, &preloaded, timings, self.progress)
                .await?;
            // Node steps reach kind's node containers; a given cluster has none to reach.
            let nodes: Option<&dyn Nodes> = (!access.given).then_some(&nodes as &dyn Nodes);
            let saved = live.guard.is_owned().then(|| self.saved(access, &live));
            live.setup(scenario, rendered, nodes, saved.as_deref(), timings, self.progress)
                .await
                .map(drop)
        })?;
        Ok(())
    }

    fn observe(&self, access: &Access, rendered: &Rendered) -> Result<Observation, Error> {
        block_on("grading", async {
            self.open(access).await?.observe_checks(&rendered.checks).await
        })
        .map_err(Error::from)
        .and_then(|observation| with_setup_baseline(observation, rendered))
    }

    fn apply(&self, access: &Access, rendered: &Rendered, steps: &[Step]) -> Result<(), Error> {
        let access = &self.effective(access);
        let nodes = self.nodes(access.profile);
        block_on("steps", async {
            let live = self.open(access).await?;
            let saved = live.guard.is_owned().then(|| self.saved(access, &live));
            let context = StepContext {
                rendered,
                scenario: rendered.scenario_id(),
                nodes: (!access.given).then_some(&nodes as &dyn Nodes),
                saved: saved.as_deref(),
            };
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
