//! `evcat completions` and `evcat man`: shell completion scripts and man pages
//! generated from the clap definitions in this module's parent, so `--help`,
//! the completions and the man pages all come from the same doc comments.

use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory};
use clap_complete::Shell;
use serde_json::json;

use evcat::{Error, Result};

use super::{Cli, Ctx};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write evcat.1 and one page per subcommand (evcat-add.1, evcat-evidence-add.1, ...)
    /// into DIR, created if missing; pages already there are replaced.
    /// Without it, evcat.1 is printed on stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// The program name the completion scripts complete; it must be the binary's.
const BIN: &str = "evcat";

pub fn completions(ctx: &Ctx, a: CompletionsArgs) -> Result<u8> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, BIN, &mut script);
    // The generators only write the UTF-8 text of our own definitions.
    let script = String::from_utf8_lossy(&script).into_owned();
    ctx.out.emit(&json!({ "shell": a.shell.to_string(), "script": script }), || script.clone())?;
    Ok(0)
}

/// One rendered page: its file name (`evcat-evidence-add.1`) and roff text.
struct Page {
    name: String,
    roff: String,
}

fn render_page(cmd: &clap::Command) -> Result<Page> {
    // Every page names the program and version, not the subcommand's own name
    // (clap_mangen's default, which gives `add ` for a subcommand without a version).
    let man = clap_mangen::Man::new(cmd.clone()).source(format!("{BIN} {}", env!("CARGO_PKG_VERSION")));
    let name = man.get_filename();
    let mut roff = Vec::new();
    man.render(&mut roff).map_err(|e| Error::io("render man page", &name, e))?;
    Ok(Page { name, roff: String::from_utf8_lossy(&roff).into_owned() })
}

/// The page of `cmd` followed by those of its visible subcommands, depth first.
fn render_tree(cmd: &clap::Command, pages: &mut Vec<Page>) -> Result<()> {
    pages.push(render_page(cmd)?);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        render_tree(sub, pages)?;
    }
    Ok(())
}

/// The definitions, built: building gives subcommands their full display names
/// (`evcat-evidence-add`), which name their pages and the SEE ALSO-style
/// references in the parent page.
fn built_command() -> clap::Command {
    // `help` is clap's own subcommand; a page for it would describe nothing of evcat's.
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

fn write_pages(dir: &Path, pages: &[Page]) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    pages
        .iter()
        .map(|p| {
            let path = dir.join(&p.name);
            std::fs::write(&path, &p.roff).map_err(|e| Error::io("write man page", &path, e))?;
            Ok(path)
        })
        .collect()
}

pub fn man(ctx: &Ctx, a: ManArgs) -> Result<u8> {
    let cmd = built_command();
    match a.out {
        Some(dir) => {
            let mut pages = Vec::new();
            render_tree(&cmd, &mut pages)?;
            let written = write_pages(&dir, &pages)?;
            ctx.out.emit(&json!({ "dir": dir, "pages": written }), || {
                format!(
                    "wrote {} man pages to {}; read them with: man -l {}\n",
                    written.len(),
                    dir.display(),
                    dir.join("evcat.1").display()
                )
            })?;
        }
        None => {
            let top = render_page(&cmd)?;
            ctx.out.emit(&json!({ "page": top.name, "roff": top.roff }), || top.roff.clone())?;
        }
    }
    Ok(0)
}
