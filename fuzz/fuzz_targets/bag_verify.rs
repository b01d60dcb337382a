#![no_main]
//! Bag verification on arbitrary tag files and metadata: no panic, no hang,
//! and nothing outside the bag is ever read (paths come from the manifests).
use libfuzzer_sys::fuzz_target;

const PARTS: [&str; 5] =
    ["bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt", "data/metadata.json"];

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let _ = std::fs::create_dir_all(dir.path().join("data/custody"));
    // 0xFF never occurs in UTF-8 text: it separates the files.
    for (name, bytes) in PARTS.iter().zip(data.split(|&b| b == 0xff)) {
        let _ = std::fs::write(dir.path().join(name), bytes);
    }
    let _ = evcat::export::bag::verify_bag(dir.path());
});
