//! Medical images in: the `Volume` and `Mask` types, readers (NIfTI, NRRD, DICOM) and
//! geometry checks. Geometry is held in ITK's LPS convention whatever the file used.

pub mod volume;

pub use volume::{Geometry, Mask, Volume};
