//! PingOne regions and their hosts (API.md section 1.1).
//!
//! An organization lives in one region; the region decides both the token host and the
//! management API base. Tests and custom deployments override either host.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Region {
    #[default]
    Na,
    Eu,
    Ca,
    Au,
    Sg,
    Ap,
}

impl Region {
    pub const ALL: [Region; 6] = [
        Region::Na,
        Region::Eu,
        Region::Ca,
        Region::Au,
        Region::Sg,
        Region::Ap,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Region::Na => "NA",
            Region::Eu => "EU",
            Region::Ca => "CA",
            Region::Au => "AU",
            Region::Sg => "SG",
            Region::Ap => "AP",
        }
    }

    fn tld(self) -> &'static str {
        match self {
            Region::Na => "com",
            Region::Eu => "eu",
            Region::Ca => "ca",
            Region::Au => "com.au",
            Region::Sg => "sg",
            Region::Ap => "asia",
        }
    }

    /// `https://auth.pingone.{tld}` (the token is at `{auth}/{envId}/as/token`).
    pub fn auth_base(self) -> String {
        format!("https://auth.pingone.{}", self.tld())
    }

    /// `https://api.pingone.{tld}/v1`.
    pub fn api_base(self) -> String {
        format!("https://api.pingone.{}/v1", self.tld())
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Region {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Region::ALL
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown region `{s}` (expected one of NA, EU, CA, AU, SG, AP)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_to_hosts() {
        assert_eq!(Region::Au.api_base(), "https://api.pingone.com.au/v1");
        assert_eq!(Region::Ap.auth_base(), "https://auth.pingone.asia");
        assert_eq!("eu".parse::<Region>(), Ok(Region::Eu));
        assert!("XX".parse::<Region>().is_err());
    }
}
