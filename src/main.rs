//! The `evcat` binary: parse arguments, run, map errors to documented exit codes.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = evcat_cli::Cli::parse();
    let json = cli.json;
    match evcat_cli::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let code = e.exit_code();
            if json {
                let doc = serde_json::json!({ "error": { "message": e.to_string(), "exit_code": code } });
                println!("{doc}");
            }
            eprintln!("evcat: error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                let text = s.to_string();
                if !e.to_string().contains(&text) {
                    eprintln!("  caused by: {text}");
                }
                source = s.source();
            }
            ExitCode::from(code as u8)
        }
    }
}

#[path = "cli/mod.rs"]
mod evcat_cli;
