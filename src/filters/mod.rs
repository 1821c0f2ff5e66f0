//! IBSI-2 convolutional filters (Depeursinge et al., "Standardised convolutional
//! filtering for radiomics", arXiv:2006.05470 v9, 2024; "the manual" below): mean,
//! Laplacian of Gaussian, Laws kernels and energy, Gabor, separable undecimated
//! wavelets, Simoncelli wavelets and Riesz transforms, with the four boundary rules and
//! rotation-invariant pooling over right-angle rotations.
//!
//! Entry point: [`apply`] maps a [`FilterSpec`] and a [`Volume`] to the response map
//! (same grid), so filters chain with perturbations and feature extraction like any
//! other image operation. [`FilterSpec::tag`] names the filter and its parameters for
//! feature columns.
//!
//! # Method
//! Separable kernels run as 1D passes ([`separable`], parallel over rows); the LoG as a
//! sum of separable terms; PyRadiomics' LoG as Deriche's recursive filters (`O(1)` per
//! voxel and pass); Gabor by FFT per plane ([`gabor`]); Simoncelli and Riesz in the
//! frequency domain ([`fourier`]).
//!
//! Switch-over between direct and FFT convolution: a 1D pass costs `K` multiply-adds
//! per voxel, a 2D FFT convolution about `2 x 5 log2(N)` real operations per padded
//! pixel per orientation (~160 for N = 256) plus one forward transform per slice. So
//! non-separable 2D kernels (Gabor, `M^2` taps: 6 561 for M = 81, still 81 for M = 9)
//! always use the FFT, and separable kernels always use direct passes: 3D FFTs of
//! medical volumes would need padded complex buffers (16 bytes per padded voxel, about
//! 2 GB for a 512 x 512 x 61 image padded to powers of two), while the largest IBSI LoG
//! here (sigma 5 voxels, K = 41) costs 9 x 41 multiply-adds per voxel.
//!
//! # Limitations
//! Riesz transforms aligned with the local structure tensor (IBSI-2 9.b.2, 10.a,
//! 10.b.2) are not implemented; no reference maps exist for them.
// TODO(filters): structure-tensor-aligned Riesz (configurations 9.b.2, 10.a, 10.b.2).

pub mod boundary;
pub mod fft;
pub mod fourier;
pub mod gabor;
pub mod laws;
pub mod log;
pub mod mean;
pub mod rotation;
pub mod separable;
pub mod wavelet;

use ndarray::Array3;
use serde::{Deserialize, Serialize};

pub use boundary::Boundary;
pub use rotation::Pooling;

use crate::image::Volume;
use fourier::FreqGrid;

/// Filtering in the axial plane (2D, slice by slice) or in the volume (3D).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Dims {
    /// Axial plane (x, y), each slice on its own.
    #[serde(rename = "2d")]
    D2,
    /// The volume.
    #[default]
    #[serde(rename = "3d")]
    D3,
}

impl Dims {
    /// Array axes filtered, x first (`[z, y, x]` layout: x is axis 2).
    pub fn axes(self) -> &'static [usize] {
        match self {
            Dims::D2 => &[2, 1],
            Dims::D3 => &[2, 1, 0],
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Dims::D2 => "2d",
            Dims::D3 => "3d",
        }
    }
}

/// Errors of filter specification and application.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FilterError {
    /// A parameter out of range or an unknown name.
    #[error("invalid filter: {0}")]
    Invalid(String),
    /// The image is empty.
    #[error("cannot filter an empty image")]
    Empty,
}

fn four() -> f64 {
    4.0
}

fn one() -> usize {
    1
}

/// One filter with its parameters, as written in an extraction config's `[[filters]]`
/// table (`filter = "log"`, `sigma_mm = 3.0`, ...). Lengths are in mm, angles in degrees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "filter", rename_all = "kebab-case", deny_unknown_fields)]
pub enum FilterSpec {
    /// Mean filter over `support` voxels per side (odd). Manual "Mean filter" (S60F).
    Mean {
        /// Voxels per side.
        support: usize,
        /// 2D (axial) or 3D.
        #[serde(default)]
        dims: Dims,
        /// Boundary rule.
        #[serde(default)]
        boundary: Boundary,
    },
    /// Laplacian of Gaussian. Manual "Laplacian of Gaussian" (L6PA).
    Log {
        /// Gaussian sigma (mm).
        sigma_mm: f64,
        /// Truncation in units of sigma (default 4).
        #[serde(default = "four")]
        cutoff: f64,
        /// 2D (axial) or 3D.
        #[serde(default)]
        dims: Dims,
        /// Boundary rule.
        #[serde(default)]
        boundary: Boundary,
    },
    /// Laws kernel product (e.g. `E5L5S5`, x first), optional rotation invariance (max
    /// pooling) and energy map. Manual "Laws kernels" (JTXT).
    Laws {
        /// Kernel names, one per axis (2 factors: 2D axial; 3: 3D).
        kernel: String,
        /// Max-pool over right-angle rotations.
        #[serde(default)]
        rotation_invariant: bool,
        /// Energy map half-width delta (voxels), if any.
        #[serde(default)]
        energy_delta: Option<usize>,
        /// Boundary rule.
        #[serde(default)]
        boundary: Boundary,
    },
    /// Gabor modulus, averaged over orientations and optionally over the three
    /// orthogonal planes. Manual "Gabor filters" (Q88H).
    Gabor {
        /// Envelope sigma (mm).
        sigma_mm: f64,
        /// Wavelength (mm).
        lambda_mm: f64,
        /// Spatial aspect ratio.
        gamma: f64,
        /// One orientation (degrees), or the step of orientations from 0 to 360.
        #[serde(flatten)]
        orientation: Orientation,
        /// Average the axial, coronal and sagittal responses.
        #[serde(default)]
        orthogonal_planes: bool,
        /// Boundary rule.
        #[serde(default)]
        boundary: Boundary,
    },
    /// A separable undecimated wavelet sub-band. Manual "Separable wavelets".
    Wavelet {
        /// `haar`, `db2`, `db3` or `coif1`.
        wavelet: String,
        /// One letter per axis, x first (`LHL`; 2D: `LH`).
        subband: String,
        /// Decomposition level (>= 1).
        #[serde(default = "one")]
        level: usize,
        /// Average over right-angle rotations.
        #[serde(default)]
        rotation_invariant: bool,
        /// Boundary rule.
        #[serde(default)]
        boundary: Boundary,
    },
    /// Simoncelli isotropic band-pass wavelet. Manual "Simoncelli wavelets" (PRT7).
    Simoncelli {
        /// Level (>= 1).
        #[serde(default = "one")]
        level: usize,
        /// 2D (axial, slice by slice) or 3D.
        #[serde(default)]
        dims: Dims,
        /// Boundary rule.
        #[serde(default)]
        boundary: Boundary,
    },
    /// Riesz transform of a LoG response. Manual "Riesz transform" (AYRS).
    RieszLog {
        /// Gaussian sigma (mm).
        sigma_mm: f64,
        /// Truncation in units of sigma.
        #[serde(default = "four")]
        cutoff: f64,
        /// Riesz order (x, y, z).
        order: [u32; 3],
        /// Boundary rule.
        #[serde(default)]
        boundary: Boundary,
    },
    /// PyRadiomics' LoG (`imageType: LoG`): the scale-normalised Laplacian
    /// `sigma^2 * laplacian(G_sigma * I)` with sigma and derivatives in mm, edge voxels
    /// repeated at the border, and SimpleITK's recursive-Gaussian (Deriche) kernels
    /// instead of the sampled Gaussian (they differ most for sigma below a voxel).
    PyradiomicsLog {
        /// Gaussian sigma (mm).
        sigma_mm: f64,
    },
    /// PyRadiomics' wavelet (`imageType: Wavelet`, PyWavelets `swtn`): periodic
    /// boundary after wrapping odd axes to an even length, and each level undilated on
    /// the previous level's all-low-pass response.
    PyradiomicsWavelet {
        /// Wavelet (PyRadiomics default `coif1`).
        wavelet: String,
        /// One letter per axis, x first (`LHL`).
        subband: String,
        /// Level (>= 1; PyRadiomics' `start_level` 0 plus `level`).
        #[serde(default = "one")]
        level: usize,
    },
    /// Riesz transform of a Simoncelli response. Manual "Riesz transform" (AYRS).
    RieszSimoncelli {
        /// Simoncelli level.
        #[serde(default = "one")]
        level: usize,
        /// Riesz order (x, y, z).
        order: [u32; 3],
        /// Boundary rule.
        #[serde(default)]
        boundary: Boundary,
    },
}

/// Gabor orientations.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    /// A single orientation (degrees).
    ThetaDeg(f64),
    /// Orientations `0, step, 2 step, ...` below 360 degrees, moduli averaged.
    ThetaStepDeg(f64),
}

impl FilterSpec {
    /// Voxels `(x, y, z)` of a grid of `spacing` mm beyond which the input does not change
    /// the response at a voxel: the kernel's half-width along each axis it acts on
    /// (after every level, rotation and energy step), so a region that extends this far
    /// beyond the voxels read gives them the whole image's response. `None` for filters
    /// whose response depends on the whole image: Simoncelli and Riesz (multipliers in
    /// the frequency domain of the padded image) and PyRadiomics' wavelets (periodic
    /// boundary: the far edge wraps round).
    ///
    /// PyRadiomics' LoG runs recursive filters, whose impulse responses never end; they
    /// decay as `e^{-1.37 u}` (`u` = distance / sigma, the exponents of Deriche's 1993
    /// fits in [`log`]), so 24 sigma is taken, where an input's weight is below
    /// `e^{-32}` (1e-14) of the peak's.
    pub fn reach(&self, spacing: [f64; 3]) -> Option<[usize; 3]> {
        // Reach `r` along the array axes `axes` (2 = x, 1 = y, 0 = z), as (x, y, z).
        let on = |axes: &[usize], r: [usize; 3]| {
            let mut out = [0usize; 3];
            for &a in axes {
                out[2 - a] = r[2 - a];
            }
            out
        };
        let add = |a: [usize; 3], b: [usize; 3]| std::array::from_fn(|i| a[i].saturating_add(b[i]));
        let all = |r: usize| [r; 3];
        let half = |k: &separable::Kernel1d| k.centre.max(k.taps.len() - 1 - k.centre);
        match self {
            FilterSpec::Mean { support, dims, .. } => Some(on(dims.axes(), all(support / 2))),
            FilterSpec::Log {
                sigma_mm,
                cutoff,
                dims,
                ..
            } => {
                let r = spacing.map(|s| (cutoff * sigma_mm / s + 0.5).floor() as usize);
                Some(on(dims.axes(), r))
            }
            FilterSpec::PyradiomicsLog { sigma_mm } => {
                Some(spacing.map(|s| ((24.0 * sigma_mm / s).ceil() as usize).saturating_add(1)))
            }
            FilterSpec::Laws {
                kernel,
                rotation_invariant,
                energy_delta,
                ..
            } => {
                let dims = if kernel.len() == 4 {
                    Dims::D2
                } else {
                    Dims::D3
                };
                let ks = laws::parse(kernel, dims).ok()?;
                // Kernel i acts along spatial axis i; rotations move it to any axis.
                let mut r = [0usize; 3];
                for (i, k) in ks.iter().enumerate() {
                    r[i] = half(k);
                }
                if *rotation_invariant {
                    r = all(r.iter().copied().max().unwrap_or(0));
                }
                let energy = all(energy_delta.unwrap_or(0));
                Some(on(dims.axes(), add(r, energy)))
            }
            FilterSpec::Gabor {
                sigma_mm,
                gamma,
                orthogonal_planes,
                ..
            } => {
                // The kernel radius of `gabor::gabor_plane` (cutoff 4).
                let s_max = sigma_mm / gamma.min(1.0);
                let r = spacing.map(|s| (4.0 * s_max / s + 0.5).floor() as usize);
                Some(if *orthogonal_planes {
                    r
                } else {
                    [r[0], r[1], 0]
                })
            }
            FilterSpec::Wavelet {
                wavelet: family,
                subband,
                level,
                ..
            } => {
                // Level j convolves with taps 2^(j-1) apart, reaching h 2^(j-1) voxels to
                // one side (h the longer side of the centred filter): h (2^level - 1) in
                // all, along every axis the sub-band filters (a rotation keeps that set).
                let taps = wavelet::low_pass(family)?.len();
                let c = wavelet::centre(taps);
                let dilations = 1usize.checked_shl(*level as u32).unwrap_or(usize::MAX) - 1;
                let r = c.max(taps - 1 - c).saturating_mul(dilations);
                let axes: &[usize] = if subband.len() == 2 {
                    &[2, 1]
                } else {
                    &[2, 1, 0]
                };
                Some(on(axes, all(r)))
            }
            FilterSpec::Simoncelli { .. }
            | FilterSpec::RieszLog { .. }
            | FilterSpec::RieszSimoncelli { .. }
            | FilterSpec::PyradiomicsWavelet { .. } => None,
        }
    }

    /// Checks parameters serde cannot.
    ///
    /// # Errors
    /// [`FilterError::Invalid`] naming the parameter.
    pub fn validate(&self) -> Result<(), FilterError> {
        let pos = |what: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(FilterError::Invalid(format!("{what} = {v}, expected > 0")))
            }
        };
        match self {
            FilterSpec::Mean { support, .. } => {
                if support % 2 == 0 {
                    return Err(FilterError::Invalid(format!(
                        "mean support {support}, expected an odd number"
                    )));
                }
            }
            FilterSpec::Log {
                sigma_mm, cutoff, ..
            }
            | FilterSpec::RieszLog {
                sigma_mm, cutoff, ..
            } => {
                pos("sigma_mm", *sigma_mm)?;
                pos("cutoff", *cutoff)?;
            }
            FilterSpec::Laws { kernel, .. } => {
                let dims = if kernel.len() == 4 {
                    Dims::D2
                } else {
                    Dims::D3
                };
                laws::parse(kernel, dims)?;
            }
            FilterSpec::Gabor {
                sigma_mm,
                lambda_mm,
                gamma,
                orientation,
                ..
            } => {
                pos("sigma_mm", *sigma_mm)?;
                pos("lambda_mm", *lambda_mm)?;
                pos("gamma", *gamma)?;
                if let Orientation::ThetaStepDeg(s) = orientation {
                    pos("theta_step_deg", *s)?;
                }
            }
            FilterSpec::Wavelet {
                wavelet,
                subband,
                level,
                ..
            } => {
                wavelet_level(*level)?;
                wavelet::subband(
                    &Array3::zeros((1, 1, 1)),
                    wavelet,
                    subband,
                    *level,
                    Boundary::Zero,
                )?;
            }
            FilterSpec::PyradiomicsLog { sigma_mm } => pos("sigma_mm", *sigma_mm)?,
            FilterSpec::PyradiomicsWavelet {
                wavelet,
                subband,
                level,
            } => {
                if subband.len() != 3 {
                    return Err(FilterError::Invalid(format!(
                        "PyRadiomics wavelet sub-band {subband:?}, expected 3 letters"
                    )));
                }
                wavelet_level(*level)?;
                wavelet::subband(
                    &Array3::zeros((1, 1, 1)),
                    wavelet,
                    subband,
                    *level,
                    Boundary::Zero,
                )?;
            }
            FilterSpec::Simoncelli { level, .. } | FilterSpec::RieszSimoncelli { level, .. } => {
                if *level == 0 || *level > 8 {
                    return Err(FilterError::Invalid(format!(
                        "level {level}, expected 1..=8"
                    )));
                }
            }
        }
        Ok(())
    }

    /// A short tag naming the filter and the parameters that change the response, for
    /// feature column names (`log_s3`, `wavelet_coif1_lhl_l1_ri`, `laws_e5l5s5_ri_e7`).
    /// Defaults (3D, mirror boundary, cutoff 4) are omitted.
    pub fn tag(&self) -> String {
        let b = |b: &Boundary| {
            if *b == Boundary::Mirror {
                String::new()
            } else {
                format!("_{}", b.tag())
            }
        };
        let d = |d: &Dims| {
            if *d == Dims::D3 {
                String::new()
            } else {
                format!("_{}", d.tag())
            }
        };
        let c = |c: &f64| {
            if *c == 4.0 {
                String::new()
            } else {
                format!("_c{c}")
            }
        };
        match self {
            FilterSpec::Mean {
                support,
                dims,
                boundary,
            } => format!("mean_m{support}{}{}", d(dims), b(boundary)),
            FilterSpec::Log {
                sigma_mm,
                cutoff,
                dims,
                boundary,
            } => format!("log_s{sigma_mm}{}{}{}", c(cutoff), d(dims), b(boundary)),
            FilterSpec::Laws {
                kernel,
                rotation_invariant,
                energy_delta,
                boundary,
            } => format!(
                "laws_{}{}{}{}",
                kernel.to_ascii_lowercase(),
                if *rotation_invariant { "_ri" } else { "" },
                energy_delta.map_or(String::new(), |e| format!("_e{e}")),
                b(boundary)
            ),
            FilterSpec::Gabor {
                sigma_mm,
                lambda_mm,
                gamma,
                orientation,
                orthogonal_planes,
                boundary,
            } => format!(
                "gabor_s{sigma_mm}_l{lambda_mm}_g{gamma}_{}{}{}",
                match orientation {
                    Orientation::ThetaDeg(t) => format!("t{t}"),
                    Orientation::ThetaStepDeg(t) => format!("dt{t}"),
                },
                if *orthogonal_planes { "_3p" } else { "" },
                b(boundary)
            ),
            FilterSpec::Wavelet {
                wavelet,
                subband,
                level,
                rotation_invariant,
                boundary,
            } => format!(
                "wavelet_{wavelet}_{}_l{level}{}{}",
                subband.to_ascii_lowercase(),
                if *rotation_invariant { "_ri" } else { "" },
                b(boundary)
            ),
            FilterSpec::Simoncelli {
                level,
                dims,
                boundary,
            } => format!("simoncelli_l{level}{}{}", d(dims), b(boundary)),
            FilterSpec::PyradiomicsLog { sigma_mm } => format!("log_s{sigma_mm}_pyradiomics"),
            FilterSpec::PyradiomicsWavelet {
                wavelet,
                subband,
                level,
            } => format!(
                "wavelet_{wavelet}_{}_l{level}_pyradiomics",
                subband.to_ascii_lowercase()
            ),
            FilterSpec::RieszLog {
                sigma_mm,
                cutoff,
                order,
                boundary,
            } => format!(
                "riesz_log_s{sigma_mm}{}_o{}{}{}{}",
                c(cutoff),
                order[0],
                order[1],
                order[2],
                b(boundary)
            ),
            FilterSpec::RieszSimoncelli {
                level,
                order,
                boundary,
            } => format!(
                "riesz_simoncelli_l{level}_o{}{}{}{}",
                order[0],
                order[1],
                order[2],
                b(boundary)
            ),
        }
    }

    /// Whether the filter works slice by slice in the axial plane.
    pub fn is_2d(&self) -> bool {
        match self {
            FilterSpec::Mean { dims, .. } | FilterSpec::Log { dims, .. } => *dims == Dims::D2,
            FilterSpec::Laws { kernel, .. } => kernel.len() == 4,
            FilterSpec::Gabor {
                orthogonal_planes, ..
            } => !orthogonal_planes,
            FilterSpec::Wavelet { subband, .. } => subband.len() == 2,
            FilterSpec::Simoncelli { dims, .. } => *dims == Dims::D2,
            _ => false,
        }
    }

    /// The PyRadiomics image-type prefix of the filter's features (`log-sigma-3-0-mm-3D`,
    /// `wavelet-LHL`), for the 3D LoG and the single-orientation 3D wavelets; `None`
    /// when PyRadiomics has no counterpart.
    pub fn pyradiomics_prefix(&self) -> Option<String> {
        match self {
            FilterSpec::PyradiomicsLog { sigma_mm }
            | FilterSpec::Log {
                sigma_mm,
                dims: Dims::D3,
                ..
            } => Some(format!(
                "log-sigma-{}-mm-3D",
                format!("{sigma_mm:?}").replace('.', "-")
            )),
            FilterSpec::PyradiomicsWavelet { subband, .. }
            | FilterSpec::Wavelet {
                subband,
                rotation_invariant: false,
                ..
            } if subband.len() == 3 => Some(format!("wavelet-{}", subband.to_ascii_uppercase())),
            _ => None,
        }
    }
}

/// The response map of `spec` on `image` (same grid and geometry).
///
/// # Errors
/// [`FilterError`] for invalid parameters or an empty image.
pub fn apply(spec: &FilterSpec, image: &Volume) -> Result<Volume, FilterError> {
    spec.validate()?;
    if image.data.is_empty() {
        return Err(FilterError::Empty);
    }
    let data = response(spec, &image.data, image.geometry.spacing)?;
    Ok(Volume {
        data,
        geometry: image.geometry.clone(),
    })
}

/// The widest kernel [`response`] builds, in voxels from the centre (a LoG of sigma 1000
/// voxels reaches 4000).
pub const MAX_REACH: usize = 8192;

/// Checks a wavelet decomposition level: 1..=8 (dilations up to 128 voxels).
fn wavelet_level(level: usize) -> Result<(), FilterError> {
    if (1..=8).contains(&level) {
        Ok(())
    } else {
        Err(FilterError::Invalid(format!(
            "wavelet level {level}, expected 1..=8"
        )))
    }
}

/// The response map on a bare array (`[z][y][x]`), `spacing` `(x, y, z)` in mm.
///
/// # Errors
/// [`FilterError::Invalid`] for invalid parameters.
pub fn response(
    spec: &FilterSpec,
    data: &Array3<f64>,
    spacing: [f64; 3],
) -> Result<Array3<f64>, FilterError> {
    // A kernel wider than this is a mistyped parameter (sigma in um, say), not a filter
    // anyone means; refuse it before allocating it.
    if let Some(r) = spec.reach(spacing) {
        if r.iter().any(|&v| v > MAX_REACH) {
            return Err(FilterError::Invalid(format!(
                "{}: the kernel reaches {r:?} voxels (x, y, z) at spacing {spacing:?} mm, \
                 more than {MAX_REACH}; check sigma, support and energy_delta",
                spec.tag()
            )));
        }
    }
    let sp_zyx = [spacing[2], spacing[1], spacing[0]];
    let out = match spec {
        FilterSpec::Mean {
            support,
            dims,
            boundary,
        } => mean::mean(data, *support, *dims, *boundary),
        FilterSpec::Log {
            sigma_mm,
            cutoff,
            dims,
            boundary,
        } => {
            let sigma_vox = sp_zyx.map(|s| sigma_mm / s);
            if dims.axes().iter().any(|&a| sigma_vox[a] < 1.0) {
                tracing::warn!(
                    "log: sigma {sigma_mm} mm is below one voxel along an axis (spacing \
                     {spacing:?} mm); the sampled Gaussian is a poor approximation there"
                );
            }
            log::log(data, sigma_vox, *cutoff, *dims, *boundary)
        }
        FilterSpec::Laws {
            kernel,
            rotation_invariant,
            energy_delta,
            boundary,
        } => {
            let dims = if kernel.len() == 4 {
                Dims::D2
            } else {
                Dims::D3
            };
            let ks = laws::parse(kernel, dims)?;
            let filter = |a: &Array3<f64>| laws::laws(a, &ks, *boundary);
            let resp = if *rotation_invariant {
                let rots = match dims {
                    Dims::D2 => rotation::rotations_2d(),
                    Dims::D3 => rotation::rotations_3d(),
                };
                rotation::pooled(data, &rots, Pooling::Max, filter)
            } else {
                filter(data)
            };
            match energy_delta {
                Some(delta) => laws::energy(&resp, *delta, dims, *boundary),
                None => resp,
            }
        }
        FilterSpec::Gabor {
            sigma_mm,
            lambda_mm,
            gamma,
            orientation,
            orthogonal_planes,
            boundary,
        } => {
            let thetas = match orientation {
                Orientation::ThetaDeg(t) => vec![t.to_radians()],
                Orientation::ThetaStepDeg(step) => {
                    let n = (360.0 / step - 1e-9).floor() as usize + 1;
                    (0..n).map(|i| (i as f64 * step).to_radians()).collect()
                }
            };
            let g = gabor::Gabor {
                sigma: *sigma_mm,
                lambda: *lambda_mm,
                gamma: *gamma,
                thetas,
                cutoff: 4.0,
            };
            if *orthogonal_planes {
                let mut acc = Array3::<f64>::zeros(data.raw_dim());
                for plane in [gabor::AXIAL, gabor::CORONAL, gabor::SAGITTAL] {
                    acc += &gabor::gabor_plane(data, plane, sp_zyx, &g, *boundary);
                }
                acc / 3.0
            } else {
                gabor::gabor_plane(data, gabor::AXIAL, sp_zyx, &g, *boundary)
            }
        }
        FilterSpec::Wavelet {
            wavelet: family,
            subband,
            level,
            rotation_invariant,
            boundary,
        } => {
            let two_d = subband.len() == 2;
            if *rotation_invariant {
                let rots = if two_d {
                    rotation::rotations_2d()
                } else {
                    rotation::rotations_3d()
                };
                // Parameters were validated, so the sub-band cannot fail here.
                let filter = |a: &Array3<f64>| {
                    wavelet::subband(a, family, subband, *level, *boundary)
                        .unwrap_or_else(|_| Array3::from_elem(a.raw_dim(), f64::NAN))
                };
                rotation::pooled(data, &rots, Pooling::Average, filter)
            } else {
                wavelet::subband(data, family, subband, *level, *boundary)?
            }
        }
        FilterSpec::Simoncelli {
            level,
            dims,
            boundary,
        } => {
            let pad = margin(data);
            fourier::apply_multiplier(data, pad, *boundary, FreqGrid::Symmetric, *dims, |nu| {
                fft::C64::new(fourier::simoncelli(nu, *level), 0.0)
            })
        }
        FilterSpec::PyradiomicsLog { sigma_mm } => pyradiomics_log(data, *sigma_mm, sp_zyx),
        FilterSpec::PyradiomicsWavelet {
            wavelet: family,
            subband,
            level,
        } => pyradiomics_wavelet(data, family, subband, *level)?,
        FilterSpec::RieszLog {
            sigma_mm,
            cutoff,
            order,
            boundary,
        } => {
            let base = log::log(
                data,
                sp_zyx.map(|s| sigma_mm / s),
                *cutoff,
                Dims::D3,
                *boundary,
            );
            let pad = margin(data);
            fourier::apply_multiplier(&base, pad, *boundary, FreqGrid::Dft, Dims::D3, |nu| {
                fourier::riesz(nu, *order)
            })
        }
        FilterSpec::RieszSimoncelli {
            level,
            order,
            boundary,
        } => {
            let pad = margin(data);
            let grid = FreqGrid::Symmetric;
            fourier::apply_multiplier(data, pad, *boundary, grid, Dims::D3, |nu| {
                fourier::riesz(nu, *order).scale(fourier::simoncelli(nu, *level))
            })
        }
    };
    Ok(out)
}

/// PyRadiomics' LoG: `sigma^2 sum_a d^2/dx_a^2 (G_sigma * I)` in mm, nearest boundary,
/// with Deriche's recursive filters ([`log::Recursive`]) as SimpleITK: `O(1)` per voxel
/// and pass whatever sigma (the equivalent kernels reach 12 sigma).
fn pyradiomics_log(data: &Array3<f64>, sigma_mm: f64, sp_zyx: [f64; 3]) -> Array3<f64> {
    let recs: Vec<_> = sp_zyx
        .iter()
        .map(|s| log::Recursive::deriche(sigma_mm / s))
        .collect();
    let mut out = Array3::<f64>::zeros(data.raw_dim());
    for t in 0..3 {
        let mut term = data.clone();
        for (a, (g0, g2)) in recs.iter().enumerate() {
            term = log::recursive_axis(&term, a, if a == t { g2 } else { g0 });
        }
        // The voxel-unit second derivative divided by spacing^2 is the mm derivative.
        let w = sigma_mm * sigma_mm / (sp_zyx[t] * sp_zyx[t]);
        out.scaled_add(w, &term);
    }
    out
}

/// PyRadiomics' wavelet: wrap odd axes to even length, undilated periodic passes per
/// level, crop back.
fn pyradiomics_wavelet(
    data: &Array3<f64>,
    family: &str,
    subband: &str,
    level: usize,
) -> Result<Array3<f64>, FilterError> {
    let (nz, ny, nx) = data.dim();
    let even = |n: usize| n + n % 2;
    let padded = Array3::from_shape_fn((even(nz), even(ny), even(nx)), |(z, y, x)| {
        data[[z % nz, y % ny, x % nx]]
    });
    let mut approx = padded;
    for _ in 1..level {
        approx = wavelet::subband(&approx, family, "LLL", 1, Boundary::Periodic)?;
    }
    let out = wavelet::subband(&approx, family, subband, 1, Boundary::Periodic)?;
    Ok(out.slice(ndarray::s![..nz, ..ny, ..nx]).to_owned())
}

/// Padding for frequency-domain filters with a non-periodic boundary: half the image
/// size per axis, so wrap-around reaches only padding.
fn margin(data: &Array3<f64>) -> [usize; 3] {
    let (nz, ny, nx) = data.dim();
    [nz / 2, ny / 2, nx / 2]
}
