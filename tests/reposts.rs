//! Re-uploads as they really happen (issue 15), through the real binary:
//! each transformed copy is added after its original (a whole row of copies
//! in one `add`), then `evcat similar COPY` must name the original, for at
//! least 9 of 10 photos and 3 of 3 videos per row of the table; no
//! two of 100 distinct pictures and 20 distinct videos (the negative set)
//! may match; and `add`'s near-duplicate report for each copy must be exactly
//! what `similar` answers about the files held before it.
//!
//! The table is printed (`cargo test --test reposts -- --nocapture`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::reposts::{self, PhotoEdit, VideoEdit};
use common::{media, registered, s, Cat};
use serde_json::Value;

const PHOTOS: u64 = 10;
const VIDEOS: u64 = 3;
const NEGATIVE_PHOTOS: u64 = 100;
const NEGATIVE_VIDEOS: u64 = 20;

/// What one row of the table found.
struct Row {
    label: String,
    found: usize,
    total: usize,
    /// Copies matched to a file that is not their original.
    wrong: Vec<String>,
    /// Verdicts `similar` gave the found copies (e.g. "mirrored").
    verdicts: BTreeSet<String>,
    /// Copies whose `add` report differed from `similar`.
    add_differs: Vec<String>,
}

/// `add` the files of `dir` in one run; the registered file ids by path.
fn add_dir(c: &Cat, dir: &Path) -> (Value, BTreeMap<PathBuf, String>) {
    let report = c.json(&["add", s(dir)]);
    let ids = registered(&report)
        .iter()
        .map(|i| (PathBuf::from(i["path"].as_str().unwrap()), i["file"].as_str().unwrap().to_string()))
        .collect();
    (report, ids)
}

fn mkdir(c: &Cat, name: &str) -> PathBuf {
    let d = c.work(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn id_num(f: &str) -> u64 {
    f.trim_start_matches('F').parse().unwrap()
}

/// `similar FILE --json` matches: (file, distance, looks_like, verdict).
fn similar(c: &Cat, file: &str) -> Vec<Value> {
    c.json(&["similar", file])["matches"].as_array().cloned().unwrap_or_default()
}

/// The comparable facts of a match, from `similar` or from `add`'s report.
fn key(m: &Value, other: &str) -> String {
    format!("{} {} {} {}", m[other], m["distance"], m["looks_like"], m["frames_matched"])
}

/// Add every copy of a row in one batch, then ask `similar` about each.
/// `origin` maps every file held to the original it was made from (itself
/// for an original); the row's copies are added to it.
fn run_row(
    c: &Cat,
    label: &str,
    dir: &Path,
    original_of: &BTreeMap<PathBuf, String>,
    origin: &mut BTreeMap<String, String>,
) -> Row {
    let (report, ids) = add_dir(c, dir);
    for (path, copy) in &ids {
        origin.insert(copy.clone(), original_of[path].clone());
    }
    let reported = report["media"]["near_duplicates"].as_array().cloned().unwrap_or_default();
    let mut row = Row {
        label: label.into(),
        found: 0,
        total: ids.len(),
        wrong: vec![],
        verdicts: BTreeSet::new(),
        add_differs: vec![],
    };
    assert_eq!(ids.len(), original_of.len(), "{label}: every copy registered: {report:#}");
    for (path, copy) in &ids {
        let want = &original_of[path];
        let matches = similar(c, copy);
        for m in &matches {
            let other = m["file"].as_str().unwrap();
            // The rows measure what pictures find: a copy found by its sound
            // alone (the videos keep their tune) is listed, not counted.
            if other == want && m["looks_like"] == "same-audio" {
                row.verdicts.insert("same-audio".into());
            } else if other == want {
                row.found += 1;
                let how: Vec<&str> = m["how"].as_array().unwrap().iter().map(|h| h.as_str().unwrap()).collect();
                let verdict = m["looks_like"].as_str().unwrap().to_string();
                row.verdicts.insert(if how.is_empty() { verdict } else { format!("{verdict} ({})", how.join(", ")) });
            } else if origin.get(other) != Some(want) {
                row.wrong.push(format!("{copy} ~ {other}"));
            }
        }
        // `add` compared each copy with what was held before it: exactly
        // `similar`'s answer restricted to those files.
        let mut from_similar: Vec<String> = matches
            .iter()
            .filter(|m| id_num(m["file"].as_str().unwrap()) < id_num(copy))
            .map(|m| key(m, "file"))
            .collect();
        let mut from_add: Vec<String> =
            reported.iter().filter(|d| d["file"] == copy.as_str()).map(|d| key(d, "of")).collect();
        from_similar.sort();
        from_add.sort();
        if from_similar != from_add {
            row.add_differs.push(format!("{copy}: add {from_add:?} vs similar {from_similar:?}"));
        }
    }
    row
}

#[test]
fn reposts_match_their_originals_and_distinct_media_do_not() {
    let c = Cat::new();
    let mut rows = Vec::new();
    let started = std::time::Instant::now();
    let lap = |what: &str| eprintln!("[{:>6.1} s] {what}", started.elapsed().as_secs_f64());

    // Originals: photos, then videos made from photos, each in one add.
    let orig = mkdir(&c, "orig");
    let originals: Vec<image::RgbImage> = (0..PHOTOS).map(reposts::original).collect();
    for (i, img) in originals.iter().enumerate() {
        std::fs::write(orig.join(format!("p{i:02}.jpg")), media::encode(img, 90)).unwrap();
    }
    lap("originals generated");
    let (_, orig_ids) = add_dir(&c, &orig);
    lap("originals added");
    let photo_id = |i: usize| orig_ids[&orig.join(format!("p{i:02}.jpg"))].clone();
    let vorig = mkdir(&c, "vorig");
    let videos: Vec<PathBuf> =
        (0..VIDEOS).map(|i| reposts::video_from_photos(&vorig, &format!("v{i}.mp4"), 50 + i, 4)).collect();
    lap("videos generated");
    let (_, vorig_ids) = add_dir(&c, &vorig);
    lap("videos added");
    let mut origin: BTreeMap<String, String> =
        orig_ids.values().chain(vorig_ids.values()).map(|f| (f.clone(), f.clone())).collect();

    for (k, edit) in PhotoEdit::ALL.iter().enumerate() {
        let dir = mkdir(&c, &format!("row{k}"));
        let mut want = BTreeMap::new();
        for (i, img) in originals.iter().enumerate() {
            let p = dir.join(format!("c{i:02}.jpg"));
            std::fs::write(&p, edit.apply(img, i as u64)).unwrap();
            want.insert(p, photo_id(i));
        }
        lap(&format!("{} generated", edit.label()));
        rows.push(run_row(&c, edit.label(), &dir, &want, &mut origin));
        lap("added and searched");
    }
    for (k, edit) in VideoEdit::ALL.iter().enumerate() {
        let dir = mkdir(&c, &format!("vrow{k}"));
        let mut want = BTreeMap::new();
        for v in &videos {
            let p = edit.apply(v, &dir.join(v.file_name().unwrap()));
            want.insert(p, vorig_ids[v].clone());
        }
        lap(&format!("{} generated", edit.label()));
        rows.push(run_row(&c, edit.label(), &dir, &want, &mut origin));
        lap("added and searched");
    }

    // The negative set: distinct pictures and clips, in one add; none may
    // match another, nor any original or copy above.
    let neg = mkdir(&c, "negative");
    for i in 0..NEGATIVE_PHOTOS {
        // Small (analysis reduces to 512×512 anyway), so 100 are quick to draw.
        let (w, h) = [(640, 480), (640, 360), (480, 640), (560, 560)][(i % 4) as usize];
        let img = reposts::picture(w, h, 5000 + i);
        std::fs::write(neg.join(format!("n{i:03}.jpg")), media::encode(&img, 85)).unwrap();
    }
    for i in 0..NEGATIVE_VIDEOS {
        reposts::video_from_photos(&neg, &format!("nv{i:02}.mp4"), 900 + i, 3);
    }
    lap("negative set generated");
    let (_, neg_ids) = add_dir(&c, &neg);
    lap("negative set added");
    assert_eq!(neg_ids.len() as u64, NEGATIVE_PHOTOS + NEGATIVE_VIDEOS);
    let mut false_matches = Vec::new();
    for f in neg_ids.values() {
        for m in similar(&c, f) {
            false_matches.push(format!("{f} ~ {} ({}, distance {})", m["file"], m["looks_like"], m["distance"]));
        }
    }

    let mut table = String::from("\n| transformation | found | verdicts |\n|---|---|---|\n");
    for r in &rows {
        let v: Vec<&str> = r.verdicts.iter().map(String::as_str).collect();
        table.push_str(&format!("| {} | {}/{} | {} |\n", r.label, r.found, r.total, v.join(", ")));
    }
    table.push_str(&format!(
        "| negative set: {NEGATIVE_PHOTOS} pictures + {NEGATIVE_VIDEOS} videos | {} false matches | |\n",
        false_matches.len()
    ));
    eprintln!("{table}");
    for r in &rows {
        // The bar: 9/10 per photo row, 3/3 per video row.
        let need = if r.total == VIDEOS as usize { r.total } else { r.total * 9 / 10 };
        assert!(r.found >= need, "{}: found {}/{}{table}", r.label, r.found, r.total);
        assert!(r.wrong.is_empty(), "{}: matched the wrong files: {:?}", r.label, r.wrong);
        assert!(r.add_differs.is_empty(), "{}: add and similar disagree: {:#?}", r.label, r.add_differs);
    }
    assert!(false_matches.is_empty(), "false matches in the negative set: {false_matches:#?}");
    assert_eq!(c.json(&["audit"])["clean"], true);
}

/// `similar FILE` matches by sound alone: (other file, the match).
fn by_sound(c: &Cat, file: &str) -> Vec<(String, Value)> {
    similar(c, file)
        .into_iter()
        .filter(|m| !m["audio"].is_null())
        .map(|m| (m["file"].as_str().unwrap().to_string(), m))
        .collect()
}

/// The first matched stretch of sound: (start, end, other's start, other's end) in ms.
fn first_audio_segment(m: &Value) -> (i64, i64, i64, i64) {
    let g = &m["audio"]["segments"][0];
    let n = |k: &str| g[k].as_i64().unwrap_or_else(|| panic!("no {k} in {m:#}"));
    (n("start_ms"), n("end_ms"), n("other_start_ms"), n("other_end_ms"))
}

/// Same audio (issue 15): a re-upload with new visuals over the same sound
/// is found by its sound ("same audio", with the matched time ranges); an
/// excerpt's sound says where in the original it was cut; two noisy
/// recordings of one sound, each of part of it, are found with the stretch
/// they share; twelve distinct tunes match nothing; `add`'s report agrees
/// with `similar`.
#[test]
fn same_audio_under_new_visuals_and_recordings_of_one_sound() {
    let c = Cat::new();
    let src = mkdir(&c, "sound");
    let orig = mkdir(&c, "orig");
    // Originals: photo slideshows (each its own pictures) carrying tunes 0..3.
    let mut originals = Vec::new();
    for k in 0..3u64 {
        let tune = reposts::tune_wav(&src, &format!("tune{k}.wav"), k, 16);
        let slides = reposts::video_from_photos(&src, &format!("slides{k}.mp4"), 300 + k, 4);
        originals.push((reposts::with_sound(&slides, &tune, &orig.join(format!("o{k}.mp4"))), tune));
    }
    let (_, orig_ids) = add_dir(&c, &orig);
    let id = |p: &Path| orig_ids[p].clone();

    // Re-uploads: a test pattern over the same sound, in one add.
    let re = mkdir(&c, "reupload");
    let patterns = ["testsrc", "testsrc2", "mandelbrot"];
    for (k, (_, tune)) in originals.iter().enumerate() {
        reposts::pattern_with_sound(patterns[k], tune, &re.join(format!("r{k}.mp4")), 12);
    }
    let (report, re_ids) = add_dir(&c, &re);
    let reported = report["media"]["near_duplicates"].as_array().cloned().unwrap_or_default();
    for (k, (o, _)) in originals.iter().enumerate() {
        let r = &re_ids[&re.join(format!("r{k}.mp4"))];
        let found = by_sound(&c, r);
        let others: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(others, [id(o).as_str()], "{r} (re-upload of {}) by sound: {found:#?}", id(o));
        let m = &found[0].1;
        assert_eq!(m["looks_like"], "same-audio", "new visuals: only the sound matches: {m:#}");
        assert!(m["audio"]["bit_error"].as_f64().unwrap() < 3.0, "{m:#}");
        let (s, e, os, oe) = first_audio_segment(m);
        assert!(s < 1000 && (os - s).abs() < 300 && e > 10_000 && (oe - e).abs() < 300, "{m:#}");
        assert_eq!(m["segments"], m["audio"]["segments"], "segment pairs of a match by sound: {m:#}");
        let said = c.ok(&["similar", r]);
        assert!(said.contains(&format!("{r} has the same audio as {}: Chromaprint bit error", id(o))), "{said}");
        assert!(said.contains("00:00-00:1"), "{said}");
        // `add` said the same about it (the same lookup, over the files held before it).
        let mut from_add: Vec<String> =
            reported.iter().filter(|d| d["file"] == r.as_str()).map(|d| key(d, "of")).collect();
        let mut from_similar: Vec<String> = similar(&c, r)
            .iter()
            .filter(|m| id_num(m["file"].as_str().unwrap()) < id_num(r))
            .map(|m| key(m, "file"))
            .collect();
        from_add.sort();
        from_similar.sort();
        assert_eq!(from_add, from_similar, "{r}: add and similar disagree");
    }

    // An excerpt (4.5 s in, 7 s long, re-encoded): its sound says where it
    // was cut (whether its pictures match too is the video rows' business).
    let ex = mkdir(&c, "excerpt");
    let cut = reposts::excerpt(&originals[1].0, &ex.join("x1.mp4"), 4.5, 7.0);
    let (_, ex_ids) = add_dir(&c, &ex);
    let x = &ex_ids[&cut];
    let found = by_sound(&c, x);
    let m = &found.iter().find(|(f, _)| *f == id(&originals[1].0)).unwrap_or_else(|| panic!("{found:#?}")).1;
    let (s, e, os, oe) = first_audio_segment(m);
    assert!((os - s - 4500).abs() < 300, "the excerpt starts 4.5 s into the original: {m:#}");
    assert!(e - s > 5000 && ((oe - os) - (e - s)).abs() < 300, "{m:#}");
    let said = c.ok(&["similar", x]);
    assert!(
        said.contains(" 00:00-00:0") && said.contains(&format!("matches {} 00:04-00:1", id(&originals[1].0))),
        "{said}"
    );

    // Two recordings of one 30 s sound: 0-20 s (MP3) and 8-30 s (AAC),
    // each under noise of its own: they share 8-20 s.
    let rec = mkdir(&c, "recordings");
    let stream = reposts::tune_wav(&src, "stream.wav", 40, 30);
    let a = reposts::rerecord(&stream, &rec.join("a.mp3"), (0.0, 20.0), 0.05, 1, "libmp3lame");
    let b = reposts::rerecord(&stream, &rec.join("b.m4a"), (8.0, 22.0), 0.08, 2, "aac");
    let (_, rec_ids) = add_dir(&c, &rec);
    let found = by_sound(&c, &rec_ids[&b]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].0, rec_ids[&a]);
    let (s, e, os, oe) = first_audio_segment(&found[0].1);
    assert!(s < 1000 && (os - s - 8000).abs() < 300, "b's start is 8 s into a: {:#}", found[0].1);
    assert!(e > 10_000 && oe > 18_000, "they share about 12 s: {:#}", found[0].1);

    // Distinct tunes (audio files and clips of their own) match nothing.
    let neg = mkdir(&c, "negative");
    for k in 0..12u64 {
        let t = reposts::tune_wav(&src, &format!("n{k}.wav"), 100 + k, 12);
        let out = neg.join(format!("n{k}.mp3"));
        reposts::rerecord(&t, &out, (0.0, 12.0), 0.01, k, "libmp3lame");
    }
    let (_, neg_ids) = add_dir(&c, &neg);
    // The only pairs of the same sound, either way round.
    let mut same: BTreeSet<(String, String)> = BTreeSet::new();
    for (k, (o, _)) in originals.iter().enumerate() {
        same.insert((id(o), re_ids[&re.join(format!("r{k}.mp4"))].clone()));
    }
    same.insert((id(&originals[1].0), x.clone()));
    same.insert((re_ids[&re.join("r1.mp4")].clone(), x.clone()));
    same.insert((rec_ids[&a].clone(), rec_ids[&b].clone()));
    let mut false_matches = Vec::new();
    let every = neg_ids.values().chain(orig_ids.values()).chain(re_ids.values()).chain(ex_ids.values());
    for f in every.chain(rec_ids.values()) {
        for (other, m) in by_sound(&c, f) {
            if !same.contains(&(f.clone(), other.clone())) && !same.contains(&(other.clone(), f.clone())) {
                false_matches.push(format!("{f} ~ {other}: {m}"));
            }
        }
    }
    assert!(false_matches.is_empty(), "distinct sound matched: {false_matches:#?}");
    assert_eq!(c.json(&["audit"])["clean"], true);
}
