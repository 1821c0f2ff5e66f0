//! radaudit: audits radiomics studies for rigor and robustness.
//!
//! The library is the product; the `radaudit` binary parses arguments into validated
//! configurations and calls one library function per subcommand. Data flows one way:
//! images -> preprocessing (and filters) -> features -> perturbation replicates ->
//! stability -> tables -> models and simulations -> verdicts -> reports. Each module uses
//! only the modules listed before it here (see `../shared/DESIGN.md`, "Module map").

pub mod audit;
pub mod checkpoint;
pub mod cli;
pub mod compare;
pub mod features;
pub mod filters;
pub mod image;
pub mod model;
pub mod null;
pub mod perturb;
pub mod preprocess;
pub mod report;
pub mod samplesize;
pub mod shard;
pub mod stats;
pub mod table;
