//! Report writers: Markdown, HTML, JSON and SVG plots of what `audit` returns.

pub mod checklist;
pub mod claim;
pub mod cv_plot;
pub mod doc;
pub mod icc_plot;
pub mod index;
pub mod plot;
pub mod stability_plot;
