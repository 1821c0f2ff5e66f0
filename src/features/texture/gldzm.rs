//! stub
use crate::preprocess::Discretised;
use super::{FeatureInfo, TextureSettings};
/// Feature table.
pub const FEATURES: &[FeatureInfo] = &[];
/// Features.
pub fn features(_d: &Discretised, _m: &ndarray::Array3<bool>, _s: &TextureSettings) -> Vec<(String, f64)> { Vec::new() }
