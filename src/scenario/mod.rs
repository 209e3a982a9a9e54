//! Scenarios as data: the `scenario.yaml` format v1, params drawn from a seed, tera rendering,
//! manifests parsed as Kubernetes objects, and lint.
//!
//! Data flows one way: folder -> [`Scenario`] (parsed) -> [`Rendered`] (one seed) -> the
//! cluster module. Nothing here talks to a cluster or prints.

pub mod footprint;
pub mod kinds;
pub mod lint;
pub mod load;
pub mod manifest;
pub mod model;
pub mod mutate;
pub mod params;
pub mod positions;
pub mod prng;
pub mod problem;
pub mod render;
pub mod simulate;
pub mod source;
pub mod step;
pub mod template;

pub use load::Scenario;
pub use problem::Problem;
pub use render::Rendered;
pub use source::ScenarioDir;
