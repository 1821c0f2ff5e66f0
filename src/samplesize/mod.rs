//! Sample-size criteria: Riley et al. for development and validation of prediction models.
