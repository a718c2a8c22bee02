//! The UnixFS `Data` message inside a DAG-PB node's data field (the fields a file reader needs).

use quick_protobuf::BytesReader;

/// UnixFS node types (`Data.Type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DataType {
    Raw,
    Directory,
    File,
    Metadata,
    Symlink,
    HamtShard,
}

/// A decoded UnixFS `Data` message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UnixFsData {
    pub kind: DataType,
    /// File bytes stored in this node itself, before its children's.
    pub data: Option<Vec<u8>>,
    /// The whole file's size (in a file's root).
    pub filesize: Option<u64>,
}

impl UnixFsData {
    /// Decodes `message Data { required Type = 1; optional bytes Data = 2; optional uint64
    /// filesize = 3; repeated uint64 blocksizes = 4; ... }`, skipping the fields not needed.
    pub fn decode(bytes: &[u8]) -> Result<UnixFsData, String> {
        let mut reader = BytesReader::from_bytes(bytes);
        let (mut kind, mut data, mut filesize) = (None, None, None);
        let e = |e: quick_protobuf::Error| e.to_string();
        while !reader.is_eof() {
            match reader.next_tag(bytes).map_err(e)? {
                8 => {
                    kind = Some(match reader.read_uint64(bytes).map_err(e)? {
                        0 => DataType::Raw,
                        1 => DataType::Directory,
                        2 => DataType::File,
                        3 => DataType::Metadata,
                        4 => DataType::Symlink,
                        5 => DataType::HamtShard,
                        other => return Err(format!("unknown UnixFS type {other}")),
                    })
                }
                18 => data = Some(reader.read_bytes(bytes).map_err(e)?.to_vec()),
                24 => filesize = Some(reader.read_uint64(bytes).map_err(e)?),
                tag => reader.read_unknown(bytes, tag).map_err(e)?,
            }
        }
        Ok(UnixFsData {
            kind: kind.ok_or("the UnixFS type is missing")?,
            data,
            filesize,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_file_nodes() {
        // Type File, Data "hi", filesize 2, blocksizes [2].
        let bytes = [0x08, 0x02, 0x12, 0x02, b'h', b'i', 0x18, 0x02, 0x20, 0x02];
        let data = UnixFsData::decode(&bytes).unwrap();
        assert_eq!(
            data,
            UnixFsData {
                kind: DataType::File,
                data: Some(b"hi".to_vec()),
                filesize: Some(2)
            }
        );
        assert_eq!(
            UnixFsData::decode(&[0x08, 0x01]).unwrap().kind,
            DataType::Directory
        );
        assert!(UnixFsData::decode(&[]).unwrap_err().contains("missing"));
        assert!(UnixFsData::decode(&[0x08, 0x09])
            .unwrap_err()
            .contains("unknown"));
        assert!(UnixFsData::decode(&[0x12, 0x05, 1]).is_err());
    }
}
