//! Bounded line reading: the streaming base of every import format.
//!
//! A line longer than the limit is consumed and reported as an error for
//! that line only, so memory stays bounded whatever the input holds.

use std::io::{self, BufRead};

/// Longest line accepted by default (1 MiB).
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// One line of input, without its terminator.
#[derive(Debug)]
pub enum Line<'a> {
    /// The line's bytes (`\n` and a preceding `\r` removed).
    Text(&'a [u8]),
    /// The line exceeded the limit; its bytes were skipped.
    TooLong,
}

/// Reads lines from a `BufRead` into one reused buffer of bounded size.
#[derive(Debug)]
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    max_len: usize,
    line_no: u64,
    bytes: u64,
}

impl<R: BufRead> LineReader<R> {
    /// A reader that refuses lines longer than `max_len` bytes.
    pub fn new(inner: R, max_len: usize) -> Self {
        Self {
            inner,
            buf: Vec::new(),
            max_len,
            line_no: 0,
            bytes: 0,
        }
    }

    /// The 1-based number of the line returned last (0 before the first).
    pub fn line_no(&self) -> u64 {
        self.line_no
    }

    /// Bytes consumed from the input so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// The next line, or `None` at the end of the input.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.buf.clear();
        let mut too_long = false;
        let mut saw_any = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            saw_any = true;
            let (chunk, consumed, done) = match available.iter().position(|&b| b == b'\n') {
                Some(pos) => (available.get(..pos).unwrap_or_default(), pos + 1, true),
                None => (available, available.len(), false),
            };
            if !too_long && self.buf.len() + chunk.len() > self.max_len {
                too_long = true;
                self.buf.clear();
            }
            if !too_long {
                self.buf.extend_from_slice(chunk);
            }
            self.inner.consume(consumed);
            self.bytes += consumed as u64;
            if done {
                break;
            }
        }
        if !saw_any {
            return Ok(None);
        }
        self.line_no += 1;
        if too_long {
            return Ok(Some(Line::TooLong));
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(Some(Line::Text(&self.buf)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8], max: usize) -> Vec<Option<Vec<u8>>> {
        let mut reader = LineReader::new(io::BufReader::with_capacity(3, input), max);
        let mut out = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            out.push(match line {
                Line::Text(t) => Some(t.to_vec()),
                Line::TooLong => None,
            });
        }
        out
    }

    #[test]
    fn splits_lines_across_buffer_refills() {
        let lines = collect(b"abcdef\r\n\nxy", 100);
        assert_eq!(
            lines,
            vec![Some(b"abcdef".to_vec()), Some(vec![]), Some(b"xy".to_vec())]
        );
    }

    #[test]
    fn long_lines_are_skipped_and_reading_continues() {
        let lines = collect(b"0123456789\nok\n", 5);
        assert_eq!(lines, vec![None, Some(b"ok".to_vec())]);
    }

    #[test]
    fn counts_lines() {
        let mut reader = LineReader::new(&b"a\nb\n"[..], 10);
        reader.next_line().unwrap();
        reader.next_line().unwrap();
        assert_eq!(reader.line_no(), 2);
        assert!(reader.next_line().unwrap().is_none());
    }
}
