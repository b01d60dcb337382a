//! Media intelligence (issue 5): perceptual fingerprints, near-duplicates on
//! `add`, `similar`, `derive`, `lineage`, thumbnails as derived objects,
//! transcode hints, limits, and running without ffmpeg.
//!
//! Thresholds: a per-frame PDQ distance of at most 31 bits (of 256) is a
//! match (`DEFAULT_MAX_DISTANCE`, ThreatExchange's advice). Measured on the
//! generated photos: a 40 % resize + quality-60 recompression lands at 2-10,
//! a +40 brightness change at 2-24, a centred crop keeping 90 % of the area
//! at 44-62 on the whole-picture hash but within 10 of the original's crop
//! variant; unrelated photos sit at 120-140. A video re-encoded at half the
//! resolution and CRF 35 is within ~10 on every keyframe; a different clip is
//! beyond 100.

mod common;

use std::path::Path;

use common::{media, registered, s, Cat};
use serde_json::Value;

const W: u32 = 1200;
const H: u32 = 900;

fn near_dups(report: &Value) -> Vec<Value> {
    report["media"]["near_duplicates"].as_array().cloned().unwrap_or_default()
}

fn fingerprints(c: &Cat, file: i64) -> Vec<(i64, Option<i64>, String, i64)> {
    let conn = rusqlite::Connection::open(c.dir.join("catalog.sqlite")).unwrap();
    let mut st = conn
        .prepare(
            "SELECT frame_index, frame_ms, hex(hash), quality FROM fingerprint WHERE file_id = ?1 ORDER BY frame_index, id",
        )
        .unwrap();
    st.query_map([file], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect()
}

fn method_versions(c: &Cat) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(c.dir.join("catalog.sqlite")).unwrap();
    let mut st = conn.prepare("SELECT DISTINCT method, version FROM fingerprint").unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

fn ids(matches: &Value) -> Vec<&str> {
    matches.as_array().unwrap().iter().map(|m| m["file"].as_str().unwrap()).collect()
}

#[test]
fn resized_cropped_and_brightened_copies_match_an_unrelated_photo_does_not() {
    let c = Cat::new();
    let orig = c.write("orig.jpg", &media::photo_jpeg(W, H, 11));
    let first = c.json(&["add", s(&orig)]);
    assert_eq!(first["media"]["analyzed"], 1);
    assert!(near_dups(&first).is_empty());

    let resized = c.write("resized.jpg", &media::photo_resized(W, H, 11, 480, 360, 60));
    let crop = c.write("crop.jpg", &media::photo_cropped(W, H, 11, 90));
    let bright = c.write("bright.jpg", &media::photo_brightened(W, H, 11, 40));
    let other = c.write("other.jpg", &media::photo_jpeg(W, H, 12));
    let r = c.json(&["add", s(&resized), s(&crop), s(&bright), s(&other)]);
    let dups = near_dups(&r);
    for f in ["F2", "F3", "F4"] {
        let d = dups.iter().find(|d| d["file"] == f);
        let d = d.unwrap_or_else(|| panic!("{f} not reported as a near-duplicate: {dups:#?}"));
        assert!(d["message"].as_str().unwrap().starts_with(&format!("{f} looks like")), "{d}");
        assert_ne!(d["of"], "F5", "{d}");
        assert!(d["distance"].as_u64().unwrap() <= 31, "{d}");
    }
    assert!(dups.iter().all(|d| d["file"] != "F5"), "unrelated photo matched: {dups:#?}");

    let sim = c.json(&["similar", "F1"]);
    let found = ids(&sim["matches"]);
    assert_eq!(found.len(), 3, "{sim:#}");
    for f in ["F2", "F3", "F4"] {
        assert!(found.contains(&f), "{sim:#}");
    }
    let dists: Vec<u64> = sim["matches"].as_array().unwrap().iter().map(|m| m["distance"].as_u64().unwrap()).collect();
    assert!(dists.windows(2).all(|w| w[0] <= w[1]), "closest first: {dists:?}");
    assert!(ids(&c.json(&["similar", "F5"])["matches"]).is_empty());
    // A tighter threshold keeps only the closest.
    let tight = c.json(&["similar", "F1", "--max-distance", "0"]);
    assert!(ids(&tight["matches"]).len() < 3);

    // The relation is recorded, and the text form says it in words.
    let text = c.ok(&["similar", "F1"]);
    assert!(text.contains("F1 looks like a near-duplicate of F"), "{text}");
    let clusters = c.json(&["similar", "--all"]);
    assert_eq!(clusters.as_array().unwrap().len(), 1, "{clusters:#}");
    assert_eq!(clusters[0]["files"], serde_json::json!(["F1", "F2", "F3", "F4"]));
    assert_eq!(method_versions(&c), vec![("pdq".to_string(), "evcat-pdq-3".to_string())]);
    assert_eq!(c.json(&["audit"])["clean"], true);
}

/// `similar` and `add` query the persisted band index (`fingerprint_band`);
/// its answers must equal the in-memory index over every stored fingerprint
/// (itself checked against a linear scan), on both sides of the radius where
/// the persisted lookup switches to a sequential pass (48).
#[test]
fn persisted_index_answers_like_the_in_memory_index() {
    let c = Cat::new();
    let dir = c.work("v");
    let mut paths = vec![
        c.write("orig.jpg", &media::photo_jpeg(W, H, 21)),
        c.write("resized.jpg", &media::photo_resized(W, H, 21, 600, 450, 60)),
        c.write("crop.jpg", &media::photo_cropped(W, H, 21, 90)),
        c.write("bright.jpg", &media::photo_brightened(W, H, 21, 30)),
        c.write("other.jpg", &media::photo_jpeg(W, H, 22)),
    ];
    if evcat::fingerprint::video::ffmpeg_available() {
        let src = media::make_mp4(&dir, "src.mp4", 4, 320, 180, None);
        paths.push(media::reencode_mp4(&src, &dir.join("re.mp4"), 160, 90, 35));
        paths.push(src);
    }
    c.ok(&["add", s(&paths[0])]);
    let rest: Vec<&str> = paths[1..].iter().map(|p| s(p)).collect();
    c.ok(&[&["add"][..], &rest].concat());
    // A re-analysis replaces a file's rows (delete and insert triggers).
    c.ok(&["fingerprint", "F1"]);

    let conn = rusqlite::Connection::open(c.dir.join("catalog.sqlite")).unwrap();
    let (fps, bands): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM fingerprint WHERE transform = 'identity'), (SELECT count(*) FROM fingerprint_band)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(fps >= 15, "{fps}");
    // Rotated and flipped hashes are query-side only: not indexed.
    assert_eq!(bands, 16 * fps);

    let cat = evcat::Catalog::open(&c.dir, Default::default()).unwrap();
    let set = cat.fingerprint_set().unwrap();
    let mut compared = 0;
    for &f in set.files() {
        for r in [0, 12, 31, 40, 47, 48, 63] {
            let want = set.matches(set.hashes_of(f), set.is_video(f), r, |o| o != f);
            let got = cat.similar(f, r).unwrap();
            assert_eq!(serde_json::to_value(&got).unwrap(), serde_json::to_value(&want).unwrap(), "{f} at radius {r}");
            compared += got.len();
        }
    }
    assert!(compared > 20, "the comparison should see matches: {compared}");
    assert_eq!(c.json(&["audit"])["clean"], true);
}

#[test]
fn show_lists_fingerprints_and_similar_relations() {
    let c = Cat::new();
    let orig = c.write("orig.jpg", &media::photo_jpeg(W, H, 5));
    let copy = c.write("copy.jpg", &media::photo_resized(W, H, 5, 600, 450, 70));
    c.ok(&["add", s(&orig)]);
    c.ok(&["add", s(&copy)]);
    let stored = fingerprints(&c, 2);
    // Whole, centred crops, one-side cuts and the dihedral variants of the whole (issue 15).
    assert!(stored.len() >= 3 + 20 + 7, "{stored:?}");

    let doc = c.json(&["show", "F2"]);
    let fps = doc["media"]["fingerprints"].as_array().unwrap();
    assert_eq!(fps.len(), stored.len());
    for (j, f) in fps.iter().zip(&stored) {
        assert_eq!((j["method"].as_str(), j["version"].as_str()), (Some("pdq"), Some("evcat-pdq-3")));
        assert_eq!(j["frame_index"].as_i64(), Some(f.0));
        assert!(j["frame_ms"].is_null(), "stills have no frame time");
        assert_eq!(j["hash"].as_str().unwrap(), f.2.to_lowercase());
        assert_eq!(j["quality"].as_i64(), Some(f.3));
    }
    let sim = &doc["media"]["similar"];
    assert_eq!(sim.as_array().unwrap().len(), 1, "{sim:#}");
    assert_eq!((&sim[0]["file"], &sim[0]["other"]), (&"F2".into(), &"F1".into()));
    let looks = sim[0]["looks_like"].as_str().unwrap();
    assert!(["same-picture", "near-duplicate"].contains(&looks), "{sim:#}");

    let text = c.ok(&["show", "F2"]);
    assert!(text.contains(&format!("Fingerprints ({})", stored.len())), "{text}");
    assert!(text.contains("without 12 % at the left"), "{text}");
    assert!(text.contains("whole picture, mirror"), "{text}");
    assert!(text.contains("pdq evcat-pdq-3  whole picture"), "{text}");
    assert!(text.contains(&stored[0].2.to_lowercase()), "{text}");
    assert!(text.contains("centred crop, 90 % of area"), "{text}");
    assert!(text.contains(&format!("  F1  {looks}, PDQ distance ")), "{text}");
    // The relation shows from the other side too.
    let first = c.ok(&["show", "F1"]);
    assert!(first.contains(&format!("  F2  {looks}, PDQ distance ")), "{first}");
}

#[test]
fn add_reports_near_duplicates_in_text() {
    let c = Cat::new();
    let orig = c.write("orig.jpg", &media::photo_jpeg(W, H, 5));
    let copy = c.write("copy.jpg", &media::photo_resized(W, H, 5, 600, 450, 70));
    c.ok(&["add", s(&orig)]);
    let out = c.ok(&["add", s(&copy)]);
    let line = out.lines().find(|l| l.starts_with("F2 looks like")).unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains(" F1: PDQ distance "), "{out}");
}

#[test]
fn video_reencode_matches_its_source_and_a_different_clip_does_not() {
    let c = Cat::new();
    let dir = c.work("v");
    let src = media::make_mp4(&dir, "src.mp4", 6, 640, 360, None);
    let re = media::reencode_mp4(&src, &dir.join("re.mp4"), 320, 180, 35);
    let other = media::make_mp4_source(&dir, "other.mp4", "mandelbrot", 6, 640, 360);
    let first = c.json(&["add", s(&src)]);
    assert_eq!(first["media"]["fingerprinted"], 1, "{first:#}");
    let frames = fingerprints(&c, 1);
    // Each keyframe whole and mirrored (trimmed too when it has borders).
    assert!(frames.len() >= 12 && frames.len() <= 4 * 120, "{frames:?}");
    assert!(frames.iter().all(|f| f.1.is_some()), "keyframes carry their time");

    let r = c.json(&["add", s(&re), s(&other)]);
    let dups = near_dups(&r);
    assert_eq!(dups.len(), 1, "{dups:#?}");
    let d = &dups[0];
    assert_eq!((&d["file"], &d["of"]), (&"F2".into(), &"F1".into()));
    assert_eq!(d["looks_like"], "re-encode");
    let msg = d["message"].as_str().unwrap();
    assert!(msg.starts_with("F2 looks like a re-encode of F1: PDQ distance "), "{msg}");
    assert!(msg.contains("keyframes match"), "{msg}");
    assert!(d["frames_matched"].as_u64().unwrap() * 2 >= d["frames_total"].as_u64().unwrap());
    assert!(ids(&c.json(&["similar", "F3"])["matches"]).is_empty());
    assert_eq!(ids(&c.json(&["similar", "F1"])["matches"]), ["F2"]);

    // `show` lists keyframe fingerprints with their times and the relation.
    let shown = c.json(&["show", "F1"]);
    let fps = shown["media"]["fingerprints"].as_array().unwrap();
    assert_eq!(fps.len(), frames.len());
    for (j, f) in fps.iter().zip(&frames) {
        assert_eq!(j["frame_ms"].as_i64(), f.1);
        assert_eq!(j["hash"].as_str().unwrap(), f.2.to_lowercase());
    }
    assert_eq!(shown["media"]["similar"][0]["file"], "F2");
    let text = c.ok(&["show", "F1"]);
    assert!(text.contains("pdq evcat-pdq-3  keyframe 1 at 00:01"), "{text}");
    assert!(text.contains("  F2  re-encode, PDQ distance "), "{text}");
}

#[test]
fn fingerprints_are_deterministic() {
    let a = Cat::new();
    let b = Cat::new();
    for c in [&a, &b] {
        let img = c.write("p.jpg", &media::photo_jpeg(800, 600, 3));
        let vid = media::make_mp4(&c.work("v"), "v.mp4", 3, 320, 240, None);
        c.json(&["add", s(&img), s(&vid)]);
    }
    for f in [1, 2] {
        let fa = fingerprints(&a, f);
        assert!(!fa.is_empty());
        assert_eq!(fa, fingerprints(&b, f), "F{f}");
    }
    // Recomputing gives the same hashes and the same thumbnails (no new objects).
    let before = fingerprints(&a, 1);
    let objects = a.json(&["audit", "--no-record"])["checked"].clone();
    let r = a.json(&["fingerprint", "F1", "F2"]);
    assert_eq!(r["analyzed"], 2);
    assert_eq!(fingerprints(&a, 1), before);
    assert_eq!(a.json(&["audit", "--no-record"])["checked"]["derived_objects"], objects["derived_objects"]);
    assert_eq!(a.json(&["audit"])["clean"], true);
}

#[test]
fn without_ffmpeg_videos_are_registered_with_one_notice() {
    let c = Cat::new();
    let dir = c.work("v");
    media::make_mp4(&dir, "a.mp4", 2, 320, 240, None);
    media::make_mp4(&dir, "b.mp4", 3, 320, 240, None);
    c.write("v/p.jpg", &media::photo_jpeg(640, 480, 9));
    let empty = c.tmp.path().join("no-tools");
    std::fs::create_dir_all(&empty).unwrap();
    let out = c.cmd().env("PATH", &empty).args(["add", s(&dir)]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{err}\n{stdout}");
    assert_eq!(err.matches("ffmpeg not found on PATH").count(), 1, "said once: {err}");
    assert!(err.contains("2 video or audio file(s)"), "{err}");
    assert!(stdout.contains("3 registered"), "{stdout}");
    // JSON: the same notice, once; the photo is still fingerprinted.
    let v2 = media::make_mp4(&c.work("w"), "c.mp4", 4, 320, 240, None);
    let out = c.cmd().env("PATH", &empty).args(["--json", "add", s(&v2)]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["media"]["notices"].as_array().unwrap().len(), 1, "{r:#}");
    assert_eq!(registered(&r).len(), 1);
    // Walk order is by name: a.mp4 F1, b.mp4 F2, p.jpg F3.
    assert!(fingerprints(&c, 1).is_empty());
    assert!(!fingerprints(&c, 3).is_empty());
    assert_eq!(c.json(&["audit"])["clean"], true);

    // With ffmpeg back on PATH, the missing ones are caught up.
    let r = c.json(&["fingerprint", "--missing"]);
    assert_eq!(r["analyzed"], 3, "{r:#}");
    assert_eq!(r["fingerprinted"], 3, "{r:#}");
    assert!(fingerprints(&c, 1).len() >= 2);
    assert!(c.json(&["fingerprint", "--missing"])["analyzed"] == 0);
}

#[test]
fn derive_is_logged_and_lineage_marks_the_earliest() {
    let c = Cat::new();
    let exif = media::Exif { date_time_original: Some("2026:03:14 13:02:03".into()), ..Default::default() };
    let cam = c.write("cam.jpg", &media::photo_with_exif(W, H, 21, &exif));
    let post = c.write("post.jpg", &media::photo_resized(W, H, 21, 600, 450, 70));
    let shot = c.write("shot.jpg", &media::photo_cropped(W, H, 21, 81));
    c.json(&["add", s(&cam)]);
    c.json(&["add", s(&post), "--platform", "x", "--posted-at", "2026-03-14T15:00:00Z"]);
    c.json(&["add", s(&shot), "--platform", "telegram", "--posted-at", "2026-03-15"]);

    let d = c.json(&["derive", "F2", "--from", "F1", "--how", "transcode", "--reason", "same pixels, smaller"]);
    assert_eq!(d["recorded"], true);
    assert_eq!(c.json(&["derive", "F2", "--from", "F1", "--how", "transcode"])["recorded"], false);
    c.json(&["derive", "F3", "--from", "F2", "--how", "screen-recording"]);
    // Cycles and self-derivation are refused.
    let (_, err) = c.fails(&["derive", "F1", "--from", "F3", "--how", "crop"], 2);
    assert!(err.contains("cycle"), "{err}");
    c.fails(&["derive", "F1", "--from", "F1", "--how", "crop"], 2);
    c.fails(&["derive", "F1", "--from", "F9", "--how", "crop"], 2);

    let t = c.json(&["custody", "F2"]);
    let derived = t.as_array().unwrap().iter().find(|e| e["action"] == "derived").expect("a derived event");
    assert_eq!(derived["details"]["how"], "transcode");
    assert_eq!(derived["details"]["changes"]["derived_from"]["after"], 1);

    let l = c.json(&["lineage", "F3"]);
    let nodes = l["nodes"].as_array().unwrap();
    let order: Vec<&str> = nodes.iter().map(|n| n["file"].as_str().unwrap()).collect();
    assert_eq!(order, ["F1", "F2", "F3"]);
    assert_eq!(nodes[1]["how"], "transcode");
    assert_eq!(nodes[2]["how"], "screen-recording");
    assert_eq!(l["earliest"]["file"], "F1");
    assert_eq!(l["earliest"]["what"], "capture");
    assert_eq!(nodes[0]["earliest"], true);
    assert_eq!(c.json(&["lineage", "E3"])["nodes"].as_array().unwrap().len(), 3);
    let text = c.ok(&["lineage", "F2"]);
    assert!(text.contains("earliest known capture: 2026-03-14T13:02:03 (F1)"), "{text}");
    assert!(text.contains("  F2 (E2) [transcode]"), "{text}");
    // Record integrity replays the derivation.
    assert_eq!(c.json(&["audit"])["clean"], true);
}

#[test]
fn thumbnails_are_derived_objects_checked_by_audit() {
    let c = Cat::new();
    let img = c.write("p.jpg", &media::photo_jpeg(1000, 750, 4));
    let vid = media::make_mp4(&c.work("v"), "v.mp4", 4, 640, 360, None);
    c.json(&["add", s(&img), s(&vid)]);
    let a = c.json(&["audit", "--no-record"]);
    assert_eq!(a["clean"], true, "{a:#}");
    assert_eq!(a["checked"]["derived_objects"], 3, "thumbnail, poster, contact sheet: {a:#}");

    let conn = rusqlite::Connection::open(c.dir.join("catalog.sqlite")).unwrap();
    let rows: Vec<(i64, String, String, i64, i64)> = conn
        .prepare("SELECT file_id, kind, sha256, width, height FROM derived_object ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let kinds: Vec<(i64, &str)> = rows.iter().map(|r| (r.0, r.1.as_str())).collect();
    assert_eq!(kinds, [(1, "thumbnail"), (2, "poster"), (2, "contact-sheet")]);
    assert_eq!((rows[0].3, rows[0].4), (320, 240));
    for r in &rows {
        let p = c.object_path(&r.2);
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(&bytes[..2], &[0xff, 0xd8], "a JPEG");
        assert_eq!(common::sha256sum(&p), r.2);
    }
    // The analysis is attested in the custody log.
    let log = c.json(&["log", "--limit", "1000"]);
    let ev = log.as_array().unwrap().iter().find(|e| e["action"] == "media-analyzed").expect("attesting event");
    let derived: Vec<&str> = ev["details"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["derived"].as_array().unwrap().iter().map(|d| d["sha256"].as_str().unwrap()))
        .collect();
    assert_eq!(derived.len(), 3);

    // A damaged thumbnail is named by audit.
    remove(&c.object_path(&rows[0].2));
    let out = c.cmd().args(["--json", "audit", "--no-record"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let probs = v["problems"].as_array().unwrap();
    assert!(
        probs.iter().any(|p| p["check"] == "fixity" && p["record"].as_str().unwrap().contains("F1 thumbnail")),
        "{v:#}"
    );
}

fn remove(p: &Path) {
    std::fs::remove_file(p).unwrap();
}

#[test]
fn transcode_hints_flag_platform_copies() {
    let c = Cat::new();
    let exif = media::Exif { make: Some("Canon".into()), model: Some("EOS R6".into()), ..Default::default() };
    let camera = c.write("camera.jpg", &media::jpeg_with_exif(640, 480, 1, &exif));
    let stripped = c.write("stripped.jpg", &media::jpeg_bytes(640, 480, 1));
    let dir = c.work("v");
    let src = media::make_mp4(&dir, "cam.mp4", 2, 320, 240, None);
    let re = media::reencode_mp4(&src, &dir.join("re.mp4"), 320, 240, 30);
    let r = c.json(&["add", s(&camera), s(&stripped), s(&re)]);
    let hints = r["media"]["transcode_hints"].as_array().unwrap();
    let of = |f: &str| -> Vec<String> {
        hints
            .iter()
            .filter(|h| h["file"] == f)
            .flat_map(|h| h["hints"].as_array().unwrap().iter().map(|x| x["code"].as_str().unwrap().to_string()))
            .collect()
    };
    assert!(of("F1").is_empty(), "{hints:#?}");
    assert_eq!(of("F2"), ["jpeg-without-exif"]);
    assert!(of("F3").contains(&"ffmpeg-muxer".to_string()), "{hints:#?}");
    let text = c.ok(&["lineage", "F2"]);
    assert!(text.contains("hints: jpeg-without-exif"), "{text}");
}

#[test]
fn oversized_and_broken_images_are_warnings_not_failures() {
    let c = Cat::new();
    let bomb = c.write("bomb.png", &media::png_claiming_size(20_000, 20_000));
    let trunc = c.write("trunc.jpg", &media::truncate(&media::photo_jpeg(800, 600, 2), 3000));
    let ok = c.write("ok.png", &media::png_bytes(300, 200, 3));
    let out = c.cmd().args(["add", s(&bomb), s(&trunc), s(&ok)]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("400 megapixels") && err.contains("100 megapixel limit"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let r = c.json(&["fingerprint", "F1", "F2", "F3"]);
    let warned: Vec<&str> = r["warnings"].as_array().unwrap().iter().map(|w| w["file"].as_str().unwrap()).collect();
    assert!(warned.contains(&"F1"), "{r:#}");
    assert!(!fingerprints(&c, 3).is_empty(), "the PNG is fingerprinted");
    let (_, e) = c.fails(&["similar", "F1"], 2);
    assert!(e.contains("megapixel"), "{e}");
    assert_eq!(c.json(&["audit"])["clean"], true);
}

/// `add --media-analysis off` (or `EVCAT_MEDIA_ANALYSIS=off`, the same flag
/// through the environment) registers without analysing; `fingerprint
/// --missing` catches up. A value that is neither on nor off is a usage error.
#[test]
fn media_analysis_off_registers_only() {
    let c = Cat::new();
    let a = c.write("a.jpg", &media::photo_jpeg(640, 480, 31));
    let b = c.write("b.jpg", &media::photo_resized(640, 480, 31, 320, 240, 70));
    let r = c.json(&["add", "--media-analysis", "off", s(&a)]);
    assert_eq!((registered(&r).len(), &r["media"]["analyzed"]), (1, &Value::from(0)), "{r:#}");
    let out = c.cmd().env("EVCAT_MEDIA_ANALYSIS", "OFF").args(["--json", "add", s(&b)]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((registered(&r).len(), &r["media"]["analyzed"]), (1, &Value::from(0)), "{r:#}");
    assert!(fingerprints(&c, 1).is_empty() && fingerprints(&c, 2).is_empty());

    let (_, err) = c.fails(&["add", "--media-analysis", "maybe", s(&a)], 2);
    assert!(err.contains("expected on or off"), "{err}");

    let r = c.json(&["fingerprint", "--missing"]);
    assert_eq!((&r["analyzed"], &r["fingerprinted"]), (&Value::from(2), &Value::from(2)), "{r:#}");
    // Caught up in one batch, the copy is still compared with the file added before it.
    let dups = r["near_duplicates"].as_array().unwrap();
    assert_eq!(dups.len(), 1, "{r:#}");
    assert_eq!((&dups[0]["file"], &dups[0]["of"]), (&Value::from("F2"), &Value::from("F1")));
    assert_eq!(c.json(&["audit"])["clean"], true);
}

/// Mean differing bits (of 32) per word of two raw fingerprints at `offset`
/// (`b[i]` against `a[i + offset]`), and how many words were compared.
fn bit_error(a: &[u32], b: &[u32], offset: i64) -> (f64, usize) {
    let pairs: Vec<(u32, u32)> = b
        .iter()
        .enumerate()
        .filter_map(|(i, &y)| a.get(usize::try_from(i as i64 + offset).ok()?).map(|&x| (x, y)))
        .collect();
    let bits: u32 = pairs.iter().map(|(x, y)| (x ^ y).count_ones()).sum();
    (f64::from(bits) / pairs.len().max(1) as f64, pairs.len())
}

/// evcat's Chromaprint (the pure-Rust port over ffmpeg's 11 025 Hz mono
/// decode) agrees with the reference `fpcalc -raw` on real encodings of a
/// tune: WAV, AAC in an MP4 under video, MP3. Measured (fpcalc 1.5.1,
/// Debian bookworm's FFmpeg 5.1): the same number of words, identical
/// (0.00 bits of 32 apart at offset 0) on all three; a distinct tune is
/// 14.2 bits apart. The bound is 1 bit, not 0, because fpcalc downmixes and
/// resamples inside Chromaprint while evcat has ffmpeg do it, so another
/// FFmpeg build may round a few samples differently.
#[test]
fn audio_fingerprints_agree_with_fpcalc() {
    let c = Cat::new();
    let dir = c.work("fpcalc");
    let wav = common::reposts::tune_wav(&dir, "tune.wav", 5, 20);
    let mp3 = common::reposts::rerecord(&wav, &dir.join("tune.mp3"), (0.0, 20.0), 0.0, 1, "libmp3lame");
    let slides = common::reposts::video_from_photos(&dir, "slides.mp4", 77, 4);
    let mp4 = common::reposts::with_sound(&slides, &wav, &dir.join("clip.mp4"));
    let other = common::reposts::tune_wav(&dir, "other.wav", 6, 20);
    let add = c.json(&["add", s(&wav), s(&mp3), s(&mp4), s(&other)]);
    let ids = registered(&add);
    let words = |i: usize| -> Vec<u32> {
        let f = ids[i]["file"].as_str().unwrap();
        let show = c.json(&["show", f]);
        let w = &show["media"]["audio_fingerprint"]["words"];
        w.as_array()
            .unwrap_or_else(|| panic!("{f} has an audio fingerprint: {show:#}"))
            .iter()
            .map(|x| x.as_u64().unwrap() as u32)
            .collect()
    };
    let mut report = Vec::new();
    for (i, path) in [&wav, &mp3, &mp4].into_iter().enumerate() {
        let ours = words(i);
        let theirs = common::tools::fpcalc_raw(path);
        let (err, n) = bit_error(&theirs, &ours, 0);
        report.push(format!("{}: {} vs {} words, {err:.2} bits of 32 apart", path.display(), ours.len(), theirs.len()));
        assert!(ours.len().abs_diff(theirs.len()) <= 3, "{report:#?}");
        assert!(n + 3 >= theirs.len().min(ours.len()), "{report:#?}");
        assert!(err < 1.0, "evcat and fpcalc disagree: {report:#?}");
    }
    let (apart, _) = bit_error(&common::tools::fpcalc_raw(&other), &words(0), 0);
    report.push(format!("distinct tune: {apart:.2} bits apart"));
    eprintln!("{report:#?}");
    assert!(apart > 10.0, "{report:#?}");
}
