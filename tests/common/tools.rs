//! Fixtures written by the archivists' own tools (yt-dlp, gallery-dl,
//! Instaloader, warcio + wacz, bagit.py, hashdeep), on local files only. The Python tools
//! live in the interop venv made by `.ci/install-test-deps`; a missing tool
//! fails the test that needs it with the command to run, never skips it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The interop venv's python (`$EVCAT_TEST_VENV` or `target/interop-venv`).
pub fn venv_python() -> PathBuf {
    let venv = std::env::var_os("EVCAT_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/interop-venv"));
    let py = venv.join("bin/python");
    assert!(
        py.exists(),
        "{} is missing: the acquisition tests need a Python venv with yt-dlp, gallery-dl, instaloader, warcio, wacz and bagit; run `bash .ci/install-test-deps`",
        py.display()
    );
    py
}

fn checked(what: &str, out: Output) -> Output {
    assert!(
        out.status.success(),
        "{what} failed ({:?}); run `bash .ci/install-test-deps`\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn fixture_script(args: &[&str]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/acquire_fixtures.py");
    let out = Command::new(venv_python()).arg(script).args(args).output().expect("run the venv's python");
    checked(&format!("acquire_fixtures.py {args:?}"), out);
}

/// yt-dlp "downloads" `src` into `outdir` as TikTok post `id` and writes its
/// `.info.json`; `overrides` are `key=JSON` changes to the loaded info dict.
/// Returns (media file, info.json), named `clip [ID].EXT` like yt-dlp's
/// `%(title)s [%(id)s]` template.
pub fn ytdlp(src: &Path, outdir: &Path, id: &str, overrides: &[&str]) -> (PathBuf, PathBuf) {
    let mut args = vec!["ytdlp", super::s(src), super::s(outdir), id];
    args.extend_from_slice(overrides);
    fixture_script(&args);
    let ext = src.extension().and_then(|e| e.to_str()).unwrap_or("mp4");
    let media = outdir.join(format!("clip [{id}].{ext}"));
    let info = outdir.join(format!("clip [{id}].info.json"));
    assert!(media.is_file() && info.is_file(), "yt-dlp wrote no {} / {}", media.display(), info.display());
    (media, info)
}

/// yt-dlp "downloads" the Matroska file `src` as in [`ytdlp`], with
/// `--embed-info-json` instead of `--write-info-json`: its FFmpegMetadataPP
/// has ffmpeg attach the info.json to the file and removes the loose one.
/// Returns the media file, `clip [ID].mkv`.
pub fn ytdlp_embedded(src: &Path, outdir: &Path, id: &str, overrides: &[&str]) -> PathBuf {
    let mut args = vec!["ytdlp-embed", super::s(src), super::s(outdir), id];
    args.extend_from_slice(overrides);
    fixture_script(&args);
    let ext = src.extension().and_then(|e| e.to_str()).unwrap_or("mkv");
    let media = outdir.join(format!("clip [{id}].{ext}"));
    assert!(media.is_file(), "yt-dlp wrote no {}", media.display());
    let info = outdir.join(format!("clip [{id}].info.json"));
    assert!(!info.exists(), "yt-dlp left {} beside the file: the fixture would test the sidecar", info.display());
    media
}

/// The attachments ffmpeg finds in a Matroska file (ffprobe, an independent
/// reader): (filename, mimetype) per attachment stream.
pub fn ffprobe_attachments(path: &Path) -> Vec<(String, String)> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "t", "-show_entries", "stream_tags=filename,mimetype", "-of", "json"])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("ffprobe is not installed ({e}); run `bash .ci/install-test-deps`"));
    let out = checked("ffprobe", out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("ffprobe -of json");
    let tag = |s: &serde_json::Value, k: &str| s["tags"][k].as_str().unwrap_or_default().to_string();
    v["streams"]
        .as_array()
        .map(|a| a.iter().map(|s| (tag(s, "filename"), tag(s, "mimetype"))).collect())
        .unwrap_or_default()
}

/// The bytes of attachment stream `index` of a Matroska file, dumped by
/// ffmpeg (`-dump_attachment`), the reader yt-dlp itself relies on.
pub fn ffmpeg_dump_attachment(path: &Path, index: usize, out: &Path) -> Vec<u8> {
    // ffmpeg dumps while opening the input; with no output it then exits 1.
    let _ = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .arg(format!("-dump_attachment:t:{index}"))
        .arg(out)
        .arg("-i")
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("ffmpeg is not installed ({e}); run `bash .ci/install-test-deps`"));
    std::fs::read(out).unwrap_or_else(|e| panic!("ffmpeg dumped no attachment {index} of {}: {e}", path.display()))
}

/// gallery-dl downloads `src` (served on 127.0.0.1) as a tweet with
/// `--write-metadata`: returns (media, its `.EXT.json`).
pub fn gallerydl(src: &Path, outdir: &Path) -> (PathBuf, PathBuf) {
    fixture_script(&["gallerydl", super::s(src), super::s(outdir)]);
    let ext = src.extension().and_then(|e| e.to_str()).unwrap_or("mp4");
    let media = outdir.join(format!("1768000000000000042_1.{ext}"));
    let meta = outdir.join(format!("1768000000000000042_1.{ext}.json"));
    assert!(media.is_file() && meta.is_file(), "gallery-dl wrote no {} / {}", media.display(), meta.display());
    (media, meta)
}

/// Instaloader's `download_post` of a video post (served from 127.0.0.1),
/// metadata compressed as by default: returns (media, its `.json.xz`).
pub fn instaloader(src: &Path, outdir: &Path) -> (PathBuf, PathBuf) {
    fixture_script(&["instaloader", super::s(src), super::s(outdir)]);
    let ext = src.extension().and_then(|e| e.to_str()).unwrap_or("mp4");
    let media = outdir.join(format!("2026-03-14_13-52-00_UTC.{ext}"));
    let meta = outdir.join("2026-03-14_13-52-00_UTC.json.xz");
    assert!(media.is_file() && meta.is_file(), "Instaloader wrote no {} / {}", media.display(), meta.display());
    (media, meta)
}

/// A WACZ made by `wacz create` from a WARC that warcio wrote: an HTML page
/// at `page_url` and each `(url, file)` as an HTTP 200 response.
pub fn wacz(out: &Path, page_url: &str, media: &[(&str, &Path)]) -> PathBuf {
    let pairs: Vec<String> = media.iter().map(|(u, p)| format!("{u}={}", p.display())).collect();
    let mut args = vec!["wacz", super::s(out), page_url];
    args.extend(pairs.iter().map(String::as_str));
    fixture_script(&args);
    out.to_path_buf()
}

/// `IN` rewritten as `out` with one byte of `member` flipped and
/// datapackage.json left as it was (a damaged or edited capture).
pub fn wacz_tamper(src: &Path, out: &Path, member: &str) -> PathBuf {
    fixture_script(&["wacz-tamper", super::s(src), super::s(out), member]);
    out.to_path_buf()
}

/// `wacz validate -f FILE` (py-wacz, Webrecorder's own validator): whether it passed.
pub fn wacz_validate(file: &Path) -> bool {
    let bin = venv_python().with_file_name("wacz");
    Command::new(&bin)
        .args(["validate", "-f", super::s(file)])
        .output()
        .unwrap_or_else(|e| panic!("{} is missing ({e}); run `bash .ci/install-test-deps`", bin.display()))
        .status
        .success()
}

/// `bagit.py` from the venv with `args` (e.g. `--md5 --sha512 DIR` to make a bag).
pub fn bagit(args: &[&str]) -> Output {
    let out = Command::new(venv_python()).args(["-m", "bagit", "--quiet"]).args(args).output().expect("run bagit.py");
    checked(&format!("bagit.py {args:?}"), out)
}

/// `hashdeep ARGS` (Debian's hashdeep package) run in `cwd`: its stdout.
pub fn hashdeep(cwd: &Path, args: &[&str]) -> Output {
    Command::new("hashdeep")
        .current_dir(cwd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("hashdeep is not installed ({e}); run `bash .ci/install-test-deps`"))
}

/// `fpcalc -raw -json FILE` (Debian's libchromaprint-tools, the reference
/// Chromaprint): the raw fingerprint, as unsigned 32-bit words.
pub fn fpcalc_raw(file: &Path) -> Vec<u32> {
    let out = Command::new("fpcalc")
        .args(["-raw", "-json", "-ignore-errors"])
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("fpcalc is not installed ({e}); run `bash .ci/install-test-deps`"));
    let out = checked(&format!("fpcalc -raw -json -ignore-errors {}", file.display()), out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("fpcalc prints JSON");
    v["fingerprint"]
        .as_array()
        .expect("a fingerprint array")
        .iter()
        .map(|w| w.as_i64().expect("an integer word") as u32)
        .collect()
}
