//! Intensity discretisation (IBSI-1 section 2.7): fixed bin number and fixed bin size.

use ndarray::Array3;

/// Grey levels of the intensity mask after discretisation.
///
/// `levels[[z, y, x]]` is 0 outside the intensity mask and `1..=n_g` inside; `n_g` is the
/// number of grey levels of the discretisation (IBSI `N_g`), which can exceed the highest
/// level present (the digital phantom has levels 1, 3, 4, 6 and `n_g = 6`).
#[derive(Debug, Clone, PartialEq)]
pub struct Discretised {
    /// Grey level per voxel, `[z][y][x]`; 0 = outside the intensity mask.
    pub levels: Array3<u32>,
    /// Number of grey levels `N_g`.
    pub n_g: u32,
}
