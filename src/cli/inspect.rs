//! `radaudit inspect IMAGE [--mask MASK]`: shows what radaudit read, so a user can check
//! geometry, value range, labels and the ROI before extracting anything.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::image::{self, validate, Geometry, RoiRules};
use crate::table::fmt_num;

/// Arguments of `radaudit inspect`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  radaudit inspect ct.nii.gz --mask gtv.nrrd --label 1")]
pub struct Args {
    /// Image: .nii, .nii.gz, .nrrd, .nhdr, or a folder of DICOM slices.
    pub image: PathBuf,
    /// Segmentation on the same grid (same formats).
    #[arg(long)]
    pub mask: Option<PathBuf>,
    /// ROI label in the mask.
    #[arg(long, default_value_t = 1)]
    pub label: i64,
    /// ROI name when the mask is a DICOM RTSTRUCT with several ROIs.
    #[arg(long)]
    pub roi_name: Option<String>,
}

fn geometry_lines(out: &mut String, g: &Geometry, shape: (usize, usize, usize)) {
    let v = |a: [f64; 3]| format!("({}, {}, {})", fmt_num(a[0]), fmt_num(a[1]), fmt_num(a[2]));
    out.push_str(&format!(
        "  size (x, y, z):  {} x {} x {}\n",
        shape.2, shape.1, shape.0
    ));
    out.push_str(&format!("  spacing (mm):    {}\n", v(g.spacing)));
    out.push_str(&format!("  origin (LPS mm): {}\n", v(g.origin)));
    let rows: Vec<String> = g.direction.iter().map(|r| v(*r)).collect();
    out.push_str(&format!(
        "  direction (LPS rows, columns = i, j, k): {}\n",
        rows.join(" ")
    ));
}

/// Runs `inspect`: prints geometry, value range, labels and the ROI summary to stdout.
///
/// # Errors
/// Unreadable files; a mask that fails validation (the message names the file).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (vol, info) = image::read_volume_with_info(&args.image)
        .with_context(|| format!("reading image {}", args.image.display()))?;
    let mut out = String::new();
    out.push_str(&format!("image: {}\n", args.image.display()));
    out.push_str(&format!(
        "  format: {:?}, stored as {}, geometry from {}, scaling applied: {}\n",
        info.format,
        info.dtype.name(),
        info.transform,
        info.scaled
    ));
    geometry_lines(&mut out, &vol.geometry, vol.data.dim());
    let lo = vol.data.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = vol.data.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    out.push_str(&format!(
        "  values: min {}, max {}\n",
        fmt_num(lo),
        fmt_num(hi)
    ));
    for w in &info.warnings {
        out.push_str(&format!("  warning: {w}\n"));
    }

    if let Some(mp) = &args.mask {
        let (mask, minfo) = image::read_mask_for(mp, &vol, args.roi_name.as_deref())
            .with_context(|| format!("reading mask {}", mp.display()))?;
        out.push_str(&format!("mask: {}\n", mp.display()));
        out.push_str(&format!(
            "  format: {:?}, stored as {}, geometry from {}\n",
            minfo.format,
            minfo.dtype.name(),
            minfo.transform
        ));
        geometry_lines(&mut out, &mask.geometry, mask.labels.dim());
        let present = mask.labels_present();
        let counts: Vec<String> = present
            .iter()
            .take(20)
            .map(|&l| format!("{l} ({} voxels)", mask.count(l)))
            .collect();
        out.push_str(&format!("  labels present: {}\n", counts.join(", ")));
        for w in &minfo.warnings {
            out.push_str(&format!("  warning: {w}\n"));
        }
        let roi =
            validate::roi(&vol, &mask, args.label, &RoiRules::default()).with_context(|| {
                format!(
                    "mask {} against image {}",
                    mp.display(),
                    args.image.display()
                )
            })?;
        let e = roi.bbox.extent();
        out.push_str(&format!("roi (label {}):\n", roi.label));
        out.push_str(&format!("  voxels: {}\n", roi.count));
        out.push_str(&format!("  volume (mm3): {}\n", fmt_num(roi.volume_mm3)));
        out.push_str(&format!(
            "  bounding box (x, y, z): {} x {} x {} from [{}, {}, {}] to [{}, {}, {}]\n",
            e[0],
            e[1],
            e[2],
            roi.bbox.lower[0],
            roi.bbox.lower[1],
            roi.bbox.lower[2],
            roi.bbox.upper[0],
            roi.bbox.upper[1],
            roi.bbox.upper[2]
        ));
        let vals = roi.values(&vol);
        let lo = vals.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = vals.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        out.push_str(&format!(
            "  values: min {}, max {}\n",
            fmt_num(lo),
            fmt_num(hi)
        ));
    }

    std::io::stdout()
        .write_all(out.as_bytes())
        .context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}
