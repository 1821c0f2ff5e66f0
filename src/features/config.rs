//! Extraction configuration (TOML) and the named presets.
//!
//! ```toml
//! families = ["morph", "loc", "stat", "ih", "ivh"]   # empty or absent: all
//! voxel_array_shift = 0.0          # PyRadiomics voxelArrayShift (energy, RMS)
//! pca = "sample"                   # or "population"
//! mesh = "classic"                 # or "watertight" (see features::mesh::MeshKind)
//! ivh = "calibrated"               # or { bin-width = 2.5 } or { bin-count = 1000 }
//! discretisation = { bin-width = { width = 25.0, origin = "ibsi" } }  # or { bin-count = 32 }
//! [preprocess]
//! round_input = true               # round intensities on load (IBSI CT phantom)
//! round_intensities = true         # round after interpolation
//! resegment = { lower = -1000.0, upper = 400.0 }   # optional sigma = 3.0
//! [preprocess.resample]
//! spacing = [2.0, 2.0, 2.0]
//! interpolator = "linear"          # nearest | linear | cubic-spline
//! mask_interpolator = "linear"
//! mask_threshold = 0.5
//! [[filters]]                      # optional, repeatable: features on filtered images
//! filter = "log"                   # see filters::FilterSpec for every filter's keys
//! sigma_mm = 3.0
//! [[filters]]
//! filter = "wavelet"
//! wavelet = "coif1"
//! subband = "LHL"
//! ```
//!
//! Each `[[filters]]` entry adds every enabled family except morphology (which does not
//! depend on intensities) computed on that filter's response map, with columns named
//! `<filter tag>.<family>.<feature>` (e.g. `log_s3.stat.mean`).
//!
//! Presets: `ibsi-digital-phantom`, `ibsi-a` .. `ibsi-e` (IBSI-1 CT phantom
//! configurations, manual chapter 5; table in `../shared/data/ibsi/README.md`), and
//! `pyradiomics-default` (PyRadiomics' documented defaults: bin width 25 aligned to
//! multiples of the width, no resampling, voxelArrayShift 0, PCA covariance over N).

use super::texture::{PyRadiomicsOptions, TextureMode, TextureSettings};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ivh::IvhDiscretisation;
use super::mesh::MeshKind;
use super::morphology::PcaNorm;
use crate::filters::FilterSpec;
use crate::preprocess::discretise::{BinOrigin, Method};
use crate::preprocess::{Interpolator, PrepSettings, Resample, Resegment};

/// Preset names accepted by [`ExtractConfig::load`].
pub const PRESETS: [&str; 7] = [
    "ibsi-digital-phantom",
    "ibsi-a",
    "ibsi-b",
    "ibsi-c",
    "ibsi-d",
    "ibsi-e",
    "pyradiomics-default",
];

/// Naming convention of the output columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Names {
    /// `family.feature`.
    #[default]
    Canonical,
    /// `original_<class>_<Feature>` where a PyRadiomics counterpart exists.
    Pyradiomics,
}

/// How features are extracted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtractConfig {
    /// Preprocessing before discretisation.
    #[serde(default)]
    pub preprocess: PrepSettings,
    /// Discretisation for the intensity histogram and texture families.
    pub discretisation: Method,
    /// Discretisation for the intensity-volume histogram.
    #[serde(default = "default_ivh")]
    pub ivh: IvhDiscretisation,
    /// Added to intensities for energy, RMS and total energy (PyRadiomics).
    #[serde(default)]
    pub voxel_array_shift: f64,
    /// PCA covariance normalisation.
    #[serde(default)]
    pub pca: PcaNorm,
    /// Marching-cubes table of the morphology mesh.
    #[serde(default)]
    pub mesh: MeshKind,
    /// Families to compute (names as in [`super::families`]); empty = all.
    #[serde(default)]
    pub families: Vec<String>,
    /// Settings of the texture families, read by `texture/` (free-form here).
    #[serde(default)]
    pub texture: Option<toml::Table>,
    /// A perturbation plan, read by `radaudit perturb` (`crate::perturb::chain`); ignored
    /// by extraction (free-form here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perturbation: Option<toml::Table>,
    /// Filters whose response maps are extracted too (IBSI-2), in column order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<FilterSpec>,
}

fn default_ivh() -> IvhDiscretisation {
    IvhDiscretisation::Calibrated
}

/// Errors loading a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Neither a preset nor a readable file.
    #[error("{0}: not a preset ({presets}) and not a readable file: {1}",
        presets = PRESETS.join(", "))]
    Unknown(String, std::io::Error),
    /// The TOML does not parse or has unknown keys.
    #[error("{path}: {source}")]
    Toml {
        /// File.
        path: String,
        /// Parser message.
        source: toml::de::Error,
    },
    /// A value out of range.
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// A value out of range in a config file.
    #[error("{path}: invalid configuration: {reason}")]
    InvalidFile {
        /// The config file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

impl ExtractConfig {
    /// A preset by name.
    pub fn preset(name: &str) -> Option<Self> {
        let fbs = |width, origin| Method::BinWidth { width, origin };
        let base = ExtractConfig {
            preprocess: PrepSettings::default(),
            discretisation: fbs(1.0, BinOrigin::Ibsi),
            ivh: IvhDiscretisation::Calibrated,
            voxel_array_shift: 0.0,
            pca: PcaNorm::Sample,
            mesh: MeshKind::Classic,
            families: Vec::new(),
            texture: None,
            perturbation: None,
            filters: Vec::new(),
        };
        let grid = |spacing: [f64; 3], in_plane, interpolator| Resample {
            spacing,
            in_plane,
            interpolator,
            mask_interpolator: Interpolator::Linear,
            mask_threshold: 0.5,
        };
        let ct = |resample: Option<Resample>, resegment: Resegment| PrepSettings {
            resample,
            round_input: true,
            round_intensities: resample.is_some(),
            resegment,
            ..PrepSettings::default()
        };
        let range = |lower, upper| Resegment {
            lower: Some(lower),
            upper: Some(upper),
            sigma: None,
        };
        let cfg = match name {
            "ibsi-digital-phantom" => base,
            "ibsi-a" => ExtractConfig {
                preprocess: ct(None, range(-500.0, 400.0)),
                discretisation: fbs(25.0, BinOrigin::Ibsi),
                ..base
            },
            "ibsi-b" => ExtractConfig {
                preprocess: ct(
                    Some(grid([2.0, 2.0, 0.0], true, Interpolator::Linear)),
                    range(-500.0, 400.0),
                ),
                discretisation: Method::BinCount(32),
                ..base
            },
            "ibsi-c" => ExtractConfig {
                preprocess: ct(
                    Some(grid([2.0; 3], false, Interpolator::Linear)),
                    range(-1000.0, 400.0),
                ),
                discretisation: fbs(25.0, BinOrigin::Ibsi),
                ivh: IvhDiscretisation::BinWidth(2.5),
                ..base
            },
            "ibsi-d" => ExtractConfig {
                preprocess: ct(
                    Some(grid([2.0; 3], false, Interpolator::Linear)),
                    Resegment {
                        sigma: Some(3.0),
                        ..Default::default()
                    },
                ),
                discretisation: Method::BinCount(32),
                ..base
            },
            "ibsi-e" => ExtractConfig {
                preprocess: ct(
                    Some(grid([2.0; 3], false, Interpolator::CubicSpline)),
                    Resegment {
                        sigma: Some(3.0),
                        ..range(-1000.0, 400.0)
                    },
                ),
                discretisation: Method::BinCount(32),
                ivh: IvhDiscretisation::BinCount(1000),
                ..base
            },
            "pyradiomics-default" => ExtractConfig {
                discretisation: fbs(25.0, BinOrigin::Pyradiomics),
                texture: Some(toml::toml! { mode = "pyradiomics" }),
                // PyRadiomics' axis lengths divide the covariance by N (breast1 baseline).
                pca: PcaNorm::Population,
                ..base
            },
            _ => return None,
        };
        Some(cfg)
    }

    /// A preset name or a TOML file.
    ///
    /// # Errors
    /// [`ConfigError`] when `spec` is neither, the TOML is invalid, or a value is out of
    /// range.
    pub fn load(spec: &str) -> Result<Self, ConfigError> {
        if let Some(c) = Self::preset(spec) {
            return Ok(c);
        }
        crate::table::note_input(Path::new(spec));
        let text = std::fs::read_to_string(Path::new(spec))
            .map_err(|e| ConfigError::Unknown(spec.to_string(), e))?;
        Self::from_toml(spec, &text)
    }

    /// Parses and validates the TOML `text` of the config file `path` (named in errors).
    ///
    /// # Errors
    /// [`ConfigError::Toml`] for invalid TOML or unknown keys, [`ConfigError::Invalid`] for
    /// out-of-range values.
    pub fn from_toml(path: &str, text: &str) -> Result<Self, ConfigError> {
        let cfg: ExtractConfig = toml::from_str(text).map_err(|source| ConfigError::Toml {
            path: path.to_string(),
            source,
        })?;
        cfg.validate().map_err(|e| match e {
            ConfigError::Invalid(reason) => ConfigError::InvalidFile {
                path: path.to_string(),
                reason,
            },
            other => other,
        })?;
        Ok(cfg)
    }

    /// Checks values serde cannot.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.discretisation
            .validate()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        match self.ivh {
            IvhDiscretisation::BinWidth(w) if !(w.is_finite() && w > 0.0) => {
                return Err(ConfigError::Invalid(format!("ivh bin width {w}")))
            }
            IvhDiscretisation::BinCount(0) => {
                return Err(ConfigError::Invalid("ivh bin count 0".into()))
            }
            _ => {}
        }
        self.texture_settings()?;
        for f in &self.filters {
            f.validate()
                .map_err(|e| ConfigError::Invalid(format!("filters: {e}")))?;
        }
        let known: Vec<&str> = super::families().iter().map(|f| f.name).collect();
        for f in &self.families {
            if !known.contains(&f.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "unknown family {f:?} (known: {})",
                    known.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// The texture settings from the `[texture]` table: `mode` (`"ibsi"`, default, or
    /// `"pyradiomics"`), `distance` (Chebyshev, default 1), `ngldm_alpha` (default 0), and
    /// in PyRadiomics mode `force_2d` and `merge_directions` (default false).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for an unknown key, mode or a value of the wrong type.
    pub fn texture_settings(&self) -> Result<TextureSettings, ConfigError> {
        let mut s = TextureSettings::default();
        let Some(t) = &self.texture else {
            return Ok(s);
        };
        let bad = |k: &str, v: &toml::Value| {
            ConfigError::Invalid(format!("texture.{k} = {v}: wrong type or value"))
        };
        let uint = |k: &str, v: &toml::Value| {
            v.as_integer()
                .filter(|&i| i >= 0)
                .map(|i| i as u64)
                .ok_or_else(|| bad(k, v))
        };
        let mut py = PyRadiomicsOptions::default();
        let mut pyradiomics = false;
        for (k, v) in t {
            match k.as_str() {
                "mode" => match v.as_str() {
                    Some("ibsi") => pyradiomics = false,
                    Some("pyradiomics") => pyradiomics = true,
                    _ => return Err(bad(k, v)),
                },
                "distance" => {
                    s.distance = uint(k, v)
                        .ok()
                        .filter(|&d| d >= 1)
                        .ok_or_else(|| bad(k, v))? as usize
                }
                "ngldm_alpha" => s.ngldm_alpha = uint(k, v)? as u32,
                "force_2d" => py.force_2d = v.as_bool().ok_or_else(|| bad(k, v))?,
                "merge_directions" => py.merge_directions = v.as_bool().ok_or_else(|| bad(k, v))?,
                _ => {
                    return Err(ConfigError::Invalid(format!(
                        "unknown texture key {k:?} (known: mode, distance, ngldm_alpha, \
                         force_2d, merge_directions)"
                    )))
                }
            }
        }
        if pyradiomics {
            s.mode = TextureMode::PyRadiomics(py);
        }
        Ok(s)
    }

    /// Whether family `name` is enabled.
    pub fn wants(&self, name: &str) -> bool {
        self.families.is_empty() || self.families.iter().any(|f| f == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_exists_and_validates() {
        for p in PRESETS {
            let c = ExtractConfig::preset(p).unwrap();
            c.validate().unwrap();
        }
    }

    #[test]
    fn toml_round_trip() {
        let c = ExtractConfig::preset("ibsi-e").unwrap();
        let text = toml::to_string(&c).unwrap();
        let back: ExtractConfig = toml::from_str(&text).unwrap();
        assert_eq!(c, back);
    }

    #[test]
    fn filters_section_parses_and_round_trips() {
        let text = "discretisation = { bin-count = 8 }\n\
                    [[filters]]\nfilter = \"log\"\nsigma_mm = 1.5\n\
                    [[filters]]\nfilter = \"gabor\"\nsigma_mm = 5.0\nlambda_mm = 2.0\n\
                    gamma = 1.5\ntheta_step_deg = 22.5\n";
        let c: ExtractConfig = toml::from_str(text).unwrap();
        c.validate().unwrap();
        assert_eq!(c.filters.len(), 2);
        assert_eq!(c.filters[0].tag(), "log_s1.5");
        let back: ExtractConfig = toml::from_str(&toml::to_string(&c).unwrap()).unwrap();
        assert_eq!(c, back);
    }

    #[test]
    fn invalid_filter_is_rejected() {
        let text =
            "discretisation = { bin-count = 8 }\n[[filters]]\nfilter = \"mean\"\nsupport = 4\n";
        let c: ExtractConfig = toml::from_str(text).unwrap();
        assert!(c.validate().is_err());
    }

    #[test]
    fn unknown_key_is_rejected() {
        let text = "discretisation = { bin-count = 8 }\nbogus = 1\n";
        assert!(toml::from_str::<ExtractConfig>(text).is_err());
    }
}
