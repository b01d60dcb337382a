//! Issue 12: real-world media facts, checked field by field against
//! exiftool's own reading of the same files (`exiftool -j -n -a -G1`).
//! Fails loudly when exiftool, ffmpeg or heif-enc is missing.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{realworld, s, Cat};
use serde_json::Value;

/// exiftool's reading of every file in `dir`, by file name.
fn exiftool_dir(dir: &Path) -> BTreeMap<String, Value> {
    let out = match Command::new("exiftool").args(["-j", "-n", "-a", "-G1", "-q", "-q"]).arg(dir).output() {
        Ok(o) => o,
        Err(e) => panic!("exiftool not found or not runnable ({e}): run `bash .ci/install-test-deps`"),
    };
    let docs: Vec<Value> = serde_json::from_slice(&out.stdout).expect("exiftool JSON");
    docs.into_iter()
        .map(|d| {
            let name = Path::new(d["SourceFile"].as_str().unwrap_or_default())
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, d)
        })
        .collect()
}

/// The first of `keys` exiftool reports (group:tag), skipping its
/// "unset" values (QuickTime's zero dates).
fn pick<'a>(d: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().filter_map(|k| d.get(*k)).find(|v| !(v.as_str().is_some_and(|s| s.starts_with("0000:00:00"))))
}

/// The value of `tag` in any group (e.g. `Track1:CodecID` for TrackType 1).
fn track_tag<'a>(d: &'a Value, track_type: i64, tag: &str) -> Option<&'a Value> {
    (1..8).find_map(|i| {
        let t = d.get(format!("Track{i}:TrackType"))?.as_i64()?;
        (t == track_type).then(|| d.get(format!("Track{i}:{tag}"))).flatten()
    })
}

/// exiftool's time text (`2026:03:14 13:02:03+01:00`, maybe `Z`) as (wall clock, offset).
fn ex_time(v: &Value, offset: Option<&Value>) -> Option<(String, Option<String>)> {
    let t = v.as_str()?;
    let wall = t.get(..19)?.replacen(':', "-", 2).replacen(' ', "T", 1);
    let zone =
        t.get(19..).filter(|z| !z.is_empty()).map(|z| if z == "Z" { "+00:00".to_string() } else { z.to_string() });
    let zone = zone.or_else(|| offset.and_then(Value::as_str).map(str::to_string));
    Some((wall, zone))
}

fn ev_time(t: &str) -> (String, Option<String>) {
    let wall = t.get(..19).unwrap_or(t).to_string();
    let zone =
        t.get(19..).filter(|z| !z.is_empty()).map(|z| if z == "Z" { "+00:00".to_string() } else { z.to_string() });
    (wall, zone)
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// "00:00:01.008000000" or seconds, as seconds.
fn secs(v: &Value) -> Option<f64> {
    if let Some(s) = v.as_str().filter(|s| s.contains(':')) {
        let p: Vec<f64> = s.split(':').filter_map(|x| x.parse().ok()).collect();
        return (p.len() == 3).then(|| p[0] * 3600.0 + p[1] * 60.0 + p[2]);
    }
    num(v)
}

/// One comparison: (field, exiftool's value as text, evcat's, agree?).
type Row = (&'static str, String, String, bool);

fn compare(ex: &Value, ev: &Value) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let evs = |k: &str| {
        ev[k]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| if ev[k].is_null() { "-".into() } else { ev[k].to_string() })
    };
    let mut text = |field: &'static str, keys: &[&str], ours: &str| {
        if let Some(v) = pick(ex, keys) {
            let theirs = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
            let mine = evs(ours);
            let ok = theirs.trim() == mine.trim();
            rows.push((field, theirs, mine, ok));
        }
    };
    text("make", &["IFD0:Make", "Keys:Make", "UserData:Make", "XMP-tiff:Make"], "make");
    text("model", &["IFD0:Model", "Keys:Model", "UserData:Model", "XMP-tiff:Model"], "model");
    text("lens", &["ExifIFD:LensModel", "XMP-exifEX:LensModel"], "lens");
    // Capture time, in the order a verifier would trust them.
    let time_keys = [
        ("ExifIFD:DateTimeOriginal", Some("ExifIFD:OffsetTimeOriginal")),
        ("Keys:CreationDate", None),
        ("XMP-exif:DateTimeOriginal", None),
        ("XMP-xmp:CreateDate", None),
        ("Matroska:DateTimeOriginal", None),
        ("QuickTime:CreateDate", None),
    ];
    if let Some((key, t, off)) =
        time_keys.iter().find_map(|&(k, o)| Some((k, pick(ex, &[k])?, o.and_then(|o| ex.get(o)))))
    {
        let mut theirs = ex_time(t, off);
        // QuickTime's CreateDate is UTC by specification; exiftool prints it without a zone.
        if let Some((_, zone @ None)) = theirs.as_mut() {
            if key == "QuickTime:CreateDate" {
                *zone = Some("+00:00".to_string());
            }
        }
        let mine = ev["captured_at"].as_str().map(ev_time);
        let ok = theirs.is_some() && theirs == mine;
        rows.push(("captured_at", format!("{theirs:?}"), format!("{mine:?}"), ok));
    }
    let mut close = |field: &'static str, keys: &[&str], ours: &str, tol: f64, conv: fn(&Value) -> Option<f64>| {
        if let Some(v) = pick(ex, keys).and_then(conv) {
            let mine = ev[ours].as_f64();
            let ok = mine.is_some_and(|m| (m - v).abs() <= tol);
            rows.push((field, v.to_string(), format!("{mine:?}"), ok));
        }
    };
    close("gps_lat", &["Composite:GPSLatitude"], "gps_lat", 1e-5, num);
    close("gps_lon", &["Composite:GPSLongitude"], "gps_lon", 1e-5, num);
    close("gps_direction", &["GPS:GPSImgDirection"], "gps_direction", 0.01, num);
    close("orientation", &["IFD0:Orientation"], "orientation", 0.0, num);
    close(
        "frame_rate",
        &["QuickTime:VideoFrameRate", "Track1:VideoFrameRate", "RIFF:VideoFrameRate"],
        "frame_rate",
        0.01,
        num,
    );
    // Altitude as the file states it: EXIF's (signed by its Ref), or the third
    // number of an ISO 6709 string (exiftool's Composite:GPSAltitude says 0
    // when the string has none, which is not something the file says).
    let alt = pick(ex, &["GPS:GPSAltitude"]).and_then(num).map(|a| {
        if pick(ex, &["GPS:GPSAltitudeRef"]).and_then(num) == Some(1.0) {
            -a
        } else {
            a
        }
    });
    let alt = alt.or_else(|| {
        let coords = pick(ex, &["Keys:GPSCoordinates", "UserData:GPSCoordinates", "ItemList:GPSCoordinates"])?;
        coords.as_str()?.split_whitespace().nth(2)?.parse().ok()
    });
    if let Some(a) = alt {
        let mine = ev["gps_alt"].as_f64();
        rows.push(("gps_alt", a.to_string(), format!("{mine:?}"), mine.is_some_and(|m| (m - a).abs() <= 0.01)));
    }
    if let Some(d) = pick(ex, &["QuickTime:Duration", "Matroska:Duration", "Composite:Duration"]).and_then(secs) {
        let mine = ev["duration_ms"].as_f64().map(|ms| ms / 1000.0);
        rows.push(("duration", d.to_string(), format!("{mine:?}"), mine.is_some_and(|m| (m - d).abs() <= 0.002)));
    }
    if let Some(size) = pick(ex, &["Composite:ImageSize"]).and_then(Value::as_str) {
        let mine = format!("{} {}", ev["width"], ev["height"]);
        rows.push(("dimensions", size.to_string(), mine.clone(), size == mine));
    }
    let vcodec = pick(ex, &["Track1:CompressorID", "Track2:CompressorID", "RIFF:VideoCodec"])
        .or_else(|| track_tag(ex, 1, "CodecID"));
    if let Some(c) = vcodec.and_then(Value::as_str) {
        let mine = evs("video_codec");
        rows.push(("video_codec", c.to_string(), mine.clone(), c == mine));
    }
    let acodec = pick(ex, &["Track2:AudioFormat", "Track1:AudioFormat"])
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| track_tag(ex, 2, "CodecID").and_then(Value::as_str).map(str::to_string))
        .or_else(|| {
            // RIFF:Encoding is the WAVEFORMATEX tag, as a number with -n.
            pick(ex, &["RIFF:Encoding"]).and_then(Value::as_i64).map(|t| match t {
                1 => "pcm".to_string(),
                85 => "mp3".to_string(),
                255 => "aac".to_string(),
                other => format!("0x{other:04x}"),
            })
        });
    if let Some(c) = acodec {
        let mine = evs("audio_codec");
        rows.push(("audio_codec", c.clone(), mine.clone(), c == mine));
    }
    if let Some(r) = pick(ex, &["Composite:Rotation", "QuickTime:Rotation", "Track1:Rotation"]).and_then(num) {
        let mine = ev["rotation"].as_f64();
        rows.push(("rotation", r.to_string(), format!("{mine:?}"), mine == Some(r)));
    }
    rows
}

fn format_of(name: &str) -> String {
    name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase()
}

#[test]
fn agreement_with_exiftool_is_at_least_99_percent() {
    let c = Cat::new();
    let dir = c.work("fixtures");
    let files = realworld::fixture_set(&dir);
    let exif = exiftool_dir(&dir);
    let probed = c.json(&["probe", "--no-hash", s(&dir)]);
    let docs = probed.as_array().expect("probe JSON array");
    assert_eq!(docs.len(), files.len(), "probe walked the folder: {probed}");
    // (format, field) -> (agreed, reported)
    let mut table: BTreeMap<(String, &str), (u32, u32)> = BTreeMap::new();
    let mut misses = Vec::new();
    for d in docs {
        let path = d["path"].as_str().expect("path");
        let name = Path::new(path).file_name().unwrap().to_string_lossy().into_owned();
        let ex = exif.get(&name).unwrap_or_else(|| panic!("exiftool did not read {name}"));
        assert!(d["facts"].is_object(), "{name}: {d}");
        for (field, theirs, mine, ok) in compare(ex, &d["facts"]) {
            let e = table.entry((format_of(&name), field)).or_default();
            e.1 += 1;
            if ok {
                e.0 += 1;
            } else {
                misses.push(format!("{name} {field}: exiftool {theirs}, evcat {mine}"));
            }
        }
    }
    let (agreed, reported) = table.values().fold((0, 0), |a, v| (a.0 + v.0, a.1 + v.1));
    let mut report = String::from("| format | field | agree / exiftool reports |\n|---|---|---|\n");
    for ((fmt, field), (a, n)) in &table {
        report.push_str(&format!("| {fmt} | {field} | {a} / {n} |\n"));
    }
    report.push_str(&format!(
        "| **all** | | **{agreed} / {reported} ({:.1} %)** |\n",
        100.0 * f64::from(agreed) / f64::from(reported)
    ));
    println!("{report}");
    for m in &misses {
        println!("miss: {m}");
    }
    // Kept for the report: target/media-agreement.md.
    let _ = std::fs::write(Path::new(env!("CARGO_MANIFEST_DIR")).join("target/media-agreement.md"), &report);
    assert!(reported >= 80, "too few fields compared ({reported}): the fixtures or the mapping broke");
    assert!(f64::from(agreed) >= 0.99 * f64::from(reported), "agreement below 99 %:\n{report}\n{}", misses.join("\n"));
}

fn fact_sources<'a>(file: &'a Value, field: &str) -> Vec<&'a str> {
    file["facts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["field"] == field)
        .filter_map(|f| f["source"].as_str())
        .collect()
}

#[test]
fn apple_mov_facts_keep_their_sources_and_zone() {
    let c = Cat::new();
    let files = realworld::fixture_set(&c.work("set"));
    let mov = files.iter().find(|p| p.ends_with("iphone.mov")).expect("mov fixture");
    let report = c.json(&["add", s(mov)]);
    assert_eq!(report["registered"], 1, "{report}");
    let shown = c.json(&["show", "F1"]);
    let f = &shown["file"];
    assert_eq!(f["captured_at"], "2026-03-14T13:02:03+01:00", "Apple creationdate, with its zone, beats mvhd");
    assert_eq!((f["make"].as_str(), f["model"].as_str()), (Some("Apple"), Some("iPhone 15 Pro")));
    assert_eq!(
        (f["gps_lat"].as_f64(), f["gps_lon"].as_f64(), f["gps_alt"].as_f64()),
        (Some(51.5072), Some(-0.1276), Some(35.5))
    );
    assert_eq!(f["frame_rate"].as_f64(), Some(30.0));
    let times = fact_sources(f, "captured_at");
    assert_eq!(times, ["quicktime:mvhd:CreateDate", "quicktime:mdta:com.apple.quicktime.creationdate"]);
    // mvhd says 12:02:03Z, the key 13:02:03+01:00: the same instant, no disagreement.
    assert_eq!(shown["disagreements"], serde_json::json!([]));
    let text = c.ok(&["show", "F1"]);
    assert!(text.contains("quicktime:mdta:com.apple.quicktime.location.ISO6709"), "{text}");
    let audit = c.json(&["audit"]);
    assert_eq!(audit["clean"], true, "{audit}");
}

#[test]
fn edited_time_is_kept_and_flagged_as_a_disagreement() {
    let c = Cat::new();
    let p = c.work("edited.jpg");
    std::fs::write(&p, common::media::jpeg_bytes(64, 48, 3)).unwrap();
    realworld::exif_write(&p, &["-EXIF:DateTimeOriginal=2026:03:14 13:02:03", "-EXIF:OffsetTimeOriginal=+01:00"]);
    realworld::exif_write(&p, &["-XMP-xmp:CreateDate=2026:03:15 09:00:00+01:00"]);
    c.json(&["add", s(&p)]);
    let shown = c.json(&["show", "F1"]);
    assert_eq!(shown["file"]["captured_at"], "2026-03-14T13:02:03+01:00", "EXIF is chosen");
    assert_eq!(fact_sources(&shown["file"], "captured_at"), ["exif:DateTimeOriginal", "xmp:CreateDate"], "both kept");
    let d = &shown["disagreements"];
    assert_eq!(d[0]["field"], "captured_at", "{d}");
    let text = c.ok(&["show", "F1"]);
    assert!(text.contains("DISAGREEMENT captured_at"), "{text}");
    let probed = c.json(&["probe", "--no-hash", s(&p)]);
    assert_eq!(probed[0]["disagreements"][0]["field"], "captured_at");
}

#[test]
fn probe_walks_folders_like_add() {
    let c = Cat::new();
    c.write("drop/a.jpg", &common::media::jpeg_bytes(32, 24, 1));
    c.write("drop/sub/b.png", &common::media::png_bytes(20, 10, 2));
    let outside = c.write("elsewhere/c.png", &common::media::png_bytes(8, 8, 3));
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, c.work("drop/link.png")).unwrap();
    let docs = c.json(&["probe", "--no-hash", s(&c.work("drop"))]);
    let read: Vec<&str> = docs
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d.get("facts").is_some())
        .filter_map(|d| d["path"].as_str())
        .collect();
    assert_eq!(read.len(), 2, "{docs}");
    assert!(read.iter().any(|p| p.ends_with("sub/b.png")), "{docs}");
    let skipped: Vec<&Value> = docs.as_array().unwrap().iter().filter(|d| d.get("skipped").is_some()).collect();
    assert_eq!(skipped.len(), 1, "the symlink is skipped like add skips it: {docs}");
    let followed = c.json(&["probe", "--no-hash", "--follow-links", s(&c.work("drop"))]);
    assert_eq!(followed.as_array().unwrap().iter().filter(|d| d.get("facts").is_some()).count(), 3, "{followed}");
    assert_eq!(followed[0]["facts"]["width"], 32);
}

#[test]
fn iphone_grid_heic_and_old_exif_layouts() {
    let c = Cat::new();
    let grid = c.write("g.heic", &realworld::iphone_like_heic());
    let old = c.write("old.jpg", &realworld::old_layout_jpeg());
    let gps = c.write("gps.jpg", &realworld::partial_gps_jpeg());
    let docs = c.json(&["probe", "--no-hash", s(&grid), s(&old), s(&gps)]);
    let g = &docs[0]["facts"];
    assert_eq!(
        (g["width"].as_u64(), g["height"].as_u64()),
        (Some(4032), Some(3024)),
        "ispe of the grid, not of a tile: {g}"
    );
    assert_eq!(g["media_type"], "image/heic");
    assert_eq!(g["captured_at"], "2026-03-14T13:02:03+01:00");
    assert_eq!(g["model"], "iPhone 15 Pro");
    assert_eq!(g["rotation"], 90);
    let o = &docs[1]["facts"];
    assert_eq!((o["make"].as_str(), o["model"].as_str()), (Some("Canon"), Some("Canon PowerShot A590 IS")), "{o}");
    assert_eq!(o["captured_at"], "2009-07-21T10:15:00");
    let p = &docs[2]["facts"];
    assert_eq!(p["model"], "Nintendo 3DS", "{p}");
    assert!((p["gps_lat"].as_f64().unwrap() - 35.6586).abs() < 1e-6, "{p}");
    assert!(p["gps_lon"].is_null(), "no longitude in the file: {p}");
}
