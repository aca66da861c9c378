//! Where uploaded files live. Callers see only the [`Storage`] trait, so an
//! S3-compatible store can be added beside the local-directory one without
//! touching them. Keys are made by the server, never from a client's
//! filename; content types are sniffed from the bytes.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A store of blobs by key. Calls block: run them on the blocking pool.
pub trait Storage: Send + Sync + 'static {
    /// Stores `bytes` under `key`, replacing any blob there.
    fn put(&self, key: &str, bytes: &[u8]) -> io::Result<()>;
    /// The blob under `key`, if any.
    fn get(&self, key: &str) -> io::Result<Option<Vec<u8>>>;
    /// Removes the blob under `key`; absent is fine.
    fn delete(&self, key: &str) -> io::Result<()>;
}

/// The store as shared in app data.
pub type SharedStorage = Arc<dyn Storage>;

/// A store in a local directory.
#[derive(Debug, Clone)]
pub struct LocalStorage {
    root: PathBuf,
}

impl LocalStorage {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path_of(&self, key: &str) -> io::Result<PathBuf> {
        if !is_safe_key(key) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "unsafe storage key",
            ));
        }
        Ok(self.root.join(key))
    }
}

impl Storage for LocalStorage {
    fn put(&self, key: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.path_of(key)?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // Write then rename, so a crash never leaves half a file under the key.
        let temp = path.with_extension(format!("tmp-{}", uuid::Uuid::now_v7().simple()));
        std::fs::write(&temp, bytes)?;
        std::fs::rename(&temp, &path).inspect_err(|_| {
            let _ = std::fs::remove_file(&temp);
        })
    }

    fn get(&self, key: &str) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.path_of(key)?) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    fn delete(&self, key: &str) -> io::Result<()> {
        match std::fs::remove_file(self.path_of(key)?) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }
}

/// Whether a key is a relative path of safe segments (no `..`, no absolute
/// path, only `[A-Za-z0-9._-]` in each segment).
pub fn is_safe_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 200
        && !Path::new(key).is_absolute()
        && key.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
}

/// A new key under `prefix` with the extension of the content type.
pub fn new_key(prefix: &str, extension: &str) -> String {
    format!("{prefix}/{}.{extension}", uuid::Uuid::now_v7().simple())
}

/// The `Content-Disposition` of a download: the display name as an ASCII
/// fallback and in full (RFC 6266 / RFC 8187).
pub fn content_disposition(content_type: &str, filename: &str) -> String {
    let kind = if content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// A sniffed file type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    /// The MIME type.
    pub mime: &'static str,
    /// The usual extension.
    pub extension: &'static str,
}

/// The content type of `bytes`, judged by their magic numbers.
pub fn sniff(bytes: &[u8]) -> Option<Sniffed> {
    infer::get(bytes).map(|kind| Sniffed {
        mime: kind.mime_type(),
        extension: kind.extension(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape_the_root() {
        assert!(is_safe_key("avatars/abc.png"));
        for bad in [
            "",
            "../etc/passwd",
            "/etc/passwd",
            "a/../b",
            "a//b",
            "a b",
            "a/./b",
        ] {
            assert!(!is_safe_key(bad), "{bad}");
        }
    }

    #[test]
    fn local_storage_round_trips_and_deletes() {
        let dir = std::env::temp_dir().join(format!("qf-storage-{}", uuid::Uuid::now_v7()));
        let store = LocalStorage::new(&dir);
        store.put("avatars/x.png", b"data").expect("put");
        assert_eq!(
            store.get("avatars/x.png").expect("get"),
            Some(b"data".to_vec())
        );
        store.delete("avatars/x.png").expect("delete");
        assert_eq!(store.get("avatars/x.png").expect("get"), None);
        assert!(store.put("../x", b"no").is_err());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn content_types_come_from_the_bytes() {
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];
        assert_eq!(sniff(&png).map(|s| s.mime), Some("image/png"));
        assert_eq!(sniff(b"just text, claiming to be a png"), None);
    }
}
