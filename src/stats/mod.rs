//! Statistics: seeded random streams, ROC/AUC with DeLong, concordance, proportions,
//! ICC and CCC, calibration.

pub mod ccc;
pub mod icc;
pub mod rng;
pub mod stability;
