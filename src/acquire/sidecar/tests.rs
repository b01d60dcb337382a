use proptest::prelude::*;
use serde_json::json;

use super::*;

fn bytes(v: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn ytdlp_fields_land_in_provenance_acquisition_and_the_record() {
    let info = json!({
        "id": "7345550011122233344", "title": "Barrier", "description": "lifted",
        "uploader": "harbourwatch", "uploader_id": "689000", "channel": "Harbour Watch",
        "timestamp": 1773496320, "upload_date": "20260314", "duration": 2.5, "width": 320, "height": 240,
        "webpage_url": "https://www.tiktok.com/@harbourwatch/video/7345550011122233344",
        "original_url": "https://vm.tiktok.com/ZM1/", "extractor_key": "TikTok",
        "live_status": "was_live", "was_live": true, "epoch": 1796169553,
        "_version": {"version": "2026.10.26"}, "_type": "video",
        "_filename": "clip [7345550011122233344].webm"
    });
    let f = parse(SidecarFormat::YtDlp, &bytes(info), "clip [7345550011122233344].mp4").unwrap();
    let p = &f.provenance;
    assert_eq!(p.platform, Some(Platform::Tiktok));
    assert_eq!(p.platform_id.as_deref(), Some("7345550011122233344"));
    assert_eq!(p.author_handle.as_deref(), Some("harbourwatch"));
    assert_eq!(p.author_id.as_deref(), Some("689000"));
    assert_eq!(p.posted_at.as_deref(), Some("2026-03-14T13:52:00Z"));
    assert_eq!(p.source_url.as_deref(), Some("https://www.tiktok.com/@harbourwatch/video/7345550011122233344"));
    assert_eq!(f.acquired_at.as_deref(), Some("2026-12-01T23:59:13Z"));
    assert_eq!(f.tool.as_deref(), Some("yt-dlp 2026.10.26"));
    assert_eq!(f.fields["original_url"], "https://vm.tiktok.com/ZM1/");
    assert_eq!((f.fields["live_status"].as_str(), f.fields["was_live"].as_str()), ("was_live", "true"));
    assert_eq!(f.expect, Expected { duration_ms: Some(2500), width: Some(320), height: Some(240) });
}

#[test]
fn ytdlp_falls_back_to_upload_date_and_original_url() {
    let info = json!({"id": "x1", "extractor_key": "Youtube", "upload_date": "20260314", "original_url": "https://youtu.be/x1"});
    let f = parse(SidecarFormat::YtDlp, &bytes(info), "a.mp4").unwrap();
    assert_eq!(f.provenance.posted_at.as_deref(), Some("2026-03-14"), "a date stays a date");
    assert_eq!(f.provenance.source_url.as_deref(), Some("https://youtu.be/x1"));
    assert_eq!(f.tool.as_deref(), Some("yt-dlp"));
}

#[test]
fn a_sidecar_that_is_not_json_or_names_another_file_is_refused() {
    let e = parse(SidecarFormat::YtDlp, b"{\"id\": 1,", "a.mp4").unwrap_err();
    assert!(e.0.contains("not JSON"), "{e:?}");
    let e = parse(SidecarFormat::YtDlp, b"[1, 2]", "a.mp4").unwrap_err();
    assert!(e.0.contains("array"), "{e:?}");
    let other = json!({"id": "1", "extractor_key": "TikTok", "_filename": "other [2].mp4"});
    let e = parse(SidecarFormat::YtDlp, &bytes(other), "clip [1].mp4").unwrap_err();
    assert!(e.0.contains("other [2].mp4"), "{e:?}");
    let g = json!({"category": "twitter", "filename": "9_1", "extension": "jpg"});
    let e = parse(SidecarFormat::GalleryDl, &bytes(g), "9_2.jpg").unwrap_err();
    assert!(e.0.contains("9_1.jpg"), "{e:?}");
    let playlist = json!({"_type": "playlist", "id": "p", "extractor_key": "Youtube"});
    assert!(parse(SidecarFormat::YtDlp, &bytes(playlist), "a.mp4").is_err());
}

#[test]
fn gallery_dl_tweet_metadata() {
    let m = json!({
        "tweet_id": 1768000000000000042u64, "date": "2026-03-14 13:52:00",
        "author": {"id": 1500000000000000001u64, "name": "harbourwatch", "nick": "Harbour Watch"},
        "content": "Officers lifting the barrier", "filename": "1768000000000000042_1", "extension": "mp4",
        "category": "twitter", "subcategory": "tweet", "num": 1, "width": 320, "height": 240
    });
    let f = parse(SidecarFormat::GalleryDl, &bytes(m), "1768000000000000042_1.mp4").unwrap();
    let p = &f.provenance;
    assert_eq!(p.platform, Some(Platform::X));
    assert_eq!(p.platform_id.as_deref(), Some("1768000000000000042"), "ids above 2^53 keep every digit");
    assert_eq!(p.author_id.as_deref(), Some("1500000000000000001"));
    assert_eq!(p.posted_at.as_deref(), Some("2026-03-14T13:52:00Z"));
    assert_eq!(p.source_url.as_deref(), Some("https://x.com/harbourwatch/status/1768000000000000042"));
    assert_eq!(f.fields["subcategory"], "tweet");
}

#[test]
fn instaloader_post_metadata() {
    let m = json!({
        "node": {"__typename": "GraphVideo", "id": "31", "shortcode": "Cq1", "taken_at_timestamp": 1773496320,
                 "owner": {"id": "77", "username": "quay.cam"}, "dimensions": {"height": 1920, "width": 1080},
                 "video_duration": 12.4,
                 "edge_media_to_caption": {"edges": [{"node": {"text": "at the quay"}}]}},
        "instaloader": {"version": "4.16", "node_type": "Post"}
    });
    let f = parse(SidecarFormat::Instaloader, &bytes(m), "x.mp4").unwrap();
    assert_eq!(f.provenance.source_url.as_deref(), Some("https://www.instagram.com/p/Cq1/"));
    assert_eq!(f.provenance.author_handle.as_deref(), Some("quay.cam"));
    assert_eq!(f.provenance.description.as_deref(), Some("at the quay"));
    assert_eq!(f.tool.as_deref(), Some("instaloader 4.16"));
    assert_eq!(f.expect.duration_ms, Some(12400));
}

#[test]
fn auto_archiver_metadata_and_its_hash() {
    let m = json!({
        "status": "telegram: success",
        "metadata": {"url": "https://t.me/quaynews/412", "title": "Quay", "content": "barrier",
                     "timestamp": "2026-03-14T13:52:00+00:00", "_processed_at": "2026-03-15 08:00:01.123456+00:00"},
        "media": [{"filename": "/tmp/aa/clip.mp4", "urls": [], "properties": {"hash": "SHA-256:ABCD", "id": "video_0"}}]
    });
    let f = parse(SidecarFormat::AutoArchiver, &bytes(m.clone()), "clip.mp4").unwrap();
    assert_eq!(f.provenance.platform, Some(Platform::Telegram));
    assert_eq!(f.provenance.posted_at.as_deref(), Some("2026-03-14T13:52:00Z"));
    assert_eq!(f.acquired_at.as_deref(), Some("2026-03-15T08:00:01.123456Z"));
    assert_eq!(f.recorded_hash, Some(("SHA-256".into(), "abcd".into())));
    assert!(parse(SidecarFormat::AutoArchiver, &bytes(m), "other.mp4").unwrap_err().0.contains("other.mp4"));
}

#[test]
fn cross_check_warns_on_disagreement_but_not_on_rotation_or_a_frame() {
    let facts = |w, h, d| crate::media::MediaFacts {
        width: Some(w),
        height: Some(h),
        duration_ms: Some(d),
        ..Default::default()
    };
    let want = Expected { duration_ms: Some(10_000), width: Some(1080), height: Some(1920) };
    assert!(cross_check(&want, &facts(1920, 1080, 10_040), "s").is_empty());
    let w = cross_check(&want, &facts(640, 360, 30_000), "clip.info.json");
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w[0].contains("clip.info.json") && w[0].contains("10 s") && w[0].contains("30 s"), "{w:?}");
}

#[test]
fn urls_map_to_platforms_by_host() {
    assert_eq!(platform_of_url("https://www.tiktok.com/@a/video/1"), Some(Platform::Tiktok));
    assert_eq!(platform_of_url("https://mobile.twitter.com/a/status/1"), Some(Platform::X));
    assert_eq!(platform_of_url("https://notyoutube.com/x"), Some(Platform::Web));
    assert_eq!(platform_of_url("not a url"), None);
}

proptest! {
    #[test]
    fn parsers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..400), fmt in 0usize..4) {
        let format = [SidecarFormat::YtDlp, SidecarFormat::GalleryDl, SidecarFormat::Instaloader, SidecarFormat::AutoArchiver][fmt];
        let _ = parse(format, &data, "a.mp4");
        let _ = named_media(&data);
    }

    #[test]
    fn any_json_object_parses_or_is_refused_with_a_reason(
        keys in proptest::collection::vec("[a-z_]{1,12}", 0..8),
        nums in proptest::collection::vec(any::<f64>(), 8),
    ) {
        let mut m = serde_json::Map::new();
        for (k, n) in keys.iter().zip(&nums) {
            m.insert(k.clone(), serde_json::Number::from_f64(*n).map_or(serde_json::Value::Null, serde_json::Value::Number));
        }
        m.insert("extractor_key".into(), json!("TikTok"));
        m.insert("category".into(), json!("twitter"));
        for format in [SidecarFormat::YtDlp, SidecarFormat::GalleryDl] {
            if let Err(e) = parse(format, &bytes(serde_json::Value::Object(m.clone())), "a.mp4") {
                prop_assert!(!e.0.is_empty());
            }
        }
    }
}

#[test]
fn an_embedded_info_json_is_read_without_the_name_check() {
    // Renamed after download: the attachment still describes these bytes.
    let info = json!({"id": "1", "extractor_key": "TikTok", "_filename": "clip [1].mkv", "_version": {"version": "2026.10.26"}});
    let f = parse_embedded(&bytes(info.clone())).unwrap();
    assert_eq!((f.format, f.provenance.platform_id.as_deref()), (SidecarFormat::YtDlp, Some("1")));
    assert_eq!(f.tool.as_deref(), Some("yt-dlp 2026.10.26"));
    assert!(parse(SidecarFormat::YtDlp, &bytes(info), "renamed.mkv").is_err(), "beside the file, the name counts");
    assert!(parse_embedded(b"{\"id\":").unwrap_err().0.contains("not JSON"));
    assert!(parse_embedded(b"\"x\"").unwrap_err().0.contains("string"));
    assert!(parse_embedded(&bytes(json!({"title": "no extractor"}))).is_err());
}

fn xz(data: &[u8], check: xz2::stream::Check) -> Vec<u8> {
    use std::io::Write;
    let stream = xz2::stream::Stream::new_easy_encoder(6, check).unwrap();
    let mut enc = xz2::write::XzEncoder::new_stream(Vec::new(), stream);
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[test]
fn instaloader_json_xz_decompresses_within_the_limit() {
    assert_eq!(
        SidecarFormat::by_name("2026-03-14_13-52-00_UTC.mp4", "2026-03-14_13-52-00_UTC.json.xz"),
        Some(SidecarFormat::Instaloader)
    );
    assert!(SidecarFormat::candidates("a.jpg").contains(&"a.json.xz".to_string()));
    let m = bytes(
        json!({"node": {"shortcode": "C4q", "owner": {"username": "hw", "id": "1"}}, "instaloader": {"version": "4.16", "node_type": "Post"}}),
    );
    // Instaloader writes check NONE; xz's default is CRC64: both are read.
    for check in [xz2::stream::Check::None, xz2::stream::Check::Crc64] {
        let unpacked = xz_decompress(&xz(&m, check), 1 << 20).unwrap();
        assert_eq!(unpacked, m);
        let f = parse(SidecarFormat::Instaloader, &unpacked, "x.mp4").unwrap();
        assert_eq!(f.provenance.platform_id.as_deref(), Some("C4q"));
    }
    // A bomb: 4 MiB of spaces in a few hundred bytes, against a 1 MiB limit.
    let bomb = xz(&vec![b' '; 4 << 20], xz2::stream::Check::None);
    assert!(bomb.len() < 4096, "{}", bomb.len());
    assert_eq!(xz_decompress(&bomb, 1 << 20), Err(XzError::TooLarge));
    assert_eq!(xz_decompress(&bomb, 4 << 20).map(|v| v.len()), Ok(4 << 20), "exactly the limit is kept");
    assert!(matches!(xz_decompress(b"{\"node\": {}}", 1 << 20), Err(XzError::Invalid(_))));
    let packed = xz(&m, xz2::stream::Check::Crc64);
    assert!(matches!(xz_decompress(&packed[..packed.len() / 2], 1 << 20), Err(XzError::Invalid(_))), "truncated");
    let mut flipped = packed.clone();
    flipped[packed.len() / 2] ^= 0x55;
    assert!(xz_decompress(&flipped, 1 << 20) != Ok(m.clone()), "corruption is caught (CRC64)");
}
