//! `evcat probe`, and the text rendering of facts with their sources,
//! disagreements and Content Credentials that `show` shares.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use evcat::ingest::AddItem;
use evcat::media::c2pa::C2pa;
use evcat::media::{disagreements, Fact};
use evcat::{Catalog, Result};

use super::Ctx;

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Files and folders to inspect (folders are walked like `add` does).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Skip the SHA-256 (reads only headers: fast over large videos).
    #[arg(long)]
    pub no_hash: bool,
    /// Follow symbolic links inside folders (loops are detected and reported).
    #[arg(long)]
    pub follow_links: bool,
}

pub fn probe(ctx: &Ctx, a: ProbeArgs) -> Result<u8> {
    use rayon::prelude::*;
    let (files, skipped) = evcat::ingest::walk(&a.paths, a.follow_links);
    // Files in parallel, results in walk order.
    let results: Vec<_> = files
        .par_iter()
        .map(|p| {
            if a.no_hash {
                Catalog::probe_facts(p).map(|(size, facts)| (None, size, facts))
            } else {
                Catalog::probe(p).map(|(sha, size, facts)| (Some(sha), size, facts))
            }
        })
        .collect();
    let mut docs = Vec::new();
    let mut captures = std::collections::HashMap::new();
    let mut failed = 0;
    for (p, r) in files.iter().zip(results) {
        match r {
            Ok((sha, size, mut facts)) => {
                let d = disagreements(&facts.facts);
                // A WACZ's package, pages and archived media, as `add` would
                // record them (reading them hashes every member: not with --no-hash).
                let name = p.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
                let capture = if !a.no_hash && evcat::acquire::wacz::is_wacz(&name, &facts.media_type) {
                    match evcat::acquire::wacz::read(p, p, None) {
                        Ok(c) => {
                            facts.media_type = "application/wacz".into();
                            Some(c)
                        }
                        Err(e) => {
                            facts.warnings.push(format!("not read as a WACZ: {e}"));
                            None
                        }
                    }
                } else {
                    None
                };
                let mut doc = json!({ "path": p, "sha256": sha, "size": size, "facts": facts, "disagreements": d });
                if let Some(c) = capture {
                    doc["capture"] = json!(c);
                    captures.insert(docs.len(), c);
                }
                docs.push(doc)
            }
            Err(e) => {
                failed += 1;
                if !ctx.out.json {
                    eprintln!("evcat: {e}");
                }
                docs.push(json!({ "path": p, "error": e.to_string() }));
            }
        }
    }
    for item in &skipped {
        match item {
            AddItem::Failed { path, error } => {
                failed += 1;
                if !ctx.out.json {
                    eprintln!("evcat: {path}: {error}");
                }
                docs.push(json!({ "path": path, "error": error }));
            }
            AddItem::Skipped { path, reason } => {
                if !ctx.out.json && !ctx.out.quiet {
                    eprintln!("evcat: {path}: {reason}");
                }
                docs.push(json!({ "path": path, "skipped": reason }));
            }
            _ => {}
        }
    }
    ctx.out.emit(&docs, || {
        let mut s = String::new();
        for (i, d) in docs.iter().enumerate().filter(|(_, d)| d.get("facts").is_some()) {
            s.push_str(&format!("{}\n", d["path"].as_str().unwrap_or_default()));
            s.push_str(&format!(
                "  sha256  {}\n  size    {}\n",
                d["sha256"].as_str().unwrap_or("(not computed: --no-hash)"),
                d["size"]
            ));
            let Some(facts) = d["facts"].as_object() else { continue };
            for (k, v) in facts {
                if matches!(k.as_str(), "facts" | "c2pa" | "warnings")
                    || v.is_null()
                    || v == &json!([])
                    || v == &json!(false)
                {
                    continue;
                }
                let v = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
                s.push_str(&format!("  {k:<13} {v}\n"));
            }
            let list: Vec<Fact> = serde_json::from_value(facts["facts"].clone()).unwrap_or_default();
            let c2pa: Option<C2pa> = serde_json::from_value(facts["c2pa"].clone()).unwrap_or_default();
            s.push_str(&indent(&facts_text(&list, c2pa.as_ref())));
            if let Some(c) = captures.get(&i) {
                s.push_str(&super::add::render_capture(c));
            }
            for w in facts["warnings"].as_array().into_iter().flatten() {
                s.push_str(&format!("  warning: {}\n", w.as_str().unwrap_or_default()));
            }
            if let Some(c) = captures.get(&i) {
                c.package.problems.iter().for_each(|p| s.push_str(&format!("  warning: WACZ package: {p}\n")));
                c.warnings.iter().for_each(|w| s.push_str(&format!("  warning: {w}\n")));
            }
        }
        s
    })?;
    let total = files.len() + skipped.len();
    Ok(if failed == 0 {
        0
    } else if failed == total {
        2
    } else {
        4
    })
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("  {l}\n")).collect()
}

/// Every fact with its source, the fields whose sources disagree, and the
/// Content Credentials.
pub fn facts_text(facts: &[Fact], c2pa: Option<&C2pa>) -> String {
    let mut s = String::new();
    if !facts.is_empty() {
        s.push_str(&format!("Facts from the file ({})\n", facts.len()));
        for f in facts {
            s.push_str(&format!("  {:<13} {:<32} {}\n", f.field, f.value, f.source));
        }
    }
    for d in disagreements(facts) {
        let parts: Vec<String> = d.values.iter().map(|(v, srcs)| format!("{v} ({})", srcs.join(", "))).collect();
        s.push_str(&format!("DISAGREEMENT {}: {} (a sign of editing)\n", d.field, parts.join(" vs ")));
    }
    if let Some(c) = c2pa {
        s.push_str(&c2pa_text(c));
    }
    s
}

/// Content Credentials, as `show` and `probe` print them.
pub fn c2pa_text(c: &C2pa) -> String {
    let mut s = format!("Content Credentials (C2PA): {}", c.status);
    if !c.codes.is_empty() {
        s.push_str(&format!(" ({})", c.codes.join(", ")));
    }
    s.push('\n');
    let mut line = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            s.push_str(&format!("  {k:<16} {v}\n"));
        }
    };
    line("signer", c.signer.clone());
    line("signed at", c.signed_at.clone());
    line("claim generator", c.claim_generator.clone());
    line("title", c.title.clone());
    line("actions", Some(c.actions.join("; ")));
    line("ingredients", Some(c.ingredients.join("; ")));
    line("AI-generated", Some(c.ai_generated.join("; ")));
    s
}
