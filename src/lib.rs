//! p1graph (bootstrap)
pub mod cli;
pub mod export;
pub mod model;
pub mod pingone;
pub mod usage;
