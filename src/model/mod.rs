//! Penalised logistic and Cox models, feature selection, cross-validation.

pub mod cox;
pub mod linalg;
pub mod logistic;
pub mod select;
