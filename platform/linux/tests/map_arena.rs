//! Small maps go through the map arena, which unmaps them in batches. In a
//! test binary of its own: what is mapped is read from /proc/self/maps,
//! which other tests' maps would disturb.

use std::path::{Path, PathBuf};

use popstore_platform::Vfs;
use popstore_platform_linux::HostVfs;

/// How many of `files` the process has mapped now.
fn mapped(files: &[PathBuf]) -> usize {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    files
        .iter()
        .filter(|f| maps.contains(f.to_str().unwrap()))
        .count()
}

fn write_messages(dir: &Path, n: usize, size: usize) -> Vec<(PathBuf, Vec<u8>)> {
    (0..n)
        .map(|i| {
            let path = dir.join(format!("m{i:05}.msg"));
            let body: Vec<u8> = format!("message {i}\r\n")
                .bytes()
                .cycle()
                .take(size)
                .collect();
            std::fs::write(&path, &body).unwrap();
            (path, body)
        })
        .collect()
}

#[test]
fn small_maps_read_their_files_and_are_all_unmapped_once_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_messages(dir.path(), 3000, 10 * 1024);
    let paths: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();

    // One session's pattern: the next message is mapped before the last
    // one is dropped, over enough messages to fill many chunks.
    let mut previous = None;
    for (path, body) in &files {
        let m = HostVfs.map_whole(path).unwrap();
        assert_eq!(&m[..], &body[..], "{}", path.display());
        previous = Some(m);
    }
    drop(previous);
    assert_eq!(
        mapped(&paths),
        0,
        "nothing stays mapped once the last map is dropped"
    );

    // A map kept while thousands of others come and go stays intact and
    // holds back only its own chunk's worth of stale maps.
    let kept = HostVfs.map_whole(&files[0].0).unwrap();
    for (path, body) in &files[1..] {
        let m = HostVfs.map_whole(path).unwrap();
        assert_eq!(&m[..], &body[..]);
    }
    assert_eq!(&kept[..], &files[0].1[..]);
    let stale = mapped(&paths);
    assert!(
        (1..=256).contains(&stale),
        "{stale} files still mapped while one map is kept"
    );
    drop(kept);
    assert_eq!(mapped(&paths), 0);

    // A file removed while mapped still reads the same through its map.
    let m = HostVfs.map_whole(&files[7].0).unwrap();
    std::fs::remove_file(&files[7].0).unwrap();
    assert_eq!(&m[..], &files[7].1[..]);
}

#[test]
fn big_files_are_mapped_whole() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_messages(dir.path(), 2, 5 << 20);
    for (path, body) in &files {
        let m = HostVfs.map_whole(path).unwrap();
        assert_eq!(m.len(), body.len());
        assert_eq!(&m[..], &body[..]);
    }
}
