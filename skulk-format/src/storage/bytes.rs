//! `FileBytes`: the read-only content of a file, mapped or in memory.

use std::fmt;
use std::sync::Arc;

/// The bytes of a file as [`super::Storage::map`] returns them: a memory
/// map on the real file system, shared memory on a simulated one. Cheap to
/// move; `Send + Sync`; derefs to `[u8]` through [`AsRef`].
pub struct FileBytes {
    inner: Box<dyn AsRef<[u8]> + Send + Sync>,
}

impl FileBytes {
    /// Wraps anything that holds bytes (a map, a `Vec<u8>`, an `Arc<[u8]>`,
    /// or a type that also keeps a handle open while it lives).
    pub fn new(bytes: impl AsRef<[u8]> + Send + Sync + 'static) -> Self {
        Self {
            inner: Box::new(bytes),
        }
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        self.inner.as_ref().as_ref()
    }
}

impl AsRef<[u8]> for FileBytes {
    fn as_ref(&self) -> &[u8] {
        self.bytes()
    }
}

impl From<Vec<u8>> for FileBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl From<Arc<[u8]>> for FileBytes {
    fn from(bytes: Arc<[u8]>) -> Self {
        Self::new(bytes)
    }
}

impl fmt::Debug for FileBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileBytes")
            .field("len", &self.bytes().len())
            .finish()
    }
}
