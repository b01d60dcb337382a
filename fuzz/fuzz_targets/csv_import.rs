#![no_main]
//! CSV import on arbitrary bytes: an error or a complete import, never a
//! panic, and a failed import leaves the catalog's log head unchanged.
use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;

struct Fixture {
    _dir: tempfile::TempDir,
    cat: evcat::Catalog,
    input: std::path::PathBuf,
}

static FIXTURE: OnceLock<Mutex<Fixture>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let fixture = FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let cat = evcat::Catalog::init(&dir.path().join("cat"), "fuzz", None).expect("init catalog");
        let input = dir.path().join("sheet.csv");
        Mutex::new(Fixture { _dir: dir, cat, input })
    });
    let mut f = fixture.lock().expect("fixture lock");
    if std::fs::write(&f.input, data).is_err() {
        return;
    }
    let before = evcat::catalog::log::head(&f.cat).expect("head");
    let input = f.input.clone();
    if f.cat.import_csv(&input).is_err() {
        assert_eq!(evcat::catalog::log::head(&f.cat).expect("head"), before, "a failed import changed the log");
    }
});
