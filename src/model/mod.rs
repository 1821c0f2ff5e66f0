//! Penalised logistic and Cox models, feature selection, cross-validation.

pub mod cox;
pub mod cv;
pub mod fold_t;
pub mod linalg;
pub mod logistic;
pub mod outcome;
pub mod penalized;
pub mod pipeline;
pub mod select;
