//! Print the PDQ hash and quality of image files, in the reference tools'
//! `hash,quality,path` form, to compare with other PDQ implementations:
//!
//! ```sh
//! cargo run --release --example pdq_hash -- photo1.jpg photo2.png
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut code = ExitCode::SUCCESS;
    for arg in std::env::args_os().skip(1) {
        let path = std::path::PathBuf::from(arg);
        match evcat::fingerprint::fingerprint_image_file(&path) {
            Ok(f) => println!("{},{},{}", hex::encode(f.hash), f.quality, path.display()),
            Err(e) => {
                eprintln!("pdq_hash: {e}");
                code = ExitCode::FAILURE;
            }
        }
    }
    code
}
