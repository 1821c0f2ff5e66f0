//! Penalised logistic and Cox models, feature selection, cross-validation.
