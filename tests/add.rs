//! `evcat init`, `add`, `probe`: registration, the store, media facts, bad input.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{media, registered, s, sha256sum, Cat};

#[test]
fn init_creates_layout_and_refuses_to_overwrite() {
    let c = Cat::new();
    assert!(c.dir.join("catalog.sqlite").is_file());
    assert!(c.dir.join("objects/sha256").is_dir());
    let key = c.dir.join("keys/tester.key");
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    let (_, err) = c.fails(&["init", s(&c.dir)], 2);
    assert!(err.contains("already holds an evcat catalog"), "{err}");
}

#[test]
fn hash_matches_sha256sum_and_object_is_read_only_at_its_address() {
    let c = Cat::new();
    let p = c.write("clip.bin", &media::random_bytes(3 << 20, 7));
    let report = c.json(&["add", s(&p)]);
    let reg = registered(&report);
    assert_eq!(reg.len(), 1);
    let sha = reg[0]["sha256"].as_str().unwrap();
    assert_eq!(sha, sha256sum(&p));
    let obj = c.object_path(sha);
    assert_eq!(std::fs::read(&obj).unwrap(), std::fs::read(&p).unwrap());
    assert_eq!(std::fs::metadata(&obj).unwrap().permissions().mode() & 0o777, 0o444);
    assert_eq!(sha256sum(&obj), sha);

    // Files of 1 MiB and more are written with O_DIRECT in padded 4 KiB blocks
    // and truncated back: lengths that are not a block multiple must come out exact.
    for (name, len) in
        [("odd.bin", (5 << 20) + 1234), ("just-over.bin", (1 << 20) + 1), ("big-buffer.bin", (9 << 20) + 4095)]
    {
        let p = c.write(name, &media::random_bytes(len, len as u64));
        let reg = registered(&c.json(&["add", s(&p)]))[0].clone();
        let obj = c.object_path(reg["sha256"].as_str().unwrap());
        assert_eq!(std::fs::metadata(&obj).unwrap().len(), len as u64, "{name}");
        assert_eq!(std::fs::read(&obj).unwrap(), std::fs::read(&p).unwrap(), "{name}");
    }
    c.ok(&["audit", "--objects-only"]);
}

#[test]
fn re_adding_known_bytes_is_idempotent_and_names_the_file() {
    let c = Cat::new();
    let a = c.write("a.jpg", &media::jpeg_bytes(64, 48, 1));
    let b = c.write("copy-of-a.jpg", &std::fs::read(&a).unwrap());
    let first = c.json(&["add", s(&a)]);
    let file = registered(&first)[0]["file"].as_str().unwrap().to_string();
    let again = c.json(&["add", s(&a), s(&b)]);
    assert_eq!(again["registered"], 0);
    assert_eq!(again["already_registered"], 2);
    for item in again["items"].as_array().unwrap() {
        assert_eq!(item["outcome"], "already-registered");
        assert_eq!(item["file"], file.as_str());
    }
    let text = c.ok(&["add", s(&b)]);
    assert!(text.contains(&format!("is {file}")), "{text}");
    assert_eq!(c.json(&["list", "files"]).as_array().unwrap().len(), 1);
    assert_eq!(c.json(&["list", "evidence"]).as_array().unwrap().len(), 1);
}

#[test]
fn folder_tree_is_registered_with_provenance() {
    let c = Cat::new();
    for i in 0..12 {
        c.write(&format!("tree/sub{}/f{i}.bin", i % 3), &media::random_bytes(1000 + i, i as u64));
    }
    let r = c.json(&[
        "add",
        s(&c.work("tree")),
        "--platform",
        "telegram",
        "--url",
        "https://t.me/c/1/2",
        "--author",
        "@chan",
        "--posted-at",
        "2026-03-14 10:00",
        "--acquired-by",
        "ana",
        "--method",
        "download",
        "--tool",
        "tdl 0.17",
        "--note",
        "bulk",
    ]);
    assert_eq!(r["registered"], 12);
    let ev = c.json(&["list", "evidence", "--platform", "telegram"]);
    assert_eq!(ev.as_array().unwrap().len(), 12);
    let e0 = &ev[0];
    assert_eq!(e0["source_url"], "https://t.me/c/1/2");
    assert_eq!(e0["posted_at"], "2026-03-14T10:00:00Z");
    assert_eq!(e0["status"], "acquired");
    assert_eq!(e0["sources"]["source_url"], "user");
    assert_eq!(e0["sources"]["title"], "file");
    let files = c.json(&["list", "files"]);
    assert_eq!(files[0]["acquired_by"], "ana");
    assert_eq!(files[0]["sources"]["acquired_by"], "user");
    assert_eq!(files[0]["tool"], "tdl 0.17");
}

#[test]
fn jpeg_exif_facts_are_recorded_as_file_facts() {
    let c = Cat::new();
    let exif = media::Exif {
        date_time_original: Some("2026:03:14 13:02:03".into()),
        offset: Some("+01:00".into()),
        make: Some("Fictional Phone Co".into()),
        model: Some("FP-7".into()),
        gps: Some((51.5, -0.25)),
        orientation: Some(1),
        software: None,
    };
    let p = c.write("photo.jpg", &media::jpeg_with_exif(320, 200, 3, &exif));
    let r = c.json(&["add", s(&p)]);
    let id = registered(&r)[0]["file"].as_str().unwrap().to_string();
    let shown = c.json(&["show", &id]);
    let f = &shown["file"];
    assert_eq!(f["media_type"], "image/jpeg");
    assert_eq!(f["width"], 320);
    assert_eq!(f["height"], 200);
    assert_eq!(f["make"], "Fictional Phone Co");
    assert_eq!(f["model"], "FP-7");
    assert!(f["captured_at"].as_str().unwrap().starts_with("2026-03-14T"), "{}", f["captured_at"]);
    assert!((f["gps_lat"].as_f64().unwrap() - 51.5).abs() < 1e-4);
    assert!((f["gps_lon"].as_f64().unwrap() + 0.25).abs() < 1e-4);
    assert_eq!(f["sources"]["make"], "file");
    assert_eq!(shown["evidence"]["kind"], "image");
}

#[test]
fn mp4_facts_are_recorded() {
    let c = Cat::new();
    let p = media::make_mp4(&c.work(""), "clip.mp4", 2, 320, 240, Some("2026-03-14T12:00:00Z"));
    let r = c.json(&["add", s(&p)]);
    let id = registered(&r)[0]["file"].as_str().unwrap().to_string();
    let f = &c.json(&["show", &id])["file"];
    assert_eq!(f["media_type"], "video/mp4");
    assert_eq!(f["width"], 320);
    assert_eq!(f["height"], 240);
    let d = f["duration_ms"].as_u64().unwrap();
    assert!((1900..=2200).contains(&d), "duration {d}");
    assert_eq!(f["video_codec"], "avc1");
    assert_eq!(f["captured_at"], "2026-03-14T12:00:00Z");
}

#[test]
fn probe_reports_without_registering() {
    let c = Cat::new();
    let p = c.write("p.jpg", &media::jpeg_bytes(40, 30, 2));
    let out = c.json(&["probe", s(&p)]);
    assert_eq!(out[0]["sha256"], sha256sum(&p).as_str());
    assert_eq!(out[0]["facts"]["width"], 40);
    assert_eq!(c.json(&["list", "files"]).as_array().unwrap().len(), 0);
    let text = c.ok(&["probe", s(&p)]);
    assert!(text.contains("image/jpeg"), "{text}");
    // Several files keep their order; --no-hash gives the same facts.
    let q = c.write("q.png", &media::png_bytes(20, 10, 3));
    let both = c.json(&["probe", "--no-hash", s(&p), s(&q)]);
    assert!(both[0]["sha256"].is_null());
    assert_eq!(both[0]["facts"], out[0]["facts"]);
    assert_eq!(both[1]["facts"]["media_type"], "image/png");
    // EXIF beyond the first read attempt is still found (large JPEG).
    let exif = media::Exif { make: Some("Far Away".into()), ..Default::default() };
    let big = c.write("big.jpg", &media::jpeg_with_exif(3000, 2000, 4, &exif));
    assert_eq!(c.json(&["probe", "--no-hash", s(&big)])[0]["facts"]["make"], "Far Away");
}

#[test]
fn in_place_records_path_and_hash_without_copying() {
    let c = Cat::new();
    let p = c.write("big.bin", &media::random_bytes(100_000, 9));
    let r = c.json(&["add", "--in-place", s(&p)]);
    let sha = registered(&r)[0]["sha256"].as_str().unwrap().to_string();
    assert!(!c.object_path(&sha).exists());
    let f = &c.json(&["show", &sha[..10]])["file"];
    assert_eq!(f["storage"], "in-place");
    assert_eq!(f["original_path"], s(&std::fs::canonicalize(&p).unwrap()));
}

#[test]
fn hostile_inputs_give_clear_messages_or_plain_bytes_never_a_panic() {
    let c = Cat::new();
    let jpeg = media::jpeg_bytes(200, 100, 5);
    let mp4 = std::fs::read(media::make_mp4(&c.work(""), "ok.mp4", 1, 160, 120, None)).unwrap();
    std::fs::remove_file(c.work("ok.mp4")).unwrap();
    c.write("bad/zero.jpg", b"");
    c.write("bad/truncated.jpg", &media::truncate(&jpeg, jpeg.len() / 3));
    c.write("bad/truncated.mp4", &media::truncate(&mp4, mp4.len() / 2));
    c.write("bad/random.mp4", &media::random_bytes(5000, 11));
    c.write("bad/huge-box.mp4", &media::mp4_with_huge_box());
    c.write("bad/bomb.png", &media::png_claiming_size(100_000, 100_000));
    std::os::unix::fs::symlink(c.work("bad"), c.work("bad/loop")).unwrap();
    let fifo = c.work("bad/pipe");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());

    // Not following links: the loop is skipped, the FIFO is refused, the rest registered.
    let out = c
        .cmd()
        .args(["--json", "add", s(&c.work("bad"))])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(4), "some inputs failed, the rest registered: {stderr}");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["registered"], 6, "{r:#}");
    let failed: Vec<&serde_json::Value> =
        r["items"].as_array().unwrap().iter().filter(|i| i["outcome"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0]["path"].as_str().unwrap().ends_with("pipe"));
    assert!(failed[0]["error"].as_str().unwrap().contains("FIFO"));

    // Following links: the loop is detected and named, nothing hangs.
    let out = c
        .cmd()
        .args(["--json", "add", "--follow-links", s(&c.work("bad"))])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<String> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["outcome"] == "failed")
        .map(|i| i["error"].as_str().unwrap().to_string())
        .collect();
    assert!(errors.iter().any(|e| e.contains("loop")), "{errors:?}");

    // A FIFO given directly: refused with one clear line, exit 2, no hang.
    let out = c.cmd().args(["add", s(&fifo)]).timeout(std::time::Duration::from_secs(30)).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pipe") && err.contains("FIFO"), "{err}");

    // Each broken file is registered as bytes; media facts it cannot read are absent.
    let files = c.json(&["list", "files"]);
    let by_name = |n: &str| files.as_array().unwrap().iter().find(|f| f["original_name"] == n).cloned().unwrap();
    assert_eq!(by_name("zero.jpg")["size"], 0);
    assert_eq!(by_name("zero.jpg")["media_type"], "application/x-empty");
    assert_eq!(by_name("random.mp4")["media_type"], "application/octet-stream");
    assert!(by_name("bomb.png")["media_type"] == "image/png");
    // The catalog is consistent afterwards.
    c.ok(&["audit"]);
}

#[test]
fn two_concurrent_adds_both_succeed() {
    let c = Cat::new();
    for i in 0..150 {
        c.write(&format!("one/{i}.bin"), &media::random_bytes(2000, 1000 + i));
        c.write(&format!("two/{i}.bin"), &media::random_bytes(2000, 5000 + i));
    }
    // Some bytes shared between the two sets: both processes race to store them.
    for i in 0..20 {
        c.write(&format!("two/shared{i}.bin"), &media::random_bytes(2000, 1000 + i));
    }
    let a = c.spawn(&["--json", "add", s(&c.work("one"))]);
    let b = c.spawn(&["--json", "add", s(&c.work("two"))]);
    let (ra, rb) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(ra.status.success(), "{}", String::from_utf8_lossy(&ra.stderr));
    assert!(rb.status.success(), "{}", String::from_utf8_lossy(&rb.stderr));
    assert_eq!(c.json(&["list", "files"]).as_array().unwrap().len(), 300);
    let audit = c.json(&["audit"]);
    assert_eq!(audit["clean"], true, "{audit:#}");
}
