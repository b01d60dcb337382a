//! Rendering: one JSON document on stdout with `--json`, readable text otherwise.

use std::io::{IsTerminal, Write};

use serde::Serialize;

use evcat::{Error, Result};

#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub json: bool,
    pub quiet: bool,
    pub verbose: bool,
}

impl Out {
    pub fn new(json: bool, quiet: bool, verbose: bool) -> Self {
        Out { json, quiet, verbose }
    }

    /// Emit `value` as JSON, or the text `human` builds.
    pub fn emit<T: Serialize + ?Sized>(&self, value: &T, human: impl FnOnce() -> String) -> Result<()> {
        let text = if self.json {
            let mut s = serde_json::to_string_pretty(value)
                .map_err(|e| Error::Json { context: "command output".into(), source: e })?;
            s.push('\n');
            s
        } else {
            human()
        };
        let mut stdout = std::io::stdout().lock();
        // A closed pipe (`evcat list | head`) is not an error worth reporting.
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
        Ok(())
    }

    /// Whether a progress bar should be drawn.
    pub fn progress_enabled(&self) -> bool {
        !self.quiet && std::io::stderr().is_terminal()
    }
}

/// `1.2 MB`-style sizes for people.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// A two-column table of `label: value` lines, skipping empty values.
pub fn fields(rows: &[(&str, Option<String>)]) -> String {
    let width = rows.iter().filter(|(_, v)| v.is_some()).map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut s = String::new();
    for (k, v) in rows {
        if let Some(v) = v {
            s.push_str(&format!("  {k:<width$}  {v}\n"));
        }
    }
    s
}
