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

/// yt-dlp `--embed-info-json` on a Matroska download: the info.json travels
/// inside the file (yt-dlp embeds it in .mkv/.mka only), with no sidecar beside it.
#[test]
fn an_info_json_yt_dlp_embedded_in_an_mkv_is_the_videos_provenance() {
    let c = Cat::new();
    let src = media::make_mp4(&c.work("mkv-src"), "src.mkv", 2, 320, 240, None);
    let clip = tools::ytdlp_embedded(&src, &c.work("drop"), POST, &[]);
    // ffprobe and ffmpeg, independent readers, find the attachment yt-dlp made.
    assert_eq!(tools::ffprobe_attachments(&clip), vec![("info.json".to_string(), "application/json".to_string())]);
    let attached = tools::ffmpeg_dump_attachment(&clip, 0, &c.work("dumped.json"));
    let written: Value = serde_json::from_slice(&attached).unwrap();
    assert_eq!(written["id"], POST);

    let r = c.json(&["add", s(&c.work("drop")), "--media-analysis", "off"]);
    let items = registered(&r);
    assert_eq!(items.len(), 1, "the clip alone, no sidecar file: {r}");
    let video = items[0];
    assert_eq!(video["sidecar"], "yt-dlp info.json (embedded)");
    assert_eq!(video["sha256"], sha256sum(&clip), "the file is registered as it is");
    assert_eq!(video["media_type"], "video/x-matroska");

    let ev = &c.json(&["show", video["evidence"].as_str().unwrap()])["evidence"];
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
    let f = &c.json(&["show", video["file"].as_str().unwrap()])["file"];
    assert_eq!(f["tool"], format!("yt-dlp {}", written["_version"]["version"].as_str().unwrap()));
    assert_eq!(f["sources"]["tool"], "sidecar");
    let epoch = written["epoch"].as_i64().unwrap();
    let when = chrono::DateTime::from_timestamp(epoch, 0).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(f["acquired_at"], when);
    let rec = &f["acquisition"];
    assert_eq!(rec["format"], "yt-dlp info.json");
    assert_eq!(rec["record"]["name"], "info.json");
    assert_eq!(rec["record"]["sha256"], common::sha256_bytes(&attached), "the record names the attachment's bytes");
    assert_eq!(
        rec["fields"]["embedded_in"],
        format!("clip [{POST}].mkv (Matroska attachment info.json, application/json)")
    );
    assert_eq!(rec["fields"]["live_status"], "not_live");
    let text = c.ok(&["show", video["file"].as_str().unwrap()]);
    assert!(text.contains("embedded_in") && text.contains("[sidecar]"), "{text}");
    audit_clean(&c);

    // Renamed after the download, and with facts the file contradicts: the
    // record is still read (it is inside the bytes), the contradiction warned.
    let c = Cat::new();
    let clip = tools::ytdlp_embedded(&src, &c.work("again"), POST, &["duration=30"]);
    let renamed = c.work("again/exhibit 4.mkv");
    fs::rename(&clip, &renamed).unwrap();
    let r = c.json(&["add", s(&renamed), "--media-analysis", "off"]);
    let v = registered(&r)[0];
    assert_eq!(c.json(&["show", v["evidence"].as_str().unwrap()])["evidence"]["platform_id"], POST);
    let w = v["warnings"].to_string();
    assert!(w.contains("the info.json attached to exhibit 4.mkv gives a duration of 30 s"), "{w}");
}

/// An attachment named and typed as yt-dlp's, made with ffmpeg's own
/// `-attach` exactly as yt-dlp calls it, holding what is not a yt-dlp record.
#[test]
fn a_broken_embedded_info_json_is_a_warning_and_the_file_is_still_registered() {
    let c = Cat::new();
    let src = media::make_mp4(&c.work("src"), "src.mkv", 1, 160, 120, None);
    let bad = c.write("bad.json", b"{\"id\": \"1\", \"extractor_key\": ");
    let out = c.work("drop/clip [1].mkv");
    fs::create_dir_all(c.work("drop")).unwrap();
    let st = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i", s(&src), "-map", "0", "-dn", "-ignore_unknown", "-c", "copy", "-attach"])
        .arg(&bad)
        .args(["-metadata:s:t", "mimetype=application/json", "-metadata:s:t", "filename=info.json"])
        .arg(&out)
        .status()
        .expect("ffmpeg; run `bash .ci/install-test-deps`");
    assert!(st.success());
    assert_eq!(tools::ffprobe_attachments(&out), vec![("info.json".to_string(), "application/json".to_string())]);
    let r = c.json(&["add", s(&out), "--media-analysis", "off"]);
    let v = registered(&r)[0];
    assert!(v.get("sidecar").is_none(), "{v}");
    let w = v["warnings"].to_string();
    assert!(w.contains("the info.json attached to clip [1].mkv") && w.contains("not JSON"), "{w}");
    let ev = &c.json(&["show", v["evidence"].as_str().unwrap()])["evidence"];
    assert!(ev["platform"].is_null() && ev["platform_id"].is_null(), "{ev}");
    assert!(c.json(&["show", v["file"].as_str().unwrap()])["file"]["acquisition"].is_null());
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

/// Instaloader's default: the post's metadata as `{date_utc}_UTC.json.xz`,
/// written by Instaloader's own `download_post` / `save_structure_to_file`.
#[test]
fn instaloader_compressed_json_xz_gives_the_post() {
    let c = Cat::new();
    let src = media::make_mp4(&c.work("src"), "src.mp4", 2, 320, 240, None);
    let (clip, meta) = tools::instaloader(&src, &c.work("insta"));
    let r = c.json(&["add", s(&c.work("insta")), "--media-analysis", "off"]);
    let items = registered(&r);
    assert_eq!(items.len(), 2, "the clip and its .json.xz: {r}");
    let (video, sidecar) = (items[0], items[1]);
    assert_eq!(video["sidecar"], "instaloader metadata");
    assert_eq!(video["sha256"], sha256sum(&clip));
    assert_eq!(sidecar["path"], s(&meta));
    assert_eq!(sidecar["sidecar_of"], video["file"]);
    assert_eq!(sidecar["sha256"], sha256sum(&meta), "the compressed bytes are what is kept");
    assert!(video["warnings"].as_array().unwrap().is_empty(), "duration and frame agree: {video}");
    let ev = &c.json(&["show", video["evidence"].as_str().unwrap()])["evidence"];
    assert_eq!(ev["platform"], "instagram");
    assert_eq!(ev["platform_id"], "C4quayLift1");
    assert_eq!(ev["source_url"], "https://www.instagram.com/p/C4quayLift1/");
    assert_eq!(ev["author_handle"], "harbourwatch");
    assert_eq!(ev["author_id"], "5550001112");
    assert_eq!(ev["posted_at"], "2026-03-14T13:52:00Z");
    assert_eq!(ev["description"], "Officers lift the barrier #quay");
    for field in ["platform", "platform_id", "source_url", "author_handle", "posted_at", "description"] {
        assert_eq!(ev["sources"][field], "sidecar", "{field}: {ev}");
    }
    let f = &c.json(&["show", video["file"].as_str().unwrap()])["file"];
    assert_eq!(f["tool"], "instaloader 4.16");
    assert_eq!(f["acquisition"]["format"], "instaloader metadata");
    assert_eq!(f["acquisition"]["record"]["sha256"], sha256sum(&meta));
    assert_eq!(f["acquisition"]["fields"]["node_type"], "Post");
    assert_eq!(f["acquisition"]["fields"]["__typename"], "GraphVideo");
    audit_clean(&c);
}

/// An xz bomb named as Instaloader's sidecar, a `.json.xz` that is not xz:
/// refused naming the file, nothing registered.
#[test]
fn an_xz_bomb_or_broken_json_xz_sidecar_is_refused_and_nothing_is_registered() {
    let c = Cat::new();
    let before = head(&c);
    let dir = c.work("bomb");
    let clip = media::make_mp4(&dir, "2026-03-14_13-52-00_UTC.mp4", 1, 160, 120, None);
    let side = dir.join("2026-03-14_13-52-00_UTC.json.xz");
    // 65 MiB of JSON-looking text in about 10 kB, as Instaloader compresses (check NONE).
    let made = std::process::Command::new(tools::venv_python())
        .args([
            "-c",
            "import lzma, sys; open(sys.argv[1], 'wb').write(lzma.compress(b'{\"node\": \"' + b'A' * (65 << 20) + b'\"}', check=lzma.CHECK_NONE))",
        ])
        .arg(&side)
        .status()
        .unwrap();
    assert!(made.success());
    let size = fs::metadata(&side).unwrap().len();
    assert!(size < 64 << 10, "a small bomb: {size} bytes");
    let (out, err) = c.fails(&["add", s(&dir), "--media-analysis", "off"], 2);
    assert!(
        err.contains("2026-03-14_13-52-00_UTC.json.xz") && err.contains("decompresses to more than 64 MB; refused"),
        "{err}"
    );
    assert!(out.contains("0 registered"), "{out}");
    let (_, err) = c.fails(&["add", s(&clip), "--media-analysis", "off"], 2);
    assert!(err.contains("decompresses to more than 64 MB"), "named explicitly, the same: {err}");

    fs::write(&side, b"{\"node\": {}}").unwrap();
    let (_, err) = c.fails(&["add", s(&dir), "--media-analysis", "off"], 2);
    assert!(err.contains("2026-03-14_13-52-00_UTC.json.xz") && err.contains("not xz-compressed data"), "{err}");
    assert_eq!(head(&c), before, "nothing half-imported: no event at all");
    assert_eq!(c.json(&["list", "files"]).as_array().map(Vec::len), Some(0));
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
            "author": "Quay News",
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

/// `export prov` and `export report` of the whole catalog: (PROV-JSON, report HTML).
fn prov_and_report(c: &Cat) -> (Value, String) {
    let (prov, report) = (c.work("prov.json"), c.work("report.html"));
    c.ok(&["export", "prov", s(&prov), "--all"]);
    c.ok(&["export", "report", s(&report), "--all"]);
    (serde_json::from_slice(&fs::read(&prov).unwrap()).unwrap(), fs::read_to_string(&report).unwrap())
}

/// The cells (inner HTML) of each of the report's table rows whose first cell
/// is `first`, in the section `section` (`provenance`), in page order.
fn report_rows(html: &str, section: &str, first: &str) -> Vec<Vec<String>> {
    let at = html.find(&format!("<section id=\"{section}\">")).unwrap_or_else(|| panic!("no section {section}"));
    let part = &html[at..];
    let part = &part[..part.find("</section>").unwrap()];
    part.match_indices(&format!("<tr><td>{first}</td>"))
        .map(|(start, _)| {
            let row = &part[start + "<tr><td>".len()..];
            row[..row.find("</td></tr>").unwrap()].split("</td><td>").map(str::to_string).collect()
        })
        .collect()
}

/// The PROV agent a relation of `kind` ties `entity` to, with its label.
fn attributed_to(prov: &Value, entity: &str) -> Vec<(String, String)> {
    prov["wasAttributedTo"]
        .as_object()
        .map(|rels| {
            rels.values()
                .filter(|r| r["prov:entity"] == entity)
                .filter_map(|r| r["prov:agent"].as_str())
                .map(|a| (a.to_string(), prov["agent"][a]["prov:label"].as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn prov_and_the_report_carry_gallery_dl_provenance() {
    let c = Cat::new();
    let src = media::make_mp4(&c.work("src"), "src.mp4", 1, 320, 240, None);
    let (_, meta) = tools::gallerydl(&src, &c.work("gdl"));
    let r = c.json(&["add", s(&c.work("gdl")), "--media-analysis", "off"]);
    let v = registered(&r)[0];
    let (e, f) = (v["evidence"].as_str().unwrap(), v["file"].as_str().unwrap());
    let url = "https://x.com/harbourwatch/status/1768000000000000042";
    let (prov, html) = prov_and_report(&c);

    let ent = &prov["entity"][format!("cat:{e}")];
    assert_eq!(ent["evcat:platform"], "x", "{ent}");
    assert_eq!(ent["evcat:source_url"], url);
    assert_eq!(ent["evcat:platform_id"], "1768000000000000042");
    assert_eq!(ent["evcat:author_id"], "1500000000000000001");
    assert_eq!(ent["evcat:posted_at"], "2026-03-14T13:52:00Z");
    let sources = ent["evcat:sources"].as_str().unwrap();
    for field in ["platform", "source_url", "author_handle", "author_id", "platform_id", "posted_at"] {
        assert!(sources.contains(&format!("{field}=sidecar")), "{field}: {sources}");
    }
    assert_eq!(
        attributed_to(&prov, &format!("cat:{e}")),
        vec![("cat:author-x-harbourwatch".to_string(), "harbourwatch".to_string())]
    );
    let act = &prov["activity"][format!("cat:acquisition-{f}")];
    assert_eq!(act["evcat:tool"], "gallery-dl", "{act}");
    assert_eq!(act["evcat:method"], "download");
    assert_eq!(act["evcat:record_format"], "gallery-dl metadata");
    assert_eq!(act["evcat:record_file"], "1768000000000000042_1.mp4.json");
    assert_eq!(act["evcat:record_sha256"], sha256sum(&meta));
    assert_eq!(act["evcat:record_category"], "twitter");
    assert_eq!(act["evcat:record_subcategory"], "tweet");
    assert!(act["evcat:sources"].as_str().unwrap().contains("tool=sidecar"), "{act}");

    let row = &report_rows(&html, "provenance", e)[0];
    let src_tag = " <span class=\"src\">[sidecar]</span>";
    assert_eq!(row[4], format!("x{src_tag}"), "platform: {row:?}");
    assert_eq!(row[5], format!("<a href=\"{url}\" rel=\"noopener noreferrer\">{url}</a>{src_tag}"), "url");
    assert_eq!(row[6], format!("harbourwatch{src_tag} (id 1500000000000000001{src_tag})"), "author");
    assert_eq!(row[7], format!("2026-03-14T13:52:00Z{src_tag}"), "posted");
    let (file_row, rec) = match &report_rows(&html, "provenance", f)[..] {
        [file_row, rec] => (file_row.clone(), rec.clone()),
        other => panic!("want the file's row and its record's: {other:?}"),
    };
    assert_eq!(file_row[9], "download / gallery-dl", "by / method / tool: {file_row:?}");
    assert_eq!(
        rec[1],
        format!("gallery-dl metadata (1768000000000000042_1.mp4.json, <code>{}</code>)", sha256sum(&meta))
    );
    assert!(rec[2].contains("category: twitter<br>") && rec[2].contains("subcategory: tweet<br>"), "{rec:?}");
}

#[test]
fn prov_and_the_report_carry_auto_archiver_provenance() {
    let c = Cat::new();
    let dir = auto_archiver_folder(&c, "");
    let r = c.json(&["add", s(&dir), "--media-analysis", "off"]);
    let v = registered(&r)[0];
    let (e, f) = (v["evidence"].as_str().unwrap(), v["file"].as_str().unwrap());
    let url = "https://t.me/quaynews/412";
    let (prov, html) = prov_and_report(&c);

    let ent = &prov["entity"][format!("cat:{e}")];
    assert_eq!(ent["evcat:platform"], "telegram", "{ent}");
    assert_eq!(ent["evcat:source_url"], url);
    assert_eq!(ent["evcat:posted_at"], "2026-03-14T13:52:00Z");
    assert_eq!(ent["prov:label"], "Barrier at the quay");
    assert_eq!(
        attributed_to(&prov, &format!("cat:{e}")),
        vec![("cat:author-telegram-Quay_News".to_string(), "Quay News".to_string())]
    );
    let act = &prov["activity"][format!("cat:acquisition-{f}")];
    assert_eq!(act["evcat:tool"], "auto-archiver", "{act}");
    assert_eq!(act["evcat:method"], "archive");
    assert_eq!(act["prov:startTime"], "2026-03-15T08:00:01.123456Z", "auto-archiver's _processed_at");
    assert_eq!(act["evcat:record_format"], "auto-archiver metadata.json");
    assert_eq!(act["evcat:record_file"], "metadata.json");
    assert_eq!(act["evcat:record_sha256"], sha256sum(&dir.join("metadata.json")));
    assert_eq!(act["evcat:record_recorded_hash"], format!("SHA-256:{}", sha256sum(&dir.join("quay.mp4"))));
    assert_eq!(act["evcat:record_recorded_hash_check"], "verified");
    assert_eq!(act["evcat:record_status"], "telegram: success");

    let row = &report_rows(&html, "provenance", e)[0];
    let src_tag = " <span class=\"src\">[sidecar]</span>";
    assert_eq!(row[3], format!("Barrier at the quay{src_tag}"), "title: {row:?}");
    assert_eq!(row[4], format!("telegram{src_tag}"), "platform");
    assert_eq!(row[5], format!("<a href=\"{url}\" rel=\"noopener noreferrer\">{url}</a>{src_tag}"), "url");
    assert_eq!(row[6], format!("Quay News{src_tag}"), "author");
    let (file_row, rec) = match &report_rows(&html, "provenance", f)[..] {
        [file_row, rec] => (file_row.clone(), rec.clone()),
        other => panic!("want the file's row and its record's: {other:?}"),
    };
    assert_eq!(file_row[8], "2026-03-15T08:00:01.123456Z", "acquired: {file_row:?}");
    assert_eq!(file_row[9], "archive / auto-archiver", "by / method / tool");
    assert!(rec[1].starts_with("auto-archiver metadata.json (metadata.json, <code>"), "{rec:?}");
    assert!(
        rec[2].contains("recorded_hash_check: verified<br>") && rec[2].contains("status: telegram: success<br>"),
        "{rec:?}"
    );
}

// ---------------------------------------------------------------------------
// WACZ captures, written by warcio and py-wacz (`wacz create`), checked with `wacz validate`

const PAGE: &str = "https://www.tiktok.com/@harbourwatch/video/7345550011122233344";

/// A capture of PAGE holding a clip (sent chunked as octet-stream, as CDNs
/// do), a photo, a range request's partial response and an SVG logo.
fn capture(c: &Cat) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let dir = c.work("cap");
    let clip = media::make_mp4(&dir, "clip.mp4", 2, 320, 240, None);
    let photo = c.write("cap/photo.jpg", &media::photo_jpeg(320, 240, 7));
    let short = media::make_mp4(&dir, "short.mp4", 1, 160, 120, None);
    let logo = c.write("cap/logo.svg", b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    let (clip_spec, short_spec, logo_spec) = (
        format!("{};chunked;type=application/octet-stream", clip.display()),
        format!("{};partial", short.display()),
        format!("{};type=image/svg+xml", logo.display()),
    );
    let wacz = tools::wacz(
        &dir.join("capture.wacz"),
        PAGE,
        &[
            ("https://v16.tiktokcdn.com/v/clip.mp4?mime_type=video_mp4", std::path::Path::new(&clip_spec)),
            ("https://p16.tiktokcdn.com/i/photo.jpg", &photo),
            ("https://v16.tiktokcdn.com/v/short.mp4", std::path::Path::new(&short_spec)),
            ("https://www.tiktok.com/logo.svg", std::path::Path::new(&logo_spec)),
        ],
    );
    assert!(tools::wacz_validate(&wacz), "py-wacz says the fixture is valid");
    (wacz, clip, photo)
}

#[test]
fn a_wacz_is_kept_whole_with_its_page_as_provenance_and_its_media_listed() {
    let c = Cat::new();
    let (wacz, clip, photo) = capture(&c);
    let r = c.json(&["add", s(&wacz), "--media-analysis", "off"]);
    let items = registered(&r);
    assert_eq!(items.len(), 1, "without --extract-media the WACZ is one file: {r}");
    let v = items[0];
    assert_eq!(v["sha256"], sha256sum(&wacz), "byte-exact");
    assert_eq!(v["media_type"], "application/wacz");
    let cap = &v["capture"];
    assert_eq!(cap["package"]["resources"], cap["package"]["verified"], "{cap}");
    assert_eq!(cap["package"]["digest"], "verified");
    assert_eq!(cap["software"].as_str().map(|s| s.starts_with("py-wacz")), Some(true));
    assert_eq!(cap["pages"][0]["url"], PAGE);
    assert_eq!(cap["pages"][0]["ts"], "2026-03-14T14:05:09Z");
    // The media: the clip de-chunked and told by its bytes, the photo, the
    // partial response; not the SVG (page furniture) nor the HTML page.
    let media = cap["media"].as_array().unwrap();
    let uris: Vec<&str> = media.iter().map(|m| m["target_uri"].as_str().unwrap()).collect();
    assert_eq!(
        uris,
        [
            "https://v16.tiktokcdn.com/v/clip.mp4?mime_type=video_mp4",
            "https://p16.tiktokcdn.com/i/photo.jpg",
            "https://v16.tiktokcdn.com/v/short.mp4"
        ]
    );
    assert_eq!(media[0]["sha256"], sha256sum(&clip), "the chunked body decodes to the file");
    assert_eq!(media[0]["media_type"], "video/mp4");
    assert_eq!(media[1]["sha256"], sha256sum(&photo));
    assert_eq!((media[2]["status"].as_u64(), media[2]["partial"].as_bool()), (Some(206), Some(true)));
    for m in media {
        assert_eq!(m["payload_digest_check"], "verified", "warcio's WARC-Payload-Digest: {m}");
        assert_eq!(m["warc_date"], "2026-03-14T14:05:09Z");
    }

    let ev = &c.json(&["show", v["evidence"].as_str().unwrap()])["evidence"];
    assert_eq!(ev["kind"], "web");
    assert_eq!((ev["source_url"].as_str(), ev["platform"].as_str()), (Some(PAGE), Some("tiktok")));
    assert_eq!(ev["sources"]["source_url"], "file");
    let f = &c.json(&["show", v["file"].as_str().unwrap()])["file"];
    assert_eq!(f["acquired_at"], "2026-03-14T14:05:09Z", "the capture time");
    assert_eq!(f["method"], "web capture");
    let rec = &f["acquisition"];
    assert_eq!(rec["format"], "wacz");
    assert_eq!(rec["fields"]["media_records"], "3");
    assert!(rec["fields"]["package_check"].as_str().unwrap().starts_with("verified"), "{rec}");
    let listed = rec["fields"]["media.0001"].as_str().unwrap();
    assert!(listed.contains(&sha256sum(&clip)) && listed.contains("clip.mp4"), "{listed}");
    audit_clean(&c);
    // `probe` shows the same before anything is registered.
    let p = &c.json(&["probe", s(&wacz)])[0];
    assert_eq!(p["capture"]["media"], cap["media"]);
    assert_eq!(p["facts"]["media_type"], "application/wacz");
}

#[test]
fn extract_media_registers_each_payload_derived_from_the_wacz_and_finds_reuploads() {
    let c = Cat::new();
    let (wacz, clip, photo) = capture(&c);
    let r = c.json(&["add", s(&wacz), "--extract-media"]);
    let items = registered(&r);
    assert_eq!(items.len(), 3, "the WACZ, the clip and the photo; the partial response stays a listing: {r}");
    let (w, v, p) = (items[0], items[1], items[2]);
    assert_eq!((v["sha256"].as_str(), p["sha256"].as_str()), (Some(&*sha256sum(&clip)), Some(&*sha256sum(&photo))));
    for x in [v, p] {
        assert_eq!(x["extracted_from"], w["file"]);
        assert_eq!(x["evidence"], w["evidence"], "one evidence item: the capture");
    }
    let f = &c.json(&["show", v["file"].as_str().unwrap()])["file"];
    assert_eq!(f["derived_from"], w["file"]);
    assert_eq!(f["acquired_at"], "2026-03-14T14:05:09Z");
    let fields = &f["acquisition"]["fields"];
    assert_eq!(fields["warc_target_uri"], "https://v16.tiktokcdn.com/v/clip.mp4?mime_type=video_mp4");
    assert_eq!(fields["payload_digest_check"], "verified");
    assert_eq!(f["width"], 320, "the extracted file is probed like any other");
    // PROV and the HTML report carry the capture's records and the derivation.
    let prov_path = c.work("prov.json");
    c.ok(&["export", "prov", s(&prov_path)]);
    let prov: Value = serde_json::from_slice(&fs::read(&prov_path).unwrap()).unwrap();
    let (wf, vf) = (w["file"].as_str().unwrap(), v["file"].as_str().unwrap());
    let act = &prov["activity"][format!("cat:acquisition-{vf}")];
    assert_eq!(act["evcat:record_format"], "warc record");
    assert_eq!(act["evcat:record_warc_target_uri"], "https://v16.tiktokcdn.com/v/clip.mp4?mime_type=video_mp4");
    assert_eq!(prov["activity"][format!("cat:acquisition-{wf}")]["evcat:record_format"], "wacz");
    let derived = prov["wasDerivedFrom"]
        .as_object()
        .unwrap()
        .values()
        .any(|d| d["prov:generatedEntity"] == format!("cat:{vf}") && d["prov:usedEntity"] == format!("cat:{wf}"));
    assert!(derived, "{}", prov["wasDerivedFrom"]);
    let report_path = c.work("report.html");
    c.ok(&["export", "report", s(&report_path)]);
    let html = fs::read_to_string(&report_path).unwrap();
    assert!(html.contains("package_check") && html.contains("warc_target_uri"), "the report shows both records");
    // Fingerprinted like any file: the same clip added later is a known file.
    let again = c.json(&["add", s(&clip)]);
    assert_eq!(again["already_registered"], 1, "{again}");
    // A WACZ registered without extraction gets it on a second `add --extract-media`.
    let c2 = Cat::new();
    let (wacz2, _, _) = capture(&c2);
    c2.json(&["add", s(&wacz2), "--media-analysis", "off"]);
    let r2 = c2.json(&["add", s(&wacz2), "--extract-media", "--media-analysis", "off"]);
    assert_eq!((r2["already_registered"].as_u64(), r2["registered"].as_u64()), (Some(1), Some(2)), "{r2}");
    audit_clean(&c);
    audit_clean(&c2);
}

#[test]
fn a_damaged_wacz_is_registered_as_received_with_the_damage_named() {
    let c = Cat::new();
    let (wacz, _, _) = capture(&c);
    let edited = tools::wacz_tamper(&wacz, &c.work("edited.wacz"), "pages/pages.jsonl");
    assert!(!tools::wacz_validate(&edited), "py-wacz refuses it too");
    let r = c.json(&["add", s(&edited), "--media-analysis", "off"]);
    let v = registered(&r)[0];
    assert_eq!(v["sha256"], sha256sum(&edited), "the bytes as received");
    let w = v["warnings"].to_string();
    assert!(w.contains("pages/pages.jsonl") && w.contains("datapackage.json records sha256"), "{w}");
    let f = &c.json(&["show", v["file"].as_str().unwrap()])["file"];
    let check = f["acquisition"]["fields"]["package_check"].as_str().unwrap();
    assert!(check.contains("3 of 4 resources verified") && check.contains("pages/pages.jsonl"), "{check}");
    let human = c.ok(&["add", s(&c.work("cap/capture.wacz")), "--media-analysis", "off"]);
    assert!(human.contains("registered"), "{human}");

    // An edited datapackage-digest.json: the digest check fails, named.
    let redigested = tools::wacz_tamper(&wacz, &c.work("digest.wacz"), "datapackage-digest.json");
    let r = c.json(&["add", s(&redigested), "--media-analysis", "off"]);
    let v = registered(&r)[0];
    assert_eq!(v["capture"]["package"]["digest"], "mismatch", "{v}");
    assert!(v["warnings"].to_string().contains("datapackage-digest.json"), "{v}");

    // A damaged WARC (its gzip member fails its CRC) still registers, named.
    let broken = tools::wacz_tamper(&wacz, &c.work("broken.wacz"), "archive/capture.warc.gz");
    let r = c.json(&["add", s(&broken), "--media-analysis", "off"]);
    let w = registered(&r)[0]["warnings"].to_string();
    assert!(w.contains("archive/capture.warc.gz"), "{w}");

    // Named .wacz but not one: kept, with the reason.
    let fake = c.write("fake.wacz", b"PK\x03\x04 this is no zip at all");
    let r = c.json(&["add", s(&fake), "--media-analysis", "off"]);
    let w = registered(&r)[0]["warnings"].to_string();
    assert!(w.contains("not read as a WACZ") && w.contains("fake.wacz"), "{w}");
    audit_clean(&c);
}

// ---------------------------------------------------------------------------
// Bags made by other tools (RFC 8493), written by the Library of Congress's bagit.py

/// A folder of evidence as a partner would send it, bagged by bagit.py with
/// `algs` (e.g. `--md5 --sha512`) and the usual bag-info.txt fields.
fn partner_bag(c: &Cat, name: &str, algs: &[&str]) -> std::path::PathBuf {
    let dir = c.work(name);
    fs::create_dir_all(dir.join("clips")).unwrap();
    media::make_mp4(&dir.join("clips"), "quay.mp4", 2, 320, 240, None);
    fs::write(dir.join("photo.jpg"), media::photo_jpeg(160, 120, 7)).unwrap();
    fs::write(dir.join("notes é.txt"), "statement of the witness\n").unwrap();
    let mut args: Vec<&str> = algs.to_vec();
    args.extend([
        "--source-organization",
        "Harbour Court Registry",
        "--contact-name",
        "R. Clerk",
        "--external-identifier",
        "CASE-2026-017",
        "--external-description",
        "Exhibits 4-6 as filed",
        s(&dir),
    ]);
    tools::bagit(&args);
    dir
}

fn import_bag(c: &Cat, bag: &std::path::Path) -> Value {
    c.json(&["import", "bag", s(bag)])
}

#[test]
fn a_bagit_py_bag_with_md5_and_sha512_manifests_comes_in_with_its_bag_info() {
    let c = Cat::new();
    let bag = partner_bag(&c, "exhibits", &["--md5", "--sha512"]);
    // bagit.py agrees the bag is valid before we look at it.
    tools::bagit(&["--validate", s(&bag)]);

    let check = c.json(&["import", "bag", "--verify-only", s(&bag)]);
    assert_eq!(check["valid"], true, "{check}");
    assert_eq!(check["kind"], "foreign");
    assert_eq!(check["algorithms"], serde_json::json!(["md5", "sha512"]));
    assert_eq!(check["payload_files"], 3);
    assert_eq!(check["manifests"]["manifest-sha512.txt"], sha256sum(&bag.join("manifest-sha512.txt")));
    assert_eq!(check["bag_info"]["Source-Organization"], "Harbour Court Registry");

    let r = import_bag(&c, &bag);
    assert_eq!(r["imported"], true, "{r}");
    assert_eq!(r["created"]["files"], 3);
    assert_eq!(r["created"]["evidence"], 3);
    let files = r["files"].as_array().unwrap();
    let clip = files.iter().find(|f| f["path"].as_str().unwrap().ends_with("data/clips/quay.mp4")).unwrap();
    assert_eq!(clip["sha256"].as_str().unwrap(), sha256sum(&bag.join("data/clips/quay.mp4")));
    assert_eq!(clip["media_type"], "video/mp4");

    // The bag is the file's acquisition record; bag-info.txt its provenance.
    let f = &c.json(&["show", clip["file"].as_str().unwrap()])["file"];
    assert_eq!(f["method"], "bag");
    assert!(f["tool"].as_str().unwrap().starts_with("bagit.py"), "{f}");
    assert_eq!(f["note"], "from bag CASE-2026-017 (Harbour Court Registry, R. Clerk)");
    for field in ["method", "tool", "note"] {
        assert_eq!(f["sources"][field], "import", "{field}: {f}");
    }
    let rec = &f["acquisition"];
    assert_eq!(rec["format"], "bagit");
    assert_eq!(rec["record"]["name"], "manifest-sha512.txt");
    assert_eq!(rec["record"]["sha256"], sha256sum(&bag.join("manifest-sha512.txt")));
    assert_eq!(rec["fields"]["External-Identifier"], "CASE-2026-017");
    assert_eq!(rec["fields"]["Contact-Name"], "R. Clerk");
    assert!(rec["fields"]["Bagging-Date"].as_str().is_some_and(|d| d.len() == 10), "{rec}");
    let ev = &c.json(&["show", clip["evidence"].as_str().unwrap()])["evidence"];
    assert_eq!(ev["description"], "Exhibits 4-6 as filed");
    assert_eq!(ev["sources"]["description"], "import");
    assert_eq!(ev["kind"], "video");
    // The file's own facts are read as for any `add`.
    assert!(f["duration_ms"].as_u64().is_some_and(|d| (1900..=2100).contains(&d)), "{f}");

    // One `imported` event names the bag by its manifests' digests.
    let log = c.json(&["log"]);
    let imported: Vec<&Value> = log.as_array().unwrap().iter().filter(|e| e["action"] == "imported").collect();
    assert_eq!(imported.len(), 1);
    let d = &imported[0]["details"];
    assert_eq!(d["kind"], "foreign-bag");
    assert_eq!(d["manifests"]["manifest-md5.txt"], sha256sum(&bag.join("manifest-md5.txt")));
    assert_eq!(d["registered"], 3);
    assert_eq!(d["bag_info"]["Payload-Oxum"], check["bag_info"]["Payload-Oxum"]);
    assert_eq!(r["event"], imported[0]["seq"]);

    let text = c.ok(&["import", "bag", "--verify-only", s(&bag)]);
    assert!(text.contains("bag verified (made by bagit.py") && text.contains("2 manifests (md5, sha512)"), "{text}");
    // Where people look: show and the PROV export carry the bag.
    let shown = c.ok(&["show", clip["file"].as_str().unwrap()]);
    assert!(shown.contains("bagit") && shown.contains("CASE-2026-017"), "{shown}");

    // Again: nothing changes.
    let before = head(&c);
    let again = import_bag(&c, &bag);
    assert_eq!(again["already_imported"], true, "{again}");
    assert_eq!(head(&c), before);
    audit_clean(&c);
}

#[test]
fn sha224_sha384_and_sha1_bags_verify_and_a_flipped_byte_is_caught_like_bagit_py_does() {
    let c = Cat::new();
    let bag = partner_bag(&c, "sha", &["--sha1", "--sha224", "--sha384"]);
    let check = c.json(&["import", "bag", "--verify-only", s(&bag)]);
    assert_eq!(check["valid"], true, "{check}");
    assert_eq!(check["algorithms"], serde_json::json!(["sha1", "sha224", "sha384"]));

    let photo = bag.join("data/photo.jpg");
    let mut bytes = fs::read(&photo).unwrap();
    bytes[200] ^= 0x01;
    fs::write(&photo, bytes).unwrap();
    let out =
        std::process::Command::new(tools::venv_python()).args(["-m", "bagit", "--validate", s(&bag)]).output().unwrap();
    assert!(!out.status.success(), "bagit.py accepted a flipped byte");
    let before = head(&c);
    let (stdout, _) = c.fails(&["--json", "import", "bag", s(&bag)], 1);
    let r: Value = serde_json::from_str(&stdout).unwrap();
    let problems = r["check"]["problems"].to_string();
    for alg in ["sha1", "sha224", "sha384"] {
        assert!(problems.contains("data/photo.jpg") && problems.contains(alg), "{alg}: {problems}");
    }
    assert_eq!(r["imported"], false);
    assert_eq!(head(&c), before, "nothing imported");
}

/// Each broken bag: refused with a message naming the file, nothing imported.
#[test]
fn broken_foreign_bags_are_refused_naming_the_problem_and_nothing_is_imported() {
    let c = Cat::new();
    let before = head(&c);
    let refused = |bag: &std::path::Path, want: &[&str]| {
        let (stdout, _) = c.fails(&["--json", "import", "bag", s(bag)], 1);
        let r: Value = serde_json::from_str(&stdout).unwrap();
        let problems = r["check"]["problems"].to_string();
        for w in want {
            assert!(problems.contains(w), "{}: want {w:?} in {problems}", bag.display());
        }
        assert_eq!(r["imported"], false);
        let text = c.cmd().args(["import", "bag", s(bag)]).output().unwrap();
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains("bag REJECTED") && text.contains("nothing was imported"), "{text}");
    };

    // A wrong Payload-Oxum (bag-info.txt edited, so its tag manifest no longer matches either).
    let bag = partner_bag(&c, "oxum", &["--sha256"]);
    let info = fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    let oxum = info.lines().find_map(|l| l.strip_prefix("Payload-Oxum: ")).unwrap().to_string();
    fs::write(bag.join("bag-info.txt"), info.replace(&oxum, "1.1")).unwrap();
    refused(&bag, &["Payload-Oxum is 1.1", &oxum, "bag-info.txt: sha256 mismatch"]);

    // A manifest entry that climbs out of the bag.
    let bag = partner_bag(&c, "traversal", &["--sha256"]);
    fs::write(c.work("secret.txt"), "outside").unwrap();
    let mut m = fs::read_to_string(bag.join("manifest-sha256.txt")).unwrap();
    m.push_str(&format!("{}  data/../../secret.txt\n", sha256sum(&c.work("secret.txt"))));
    fs::write(bag.join("manifest-sha256.txt"), m).unwrap();
    refused(&bag, &["unsafe path", "data/../../secret.txt"]);

    // A payload file in one manifest but not the other.
    let bag = partner_bag(&c, "partial", &["--md5", "--sha256"]);
    let m = fs::read_to_string(bag.join("manifest-md5.txt")).unwrap();
    let kept: String = m.lines().filter(|l| !l.contains("photo.jpg")).map(|l| format!("{l}\n")).collect();
    fs::write(bag.join("manifest-md5.txt"), kept).unwrap();
    refused(&bag, &["data/photo.jpg: not listed in manifest-md5.txt"]);

    // A checksum algorithm evcat cannot check.
    let bag = partner_bag(&c, "blake", &["--blake2b"]);
    refused(&bag, &["manifest-blake2b.txt", "not one evcat verifies"]);

    // fetch.txt naming a file that is not there.
    let bag = partner_bag(&c, "fetch", &["--sha256"]);
    fs::write(bag.join("fetch.txt"), "https://example.org/exhibit7.mp4 1024 data/exhibit7.mp4\n").unwrap();
    refused(&bag, &["fetch.txt", "data/exhibit7.mp4 (from https://example.org/exhibit7.mp4)"]);

    // A malformed manifest line.
    let bag = partner_bag(&c, "malformed", &["--sha256"]);
    let mut m = fs::read_to_string(bag.join("manifest-sha256.txt")).unwrap();
    m.push_str("nothex  data/missing.bin\n");
    fs::write(bag.join("manifest-sha256.txt"), m).unwrap();
    refused(&bag, &["manifest-sha256.txt line 4", "not a sha256 digest"]);

    // Not a bag at all.
    let plain = c.work("plain");
    fs::create_dir_all(&plain).unwrap();
    fs::write(plain.join("a.txt"), "x").unwrap();
    refused(&plain, &["bagit.txt", "no payload manifest"]);

    assert_eq!(head(&c), before, "nothing was imported from any of them");
    assert_eq!(c.json(&["list", "files"]).as_array().map(Vec::len), Some(0));
}

#[test]
fn a_complete_fetch_txt_and_a_bag_without_bag_info_are_accepted() {
    let c = Cat::new();
    let bag = partner_bag(&c, "fetched", &["--sha256"]);
    // The file fetch.txt names is present (already fetched): the bag is complete.
    fs::write(bag.join("fetch.txt"), "https://example.org/photo.jpg - data/photo.jpg\n").unwrap();
    fs::remove_file(bag.join("bag-info.txt")).unwrap();
    fs::remove_file(bag.join("tagmanifest-sha256.txt")).unwrap();
    let r = import_bag(&c, &bag);
    assert_eq!(r["imported"], true, "{r}");
    assert_eq!(r["created"]["files"], 3);
    let f = &c.json(&["show", r["files"][0]["file"].as_str().unwrap()])["file"];
    assert_eq!(f["acquisition"]["format"], "bagit");
    assert_eq!(f["method"], "bag");
    audit_clean(&c);
}

// ---------------------------------------------------------------------------
// hashdeep known lists (Debian's hashdeep is the oracle for the format)

/// A case folder of five files (one a duplicate of another, as real drives have).
fn case_folder(c: &Cat, name: &str) -> std::path::PathBuf {
    let dir = c.work(name);
    fs::create_dir_all(dir.join("clips")).unwrap();
    fs::create_dir_all(dir.join("stills")).unwrap();
    media::make_mp4(&dir.join("clips"), "quay.mp4", 1, 160, 120, None);
    fs::write(dir.join("stills/a.jpg"), media::photo_jpeg(96, 64, 1)).unwrap();
    fs::write(dir.join("stills/b, with comma.jpg"), media::photo_jpeg(96, 64, 2)).unwrap();
    fs::write(dir.join("statement.txt"), "I saw it.\n").unwrap();
    fs::write(dir.join("stills/a-copy.jpg"), media::photo_jpeg(96, 64, 1)).unwrap();
    dir
}

/// hashdeep's audit summary (`-a -v`): "Files matched: N" etc.
fn hashdeep_counts(out: &std::process::Output) -> std::collections::BTreeMap<String, u64> {
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.trim().rsplit_once(':')?;
            Some((k.trim().to_string(), v.trim().parse().ok()?))
        })
        .collect()
}

#[test]
fn audit_against_a_hashdeep_list_agrees_with_hashdeep_audit_mode() {
    let c = Cat::new();
    let case = case_folder(&c, "case");
    let list = c.work("case.hashdeep");
    let made = tools::hashdeep(&case, &["-c", "md5,sha256", "-r", "-l", "."]);
    assert!(made.status.success());
    fs::write(&list, &made.stdout).unwrap();
    // Register some of it, so the report can say which bytes the catalog holds.
    c.ok(&["add", s(&case.join("clips")), "--media-analysis", "off"]);

    // The copy handed over, then altered: a file moved, one changed, one
    // deleted, one added.
    let copy = c.work("copy");
    let cp = std::process::Command::new("cp").args(["-r", s(&case), s(&copy)]).status().unwrap();
    assert!(cp.success());
    fs::create_dir_all(copy.join("moved")).unwrap();
    fs::rename(copy.join("stills/b, with comma.jpg"), copy.join("moved/b.jpg")).unwrap();
    fs::write(copy.join("statement.txt"), "I saw it, I think.\n").unwrap();
    fs::remove_file(copy.join("stills/a.jpg")).unwrap();
    fs::write(copy.join("extra.txt"), "added later\n").unwrap();

    let out = c.cmd().args(["--json", "audit", "--against", s(&list), s(&copy)]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "an altered copy fails: {}", String::from_utf8_lossy(&out.stderr));
    let ours: Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = |k: &str| ours[k].as_array().map(Vec::len).unwrap() as u64;
    assert_eq!(n("matched"), 2, "{ours}"); // quay.mp4, a-copy.jpg
    assert_eq!(n("moved"), 1);
    assert_eq!(n("changed"), 1);
    assert_eq!(n("new"), 1);
    assert_eq!(n("missing"), 1, "{ours}");
    assert_eq!(ours["passed"], false);
    assert_eq!(ours["moved"][0]["path"], "moved/b.jpg");
    assert_eq!(ours["moved"][0]["known_as"], "./stills/b, with comma.jpg");
    assert_eq!(ours["changed"][0]["path"], "statement.txt");
    assert_eq!(ours["missing"][0]["path"], "./stills/a.jpg");
    let clip = ours["matched"].as_array().unwrap().iter().find(|m| m["path"] == "clips/quay.mp4").unwrap();
    assert!(clip["catalog_file"].as_str().is_some_and(|f| f.starts_with('F')), "the catalog holds the clip: {clip}");
    assert!(ours["new"][0].get("catalog_file").is_none());

    // hashdeep's own audit of the same copy: a changed file is, to it, one
    // new file plus one known file not found.
    let theirs = tools::hashdeep(&copy, &["-a", "-v", "-k", s(&list), "-r", "-l", "."]);
    assert!(!theirs.status.success(), "hashdeep passed an altered copy");
    let h = hashdeep_counts(&theirs);
    assert_eq!(h.get("Files matched"), Some(&2), "{h:?}");
    assert_eq!(h.get("Files moved"), Some(&1), "{h:?}");
    assert_eq!(h.get("New files found"), Some(&(n("new") + n("changed"))), "{h:?}");
    assert_eq!(h.get("Known files not found"), Some(&(n("missing") + n("changed"))), "{h:?}");

    let text = c.cmd().args(["audit", "--against", s(&list), s(&copy)]).output().unwrap();
    assert_eq!(text.status.code(), Some(1));
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("CHANGED   statement.txt") && text.contains("audit FAILED"), "{text}");

    // The untouched original passes, with evcat and with hashdeep.
    let ok = c.json(&["audit", "--against", s(&list), s(&case)]);
    assert_eq!(ok["passed"], true, "{ok}");
    assert!(tools::hashdeep(&case, &["-a", "-k", s(&list), "-r", "-l", "."]).status.success());
}

#[test]
fn export_hashdeep_writes_a_list_hashdeep_audits_a_copy_with() {
    let c = Cat::new();
    let case = case_folder(&c, "case");
    c.ok(&["add", s(&case), "--media-analysis", "off"]);
    let list = c.work("catalog.hashdeep");
    let r = c.json(&["export", "hashdeep", s(&list), "--all"]);
    assert_eq!(r["format"], "hashdeep");
    assert_eq!(r["counts"]["files"], 4, "the duplicate is one file: {r}");
    assert_eq!(r["sha256"], sha256sum(&list));
    let text = fs::read_to_string(&list).unwrap();
    assert!(text.starts_with("%%%% HASHDEEP-1.0\n%%%% size,sha256,filename\n"), "{text}");

    // hashdeep reads our list. The folder the files came from holds the
    // duplicate twice, the catalog (and so the list) once: to hashdeep, the
    // second copy is "moved", which fails its audit; ours says the same.
    let audit = tools::hashdeep(&case, &["-a", "-v", "-k", s(&list), "-r", "."]);
    let h = hashdeep_counts(&audit);
    assert!(!audit.status.success(), "{h:?}");
    assert_eq!((h.get("Files matched"), h.get("Files moved")), (Some(&4), Some(&1)), "{h:?}");
    assert_eq!(h.get("Known files not found"), Some(&0), "{h:?}");
    let out = c.cmd().args(["--json", "audit", "--against", s(&list), s(&case)]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let ours: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ours["matched"].as_array().map(Vec::len), Some(4), "{ours}");
    // Whichever of the two was registered first is the list's name for the bytes.
    let moved = ours["moved"][0]["path"].as_str().unwrap().to_string();
    assert!(["stills/a.jpg", "stills/a-copy.jpg"].contains(&moved.as_str()), "{ours}");
    let theirs =
        String::from_utf8_lossy(&tools::hashdeep(&case, &["-a", "-vv", "-k", s(&list), "-r", "-l", "."]).stdout)
            .into_owned();
    assert!(theirs.contains(&format!("{moved}: Moved from")), "hashdeep names another file: {theirs}");
    for kind in ["matched", "moved"] {
        for it in ours[kind].as_array().unwrap() {
            assert!(it["catalog_file"].is_string(), "every file is held by the catalog: {it}");
        }
    }
    // Without the duplicate both pass.
    fs::remove_file(case.join(&moved)).unwrap();
    assert!(tools::hashdeep(&case, &["-a", "-k", s(&list), "-r", "."]).status.success());
    assert_eq!(c.json(&["audit", "--against", s(&list), s(&case)])["passed"], true);
    // The export is a custody event, like every export.
    let last = c.json(&["log"]).as_array().unwrap().last().cloned().unwrap();
    assert_eq!(last["action"], "exported");
    assert_eq!(last["details"]["format"], "hashdeep");
}

#[test]
fn import_hashdeep_attaches_verified_hashes_and_refuses_conflicts() {
    let c = Cat::new();
    let case = case_folder(&c, "case");
    c.ok(&["add", s(&case.join("stills")), "--media-analysis", "off"]);
    let list = c.work("partner.hashdeep");
    let made = tools::hashdeep(&case, &["-c", "md5,sha1", "-r", "-l", "."]);
    fs::write(&list, &made.stdout).unwrap();

    let r = c.json(&["import", "hashdeep", s(&list)]);
    assert_eq!(r["attached"].as_array().map(Vec::len), Some(3), "a.jpg, a-copy.jpg (same bytes), b: {r}");
    assert_eq!(r["unknown"].as_array().map(Vec::len), Some(2), "quay.mp4 and statement.txt: {r}");
    let seq = r["event"].as_u64().unwrap();
    let ev = c.json(&["log"]).as_array().unwrap().iter().find(|e| e["seq"] == seq).cloned().unwrap();
    assert_eq!(ev["action"], "imported");
    assert_eq!(ev["details"]["kind"], "hashdeep");
    assert_eq!(ev["details"]["list_sha256"], sha256sum(&list));
    let a = &ev["details"]["attached"][0];
    assert!(a["hashes"]["md5"].as_str().is_some_and(|h| h.len() == 32) && a["hashes"]["sha1"].is_string(), "{a}");

    // Again: nothing changes.
    let before = head(&c);
    assert_eq!(c.json(&["import", "hashdeep", s(&list)])["already_imported"], true);
    assert_eq!(head(&c), before);

    // A list whose md5 agrees with a file and whose sha1 does not: refused, nothing recorded.
    let text = fs::read_to_string(&list).unwrap();
    let line = text.lines().find(|l| l.ends_with("stills/a.jpg")).unwrap();
    let parts: Vec<&str> = line.splitn(4, ',').collect();
    let forged_line = format!("{},{},{},{}", parts[0], parts[1], "0".repeat(40), parts[3]);
    let forged = c.write("forged.hashdeep", text.replace(line, &forged_line).as_bytes());
    let (stdout, _) = c.fails(&["--json", "import", "hashdeep", s(&forged)], 1);
    let r: Value = serde_json::from_str(&stdout).unwrap();
    assert!(r["conflicts"][0].as_str().unwrap().contains("stills/a.jpg"), "{r}");
    assert_eq!(head(&c), before);

    // A malformed line: exit 2, naming the file and line.
    let bad = c.write("bad.hashdeep", b"%%%% HASHDEEP-1.0\n%%%% size,md5,filename\nabc,123,x\n");
    let (_, stderr) = c.fails(&["import", "hashdeep", s(&bad)], 2);
    assert!(stderr.contains("bad.hashdeep line 3") && stderr.contains("size \"abc\""), "{stderr}");
    let (_, stderr) = c.fails(&["audit", "--against", s(&bad), s(&case)], 2);
    assert!(stderr.contains("bad.hashdeep line 3"), "{stderr}");
    assert_eq!(head(&c), before);
    audit_clean(&c);
}
