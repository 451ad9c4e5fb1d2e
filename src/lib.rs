//! p1graph (bootstrap)
pub mod export;
pub mod model;
pub mod synth;
pub mod usage;
