//! The audit: scenario schema, checks and verdict rules (`../shared/AUDIT.md`).
//!
//! `scenario` parses and validates one claim's file; `corner` builds the corners of its
//! assumptions; the checks live in `null_check` (1, 6), `precision` (2), `size` (3, 4) and
//! `flags` (5); `verdict` applies the rules; `run` ties them together. This is the only
//! module that combines the analysis modules.

pub mod check;
pub mod corner;
pub mod data;
pub mod flags;
pub mod null_check;
pub mod precision;
pub mod run;
pub mod scenario;
pub mod size;
pub mod verdict;
