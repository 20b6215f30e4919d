//! The I/O side of group commit: the active segment file, segment
//! creation (tmp, fsync, rename, fsync dir) and removal.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use crate::end_mark;
use crate::header::SegmentHeader;
use crate::pending::Chunk;
use crate::segment::{SEGMENT_SUFFIX, TMP_SUFFIX, segment_name};
use skulk_format::storage::WritableFile;

use crate::storage::LogDir;
use crate::{Lsn, Result, SegmentObserver, SyncMode, WalError};

/// Owns the active segment; only one committing writer uses it at a time.
pub(crate) struct Writer {
    dir: LogDir,
    file: Box<dyn WritableFile>,
    /// Every segment, oldest first, as (first LSN, file name); the last
    /// one is active.
    segments: VecDeque<(Lsn, String)>,
    /// Told about each segment a roll-over creates.
    pub observer: Option<Arc<dyn SegmentObserver>>,
    /// Bytes of records in the active segment (its end mark follows).
    len: u64,
}

impl Writer {
    pub(crate) fn new(
        dir: LogDir,
        file: Box<dyn WritableFile>,
        segments: VecDeque<(Lsn, String)>,
        len: u64,
    ) -> Self {
        Self {
            dir,
            file,
            segments,
            observer: None,
            len,
        }
    }

    /// The active segment: its first LSN and the bytes written to it.
    pub(crate) fn position(&self) -> (Lsn, u64) {
        let first = self.segments.back().map_or(0, |(first, _)| *first);
        (first, self.len)
    }

    fn active_path(&self) -> PathBuf {
        let name = self.segments.back().map_or("", |(_, name)| name.as_str());
        self.dir.path().join(name)
    }

    /// Writes the chunks, rolling segments over where they say so, then
    /// syncs per `mode`. Any error leaves the file in an unknown state:
    /// the caller must poison the log.
    /// A written chunk's buffer, emptied, is left in `spare` for the next
    /// records (see [`Pending::recycle`](crate::pending::Pending::recycle)).
    pub(crate) fn commit(
        &mut self,
        chunks: Vec<Chunk>,
        mode: SyncMode,
        spare: &mut Vec<u8>,
    ) -> Result<()> {
        for chunk in chunks {
            if let Some(first_lsn) = chunk.new_segment {
                self.roll(first_lsn)?;
            }
            if !chunk.bytes.is_empty() {
                // The records and a new end mark, over the old mark: one
                // write, so the file never ends after a record without one.
                let mut bytes = chunk.bytes;
                let end = end_mark::push(&mut bytes, self.len, chunk.next_lsn);
                self.file
                    .write_at(self.len, &bytes)
                    .map_err(|e| WalError::io(self.active_path(), e))?;
                self.len = end;
                bytes.clear();
                *spare = bytes;
            }
        }
        self.sync(mode)
    }

    /// Syncs the active segment per `mode` (nothing under `None`).
    pub(crate) fn sync(&mut self, mode: SyncMode) -> Result<()> {
        let result = match mode {
            SyncMode::None => Ok(()),
            SyncMode::Fsync => self.file.sync(false),
            SyncMode::Fdatasync => self.file.sync(true),
        };
        result.map_err(|e| WalError::io(self.active_path(), e))
    }

    /// Fsyncs the active segment (whatever the sync mode: every segment but
    /// the last is complete on disk), starts a new one and tells the
    /// observer, before any record goes into it.
    fn roll(&mut self, first_lsn: Lsn) -> Result<()> {
        self.start_segment(first_lsn)?;
        if let Some(observer) = &self.observer {
            observer
                .segment_created(first_lsn)
                .map_err(|source| WalError::Observer { first_lsn, source })?;
        }
        Ok(())
    }

    /// Fsyncs the active segment and starts a new, empty one.
    pub(crate) fn start_segment(&mut self, first_lsn: Lsn) -> Result<()> {
        self.file
            .sync(false)
            .map_err(|e| WalError::io(self.active_path(), e))?;
        self.file = create_segment(&self.dir, first_lsn)?;
        self.len = crate::header::SEGMENT_HEADER_LEN as u64;
        self.segments
            .push_back((first_lsn, segment_name(first_lsn)));
        Ok(())
    }

    /// How many segments [`Writer::truncate_through`] would remove.
    pub(crate) fn removable(&self, safe_lsn: Lsn) -> usize {
        let firsts = self.segments.iter().skip(1).map(|(first, _)| *first);
        firsts
            .take_while(|first| first.saturating_sub(1) <= safe_lsn)
            .count()
    }

    /// Removes the oldest segments whose records all have LSN `<= safe_lsn`,
    /// never the active one, each unlink followed by a directory fsync.
    /// Returns how many were removed.
    pub(crate) fn truncate_through(&mut self, safe_lsn: Lsn) -> Result<usize> {
        let mut removed = 0;
        while let Some(&(next_first, _)) = self.segments.get(1) {
            if next_first.saturating_sub(1) > safe_lsn {
                break;
            }
            let Some((_, name)) = self.segments.pop_front() else {
                break;
            };
            let path = self.dir.path().join(&name);
            self.dir.remove(&name).map_err(|e| WalError::io(&path, e))?;
            self.dir
                .sync_dir()
                .map_err(|e| WalError::io(self.dir.path(), e))?;
            removed += 1;
        }
        Ok(removed)
    }

    /// The segments, oldest first.
    pub(crate) fn segments(&self) -> impl Iterator<Item = &(Lsn, String)> {
        self.segments.iter()
    }
}

/// Publishes a new, empty segment starting at `first_lsn` and returns it
/// open for appending: header to `*.wal.tmp`, fsync, rename, fsync dir.
pub(crate) fn create_segment(dir: &LogDir, first_lsn: Lsn) -> Result<Box<dyn WritableFile>> {
    let name = segment_name(first_lsn);
    let tmp = format!("{}{TMP_SUFFIX}", name.trim_end_matches(SEGMENT_SUFFIX));
    let tmp_path = dir.path().join(&tmp);
    let mut file = dir.create(&tmp).map_err(|e| WalError::io(&tmp_path, e))?;
    let mut bytes = SegmentHeader::new(first_lsn).encode().to_vec();
    end_mark::push(&mut bytes, 0, first_lsn);
    file.append(&bytes)
        .map_err(|e| WalError::io(&tmp_path, e))?;
    file.sync(false).map_err(|e| WalError::io(&tmp_path, e))?;
    dir.rename(&tmp, &name)
        .map_err(|e| WalError::io(&tmp_path, e))?;
    dir.sync_dir().map_err(|e| WalError::io(dir.path(), e))?;
    Ok(file)
}
