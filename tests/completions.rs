//! `evcat completions` and `evcat man`: generated from the clap definitions,
//! so they must name the commands and flags the binary really has.

mod common;

use common::{s, Cat};

/// The subcommand names `evcat --help` lists (its "Commands:" section), the
/// binary's own word on which commands exist.
fn commands_in_help(c: &Cat) -> Vec<String> {
    let help = c.ok(&["--help"]);
    let section = help.split("Commands:\n").nth(1).expect("a Commands: section in --help");
    let names: Vec<String> = section
        .lines()
        .take_while(|l| !l.is_empty())
        // Names sit at two spaces; wrapped descriptions are indented further.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect();
    assert!(names.len() > 20, "parsed too few commands from --help: {names:?}\n{help}");
    names
}

#[test]
fn every_shell_gets_a_script_naming_the_real_commands_and_flags() {
    let c = Cat::new();
    let commands = commands_in_help(&c);
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = c.ok(&["completions", shell]);
        for name in &commands {
            assert!(script.contains(name.as_str()), "{shell} completions lack the command {name}");
        }
        for flag in ["posted-at", "max-distance", "verify-only", "objects-only", "key-file"] {
            assert!(script.contains(flag), "{shell} completions lack --{flag}");
        }
        // --json wraps the very same script.
        let doc = c.json(&["completions", shell]);
        assert_eq!(doc["shell"], shell);
        assert_eq!(doc["script"].as_str(), Some(script.as_str()), "{shell}: --json script differs from the text");
    }
    let (_, err) = c.fails(&["completions", "nushell"], 2);
    assert!(err.contains("invalid value 'nushell'") && err.contains("powershell"), "{err}");
}

/// Words bash offers for `COMP_WORDS` with the cursor on the last word, from
/// the real generated script loaded into a real bash.
fn bash_completes(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let prev = if cword > 0 { words[cword - 1] } else { "" };
    let program = format!(
        "source '{}' && complete -p evcat >/dev/null && COMP_WORDS=({}) && COMP_CWORD={cword} && \
         _evcat evcat '{}' '{prev}' && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words[cword]
    );
    let out = std::process::Command::new("bash").arg("-c").arg(&program).output().expect("bash is on PATH");
    assert!(out.status.success(), "bash completion failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

#[test]
fn bash_completion_completes_commands_subcommands_and_flags() {
    let c = Cat::new();
    let script = c.write("evcat.bash", c.ok(&["completions", "bash"]).as_bytes());
    assert_eq!(bash_completes(&script, &["evcat", "exp"]), ["export"]);
    let export = bash_completes(&script, &["evcat", "export", ""]);
    for sub in ["bag", "prov", "claimreview", "csv", "report"] {
        assert!(export.iter().any(|w| w == sub), "`evcat export <TAB>` lacks {sub}: {export:?}");
    }
    assert_eq!(bash_completes(&script, &["evcat", "link", "--rel"]), ["--relation"]);
    assert_eq!(bash_completes(&script, &["evcat", "completions", "f"]), ["fish"]);
}

#[test]
fn man_pages_cover_every_command_with_its_flags() {
    let c = Cat::new();
    let top = c.ok(&["man"]);
    assert!(top.starts_with(".ie"), "roff on stdout: {}", &top[..top.len().min(200)]);
    assert!(top.contains(".TH evcat 1"), "{top}");
    assert!(top.contains("Exit codes: 0 ok"), "the long about text is the description");
    assert_eq!(c.json(&["man"])["roff"].as_str(), Some(top.as_str()));

    let dir = c.work("man");
    let r = c.json(&["man", "--out", s(&dir)]);
    let pages: Vec<&str> = r["pages"].as_array().expect("pages").iter().map(|p| p.as_str().expect("path")).collect();
    assert_eq!(std::fs::read_to_string(dir.join("evcat.1")).expect("evcat.1 written"), top);
    for name in commands_in_help(&c) {
        let page = dir.join(format!("evcat-{name}.1"));
        assert!(pages.contains(&s(&page)), "{} not reported in {pages:?}", page.display());
        let roff = std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        assert!(roff.contains(&format!(".TH evcat-{name} 1")), "{name}: {roff}");
        // Roff escapes hyphens; the parent page refers to each child page.
        assert!(top.contains(&format!("evcat\\-{}(1)", name.replace('-', "\\-"))), "evcat.1 lacks {name}");
    }
    let edit = std::fs::read_to_string(dir.join("evcat-evidence-edit.1")).expect("nested subcommand page");
    assert!(edit.contains("\\fB\\-\\-clear\\fR"), "{edit}");
    assert!(edit.contains("\\fBEVCAT_ACTOR\\fR environment variable"), "global flags with their env: {edit}");
    assert!(!dir.join("evcat-help.1").exists(), "no page for clap's help subcommand");
    // Writing again replaces the pages (text mode says where they went).
    let text = c.ok(&["man", "--out", s(&dir)]);
    assert_eq!(
        text,
        format!("wrote {} man pages to {}; read them with: man -l {}/evcat.1\n", pages.len(), s(&dir), s(&dir))
    );
}
