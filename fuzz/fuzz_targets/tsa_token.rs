#![no_main]
//! RFC 3161 token verification on arbitrary bytes (DER, CMS, X.509 parsing
//! and the signature paths): never panics, never hangs. Run a second time
//! against the roots that signed the seeds (`fuzz/seeds/tsa_token/roots.pem`)
//! so that inputs mutated from a real token also reach chain building and the
//! validity checks, which only run with a trust store.
use std::sync::OnceLock;

use evcat::timestamp::TsaTrust;
use libfuzzer_sys::fuzz_target;

fn roots() -> &'static TsaTrust {
    static ROOTS: OnceLock<TsaTrust> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/tsa_token/roots.pem");
        TsaTrust::load(std::path::Path::new(path)).expect("fuzz/seeds/tsa_token/roots.pem")
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = evcat::timestamp::verify_token(data, &[0u8; 32], None);
    let _ = evcat::timestamp::verify_token(data, &[0u8; 32], Some(roots()));
});
