//! Acquisition as archivists do it (issue 13): downloader sidecars, with fixtures written by the
//! tools themselves (`tests/common/tools.rs`) on local files.

mod common;

use std::fs;

use common::{media, registered, s, sha256sum, tools, Cat};
use serde_json::Value;

const POST: &str = "7345550011122233344";

fn head(c: &Cat) -> Value {
    c.json(&["log", "--head"])["head"].clone()
}

fn audit_clean(c: &Cat) {
    let a = c.json(&["audit", "--no-record"]);
    assert_eq!(a["clean"], true, "audit: {a}");
}

/// yt-dlp's download of post POST into `work/NAME/`: (media, info.json).
fn ytdlp_download(c: &Cat, name: &str, secs: u32, overrides: &[&str]) -> (std::path::PathBuf, std::path::PathBuf) {
    let src = media::make_mp4(&c.work(&format!("{name}-src")), "src.mp4", secs, 320, 240, None);
    tools::ytdlp(&src, &c.work(name), POST, overrides)
}

// ---------------------------------------------------------------------------
// Sidecars

#[test]
fn ytdlp_info_json_is_the_videos_provenance_not_a_document() {
    let c = Cat::new();
    let (clip, info) = ytdlp_download(&c, "drop", 2, &[]);
    let r = c.json(&["add", s(&c.work("drop")), "--media-analysis", "off"]);
    let items = registered(&r);
    assert_eq!(items.len(), 2, "the clip and its sidecar: {r}");
    let (video, sidecar) = (items[0], items[1]);
    assert_eq!(video["sidecar"], "yt-dlp info.json");
    assert_eq!(sidecar["sidecar_of"], video["file"]);
    assert_eq!(sidecar["evidence"], video["evidence"], "one evidence item, not a document of its own");
    assert_eq!(c.json(&["list", "evidence"]).as_array().map(Vec::len), Some(1));

    let ev = &c.json(&["show", video["evidence"].as_str().unwrap()])["evidence"];
    assert_eq!(ev["kind"], "video");
    assert_eq!(ev["platform"], "tiktok");
    assert_eq!(ev["platform_id"], POST);
    assert_eq!(ev["source_url"], format!("https://www.tiktok.com/@harbourwatch/video/{POST}"));
    assert_eq!(ev["author_handle"], "harbourwatch");
    assert_eq!(ev["author_id"], "6890001112223334445");
    assert_eq!(ev["posted_at"], "2026-03-14T13:52:00Z");
    assert_eq!(ev["title"], "Barrier lifted at the quay");
    for field in ["platform", "source_url", "author_handle", "posted_at", "title", "platform_id"] {
        assert_eq!(ev["sources"][field], "sidecar", "{field}: {ev}");
    }

    let written: Value = serde_json::from_slice(&fs::read(&info).unwrap()).unwrap();
    let f = &c.json(&["show", video["file"].as_str().unwrap()])["file"];
    assert_eq!(f["tool"], format!("yt-dlp {}", written["_version"]["version"].as_str().unwrap()));
    assert_eq!(f["sources"]["tool"], "sidecar");
    assert_eq!(f["method"], "download");
    let epoch = written["epoch"].as_i64().unwrap();
    let when = chrono::DateTime::from_timestamp(epoch, 0).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(f["acquired_at"], when, "yt-dlp's epoch is when it downloaded");
    assert_eq!(f["sources"]["acquired_at"], "sidecar");
    let rec = &f["acquisition"];
    assert_eq!(rec["format"], "yt-dlp info.json");
    assert_eq!(rec["record"]["sha256"], sha256sum(&info), "the record names the sidecar's bytes");
    assert_eq!(rec["fields"]["live_status"], "not_live");
    assert_eq!(rec["fields"]["was_live"], "false");
    assert_eq!(sha256sum(&clip), video["sha256"].as_str().unwrap());

    // The sidecar: a file of the same item, derived from the clip, how `sidecar`.
    let sc = c.json(&["show", sidecar["file"].as_str().unwrap()]);
    assert_eq!(sc["file"]["derived_from"], video["file"]);
    let derived = sc["custody"].as_array().unwrap().iter().find(|e| e["action"] == "derived").expect("a derived event");
    assert_eq!(derived["details"]["how"], "sidecar");

    // Where people look: show, trace, PROV, the report.
    let text = c.ok(&["show", video["file"].as_str().unwrap()]);
    assert!(text.contains("record") && text.contains("live_status") && text.contains("[sidecar]"), "{text}");
    let prov_path = c.work("prov.json");
    c.ok(&["export", "prov", s(&prov_path), "--all"]);
    let prov = fs::read_to_string(&prov_path).unwrap();
    assert!(prov.contains("evcat:record_live_status") && prov.contains("platform=sidecar"), "{prov}");
    // ... and the W3C `prov` package reads it.
    let loaded = std::process::Command::new(tools::venv_python())
        .args(["-c", "import sys, prov; print(len(prov.read(sys.argv[1], format='json').get_records()))"])
        .arg(&prov_path)
        .output()
        .unwrap();
    assert!(loaded.status.success(), "prov: {}", String::from_utf8_lossy(&loaded.stderr));
    let report = c.work("report.html");
    c.ok(&["export", "report", s(&report), "--all"]);
    let html = fs::read_to_string(&report).unwrap();
    assert!(html.contains("Acquisition records") && html.contains("yt-dlp info.json"), "report lacks the record");
    c.ok(&["claim", "add", "--text", "a clip shows officers lifting the barrier"]);
    c.ok(&["link", "C1", video["evidence"].as_str().unwrap(), "--relation", "depicts"]);
    let trace = c.ok(&["trace", "C1"]);
    assert!(trace.contains("recorded in yt-dlp info.json"), "{trace}");
    audit_clean(&c);
}

#[test]
fn a_second_download_of_the_same_post_is_a_new_capture_of_the_same_item() {
    let c = Cat::new();
    ytdlp_download(&c, "first", 1, &["epoch=1773500000"]);
    let a = c.json(&["add", s(&c.work("first")), "--media-analysis", "off"]);
    // Re-downloaded later as other bytes (a re-encode by the platform).
    let (again, _) = ytdlp_download(&c, "second", 2, &["epoch=1773600000"]);
    // Named explicitly: the sidecar beside it is found without being named.
    let b = c.json(&["add", s(&again), "--media-analysis", "off"]);
    let (first, second) = (registered(&a)[0], registered(&b)[0]);
    assert_eq!(second["evidence"], first["evidence"]);
    assert_eq!(second["new_capture"], true);
    assert_eq!(registered(&b).len(), 2, "the sidecar beside the named file came with it: {b}");
    let f1 = &c.json(&["show", first["file"].as_str().unwrap()])["file"];
    let f2 = &c.json(&["show", second["file"].as_str().unwrap()])["file"];
    assert_eq!(
        (f1["acquired_at"].as_str(), f2["acquired_at"].as_str()),
        (Some("2026-03-14T14:53:20Z"), Some("2026-03-15T18:40:00Z"))
    );
    assert_eq!(c.json(&["list", "evidence"]).as_array().map(Vec::len), Some(1));
    audit_clean(&c);
}

#[test]
fn sidecar_facts_that_disagree_with_the_file_are_warned_about() {
    let c = Cat::new();
    ytdlp_download(&c, "drop", 2, &["width=1920", "height=1080", "duration=30"]);
    let r = c.json(&["add", s(&c.work("drop")), "--media-analysis", "off"]);
    let w = registered(&r)[0]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert!(w.iter().any(|w| w.contains("1920x1080") && w.contains("320x240")), "{w:?}");
    assert!(w.iter().any(|w| w.contains("30 s")), "{w:?}");
}

#[test]
fn a_sidecar_that_is_not_json_or_names_another_file_registers_nothing() {
    let c = Cat::new();
    let before = head(&c);
    let src = media::make_mp4(&c.work("src"), "src.mp4", 1, 160, 120, None);
    fs::create_dir_all(c.work("bad")).unwrap();
    fs::copy(&src, c.work("bad/clip [1].mp4")).unwrap();
    fs::write(c.work("bad/clip [1].info.json"), b"{\"id\": \"1\", \"extractor_key\": ").unwrap();
    let (out, err) = c.fails(&["add", s(&c.work("bad")), "--media-analysis", "off"], 2);
    assert!(err.contains("clip [1].info.json") && err.contains("not JSON"), "{err}");
    assert!(out.contains("0 registered"), "{out}");

    fs::write(
        c.work("bad/clip [1].info.json"),
        br#"{"id": "1", "extractor_key": "TikTok", "_filename": "other [2].mp4"}"#,
    )
    .unwrap();
    let (_, err) = c.fails(&["add", s(&c.work("bad/clip [1].mp4")), "--media-analysis", "off"], 2);
    assert!(err.contains("names the file \"other [2].mp4\""), "{err}");
    assert_eq!(head(&c), before, "nothing half-imported: no event at all");
    assert_eq!(c.json(&["list", "files"]).as_array().map(Vec::len), Some(0));
}

#[test]
fn gallery_dl_metadata_gives_the_tweet() {
    let c = Cat::new();
    let src = media::make_mp4(&c.work("src"), "src.mp4", 1, 320, 240, None);
    let (clip, meta) = tools::gallerydl(&src, &c.work("gdl"));
    let r = c.json(&["add", s(&c.work("gdl")), "--media-analysis", "off"]);
    let items = registered(&r);
    assert_eq!(items[0]["sidecar"], "gallery-dl metadata");
    assert_eq!(items[1]["path"], s(&meta));
    let ev = &c.json(&["show", items[0]["evidence"].as_str().unwrap()])["evidence"];
    assert_eq!(ev["platform"], "x");
    assert_eq!(ev["platform_id"], "1768000000000000042");
    assert_eq!(ev["author_handle"], "harbourwatch");
    assert_eq!(ev["author_id"], "1500000000000000001");
    assert_eq!(ev["posted_at"], "2026-03-14T13:52:00Z");
    assert_eq!(ev["source_url"], "https://x.com/harbourwatch/status/1768000000000000042");
    assert_eq!(items[0]["sha256"], sha256sum(&clip));
}

/// auto-archiver's `metadata.json` as its `Metadata.to_json()` writes it
/// (status, metadata, media[] with `properties.hash` from the hash enricher).
fn auto_archiver_folder(c: &Cat, hash_of_clip: &str) -> std::path::PathBuf {
    let dir = c.work("aa");
    let clip = media::make_mp4(&dir, "quay.mp4", 1, 160, 120, None);
    let hash = if hash_of_clip.is_empty() { sha256sum(&clip) } else { hash_of_clip.to_string() };
    let meta = serde_json::json!({
        "status": "telegram: success",
        "metadata": {
            "url": "https://t.me/quaynews/412", "title": "Barrier at the quay", "content": "officers lift the barrier",
            "timestamp": "2026-03-14T13:52:00+00:00", "_processed_at": "2026-03-15 08:00:01.123456+00:00",
            "tmp_dir": "/tmp/aa"
        },
        "media": [
            {"filename": "/tmp/aa/quay.mp4", "key": "quay.mp4", "urls": ["local/quay.mp4"],
             "properties": {"hash": format!("SHA-256:{hash}"), "id": "video_0"}, "_mimetype": "video/mp4"}
        ]
    });
    fs::write(dir.join("metadata.json"), serde_json::to_vec_pretty(&meta).unwrap()).unwrap();
    dir
}

#[test]
fn auto_archiver_metadata_hashes_are_verified_against_the_bytes() {
    let c = Cat::new();
    let dir = auto_archiver_folder(&c, "");
    let r = c.json(&["add", s(&dir), "--media-analysis", "off"]);
    let v = registered(&r)[0];
    let f = &c.json(&["show", v["file"].as_str().unwrap()])["file"];
    assert_eq!(f["acquisition"]["fields"]["recorded_hash_check"], "verified");
    assert_eq!(f["acquired_at"], "2026-03-15T08:00:01.123456Z");
    let ev = &c.json(&["show", v["evidence"].as_str().unwrap()])["evidence"];
    assert_eq!(
        (ev["platform"].as_str(), ev["source_url"].as_str()),
        (Some("telegram"), Some("https://t.me/quaynews/412"))
    );

    let c = Cat::new();
    let dir = auto_archiver_folder(&c, &"ab".repeat(32));
    let r = c.json(&["add", s(&dir), "--media-analysis", "off"]);
    let v = registered(&r)[0];
    let w = v["warnings"].to_string();
    assert!(w.contains(&"ab".repeat(32)) && w.contains("metadata.json"), "a mismatch is reported: {w}");
    let f = &c.json(&["show", v["file"].as_str().unwrap()])["file"];
    assert_eq!(f["acquisition"]["fields"]["recorded_hash_check"], "mismatch");
}
