//! `verify` on the engine's `MANIFEST` (and a layout-1 `CHECKPOINT`), in a
//! data directory and alone.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{LP, Scratch, copy_dir, layout1_vector};

/// A data directory written by `import` (which flushes, so it holds TSM
/// files, a WAL and a `MANIFEST`), and the path of its manifest.
fn imported() -> (Scratch, PathBuf) {
    let s = Scratch::new();
    let input = s.write("in.lp", LP);
    s.ok(&["import", input.to_str().unwrap()]);
    let manifest = s.data().join(skulk_engine::MANIFEST_FILE_NAME);
    assert!(manifest.is_file(), "import left no MANIFEST");
    (s, manifest)
}

fn verify(s: &Scratch, target: &Path) -> Output {
    s.skulk(&["verify", target.to_str().unwrap()])
        .output()
        .unwrap()
}

/// Asserts that `verify` exited with the needs-attention code, printed a
/// `CORRUPT` line for `file` and named it (and `what`) on stderr.
fn assert_corrupt(out: &Output, file: &Path, what: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("CORRUPT"))
        .unwrap_or_else(|| panic!("no CORRUPT line: {stdout}"));
    assert!(line.contains(&file.display().to_string()), "{line}");
    assert!(stdout.contains(", 1 corrupt"), "{stdout}");
    assert!(
        stderr.contains(&file.display().to_string()) && stderr.contains(what),
        "{stderr}"
    );
}

#[test]
fn a_good_directory_and_its_manifest_verify() {
    let (s, path) = imported();
    let manifest = crate::support::manifest(&s);
    assert!(
        manifest.safe_lsn > 0,
        "the import's flush moved the safe LSN"
    );
    let text = s.ok(&["verify"]);
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("OK       {}", path.display())))
        .unwrap_or_else(|| panic!("no OK line for the manifest: {text}"));
    assert!(
        line.contains(&format!("safe LSN {}", manifest.safe_lsn)),
        "{line}"
    );
    for file in s.tsm_files() {
        let ok = format!("OK       {}", file.display());
        assert!(text.lines().any(|l| l.starts_with(&ok)), "{text}");
    }
    assert!(text.contains(" 0 corrupt"), "{text}");
    assert!(!text.contains("next:"), "{text}");

    let alone = s.ok(&["verify", path.to_str().unwrap()]);
    let expected = format!(
        "OK       {} (manifest: sequence {}, partitions of 1day, {} file(s), {} WAL segment(s), safe LSN {})",
        path.display(),
        manifest.sequence,
        manifest.files.len(),
        manifest.wal_segments.len(),
        manifest.safe_lsn
    );
    assert!(alone.contains(&expected), "{alone}");
    assert!(alone.ends_with("1 ok, 0 corrupt\n"), "{alone}");
}

#[test]
fn a_flipped_byte_in_the_manifest_is_corruption() {
    let (s, manifest) = imported();
    let mut bytes = std::fs::read(&manifest).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&manifest, &bytes).unwrap();
    for target in [s.data(), manifest.clone()] {
        assert_corrupt(&verify(&s, &target), &manifest, "CRC32");
    }
    // The TSM files and the WAL are still checked, and good.
    let stdout = String::from_utf8_lossy(&verify(&s, &s.data()).stdout).to_string();
    assert!(
        stdout.lines().filter(|l| l.starts_with("OK")).count() >= 2,
        "{stdout}"
    );
    assert!(stdout.contains("next: the MANIFEST is damaged"), "{stdout}");
}

#[test]
fn a_flipped_magic_is_still_checked_by_name() {
    let (s, manifest) = imported();
    let mut bytes = std::fs::read(&manifest).unwrap();
    bytes[0] ^= 0x20;
    std::fs::write(&manifest, &bytes).unwrap();
    for target in [s.data(), manifest.clone()] {
        assert_corrupt(&verify(&s, &target), &manifest, "magic");
    }
}

#[test]
fn a_truncated_manifest_is_corruption() {
    let (s, manifest) = imported();
    let bytes = std::fs::read(&manifest).unwrap();
    for len in [0, 3, 12, 22, bytes.len() - 1] {
        std::fs::write(&manifest, &bytes[..len]).unwrap();
        for target in [s.data(), manifest.clone()] {
            let out = verify(&s, &target);
            assert_corrupt(&out, &manifest, &format!("offset {len}"));
        }
    }
}

#[test]
fn an_overlong_manifest_is_corruption() {
    let (s, manifest) = imported();
    let mut bytes = std::fs::read(&manifest).unwrap();
    let len = bytes.len();
    bytes.extend_from_slice(&[0; 4096]);
    std::fs::write(&manifest, &bytes).unwrap();
    let out = verify(&s, &s.data());
    assert_corrupt(&out, &manifest, &format!("offset {}", len + 4096));
}

#[test]
fn a_renamed_copy_is_recognized_by_its_magic() {
    let (s, manifest) = imported();
    let copy = s.path("saved-manifest");
    std::fs::copy(&manifest, &copy).unwrap();
    let text = s.ok(&["verify", copy.to_str().unwrap()]);
    assert!(text.contains("manifest: sequence"), "{text}");
}

/// A copy of the layout-1 golden directory, and its `CHECKPOINT`.
fn layout1() -> (Scratch, PathBuf) {
    let s = Scratch::new();
    copy_dir(&layout1_vector(), &s.data());
    let checkpoint = s.data().join(skulk_engine::CHECKPOINT_FILE_NAME);
    (s, checkpoint)
}

#[test]
fn a_layout1_directory_and_its_checkpoint_verify() {
    let (s, checkpoint) = layout1();
    let lsn = skulk_engine::read_checkpoint(&checkpoint).unwrap();
    let text = s.ok(&["verify"]);
    let expected = format!("OK       {} (safe LSN {lsn})", checkpoint.display());
    assert!(text.lines().any(|l| l == expected), "{text}");
    let tsm = s.tsm_files();
    assert_eq!(tsm.len(), 3, "{tsm:?}");
    for file in &tsm {
        assert!(file.starts_with(s.data().join("partitions")));
        let ok = format!("OK       {}", file.display());
        assert!(text.lines().any(|l| l.starts_with(&ok)), "{text}");
    }
    assert!(text.contains("layout 1 (no MANIFEST)"), "{text}");

    let alone = s.ok(&["verify", checkpoint.to_str().unwrap()]);
    let expected = format!(
        "OK       {} (checkpoint: safe LSN {lsn})",
        checkpoint.display()
    );
    assert!(alone.contains(&expected), "{alone}");
    assert!(alone.ends_with("1 ok, 0 corrupt\n"), "{alone}");
    // Verifying wrote nothing: the directory is still of layout 1.
    assert!(!s.data().join(skulk_engine::MANIFEST_FILE_NAME).exists());
}

#[test]
fn a_flipped_byte_in_a_layout1_checkpoint_is_corruption() {
    let (s, checkpoint) = layout1();
    let mut bytes = std::fs::read(&checkpoint).unwrap();
    bytes[10] ^= 0x01;
    std::fs::write(&checkpoint, &bytes).unwrap();
    for target in [s.data(), checkpoint.clone()] {
        assert_corrupt(&verify(&s, &target), &checkpoint, "CRC32");
    }
    let copy = s.path("saved-checkpoint");
    std::fs::copy(layout1_vector().join("CHECKPOINT"), &copy).unwrap();
    let text = s.ok(&["verify", copy.to_str().unwrap()]);
    assert!(text.contains("checkpoint: safe LSN"), "{text}");
}
