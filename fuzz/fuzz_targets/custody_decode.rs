#![no_main]
//! The custody decoder accepts only canonical encodings: whatever it accepts
//! re-encodes to exactly the same bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = evcat::custody::decode(data) {
        let again = evcat::custody::encode(&event).expect("a decoded event encodes");
        assert_eq!(again, data, "decode accepted a non-canonical encoding");
    }
});
