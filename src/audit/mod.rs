//! The audit: scenario schema, checks and verdict rules (`../shared/AUDIT.md`).
