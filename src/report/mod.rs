//! Report writers: Markdown, HTML, JSON and SVG plots of what `audit` returns.

pub mod plot;
