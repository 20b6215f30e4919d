//! Parsing and writing side by side: a reader thread parses the next
//! batch while the caller writes the last one, so an import runs at the
//! speed of the slower of the two instead of their sum. At most two
//! batches wait between them, so memory stays bounded.

use std::io::{self, BufRead};
use std::sync::mpsc::{SyncSender, sync_channel};

use skulk_format::DataPoint;

use crate::error::Result;
use crate::ingest::{LineError, PointReader};

/// What the reader thread hands over, in input order.
#[derive(Debug)]
pub enum Event {
    /// Parsed points, and the input bytes read so far.
    Batch(Vec<DataPoint>, u64),
    /// A refused line. Without `skip_bad`, the last event: every point
    /// before it came in earlier batches.
    Bad(LineError),
    /// The input could not be read; the last event.
    Failed(io::Error),
}

/// What reading found besides points.
#[derive(Debug, Default, Clone, Copy)]
pub struct Read {
    /// Input bytes read.
    pub bytes: u64,
    /// Exemplars skipped (OpenMetrics).
    pub exemplars: u64,
}

/// Parses `reader` on a thread in batches of `batch_size` points, calling
/// `on_event` with each event on this thread; reading stops when
/// `on_event` returns `Ok(false)` or an error (which is returned).
pub fn run<R: BufRead + Send>(
    reader: PointReader<R>,
    batch_size: usize,
    skip_bad: bool,
    mut on_event: impl FnMut(Event) -> Result<bool>,
) -> (Result<()>, Read) {
    std::thread::scope(|scope| {
        let (tx, rx) = sync_channel(2);
        let thread = scope.spawn(move || read_all(reader, batch_size, skip_bad, &tx));
        let mut outcome = Ok(());
        while let Ok(event) = rx.recv() {
            match on_event(event) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
        // A reader still sending finds the channel closed and stops.
        drop(rx);
        (outcome, thread.join().unwrap_or_default())
    })
}

fn read_all<R: BufRead>(
    mut reader: PointReader<R>,
    batch_size: usize,
    skip_bad: bool,
    tx: &SyncSender<Event>,
) -> Read {
    let mut batch = Vec::with_capacity(batch_size.min(1 << 20));
    let read = |reader: &PointReader<R>| Read {
        bytes: reader.bytes_read(),
        exemplars: reader.ignored().exemplars,
    };
    let send_batch = |batch: &mut Vec<DataPoint>, bytes: u64| {
        let points = std::mem::replace(batch, Vec::with_capacity(batch_size.min(1 << 20)));
        points.is_empty() || tx.send(Event::Batch(points, bytes)).is_ok()
    };
    loop {
        let last = match reader.next_line(&mut batch) {
            Ok(None) => None,
            Ok(Some(Ok(()))) => Some(None),
            Ok(Some(Err(bad))) if skip_bad => Some(Some(Event::Bad(bad))),
            Ok(Some(Err(bad))) => {
                send_batch(&mut batch, reader.bytes_read());
                let _ = tx.send(Event::Bad(bad));
                return read(&reader);
            }
            Err(e) => {
                send_batch(&mut batch, reader.bytes_read());
                let _ = tx.send(Event::Failed(e));
                return read(&reader);
            }
        };
        match last {
            None => break,
            Some(Some(event)) => {
                if tx.send(event).is_err() {
                    return read(&reader);
                }
            }
            Some(None) => {}
        }
        if batch.len() >= batch_size && !send_batch(&mut batch, reader.bytes_read()) {
            return read(&reader);
        }
    }
    send_batch(&mut batch, reader.bytes_read());
    read(&reader)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Precision;

    fn events(text: &str, skip_bad: bool, batch: usize) -> (Vec<String>, Read) {
        let reader = PointReader::line_protocol(text.as_bytes(), Precision::Nanoseconds);
        let mut seen = Vec::new();
        let (result, read) = run(reader, batch, skip_bad, |event| {
            seen.push(match event {
                Event::Batch(points, _) => format!("batch {}", points.len()),
                Event::Bad(bad) => format!("bad {}", bad.line),
                Event::Failed(e) => format!("failed {e}"),
            });
            Ok(true)
        });
        assert!(result.is_ok());
        (seen, read)
    }

    #[test]
    fn batches_in_order_and_a_bad_line_ends_after_the_points_before_it() {
        let text = "m value=1 1\nm value=2 2\nm value=3 3\nbad\nm value=5 5\n";
        let (seen, read) = events(text, false, 2);
        assert_eq!(seen, ["batch 2", "batch 1", "bad 4"]);
        assert!(read.bytes > 0);
        let (seen, read) = events(text, true, 2);
        assert_eq!(seen, ["batch 2", "bad 4", "batch 2"]);
        assert_eq!(read.bytes, text.len() as u64);
    }

    #[test]
    fn the_caller_can_stop_the_reader() {
        let text = "m value=1 1\n".repeat(1000);
        let reader = PointReader::line_protocol(text.as_bytes(), Precision::Nanoseconds);
        let mut batches = 0;
        let (result, _) = run(reader, 10, false, |_| {
            batches += 1;
            Ok(batches < 3)
        });
        assert!(result.is_ok());
        assert_eq!(batches, 3);
    }
}
