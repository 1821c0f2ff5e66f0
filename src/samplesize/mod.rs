//! Sample-size criteria: Riley et al. for development and validation of prediction models.

pub mod bonett;
pub mod cstat;
pub mod riley;
pub mod validation;
