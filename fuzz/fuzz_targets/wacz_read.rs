#![no_main]
//! WACZ reading (ZIP, datapackage.json, pages.jsonl, WARC records, HTTP heads,
//! chunked bodies) on arbitrary bytes, extracting into a scratch store: no
//! panic, no hang, no unbounded allocation. Seed: a WACZ made by warcio and
//! py-wacz (fuzz/seeds/wacz_read/).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("capture.wacz");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let Ok(store) = evcat::store::Store::open(dir.path().join("objects")) else { return };
    let _ = evcat::acquire::wacz::read(&path, &path, Some(&store));
});
