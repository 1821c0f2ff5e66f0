//! Perturbation chains: the `[perturbation]` plan of an extraction config, the settings it
//! expands to, and one perturbed sample per (setting, replicate).
//!
//! ```toml
//! [perturbation]
//! repeats = 2                  # draws of every setting that has a random step
//! interpolator = "linear"      # rigid motion: linear | nearest
//! noise_sigma = "estimate"     # or a number in intensity units
//! noise = [1.0]                # noise levels, multiples of noise_sigma (0 = none)
//! translation = [[0.0, 0.0, 0.0], [0.5, 0.5, 0.0]]   # voxel fractions (x, y, z)
//! rotation = [-10.0, 0.0, 10.0]                      # degrees about the slice axis
//! spacing = [[1.0, 1.0, 1.0]]  # resampling spacings (x, y, z) mm for the extraction
//! volume = [-0.1, 0.0, 0.1]    # volume adaptation by fraction (or volume_mm = [...])
//! morphology = [-1, 1]         # erosion (< 0) / dilation (> 0) radius in voxels
//! structuring_element = { element = "cross", in_plane = false }
//! contour = [true]             # supervoxel contour randomisation on / off
//! supervoxels = { count = 30, compactness = 1.0 }
//! ```
//! Every key is a factor with a list of levels; an absent key is not varied. The
//! settings are the Cartesian product of the levels (Zwanenburg et al. 2019, Sci Rep
//! 9:614, combine noise, translation, rotation, volume adaptation and contour
//! randomisation this way: e.g. "RNCV"), each named `key=value;...` in a fixed key order
//! (e.g. `rot=-10;tr=0.5:0.5:0;noise=1;vol=0.1;contour=1`). A setting with a random step
//! (noise level > 0 or contour randomisation) is drawn `repeats` times; the others once.
//!
//! # Order of the steps
//! 1. Rigid motion of image and mask together (translation and rotation in one
//!    interpolation): the patient lies differently relative to the grid.
//! 2. Noise added to the moved image: scanner noise is white on the acquisition grid,
//!    and adding it before the motion would let the interpolation smooth it away.
//! 3. Mask steps on the moved mask: volume adaptation, then erosion or dilation, then
//!    contour randomisation (supervoxels of the noisy, moved image, as a reader sees it).
//! 4. Extraction with the setting's resampling spacing (interpolation to the new grid
//!    comes first in the IBSI pipeline, so it sees the perturbed image and mask).

use serde::{Deserialize, Serialize};

use ndarray::Array3;

use super::morphology::{self, Element, Structuring};
use super::region::{self, bounding_region, place, tighten, Region};
use super::rigid::{self, Motion, RigidInterpolator};
use super::supervoxel::{self, SlicSettings};
use super::volume::{self, Adaptation};
use super::{noise, PerturbError, Sample};
use crate::features::config::ExtractConfig;
use crate::features::extract;
use crate::image::{Geometry, Volume};
use crate::preprocess::{self, Frame, Interpolator, PrepSettings, Resample};
use crate::stats::rng;

/// Noise level source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NoiseSigma {
    /// A fixed SD in intensity units.
    Value(f64),
    /// `"estimate"`: the wavelet MAD estimate of each case ([`noise::estimate_sigma`]) on
    /// the crop around its ROI.
    Word(String),
}

impl Default for NoiseSigma {
    fn default() -> Self {
        NoiseSigma::Word("estimate".into())
    }
}

/// The structuring element of the `morphology` factor.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ElementSpec {
    /// Shape.
    pub element: Element,
    /// Only within the slice.
    pub in_plane: bool,
}

/// The `[perturbation]` plan (module doc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Draws of every random setting.
    #[serde(default = "one")]
    pub repeats: usize,
    /// Interpolator of the rigid motion.
    #[serde(default)]
    pub interpolator: RigidInterpolator,
    /// Noise SD, or `"estimate"`.
    #[serde(default)]
    pub noise_sigma: NoiseSigma,
    /// Noise levels (multiples of the noise SD).
    #[serde(default)]
    pub noise: Vec<f64>,
    /// Translations in voxels `(x, y, z)`.
    #[serde(default)]
    pub translation: Vec<[f64; 3]>,
    /// Rotation angles in degrees about the slice axis.
    #[serde(default)]
    pub rotation: Vec<f64>,
    /// Resampling spacings `(x, y, z)` mm.
    #[serde(default)]
    pub spacing: Vec<[f64; 3]>,
    /// Volume adaptation fractions.
    #[serde(default)]
    pub volume: Vec<f64>,
    /// Volume adaptation distances (mm).
    #[serde(default)]
    pub volume_mm: Vec<f64>,
    /// Erosion (< 0) or dilation (> 0) radii in voxels.
    #[serde(default)]
    pub morphology: Vec<i64>,
    /// Structuring element of `morphology`.
    #[serde(default)]
    pub structuring_element: ElementSpec,
    /// Contour randomisation on or off.
    #[serde(default)]
    pub contour: Vec<bool>,
    /// Supervoxel settings of the contour randomisation.
    #[serde(default)]
    pub supervoxels: SlicSettings,
}

fn one() -> usize {
    1
}

/// One combination of factor levels; `None` = the factor is not in the plan.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Setting {
    /// Resampling spacing.
    pub spacing: Option<[f64; 3]>,
    /// Rotation angle (degrees).
    pub rotation: Option<f64>,
    /// Translation (voxels).
    pub translation: Option<[f64; 3]>,
    /// Noise level (multiple of the noise SD).
    pub noise: Option<f64>,
    /// Volume adaptation.
    pub volume: Option<Adaptation>,
    /// Erosion/dilation radius.
    pub morphology: Option<i64>,
    /// Contour randomisation.
    pub contour: Option<bool>,
}

impl Setting {
    /// Whether a step draws random numbers (so replicates differ).
    pub fn is_random(&self) -> bool {
        self.noise.is_some_and(|n| n != 0.0) || self.contour == Some(true)
    }

    /// The setting's name in the long table (module doc).
    pub fn name(&self) -> String {
        let xyz = |v: [f64; 3]| format!("{}:{}:{}", v[0], v[1], v[2]);
        let mut parts: Vec<String> = Vec::new();
        if let Some(s) = self.spacing {
            parts.push(format!("sp={}", xyz(s)));
        }
        if let Some(r) = self.rotation {
            parts.push(format!("rot={r}"));
        }
        if let Some(t) = self.translation {
            parts.push(format!("tr={}", xyz(t)));
        }
        if let Some(n) = self.noise {
            parts.push(format!("noise={n}"));
        }
        match self.volume {
            Some(Adaptation::Fraction(f)) => parts.push(format!("vol={f}")),
            Some(Adaptation::DistanceMm(d)) => parts.push(format!("vol={d}mm")),
            None => {}
        }
        if let Some(m) = self.morphology {
            parts.push(format!("morph={m}"));
        }
        if let Some(c) = self.contour {
            parts.push(format!("contour={}", u8::from(c)));
        }
        if parts.is_empty() {
            "identity".into()
        } else {
            parts.join(";")
        }
    }
}

impl Plan {
    /// The plan of `config`'s `[perturbation]` table.
    ///
    /// # Errors
    /// [`PerturbError::Plan`] when the table is absent, has unknown keys or invalid
    /// values.
    pub fn from_config(config: &ExtractConfig) -> Result<Self, PerturbError> {
        let table = config
            .perturbation
            .clone()
            .ok_or_else(|| PerturbError::Plan("the config has no [perturbation] table".into()))?;
        let plan: Plan = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| PerturbError::Plan(e.message().to_string()))?;
        plan.validate()?;
        Ok(plan)
    }

    /// Checks values serde cannot.
    ///
    /// # Errors
    /// [`PerturbError::Plan`] naming the value.
    pub fn validate(&self) -> Result<(), PerturbError> {
        let bad = |what: String| Err(PerturbError::Plan(what));
        if self.repeats == 0 {
            return bad("repeats must be at least 1".into());
        }
        match &self.noise_sigma {
            NoiseSigma::Value(v) if !(v.is_finite() && *v >= 0.0) => {
                return bad(format!("noise_sigma {v} (expected >= 0 or \"estimate\")"))
            }
            NoiseSigma::Word(w) if w != "estimate" => {
                return bad(format!(
                    "noise_sigma {w:?} (expected a number or \"estimate\")"
                ))
            }
            _ => {}
        }
        if let Some(n) = self.noise.iter().find(|n| !(n.is_finite() && **n >= 0.0)) {
            return bad(format!("noise level {n} (expected >= 0)"));
        }
        let finite3 = |v: &[f64; 3]| v.iter().all(|x| x.is_finite());
        if let Some(t) = self.translation.iter().find(|t| !finite3(t)) {
            return bad(format!("translation {t:?}"));
        }
        if let Some(r) = self
            .rotation
            .iter()
            .find(|r| !(r.is_finite() && r.abs() <= 180.0))
        {
            return bad(format!("rotation {r} (expected -180 ..= 180 degrees)"));
        }
        if let Some(s) = self
            .spacing
            .iter()
            .find(|s| !s.iter().all(|x| x.is_finite() && *x > 0.0))
        {
            return bad(format!("spacing {s:?} (expected > 0 mm)"));
        }
        let factors = [
            self.noise.len(),
            self.translation.len(),
            self.rotation.len(),
            self.spacing.len(),
            self.volume.len(),
            self.volume_mm.len(),
            self.morphology.len(),
            self.contour.len(),
        ];
        if factors.iter().all(|&n| n == 0) {
            return bad(
                "the plan varies nothing: give at least one of noise, translation, rotation, \
                 spacing, volume, volume_mm, morphology, contour"
                    .into(),
            );
        }
        if !self.volume.is_empty() && !self.volume_mm.is_empty() {
            return bad("give volume (fractions) or volume_mm (distances), not both".into());
        }
        if let Some(f) = self.volume.iter().find(|f| !(f.is_finite() && **f > -1.0)) {
            return bad(format!("volume fraction {f} (expected > -1)"));
        }
        if let Some(d) = self.volume_mm.iter().find(|d| !d.is_finite()) {
            return bad(format!("volume_mm {d}"));
        }
        if let Some(m) = self.morphology.iter().find(|m| m.abs() > 20) {
            return bad(format!("morphology radius {m} (expected |r| <= 20 voxels)"));
        }
        self.supervoxels.validate()
    }

    /// Every setting: the Cartesian product of the factor levels, in a fixed order
    /// (later factors vary fastest).
    pub fn settings(&self) -> Vec<Setting> {
        let mut out = vec![Setting::default()];
        fn expand<T: Copy>(
            out: Vec<Setting>,
            levels: &[T],
            set: impl Fn(&mut Setting, T),
        ) -> Vec<Setting> {
            if levels.is_empty() {
                return out;
            }
            let mut next = Vec::with_capacity(out.len() * levels.len());
            for s in out {
                for &l in levels {
                    let mut t = s.clone();
                    set(&mut t, l);
                    next.push(t);
                }
            }
            next
        }
        out = expand(out, &self.spacing, |s, v| s.spacing = Some(v));
        out = expand(out, &self.rotation, |s, v| s.rotation = Some(v));
        out = expand(out, &self.translation, |s, v| s.translation = Some(v));
        out = expand(out, &self.noise, |s, v| s.noise = Some(v));
        out = expand(out, &self.volume, |s, v| {
            s.volume = Some(Adaptation::Fraction(v))
        });
        out = expand(out, &self.volume_mm, |s, v| {
            s.volume = Some(Adaptation::DistanceMm(v))
        });
        out = expand(out, &self.morphology, |s, v| s.morphology = Some(v));
        out = expand(out, &self.contour, |s, v| s.contour = Some(v));
        out
    }

    /// Replicates of `setting`: `repeats` when it is random, else 1.
    pub fn replicates(&self, setting: &Setting) -> usize {
        if setting.is_random() {
            self.repeats
        } else {
            1
        }
    }

    /// Voxels `(x, y, z)` the extraction reads around the ROI's box, for every setting
    /// ([`preprocess::read_reach`] at the largest resampling spacing of the config and
    /// the plan, with the config's interpolators, and the margin grown by the filters'
    /// largest reach on any of these grids); [`WHOLE_SCAN`] when a filter depends on the
    /// whole image.
    pub fn extraction_reach(&self, config: &ExtractConfig, spacing: [f64; 3]) -> [usize; 3] {
        let mut prep = config.preprocess.clone();
        let mut filter_mm = 0.0f64;
        let grids = std::iter::once(Setting::default()).chain(self.settings());
        for s in grids {
            let p = prep_for(&prep, &s);
            match extract::with_filter_margin(&p, &config.filters, spacing) {
                Some(q) => filter_mm = filter_mm.max(q.margin_mm - p.margin_mm.max(0.0)),
                None => return [WHOLE_SCAN; 3],
            }
        }
        prep.margin_mm = prep.margin_mm.max(0.0) + filter_mm;
        if !self.spacing.is_empty() {
            let r = prep_for(&prep, &Setting::default())
                .resample
                .unwrap_or(Resample {
                    spacing: [0.0; 3],
                    in_plane: false,
                    interpolator: Interpolator::Linear,
                    mask_interpolator: Interpolator::Linear,
                    mask_threshold: 0.5,
                });
            let mut largest = r.spacing;
            for s in &self.spacing {
                for a in 0..3 {
                    largest[a] = largest[a].max(s[a]);
                }
            }
            prep.resample = Some(Resample {
                spacing: largest,
                ..r
            });
        }
        preprocess::read_reach(&prep, spacing)
    }

    /// Margin (voxels, `(x, y, z)`) to keep around the ROI so that every setting's
    /// perturbation and extraction find the voxels they read: the extraction's reach, the
    /// translation, the displacement by the largest rotation, the largest growth of the
    /// ROI and the supervoxel region. [`apply`] fails with [`PerturbError::OutOfRoom`]
    /// rather than read beyond the crop.
    ///
    /// `extent_mm` is the ROI's bounding-box size `(x, y, z)` in mm.
    pub fn crop_margin(
        &self,
        config: &ExtractConfig,
        spacing: [f64; 3],
        extent_mm: [f64; 3],
    ) -> [usize; 3] {
        let max = |it: &mut dyn Iterator<Item = f64>| it.fold(0.0f64, f64::max);
        let reach = self.extraction_reach(config, spacing);

        // Growth of the ROI by the mask steps (mm).
        let f_max = max(&mut self.volume.iter().copied());
        let grow_fraction =
            extent_mm.iter().copied().fold(0.0, f64::max) * ((1.0 + f_max).cbrt() - 1.0);
        let grow_mm = max(&mut self.volume_mm.iter().copied());
        let dilate = max(&mut self.morphology.iter().map(|&m| m as f64));
        let grown: [f64; 3] = std::array::from_fn(|a| {
            extent_mm[a] + 2.0 * (grow_fraction + grow_mm + dilate * spacing[a] + spacing[a])
        });
        let contour = if self.contour.contains(&true) {
            // The supervoxel region reaches 2 S (rounded to voxels) beyond the ROI box; S
            // is largest for the largest volume (bounded by the grown box).
            let v_box: f64 = grown.iter().product();
            3.0 * self.supervoxels.step_mm(v_box)
        } else {
            0.0
        };

        let inner: [f64; 3] = std::array::from_fn(|a| {
            let translation = max(&mut self.translation.iter().map(|t| t[a].abs())) * spacing[a];
            translation
                + grow_fraction
                + grow_mm
                + dilate * spacing[a]
                + contour
                + reach[a] as f64 * spacing[a]
        });
        // The rotation centre (the ROI's centroid) lies in the box, so a read point is
        // at most the box plus the inner margin away from it.
        let theta = max(&mut self.rotation.iter().map(|r| r.abs())).to_radians();
        let radius = (extent_mm[0] + inner[0]).hypot(extent_mm[1] + inner[1]);
        let rotation = 2.0 * (theta / 2.0).sin() * radius;
        std::array::from_fn(|a| {
            let mm = inner[a] + if a < 2 { rotation } else { 0.0 };
            (mm / spacing[a]).ceil() as usize + 3
        })
    }
}

/// A margin that keeps the whole scan in a crop.
pub const WHOLE_SCAN: usize = 1 << 40;

/// What a case contributes to every setting: its crop, the rotation centre, the noise
/// SD (when the plan adds noise) and the extraction's preprocessing (which sets the
/// region it reads).
#[derive(Debug, Clone)]
pub struct CaseBase {
    /// The cropped, unperturbed sample.
    pub sample: Sample,
    /// The ROI cut to its bounding box, and that box in the scan.
    pub roi_box: (Array3<bool>, Region),
    /// Where the crop sits in the scan.
    pub frame: Frame,
    /// Geometry of the whole scan.
    pub scan: Geometry,
    /// ROI centroid (continuous index of the scan, `(x, y, z)`).
    pub centre: [f64; 3],
    /// Noise SD for level 1.
    pub noise_sigma: Option<f64>,
    /// The extraction's preprocessing and filters (before a setting's resampling).
    pub extraction: ExtractConfig,
}

/// In-plane margin (voxels) around the ROI's box, on its slices, where the noise level
/// is estimated: a fixed region, so the estimate does not depend on the plan's crop.
pub const NOISE_MARGIN: usize = 32;

impl CaseBase {
    /// The base of a case with scan `image` and ROI `roi` (same shape): the crop with
    /// `margin` voxels `(x, y, z)` around the ROI (default: [`Plan::crop_margin`]), the
    /// centroid, and the noise level when the plan adds noise.
    ///
    /// # Errors
    /// [`PerturbError::EmptyRoi`] when `roi` is empty; [`PerturbError::Noise`] when the
    /// plan estimates noise and the region around the ROI has no usable block.
    pub fn new(
        image: &Volume,
        roi: &Array3<bool>,
        config: &ExtractConfig,
        plan: &Plan,
        margin: Option<[usize; 3]>,
    ) -> Result<Self, PerturbError> {
        let b = bounding_region(roi, [0; 3])
            .ok_or_else(|| PerturbError::EmptyRoi("reading the case".into()))?;
        let sp = image.geometry.spacing;
        let extent: [f64; 3] = std::array::from_fn(|a| b.size()[a] as f64 * sp[a]);
        let mut margin = margin.unwrap_or_else(|| plan.crop_margin(config, sp, extent));
        margin[0] = margin[0].max(NOISE_MARGIN);
        margin[1] = margin[1].max(NOISE_MARGIN);
        let (sample, frame) =
            super::crop(image, roi, margin).expect("invariant: the ROI is not empty");
        let centre = super::roi_centroid_placed(&sample.roi, frame.offset)
            .expect("invariant: the crop holds the ROI");

        // Noise level around the ROI (where features are computed), when a setting adds
        // noise: whole scans hold clipped air and padding whose blocks are nearly flat.
        let noise_sigma = if plan.noise.iter().any(|&l| l > 0.0) {
            match &plan.noise_sigma {
                NoiseSigma::Value(v) => Some(*v),
                NoiseSigma::Word(_) => {
                    let at = b.grow([NOISE_MARGIN, NOISE_MARGIN, 0], frame.full);
                    let data = place(&image.data, [0; 3], &at, 0.0);
                    let e = noise::estimate_sigma_placed(&data, at.lo)?;
                    tracing::debug!(
                        sigma = e.sigma,
                        coefficients = e.n_coefficients,
                        flat_blocks = e.n_flat,
                        "noise level (wavelet MAD around the ROI)"
                    );
                    Some(e.sigma)
                }
            }
        } else {
            None
        };
        let roi_box =
            tighten(&sample.roi, frame.offset).expect("invariant: the crop holds the ROI");
        Ok(Self {
            sample,
            roi_box,
            frame,
            scan: image.geometry.clone(),
            centre,
            noise_sigma,
            extraction: ExtractConfig {
                perturbation: None,
                ..config.clone()
            },
        })
    }

    /// The crop's box in the scan.
    fn crop_region(&self) -> Region {
        Region::of(self.frame.offset, self.sample.roi.dim())
    }

    /// The image on `region` of the scan after the rigid motion and the noise of a
    /// setting (both keyed by scan index, so any region gives the same voxel values).
    fn image_on(
        &self,
        region: &Region,
        motion: Option<&Motion>,
        interpolator: RigidInterpolator,
        noise: Option<(f64, &rng::Stream)>,
    ) -> Result<Array3<f64>, PerturbError> {
        let src = &self.sample.image.data;
        let mut data = match motion {
            Some(m) => rigid::move_image(
                src,
                self.frame.offset,
                self.frame.full,
                self.sample.image.geometry.spacing,
                m,
                interpolator,
                region,
            )?,
            None => {
                let have = self.crop_region();
                if !have.contains(region) {
                    return Err(PerturbError::OutOfRoom(format!(
                        "the perturbation needs scan voxels {:?}..={:?}, the crop holds \
                         {:?}..={:?}",
                        region.lo, region.hi, have.lo, have.hi
                    )));
                }
                place(src, self.frame.offset, region, 0.0)
            }
        };
        if let Some((sigma, stream)) = noise {
            // A fresh copy of the stream: every region draws the same key.
            let mut r = stream.clone();
            noise::add_noise_placed(&mut data, region.lo, self.frame.full, sigma, &mut r);
        }
        Ok(data)
    }

    /// A volume on `region` of the scan.
    fn volume_on(&self, region: &Region, data: Array3<f64>) -> Volume {
        let lo = region.lo.map(|v| v as f64);
        Volume {
            data,
            geometry: Geometry {
                origin: self.scan.index_to_point(lo),
                ..self.scan.clone()
            },
        }
    }
}

/// The extraction config of `setting`: `base` with the resampling spacing replaced
/// ([`prep_for`]).
pub fn config_for(base: &ExtractConfig, setting: &Setting) -> ExtractConfig {
    let mut c = base.clone();
    c.preprocess = prep_for(&base.preprocess, setting);
    c
}

/// The preprocessing of `setting`: `base` with the resampling spacing replaced (settings
/// without resampling get linear image and mask interpolation, threshold 0.5).
pub fn prep_for(base: &PrepSettings, setting: &Setting) -> PrepSettings {
    let mut p = base.clone();
    if let Some(spacing) = setting.spacing {
        let r = base.resample.unwrap_or(Resample {
            spacing,
            in_plane: false,
            interpolator: Interpolator::Linear,
            mask_interpolator: Interpolator::Linear,
            mask_threshold: 0.5,
        });
        p.resample = Some(Resample {
            spacing,
            in_plane: false,
            ..r
        });
    }
    p
}

/// The random stream of one step of one replicate.
pub fn step_stream(
    seed: u64,
    case: &str,
    setting: &str,
    replicate: usize,
    step: &str,
) -> rng::Stream {
    rng::stream(
        seed,
        &format!("perturb/{case}/{setting}/{replicate}/{step}"),
    )
}

/// Perturbs `base` by `setting` (steps in the order of the module doc); `replicate`
/// (1-based) and `case` name the random streams. Returns the perturbed sample on the
/// region the extraction reads ([`preprocess::read_box`] of the final ROI) and that
/// region's [`Frame`] in the scan.
///
/// Each step works on the box its result can reach, in scan indices: the mask steps
/// first (they do not read the image, except the supervoxels), then the image (rigid
/// motion and noise) only on the supervoxel region and the extraction region. Every
/// voxel gets the value it would get on the whole scan, so the result does not depend on
/// the crop (tests/perturb.rs compares both).
///
/// # Errors
/// [`PerturbError::EmptyRoi`] when a step leaves the ROI empty,
/// [`PerturbError::OutOfRoom`] when the crop cannot hold the change,
/// [`PerturbError::Noise`] when noise is asked but no level is known.
pub fn apply(
    plan: &Plan,
    base: &CaseBase,
    setting: &Setting,
    seed: u64,
    case: &str,
    replicate: usize,
) -> Result<(Sample, Frame), PerturbError> {
    let name = setting.name();
    let full = base.frame.full;
    let spacing = base.sample.image.geometry.spacing;
    let empty = |what: String| PerturbError::EmptyRoi(what);

    // 1. Rigid motion of the mask (the image follows on the regions it is needed on).
    let angle = setting.rotation.unwrap_or(0.0);
    let translation = setting.translation.unwrap_or([0.0; 3]);
    let motion = (angle != 0.0 || translation != [0.0; 3]).then_some(Motion {
        translation,
        angle_deg: angle,
        centre: base.centre,
    });
    let (mut roi, mut at) = match &motion {
        Some(m) => {
            let (moved, at) = rigid::move_mask(
                &base.roi_box.0,
                base.roi_box.1.lo,
                full,
                spacing,
                m,
                plan.interpolator,
            )
            .ok_or_else(|| empty("reading the case".into()))?;
            tighten(&moved, at.lo).ok_or_else(|| empty(format!("rigid motion ({name})")))?
        }
        None => base.roi_box.clone(),
    };

    // 2. Noise: its stream and level (drawn per scan voxel where the image is needed).
    let mut noise_stream = None;
    if let Some(level) = setting.noise.filter(|&l| l > 0.0) {
        let sigma = base
            .noise_sigma
            .ok_or_else(|| PerturbError::Noise("no noise level for this case".into()))?;
        noise_stream = Some((
            level * sigma,
            step_stream(seed, case, &name, replicate, "noise"),
        ));
    }
    let image_on = |region: &Region| {
        let noise = noise_stream.as_ref().map(|(s, r)| (*s, r));
        base.image_on(region, motion.as_ref(), plan.interpolator, noise)
    };

    // 3. Mask steps on the moved mask.
    if let Some(a) = setting.volume {
        (roi, at) = volume::adapt_in(&roi, at.lo, full, spacing, a)?;
    }
    if let Some(m) = setting.morphology.filter(|&m| m != 0) {
        let se = Structuring {
            element: plan.structuring_element.element,
            radius: m.unsigned_abs() as usize,
            in_plane: plan.structuring_element.in_plane,
        };
        (roi, at) = morphology::apply_in(&roi, at.lo, full, &se, m > 0)
            .ok_or_else(|| empty(name.clone()))?;
    }
    (roi, at) = tighten(&roi, at.lo).ok_or_else(|| empty(name.clone()))?;
    // The perturbed image computed so far, and its box: the extraction reuses it.
    let mut moved: Option<(Array3<f64>, Region)> = None;
    if setting.contour == Some(true) {
        // The supervoxels of the perturbed image on their region (the box plus 2 S).
        let n_roi = roi.iter().filter(|&&m| m).count();
        let (step, _) = supervoxel::grid_step(n_roi, spacing, &plan.supervoxels);
        let region = at.grow(step.map(|s| 2 * s), full);
        let image = base.volume_on(&region, image_on(&region)?);
        let roi_here = place(&roi, at.lo, &region, false);
        let sv = supervoxel::slic(&image, &roi_here, &plan.supervoxels);
        let mut r = step_stream(seed, case, &name, replicate, "contour");
        let (out, info) = supervoxel::randomise(&roi_here, &sv, &plan.supervoxels, &mut r);
        tracing::debug!(?info, case, setting = %name, replicate, "contour randomisation");
        (roi, at) = tighten(&out, region.lo).ok_or_else(|| empty(name.clone()))?;
        moved = Some((image.data, region));
    }

    // 4. The image and ROI on the box the extraction reads (its preprocessing and
    // filters for this setting, around the final ROI; the whole scan for a filter that
    // depends on all of it), each voxel of the image computed once.
    let cfg = config_for(&base.extraction, setting);
    let region = match extract::read_box(&cfg, spacing, full, at.lo, at.hi) {
        Some((lo, hi)) => Region { lo, hi },
        None => Region {
            lo: [0; 3],
            hi: full.map(|n| n - 1),
        },
    };
    let data = match &moved {
        Some((have, had)) => region::extend(have, had, &region, 0.0, image_on)?,
        None => image_on(&region)?,
    };
    let image = base.volume_on(&region, data);
    let roi = place(&roi, at.lo, &region, false);
    Ok((
        Sample { image, roi },
        Frame {
            offset: region.lo,
            full,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(text: &str) -> Result<Plan, PerturbError> {
        let cfg: ExtractConfig = toml::from_str(&format!(
            "discretisation = {{ bin-count = 8 }}\n[perturbation]\n{text}"
        ))
        .unwrap();
        Plan::from_config(&cfg)
    }

    #[test]
    fn settings_are_the_product_of_levels_with_stable_names() {
        let p = plan(
            "repeats = 3\nrotation = [-10.0, 10.0]\nnoise = [0.0, 1.0]\nvolume = [-0.1, 0.1]\n\
             contour = [true]",
        )
        .unwrap();
        let s = p.settings();
        assert_eq!(s.len(), 8);
        assert_eq!(s[0].name(), "rot=-10;noise=0;vol=-0.1;contour=1");
        assert_eq!(s[7].name(), "rot=10;noise=1;vol=0.1;contour=1");
        assert!(s.iter().all(|x| p.replicates(x) == 3));
    }

    #[test]
    fn deterministic_settings_have_one_replicate() {
        let p = plan("repeats = 4\ntranslation = [[0.5, 0.5, 0.0]]\nnoise = [0.0]").unwrap();
        let s = p.settings();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].name(), "tr=0.5:0.5:0;noise=0");
        assert_eq!(p.replicates(&s[0]), 1);
    }

    #[test]
    fn invalid_plans_are_rejected() {
        assert!(plan("volume = [-1.0]").is_err());
        assert!(plan("bogus = 1").is_err());
        assert!(plan("noise_sigma = \"guess\"").is_err());
        assert!(plan("repeats = 0").is_err());
        assert!(plan("volume = [0.1]\nvolume_mm = [1.0]").is_err());
        let empty = plan("repeats = 2").unwrap_err().to_string();
        assert!(empty.contains("varies nothing"), "{empty}");
        let cfg: ExtractConfig = toml::from_str("discretisation = { bin-count = 8 }").unwrap();
        assert!(Plan::from_config(&cfg).is_err());
    }

    #[test]
    fn resampling_setting_replaces_the_spacing_only() {
        let base = ExtractConfig::preset("ibsi-e").unwrap();
        let s = Setting {
            spacing: Some([1.5, 1.5, 3.0]),
            ..Default::default()
        };
        let c = config_for(&base, &s);
        let r = c.preprocess.resample.unwrap();
        assert_eq!(r.spacing, [1.5, 1.5, 3.0]);
        assert_eq!(r.interpolator, Interpolator::CubicSpline);
        let none = config_for(&ExtractConfig::preset("ibsi-a").unwrap(), &s);
        assert_eq!(
            none.preprocess.resample.unwrap().interpolator,
            Interpolator::Linear
        );
    }
}
