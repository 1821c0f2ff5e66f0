//! Null simulations: the stated pipeline run on random features or permuted outcomes.
