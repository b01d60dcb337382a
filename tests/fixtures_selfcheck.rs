//! Checks the test fixtures themselves against independent readers (exiftool,
//! ffprobe, the `image` and `exif` crates), so a failing evcat test can be
//! trusted to mean evcat is wrong, not the fixture.

mod common;

use std::io::{Cursor, ErrorKind};
use std::path::Path;
use std::process::Command;

use common::media;
use serde_json::Value;

fn tool(name: &str, args: &[&str], file: &Path) -> Vec<u8> {
    let out = match Command::new(name).args(args).arg(file).output() {
        Ok(out) => out,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            panic!("{name} not found on PATH: run `bash .ci/install-test-deps`")
        }
        Err(e) => panic!("could not run {name}: {e}"),
    };
    assert!(out.status.success(), "{name} failed on {}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// exiftool's view of a file, numeric values (-n) so GPS comes back signed.
fn exiftool(bytes: &[u8], name: &str) -> Value {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    let json: Value = serde_json::from_slice(&tool("exiftool", &["-j", "-n"], &path)).expect("exiftool JSON");
    json[0].clone()
}

fn full_exif() -> media::Exif {
    media::Exif {
        date_time_original: Some("2026:03:14 15:42:10".into()),
        offset: Some("+11:00".into()),
        make: Some("Fictional Phone Co".into()),
        model: Some("FP-7".into()),
        gps: Some((-33.8610, 151.2100)),
        orientation: Some(6),
        software: Some("FixtureWare 1.0".into()),
    }
}

fn assert_close(got: &Value, want: f64) {
    let got = got.as_f64().unwrap_or_else(|| panic!("expected a number, got {got}"));
    assert!((got - want).abs() < 1e-6, "got {got}, want {want}");
}

#[test]
fn exif_reads_back_in_exiftool() {
    let t = exiftool(&media::jpeg_with_exif(320, 200, 3, &full_exif()), "photo.jpg");
    assert!(t.get("Warning").is_none(), "exiftool warns: {}", t["Warning"]);
    assert!(t.get("Error").is_none(), "exiftool error: {}", t["Error"]);
    assert_eq!(t["Make"], "Fictional Phone Co");
    assert_eq!(t["Model"], "FP-7");
    assert_eq!(t["Software"], "FixtureWare 1.0");
    assert_eq!(t["DateTimeOriginal"], "2026:03:14 15:42:10");
    assert_eq!(t["OffsetTimeOriginal"], "+11:00");
    assert_eq!(t["Orientation"], 6);
    assert_close(&t["GPSLatitude"], -33.861);
    assert_close(&t["GPSLongitude"], 151.21);
    assert_eq!(t["GPSVersionID"], "2 3 0 0");
    assert_eq!(t["ImageWidth"], 320);
    assert_eq!(t["ImageHeight"], 200);
}

#[test]
fn exif_gps_signs_in_both_hemispheres() {
    let exif = media::Exif { gps: Some((51.5, -0.25)), ..Default::default() };
    let t = exiftool(&media::jpeg_with_exif(64, 48, 1, &exif), "gps.jpg");
    assert!(t.get("Warning").is_none(), "exiftool warns: {}", t["Warning"]);
    assert_close(&t["GPSLatitude"], 51.5);
    assert_close(&t["GPSLongitude"], -0.25);
    assert_eq!(t["GPSLatitudeRef"], "N");
    assert_eq!(t["GPSLongitudeRef"], "W");
    assert!(t.get("Make").is_none() && t.get("DateTimeOriginal").is_none());
}

#[test]
fn exif_reads_back_in_kamadak_exif() {
    let bytes = media::jpeg_with_exif(320, 200, 3, &full_exif());
    let ex = exif::Reader::new().read_from_container(&mut Cursor::new(&bytes)).expect("kamadak-exif parses our EXIF");
    let text = |tag| {
        let f = ex.get_field(tag, exif::In::PRIMARY).unwrap_or_else(|| panic!("missing {tag}"));
        f.display_value().to_string()
    };
    assert_eq!(text(exif::Tag::Make), "\"Fictional Phone Co\"");
    assert_eq!(text(exif::Tag::Model), "\"FP-7\"");
    assert_eq!(text(exif::Tag::DateTimeOriginal), "2026-03-14 15:42:10");
    assert_eq!(text(exif::Tag::OffsetTimeOriginal), "\"+11:00\"");
    assert_eq!(text(exif::Tag::GPSLatitudeRef), "S");
    assert_eq!(text(exif::Tag::GPSLongitudeRef), "E");
    let orientation = ex.get_field(exif::Tag::Orientation, exif::In::PRIMARY).expect("orientation");
    assert_eq!(orientation.value.get_uint(0), Some(6));
}

#[test]
fn exif_jpeg_still_decodes_at_its_size() {
    for exif in [full_exif(), media::Exif::default()] {
        let img = image::load_from_memory(&media::jpeg_with_exif(320, 200, 3, &exif)).expect("decode JPEG with EXIF");
        assert_eq!((img.width(), img.height()), (320, 200));
    }
}

#[test]
fn jpeg_bytes_decode_at_size_and_depend_on_seed() {
    let a = media::jpeg_bytes(200, 100, 5);
    let img = image::load_from_memory_with_format(&a, image::ImageFormat::Jpeg).expect("decode JPEG");
    assert_eq!((img.width(), img.height()), (200, 100));
    assert_eq!(a, media::jpeg_bytes(200, 100, 5), "same seed, same bytes");
    assert_ne!(a, media::jpeg_bytes(200, 100, 6), "different seed, different bytes");
    // Tiny sizes are used too and must not trip the shape drawing.
    assert!(image::load_from_memory(&media::jpeg_bytes(1, 1, 0)).is_ok());
}

#[test]
fn png_bytes_decode_at_size() {
    let img =
        image::load_from_memory_with_format(&media::png_bytes(90, 70, 3), image::ImageFormat::Png).expect("decode PNG");
    assert_eq!((img.width(), img.height()), (90, 70));
    assert_ne!(media::png_bytes(90, 70, 3), media::png_bytes(90, 70, 4));
}

/// Independent of the fixture's CRC so a bug there can't hide itself.
fn crc32(bytes: &[u8]) -> u32 {
    let table: Vec<u32> =
        (0..256u32).map(|n| (0..8).fold(n, |c, _| if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 })).collect();
    !bytes.iter().fold(!0u32, |c, &b| table[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8))
}

#[test]
fn png_bomb_header_is_valid_and_claims_its_size() {
    let png = media::png_claiming_size(100_000, 100_000);
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[8..12], &13u32.to_be_bytes());
    assert_eq!(&png[12..16], b"IHDR");
    assert_eq!(&png[16..20], &100_000u32.to_be_bytes());
    assert_eq!(&png[20..24], &100_000u32.to_be_bytes());
    let crc = u32::from_be_bytes(png[29..33].try_into().expect("4 bytes"));
    assert_eq!(crc, crc32(&png[12..29]), "IHDR CRC");
    assert_eq!(crc32(b"IEND"), 0xAE42_6082, "the test's own CRC is right");
    assert!(png.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]));
    assert!(png.len() < 100, "the bomb itself is tiny");

    let reader = image::ImageReader::new(Cursor::new(&png)).with_guessed_format().expect("sniff");
    assert_eq!(reader.format(), Some(image::ImageFormat::Png));
    assert_eq!(reader.into_dimensions().expect("header parses"), (100_000, 100_000));
    assert!(image::load_from_memory(&png).is_err(), "must not decode");
}

#[test]
fn mp4_has_duration_size_and_creation_time() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = media::make_mp4(tmp.path(), "clip.mp4", 2, 320, 240, Some("2026-03-14T12:00:00Z"));
    assert_eq!(p, tmp.path().join("clip.mp4"));
    assert!(std::fs::metadata(&p).expect("mp4 exists").len() > 1000);
    let args = [
        "-v",
        "error",
        "-show_entries",
        "format=duration:format_tags=creation_time:stream=codec_name,width,height",
        "-of",
        "json",
    ];
    let probe: Value = serde_json::from_slice(&tool("ffprobe", &args, &p)).expect("ffprobe JSON");
    let duration: f64 = probe["format"]["duration"].as_str().expect("duration").parse().expect("duration number");
    assert!((duration - 2.0).abs() <= 0.2, "duration {duration}");
    let created = probe["format"]["tags"]["creation_time"].as_str().expect("creation_time tag");
    assert!(created.starts_with("2026-03-14T12:00:00"), "creation_time {created}");
    let streams = probe["streams"].as_array().expect("streams");
    let codecs: Vec<&str> = streams.iter().filter_map(|s| s["codec_name"].as_str()).collect();
    assert!(codecs.contains(&"h264") && codecs.contains(&"aac"), "codecs {codecs:?}");
    let video = streams.iter().find(|s| s["codec_name"] == "h264").expect("video stream");
    assert_eq!((video["width"].as_u64(), video["height"].as_u64()), (Some(320), Some(240)));

    let bare = media::make_mp4(tmp.path(), "bare.mp4", 1, 160, 120, None);
    let probe: Value = serde_json::from_slice(&tool("ffprobe", &args, &bare)).expect("ffprobe JSON");
    assert!(probe["format"]["tags"]["creation_time"].is_null(), "no creation_time unless asked: {probe}");
}

#[test]
fn huge_box_mp4_claims_a_giant_moov() {
    let b = media::mp4_with_huge_box();
    assert_eq!(&b[4..8], b"ftyp");
    let ftyp = u32::from_be_bytes(b[..4].try_into().expect("4 bytes")) as usize;
    assert_eq!(&b[ftyp..ftyp + 4], &1u32.to_be_bytes());
    assert_eq!(&b[ftyp + 4..ftyp + 8], b"moov");
    let large = u64::from_be_bytes(b[ftyp + 8..ftyp + 16].try_into().expect("8 bytes"));
    assert!(large > 1 << 62 && large < 1 << 63, "largesize {large:#x}");
    assert!(b.len() < 64);
}

#[test]
fn random_bytes_and_truncate_are_deterministic() {
    assert_eq!(media::random_bytes(1001, 7), media::random_bytes(1001, 7));
    assert_eq!(media::random_bytes(1001, 7).len(), 1001);
    assert_ne!(media::random_bytes(64, 7), media::random_bytes(64, 8));
    assert_eq!(media::random_bytes(0, 1), Vec::<u8>::new());
    let r = media::random_bytes(100, 1);
    assert_eq!(media::truncate(&r, 10), r[..10]);
    assert_eq!(media::truncate(&r, 1000), r);
}

/// The acquisition fixtures are the tools' own output: yt-dlp stamps its
/// version and the download time, gallery-dl names its metadata file after the
/// media file, `wacz create` lists and hashes its resources, hashdeep writes
/// its own header. If a tool changes what it writes, this fails first.
#[test]
fn acquisition_tools_write_their_documented_formats() {
    use common::tools;
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = media::make_mp4(tmp.path(), "src.mp4", 1, 160, 120, None);

    let (clip, info) = tools::ytdlp(&src, &tmp.path().join("y"), "7345550011122233344", &[]);
    let info: Value = serde_json::from_slice(&std::fs::read(info).expect("read info.json")).expect("JSON");
    assert_eq!(info["extractor_key"], "TikTok");
    assert!(info["_version"]["version"].is_string(), "yt-dlp stamps its version: {info}");
    assert!(info["epoch"].is_u64(), "and the download time: {info}");
    assert_eq!(std::fs::read(&clip).expect("clip"), std::fs::read(&src).expect("src"), "yt-dlp copied the bytes");

    let (_, meta) = tools::gallerydl(&src, &tmp.path().join("g"));
    let meta: Value = serde_json::from_slice(&std::fs::read(meta).expect("read metadata")).expect("JSON");
    assert_eq!((meta["category"].as_str(), meta["extension"].as_str()), (Some("twitter"), Some("mp4")));
    assert_eq!(meta["date"], "2026-03-14 13:52:00", "gallery-dl's date format");

    let wacz =
        tools::wacz(&tmp.path().join("c.wacz"), "https://example.org/live", &[("https://cdn.example.org/v.mp4", &src)]);
    let zip = Command::new("unzip").arg("-p").arg(&wacz).arg("datapackage.json").output();
    // unzip may be absent: python's zipfile is in the venv anyway.
    let dp =
        match zip {
            Ok(o) if o.status.success() => o.stdout,
            _ => Command::new(tools::venv_python())
                .args([
                    "-c",
                    "import sys,zipfile;sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read('datapackage.json'))",
                ])
                .arg(&wacz)
                .output()
                .expect("python zipfile")
                .stdout,
        };
    let dp: Value = serde_json::from_slice(&dp).expect("datapackage.json is JSON");
    let paths: Vec<&str> =
        dp["resources"].as_array().expect("resources").iter().filter_map(|r| r["path"].as_str()).collect();
    assert!(paths.contains(&"archive/capture.warc.gz") && paths.contains(&"pages/pages.jsonl"), "{paths:?}");

    let out = tools::hashdeep(tmp.path(), &["-c", "md5,sha256", "src.mp4"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n"), "{text}");
}
