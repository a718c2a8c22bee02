//! The mapping `apiVersion` of a data source: which memory ABI and which object shapes a
//! mapping expects.

use std::fmt;
use std::str::FromStr;

use crate::asc::Layout;

/// A mapping's `apiVersion` from the manifest, e.g. `0.0.9`.
///
/// It selects the AssemblyScript memory layout (AssemblyScript 0.6 objects up to
/// 0.0.4, AssemblyScript 0.19 objects with headers from 0.0.5) and the shape of the objects the
/// host writes and reads: `0.0.4` adds `functionSignature` to `ethereum.SmartContractCall`,
/// `0.0.6` adds `transaction.nonce` and `block.baseFeePerGas`, `0.0.7` adds `event.receipt`,
/// `0.0.8` makes `store.set` reject fields the schema does not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    /// Always 0 so far.
    pub major: u32,
    /// Always 0 so far.
    pub minor: u32,
    /// The version that matters: 3 to 9 are supported.
    pub patch: u32,
}

impl ApiVersion {
    /// The oldest supported version: AssemblyScript 0.6 (graph-cli 0.17), `ethereum.call` picks
    /// the function by name.
    pub const V0_0_3: ApiVersion = ApiVersion::new(0, 0, 3);
    /// The last version with the AssemblyScript 0.6 memory layout (graph-cli 0.18 to 0.20);
    /// `ethereum.call` picks the function by its full signature.
    pub const V0_0_4: ApiVersion = ApiVersion::new(0, 0, 4);
    /// The first version with the AssemblyScript 0.19 memory layout.
    pub const V0_0_5: ApiVersion = ApiVersion::new(0, 0, 5);
    /// Adds `transaction.nonce` and `block.baseFeePerGas`.
    pub const V0_0_6: ApiVersion = ApiVersion::new(0, 0, 6);
    /// Adds `event.receipt`.
    pub const V0_0_7: ApiVersion = ApiVersion::new(0, 0, 7);
    /// `store.set` rejects fields the schema does not have.
    pub const V0_0_8: ApiVersion = ApiVersion::new(0, 0, 8);
    /// The newest version (graph-cli 0.98 emits it); adds `ethereum.getBalance`/`hasCode`.
    pub const V0_0_9: ApiVersion = ApiVersion::new(0, 0, 9);

    /// `major.minor.patch`.
    pub const fn new(major: u32, minor: u32, patch: u32) -> ApiVersion {
        ApiVersion {
            major,
            minor,
            patch,
        }
    }

    /// The memory layout of this version's mappings.
    pub(crate) fn layout(self) -> Layout {
        if self <= ApiVersion::V0_0_4 {
            Layout::AssemblyScript06
        } else {
            Layout::AssemblyScript019
        }
    }

    /// Fails unless this runtime can run mappings of this version.
    pub(crate) fn check_supported(self) -> anyhow::Result<()> {
        if self < ApiVersion::V0_0_3 {
            anyhow::bail!(
                "apiVersion {self} is not supported: this runtime runs apiVersion {} to {} \
                 (graph-cli 0.17 and later build 0.0.3 or newer)",
                ApiVersion::V0_0_3,
                ApiVersion::V0_0_9
            );
        }
        if self > ApiVersion::V0_0_9 {
            anyhow::bail!(
                "apiVersion {self} is newer than the newest supported version {}",
                ApiVersion::V0_0_9
            );
        }
        Ok(())
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl FromStr for ApiVersion {
    type Err = anyhow::Error;

    /// Parses `major.minor.patch`, each a decimal number.
    fn from_str(s: &str) -> anyhow::Result<ApiVersion> {
        let parts: Vec<&str> = s.trim().split('.').collect();
        let [major, minor, patch] = parts[..] else {
            anyhow::bail!("invalid apiVersion `{s}`: expected major.minor.patch, e.g. 0.0.9");
        };
        let number = |p: &str| {
            p.parse::<u32>()
                .map_err(|_| anyhow::anyhow!("invalid apiVersion `{s}`: `{p}` is not a number"))
        };
        Ok(ApiVersion::new(
            number(major)?,
            number(minor)?,
            number(patch)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders() {
        let v: ApiVersion = "0.0.9".parse().unwrap();
        assert_eq!(v, ApiVersion::V0_0_9);
        assert_eq!(v.to_string(), "0.0.9");
        assert!(ApiVersion::V0_0_5 < ApiVersion::V0_0_6);
        assert!("0.1.0".parse::<ApiVersion>().unwrap() > ApiVersion::V0_0_9);
        assert!("0.0".parse::<ApiVersion>().is_err());
        assert!("0.0.x".parse::<ApiVersion>().is_err());
    }

    #[test]
    fn supports_0_0_3_to_0_0_9() {
        assert!(ApiVersion::V0_0_3.check_supported().is_ok());
        assert!(ApiVersion::V0_0_4.check_supported().is_ok());
        assert!(ApiVersion::V0_0_5.check_supported().is_ok());
        assert!(ApiVersion::V0_0_9.check_supported().is_ok());
        let old = ApiVersion::new(0, 0, 2).check_supported().unwrap_err();
        assert!(
            old.to_string().contains(
                "apiVersion 0.0.2 is not supported: this runtime runs apiVersion 0.0.3 to 0.0.9"
            ),
            "{old}"
        );
        assert!(ApiVersion::new(0, 0, 10).check_supported().is_err());
    }

    #[test]
    fn layouts_split_at_0_0_5() {
        assert_eq!(ApiVersion::V0_0_3.layout(), Layout::AssemblyScript06);
        assert_eq!(ApiVersion::V0_0_4.layout(), Layout::AssemblyScript06);
        assert_eq!(ApiVersion::V0_0_5.layout(), Layout::AssemblyScript019);
        assert_eq!(ApiVersion::V0_0_9.layout(), Layout::AssemblyScript019);
    }
}
