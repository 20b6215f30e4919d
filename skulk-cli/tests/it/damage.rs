//! `verify` checks every file it is pointed at: a TSM file whose header is
//! damaged, in a data directory or in a plain folder, and a file that
//! cannot be recognised at all, are corrupt (they used to be skipped).

use std::path::Path;

use crate::support::{Scratch, run, three_partitions};

/// Zeroes the header of the TSM file at `path`.
fn zero_head(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[..skulk_format::HEADER_LEN].fill(0);
    std::fs::write(path, &bytes).unwrap();
}

fn assert_corrupt_named(s: &Scratch, target: &Path, file: &Path) {
    let (out, stdout, stderr) = run(s, &["verify", target.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    let shown = file.display().to_string();
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("CORRUPT") && l.contains(&shown)),
        "{stdout}"
    );
    assert!(stderr.contains(&shown), "{stderr}");
}

#[test]
fn a_tsm_file_with_a_zeroed_header_is_corrupt_in_a_data_directory() {
    let s = Scratch::new();
    let files = three_partitions(&s);
    zero_head(&files[2]);
    assert_corrupt_named(&s, &s.data(), &files[2]);
    let (_, stdout, _) = run(&s, &["verify"]);
    // The manifest, the two other files and the WAL are good.
    assert!(stdout.contains("4 ok, 1 corrupt"), "{stdout}");
    assert!(
        stdout.contains("next: `skulk --data-dir") && stdout.contains("repair --dry-run"),
        "{stdout}"
    );
    // The engine agrees.
    let (out, _, stderr) = run(&s, &["query", "m"]);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn every_file_of_a_plain_folder_is_checked() {
    let s = Scratch::new();
    let files = three_partitions(&s);
    let folder = s.path("copies");
    std::fs::create_dir(&folder).unwrap();
    let damaged = folder.join("0000000000000001-0000000000000001.tsm");
    std::fs::copy(&files[0], &damaged).unwrap();
    zero_head(&damaged);
    std::fs::copy(&files[1], folder.join("good.tsm")).unwrap();
    assert_corrupt_named(&s, &folder, &damaged);

    std::fs::remove_file(&damaged).unwrap();
    s.ok(&["verify", folder.to_str().unwrap()]);
    let junk = folder.join("notes.txt");
    std::fs::write(&junk, "not a skulk file").unwrap();
    assert_corrupt_named(&s, &folder, &junk);
    let (_, stdout, _) = run(&s, &["verify", folder.to_str().unwrap()]);
    assert!(stdout.contains("unknown magic"), "{stdout}");
}
