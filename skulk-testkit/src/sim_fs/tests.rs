use std::path::Path;

use super::*;

fn p(s: &str) -> &Path {
    Path::new(s)
}

fn write(fs: &SimFs, path: &str, bytes: &[u8], sync: bool) {
    let mut f = fs.create(p(path)).unwrap();
    f.append(bytes).unwrap();
    if sync {
        f.sync(false).unwrap();
    }
}

#[test]
fn names_survive_only_after_a_directory_sync() {
    let fs = SimFs::new();
    fs.create_dir(p("d")).unwrap();
    write(&fs, "d/a", b"a", true);
    fs.sync_dir(p("")).unwrap();
    fs.power_cycle(PowerLoss::KeepWritten);
    // `d` was synced into the root, but `a` never into `d`.
    assert!(fs.list(p("d")).unwrap().is_empty());
    write(&fs, "d/a", b"a", true);
    fs.sync_dir(p("d")).unwrap();
    fs.rename(p("d/a"), p("d/b")).unwrap();
    fs.power_cycle(PowerLoss::KeepWritten);
    assert_eq!(fs.read(p("d/a")).unwrap(), b"a");
    assert!(fs.read(p("d/b")).is_err());
}

#[test]
fn a_folder_whose_name_was_never_synced_is_lost_with_its_files() {
    let fs = SimFs::new();
    fs.create_dir(p("d")).unwrap();
    write(&fs, "d/a", b"a", true);
    fs.sync_dir(p("d")).unwrap();
    fs.power_cycle(PowerLoss::KeepWritten);
    assert!(fs.list(p("")).unwrap().is_empty());
}

#[test]
fn unsynced_bytes_are_dropped_kept_or_torn() {
    let fs = SimFs::new();
    write(&fs, "a", &[1; 1024], true);
    fs.sync_dir(p("")).unwrap();
    let mut f = fs.open_append(p("a")).unwrap();
    f.append(&[2; 2048]).unwrap();
    drop(f);
    let kept = fs.fork();
    kept.power_cycle(PowerLoss::KeepWritten);
    assert_eq!(kept.read(p("a")).unwrap().len(), 3072);
    let mut lengths = std::collections::BTreeSet::new();
    for seed in 0..50 {
        let torn = fs.fork();
        torn.power_cycle(PowerLoss::Torn { seed, sector: 512 });
        let bytes = torn.read(p("a")).unwrap();
        assert_eq!(&bytes[..1024], &[1; 1024]);
        assert!(bytes[1024..].iter().all(|&b| b == 0 || b == 2));
        lengths.insert(bytes.len());
    }
    assert!(lengths.len() > 2, "{lengths:?}");
    fs.power_cycle(PowerLoss::DropUnsynced);
    assert_eq!(fs.read(p("a")).unwrap(), [1; 1024]);
}

#[test]
fn faults_fail_the_chosen_operation_once_or_from_then_on() {
    let fs = SimFs::new();
    fs.arm(Fault::once(
        OpSet::Only(Op::Sync),
        1,
        FaultError::Os(ENOSPC),
    ));
    let mut f = fs.create(p("a")).unwrap();
    f.sync(false).unwrap();
    let err = f.sync(false).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::StorageFull);
    f.sync(false).unwrap();
    fs.arm(Fault::from(OpSet::Only(Op::Write), 0, FaultError::Os(EIO)));
    assert_eq!(f.append(b"x").unwrap_err().raw_os_error(), Some(EIO));
    assert!(f.append(b"x").is_err());
    fs.clear_faults();
    f.append(b"x").unwrap();
}

#[test]
fn a_power_cut_stops_the_machine_until_it_cycles() {
    let fs = SimFs::new();
    fs.cut_power_at(OpSet::Syncs, 1);
    let mut f = fs.create(p("a")).unwrap();
    f.append(b"one").unwrap();
    f.sync(false).unwrap();
    fs.sync_dir(p("")).unwrap_err();
    assert!(fs.is_down());
    assert!(fs.read(p("a")).is_err());
    fs.power_cycle(PowerLoss::KeepWritten);
    // The directory sync never happened: the name is gone.
    assert!(fs.read(p("a")).is_err());
    assert!(f.append(b"stale").is_err());
    assert_eq!(fs.count(OpSet::Syncs), 2);
}

#[test]
fn fuse_mode_hides_removed_open_files_until_they_close() {
    let fs = SimFs::new();
    fs.set_fuse_mode(true);
    fs.create_dir(p("d")).unwrap();
    write(&fs, "d/a", b"abc", true);
    let map = fs.map(p("d/a")).unwrap();
    fs.remove_file(p("d/a")).unwrap();
    let err = fs.remove_dir(p("d")).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::DirectoryNotEmpty);
    assert_eq!(map.bytes(), b"abc");
    drop(map);
    fs.remove_dir(p("d")).unwrap();
}

#[test]
fn locks_are_exclusive_until_dropped() {
    let fs = SimFs::new();
    let held = fs.lock(p("LOCK")).unwrap();
    assert_eq!(
        fs.lock(p("LOCK")).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    drop(held);
    drop(fs.lock(p("LOCK")).unwrap());
}

#[test]
fn put_tamper_and_delete_act_on_the_durable_disk() {
    let fs = SimFs::new();
    fs.put("x/y/z", b"abc");
    assert!(fs.tamper("x/y/z", |b| b[0] = b'A'));
    fs.power_cycle(PowerLoss::DropUnsynced);
    assert_eq!(fs.read(p("x/y/z")).unwrap(), b"Abc");
    assert_eq!(fs.files().len(), 1);
    assert!(fs.delete("x/y/z"));
    fs.power_cycle(PowerLoss::KeepWritten);
    assert!(fs.files().is_empty());
}
