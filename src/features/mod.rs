//! Feature families, one file per IBSI family (IBSI-1 manual, chapter 3 "Image features").
//! Every feature carries its IBSI code in its doc comment; `registry.rs` maps canonical
//! names to IBSI codes and PyRadiomics names.
//!
//! Extraction ([`extract::extract`]) prepares the ROI ([`crate::preprocess::prepare`]),
//! discretises it, then calls each enabled family of [`families`] on one [`Context`].
//! A family is a plain function from the context to `(name, value)` pairs, so new
//! families (texture: `texture/`) plug in by adding an entry to [`families`].
//!
//! Helpers: [`mesh`] (marching cubes), [`hull`] (convex hull), [`ombb`] (oriented minimum
//! bounding box), [`mvee`] (minimum-volume enclosing ellipsoid), [`autocorr`] (Moran's I
//! and Geary's C by FFT).

pub mod autocorr;
pub mod config;
pub mod extract;
pub mod histogram;
pub mod hull;
pub mod ivh;
pub mod local_intensity;
pub mod mesh;
mod mesh_table;
pub mod morphology;
pub mod mvee;
pub mod ombb;
pub mod registry;
pub mod statistics;
pub mod texture;

use crate::preprocess::{Discretised, Prepared};
use config::ExtractConfig;

/// Feature values as `(canonical name, value)` pairs, in a fixed order.
pub type FeatureList = Vec<(String, f64)>;

/// Everything a family may use.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The prepared ROI (image, morphological and intensity masks, geometry).
    pub prepared: &'a Prepared,
    /// Grey levels of the intensity mask (intensity histogram and texture families).
    pub discretised: &'a Discretised,
    /// The extraction configuration.
    pub config: &'a ExtractConfig,
}

/// A feature family: its short name (the prefix of its features, as used in
/// `ExtractConfig::families`) and the function computing it.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    /// Family name, e.g. `morph`, `stat`, `glcm`.
    pub name: &'static str,
    /// Computes every feature of the family.
    pub compute: fn(&Context) -> FeatureList,
}

/// The families, in output order.
///
/// The texture families (`texture/`) receive the same [`Context`] with the discretised
/// grey levels; their settings come from the config's `[texture]` table.
pub fn families() -> Vec<Family> {
    vec![
        Family {
            name: "morph",
            compute: morph_family,
        },
        Family {
            name: "loc",
            compute: local_family,
        },
        Family {
            name: "stat",
            compute: stat_family,
        },
        Family {
            name: "ih",
            compute: ih_family,
        },
        Family {
            name: "ivh",
            compute: ivh_family,
        },
        Family {
            name: "glcm",
            compute: |c| texture_family(c, texture::Family::Glcm),
        },
        Family {
            name: "glrlm",
            compute: |c| texture_family(c, texture::Family::Glrlm),
        },
        Family {
            name: "glszm",
            compute: |c| texture_family(c, texture::Family::Glszm),
        },
        Family {
            name: "gldzm",
            compute: |c| texture_family(c, texture::Family::Gldzm),
        },
        Family {
            name: "ngtdm",
            compute: |c| texture_family(c, texture::Family::Ngtdm),
        },
        Family {
            name: "ngldm",
            compute: |c| texture_family(c, texture::Family::Ngldm),
        },
    ]
}

/// One texture family on the discretised grey levels; GLDZM distances use the
/// morphological mask (IBSI 3.11).
fn texture_family(c: &Context, family: texture::Family) -> FeatureList {
    // validate() has checked the table; a config built in code falls back to defaults.
    let settings = c.config.texture_settings().unwrap_or_default();
    family.compute(c.discretised, &c.prepared.morph, &settings)
}

fn morph_family(c: &Context) -> FeatureList {
    let p = c.prepared;
    morphology::features(
        &p.image,
        &p.morph,
        &p.intensity,
        p.geometry.spacing,
        c.config.pca,
        c.config.mesh,
    )
}

fn local_family(c: &Context) -> FeatureList {
    let p = c.prepared;
    local_intensity::features(&p.image, &p.intensity, p.geometry.spacing)
}

fn stat_family(c: &Context) -> FeatureList {
    let p = c.prepared;
    statistics::features(
        &p.intensity_values(),
        c.config.voxel_array_shift,
        p.geometry.voxel_volume(),
    )
}

fn ih_family(c: &Context) -> FeatureList {
    histogram::features(c.discretised)
}

fn ivh_family(c: &Context) -> FeatureList {
    let r = &c.config.preprocess.resegment;
    ivh::features(
        &c.prepared.intensity_values(),
        c.config.ivh,
        (r.lower, r.upper),
    )
}
