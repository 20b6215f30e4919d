//! Read-only memory maps of sealed files: the only `unsafe` code of the
//! storage (the other is the codec's call to its AVX2 and FMA division,
//! `skulk-codec/src/alp/fused.rs`).

#![allow(unsafe_code)]

use std::fs::File;
use std::io;

/// Maps all of `file` read-only.
pub(super) fn map(file: &File) -> io::Result<memmap2::Mmap> {
    // SAFETY: `Mmap::map` is unsafe because another process or thread could
    // truncate or modify the file while it is mapped, which would make the
    // returned slice change under us or raise SIGBUS. `Storage::map`'s
    // contract restricts it to files nobody writes or truncates while
    // mapped. Skulk maps only sealed TSM files: written under a `.tmp` name,
    // fsynced and renamed into place, never opened for writing again and
    // never truncated in place; replaced by new files and unlinked, and an
    // unlinked file stays intact for as long as a mapping of it exists. A
    // writing engine holds the data directory's `LOCK` (`File::try_lock`),
    // so no second Skulk writer changes the directory meanwhile. (The lock
    // is advisory: a process that ignores it and rewrites these files is
    // outside this contract.)
    unsafe { memmap2::Mmap::map(file) }
}
