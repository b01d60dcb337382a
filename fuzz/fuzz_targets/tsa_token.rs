#![no_main]
//! RFC 3161 token verification on arbitrary bytes (DER, CMS, X.509 parsing
//! and the signature paths): never panics, never hangs.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = evcat::timestamp::verify_token(data, &[0u8; 32], None);
});
