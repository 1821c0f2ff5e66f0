//! Statistics: seeded random streams, ROC/AUC with DeLong, concordance, proportions,
//! ICC and CCC, calibration.

pub mod calibration;
pub mod ccc;
pub mod concordance;
pub mod icc;
pub mod proportion;
pub mod reml;
pub mod rng;
pub mod roc;
pub mod scale;
pub mod stability;
