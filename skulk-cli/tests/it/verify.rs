//! `verify` on the engine's `CHECKPOINT` file, in a data directory and alone.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{LP, Scratch};

/// A data directory written by `import` (which flushes, so it holds TSM
/// files, a WAL and a `CHECKPOINT`), and the path of its checkpoint.
fn imported() -> (Scratch, PathBuf) {
    let s = Scratch::new();
    let input = s.write("in.lp", LP);
    s.ok(&["import", input.to_str().unwrap()]);
    let checkpoint = s.data().join(skulk_engine::CHECKPOINT_FILE_NAME);
    assert!(checkpoint.is_file(), "import left no CHECKPOINT");
    (s, checkpoint)
}

fn verify(s: &Scratch, target: &Path) -> Output {
    s.skulk(&["verify", target.to_str().unwrap()])
        .output()
        .unwrap()
}

/// Asserts that `verify` exited with the corruption code, printed a
/// `CORRUPT` line for the checkpoint and named it (and `what`) on stderr.
fn assert_corrupt_checkpoint(out: &Output, checkpoint: &Path, what: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("CORRUPT"))
        .unwrap_or_else(|| panic!("no CORRUPT line: {stdout}"));
    assert!(line.contains(&checkpoint.display().to_string()), "{line}");
    assert!(stdout.contains(", 1 corrupt"), "{stdout}");
    assert!(
        stderr.contains(&checkpoint.display().to_string()) && stderr.contains(what),
        "{stderr}"
    );
}

#[test]
fn a_good_directory_and_its_checkpoint_verify() {
    let (s, checkpoint) = imported();
    let lsn = skulk_engine::read_checkpoint(&checkpoint).unwrap();
    assert!(lsn > 0, "the import's flush moved the safe LSN");
    let text = s.ok(&["verify"]);
    let expected = format!(
        "OK       {} (checkpoint: safe LSN {lsn})",
        checkpoint.display()
    );
    assert!(text.lines().any(|l| l == expected), "{text}");
    assert!(text.contains(" 0 corrupt"), "{text}");

    let alone = s.ok(&["verify", checkpoint.to_str().unwrap()]);
    assert!(alone.contains(&expected), "{alone}");
    assert!(alone.ends_with("1 ok, 0 corrupt\n"), "{alone}");
}

#[test]
fn a_flipped_byte_in_the_checkpoint_is_corruption() {
    let (s, checkpoint) = imported();
    let mut bytes = std::fs::read(&checkpoint).unwrap();
    bytes[10] ^= 0x01;
    std::fs::write(&checkpoint, &bytes).unwrap();
    for target in [s.data(), checkpoint.clone()] {
        assert_corrupt_checkpoint(&verify(&s, &target), &checkpoint, "CRC32");
    }
    // The TSM files and the WAL are still counted as good.
    let stdout = String::from_utf8_lossy(&verify(&s, &s.data()).stdout).to_string();
    assert!(
        stdout.lines().filter(|l| l.starts_with("OK")).count() >= 2,
        "{stdout}"
    );
}

#[test]
fn a_flipped_magic_is_still_checked_by_name() {
    let (s, checkpoint) = imported();
    let mut bytes = std::fs::read(&checkpoint).unwrap();
    bytes[0] ^= 0x20;
    std::fs::write(&checkpoint, &bytes).unwrap();
    for target in [s.data(), checkpoint.clone()] {
        assert_corrupt_checkpoint(&verify(&s, &target), &checkpoint, "magic");
    }
}

#[test]
fn a_truncated_checkpoint_is_corruption() {
    let (s, checkpoint) = imported();
    let bytes = std::fs::read(&checkpoint).unwrap();
    for len in [0, 3, 12, bytes.len() - 1] {
        std::fs::write(&checkpoint, &bytes[..len]).unwrap();
        for target in [s.data(), checkpoint.clone()] {
            let out = verify(&s, &target);
            assert_corrupt_checkpoint(&out, &checkpoint, &format!("offset {len}"));
        }
    }
}

#[test]
fn an_overlong_checkpoint_is_corruption() {
    let (s, checkpoint) = imported();
    let mut bytes = std::fs::read(&checkpoint).unwrap();
    bytes.extend_from_slice(&[0; 4096]);
    std::fs::write(&checkpoint, &bytes).unwrap();
    assert_corrupt_checkpoint(&verify(&s, &s.data()), &checkpoint, "offset 20");
}

#[test]
fn a_renamed_copy_is_recognized_by_its_magic() {
    let (s, checkpoint) = imported();
    let copy = s.path("saved-checkpoint");
    std::fs::copy(&checkpoint, &copy).unwrap();
    let text = s.ok(&["verify", copy.to_str().unwrap()]);
    assert!(text.contains("checkpoint: safe LSN"), "{text}");
}
