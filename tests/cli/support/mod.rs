//! Shared test support: the mock PingOne server and tenant generators.

pub mod generate;
pub mod mock_pingone;
