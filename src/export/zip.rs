//! A minimal ZIP writer (stored entries, no compression): enough to hand an exported project to
//! the browser as one download. The checkpoint and the data are already dense or compressed.

/// Why files cannot be zipped: ZIP without its 64-bit extension holds files below 4 GiB and
/// at most 65,535 entries.
#[derive(Debug)]
pub struct TooLarge;

/// One archive holding `files` (path inside the archive, contents), stored uncompressed.
pub fn zip(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, TooLarge> {
    let small = |n: usize| u32::try_from(n).map_err(|_| TooLarge);
    let entries = u16::try_from(files.len()).map_err(|_| TooLarge)?;
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let offset = small(out.len())?;
        let (crc, size, name_len) = (
            crate::checksum::crc32(data),
            small(data.len())?,
            name.len() as u16,
        );
        // Local header: signature, version 2.0, no flags, stored, no time/date.
        let mut header = Vec::with_capacity(30 + name.len());
        header.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        header.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
        for v in [crc, size, size] {
            header.extend_from_slice(&v.to_le_bytes());
        }
        header.extend_from_slice(&name_len.to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes());
        header.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(data);
        // Central directory entry: made by Unix (for the permission bits), the same fields.
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&[20, 3, 20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
        for v in [crc, size, size] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attributes
        central.extend_from_slice(&(0o100644u32 << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let central_offset = small(out.len())?;
    let central_len = small(central.len())?;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&entries.to_le_bytes());
    out.extend_from_slice(&entries.to_le_bytes());
    out.extend_from_slice(&central_len.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_layout_names_every_file() {
        let files = vec![
            ("a.txt".to_string(), b"hello".to_vec()),
            ("dir/b.bin".to_string(), vec![0u8; 3]),
        ];
        let z = zip(&files).unwrap();
        assert_eq!(&z[..4], b"PK\x03\x04");
        let eocd = &z[z.len() - 22..];
        assert_eq!(&eocd[..4], b"PK\x05\x06");
        assert_eq!(u16::from_le_bytes([eocd[10], eocd[11]]), 2);
        assert!(z.windows(9).any(|w| w == b"dir/b.bin"));
    }
}
