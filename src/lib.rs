//! p1graph (bootstrap)
pub mod export;
pub mod model;
pub mod snapshot;
pub mod usage;
