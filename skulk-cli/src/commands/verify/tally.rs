//! What `verify` prints: one line per file, a summary, what to run next,
//! and the verdict (exit status 3 when anything needs attention).

use std::io::Write;
use std::path::Path;

use skulk_engine::FileStatus;

use crate::error::{CliError, Result};

/// The verdict on one file, as printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Intact.
    Ok,
    /// Damaged bytes, or a file that cannot be recognised.
    Corrupt,
    /// Listed by the manifest, gone.
    Missing,
    /// Listed by the manifest with another size or checksum.
    Changed,
    /// Not listed and not read.
    Stray,
    /// The WAL ends in records that do not check out: an interrupted
    /// write, or damage to the newest records (the next open cuts them).
    Torn,
    /// Worth knowing, needs nothing (leftovers the next open deletes,
    /// quarantined files, repair backups).
    Note,
}

impl Mark {
    /// The engine's verdict as printed (leftovers are notes).
    pub fn of(status: FileStatus) -> Mark {
        match status {
            FileStatus::Ok => Mark::Ok,
            FileStatus::Corrupt => Mark::Corrupt,
            FileStatus::Missing => Mark::Missing,
            FileStatus::Changed => Mark::Changed,
            FileStatus::Stray => Mark::Stray,
            FileStatus::TornTail => Mark::Torn,
            FileStatus::Leftover => Mark::Note,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Mark::Ok => "OK",
            Mark::Corrupt => "CORRUPT",
            Mark::Missing => "MISSING",
            Mark::Changed => "CHANGED",
            Mark::Stray => "STRAY",
            Mark::Torn => "TORN",
            Mark::Note => "note",
        }
    }

    fn is_problem(self) -> bool {
        !matches!(self, Mark::Ok | Mark::Note)
    }
}

/// The lines printed so far and what they found.
#[derive(Debug, Default)]
pub struct Tally {
    counts: [usize; 7],
    problems: Vec<String>,
}

impl Tally {
    /// Prints `MARK     path (detail)` for a good file, `MARK     path:
    /// detail` otherwise (the detail alone when it starts with the path).
    pub fn line(
        &mut self,
        out: &mut dyn Write,
        mark: Mark,
        path: &Path,
        detail: &str,
    ) -> Result<()> {
        let shown = path.display().to_string();
        let text = if detail.starts_with(&shown) {
            detail.to_string()
        } else if mark == Mark::Ok {
            format!("{shown} ({detail})")
        } else {
            format!("{shown}: {detail}")
        };
        if let Some(count) = self.counts.get_mut(mark as usize) {
            *count += 1;
        }
        if mark.is_problem() {
            self.problems.push(if detail.contains(&shown) {
                detail.to_string()
            } else {
                format!("{shown}: {detail}")
            });
        }
        writeln!(out, "{:<9}{text}", mark.label()).map_err(CliError::output)
    }

    fn count(&self, mark: Mark) -> usize {
        self.counts.get(mark as usize).copied().unwrap_or(0)
    }

    /// Prints the summary and the `next:` lines; an error (exit status 3)
    /// naming the first problem when there is one.
    pub fn finish(self, out: &mut dyn Write, next: &[String]) -> Result<()> {
        let mut summary = format!(
            "{} ok, {} corrupt",
            self.count(Mark::Ok),
            self.count(Mark::Corrupt)
        );
        for (mark, word) in [
            (Mark::Missing, "missing"),
            (Mark::Changed, "changed"),
            (Mark::Stray, "stray"),
            (Mark::Torn, "torn"),
            (Mark::Note, "note(s)"),
        ] {
            let n = self.count(mark);
            if n > 0 {
                summary.push_str(&format!(", {n} {word}"));
            }
        }
        writeln!(out, "{summary}").map_err(CliError::output)?;
        for line in next {
            writeln!(out, "next: {line}").map_err(CliError::output)?;
        }
        match self.problems.first() {
            None => Ok(()),
            Some(first) => Err(CliError::Corruption {
                count: self.problems.len(),
                first: first.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_counts_and_verdict() {
        let mut tally = Tally::default();
        let mut out = Vec::new();
        let p = Path::new("d/tsm/a.tsm");
        tally.line(&mut out, Mark::Ok, p, "1 series").unwrap();
        tally
            .line(
                &mut out,
                Mark::Missing,
                p,
                "d/tsm/a.tsm is missing: it held 4 points",
            )
            .unwrap();
        tally.line(&mut out, Mark::Note, p, "left over").unwrap();
        let err = tally.finish(&mut out, &["run it".into()]).unwrap_err();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "OK       d/tsm/a.tsm (1 series)\n\
             MISSING  d/tsm/a.tsm is missing: it held 4 points\n\
             note     d/tsm/a.tsm: left over\n\
             1 ok, 0 corrupt, 1 missing, 1 note(s)\n\
             next: run it\n"
        );
        assert!(
            err.one_line().contains("d/tsm/a.tsm is missing"),
            "{}",
            err.one_line()
        );
        assert_eq!(err.exit_code(), std::process::ExitCode::from(3));
    }
}
