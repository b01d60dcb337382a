#![no_main]
//! Media probing must never panic, hang or allocate what a header claims.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = evcat::media::probe_reader(std::io::Cursor::new(data));
});
