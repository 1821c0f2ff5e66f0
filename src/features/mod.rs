//! Feature families, one file per IBSI family (IBSI-1 manual, chapter 3 "Image features").
//! Every feature carries its IBSI code in its doc comment; `registry.rs` maps canonical
//! names to IBSI codes and PyRadiomics names.

pub mod texture;
