#![no_main]
//! The OpenTimestamps parser never panics, loops or allocates without bound
//! on hostile `.ots` bytes, and what it accepts reports a status.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(proof) = evcat::timestamp::ots::parse(data) {
        let _ = proof.status();
        assert!(proof.attestations.len() <= 1024);
    }
});
