//! TSM format versions, see `FORMAT.md`, "Version table".

use crate::FormatError;

/// A TSM format version this build reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
#[non_exhaustive]
pub enum FormatVersion {
    /// The first version.
    V1 = 1,
    /// A string and label-pair table in the series index; series entries
    /// with numbered pairs and varint block entries.
    V2 = 2,
    /// Version 2's tables with postings: per label pair, the series that
    /// carry it; series entries without their id and pair numbers.
    V3 = 3,
}

impl FormatVersion {
    /// The version new files are written in.
    pub const CURRENT: FormatVersion = FormatVersion::V3;

    /// The byte stored in the header.
    pub const fn as_u8(self) -> u8 {
        self as u8
    }
}

impl TryFrom<u8> for FormatVersion {
    type Error = FormatError;

    fn try_from(byte: u8) -> Result<Self, Self::Error> {
        match byte {
            1 => Ok(FormatVersion::V1),
            2 => Ok(FormatVersion::V2),
            3 => Ok(FormatVersion::V3),
            found => Err(FormatError::UnsupportedVersion {
                file: None,
                found,
                supported: FormatVersion::CURRENT.as_u8(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_versions_are_accepted() {
        assert_eq!(FormatVersion::try_from(1).unwrap(), FormatVersion::V1);
        assert_eq!(FormatVersion::try_from(2).unwrap(), FormatVersion::V2);
        assert_eq!(FormatVersion::try_from(3).unwrap(), FormatVersion::V3);
        for byte in [0u8, 4, 255] {
            assert!(matches!(
                FormatVersion::try_from(byte),
                Err(FormatError::UnsupportedVersion { found, supported: 3, .. }) if found == byte
            ));
        }
    }
}
