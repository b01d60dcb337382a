//! Real-world-like media for issue 12, made with the real tools a newsroom's
//! files come from: ffmpeg (MOV with Apple `mdta` keys, Telegram/WhatsApp-like
//! MP4s, 3GP, Matroska/WebM with tags, AVI), exiftool (EXIF with OffsetTime*,
//! GPS, lens; XMP; IPTC; into JPEG/PNG/WebP/TIFF/GIF/HEIC/AVIF/MP4) and
//! heif-enc (HEIC, AVIF). Two layouts no tool writes on request are built
//! byte by byte: an iPhone-like tiled HEIC and older EXIF layouts.
//! Every generator panics when its tool is missing or fails: these tests must
//! fail loudly, never skip.
#![allow(dead_code)]

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::media::{jpeg_bytes, png_bytes, Exif};

/// Run a tool; panic with its stderr when it is missing or fails.
pub fn run(tool: &str, args: &[&str]) {
    let out = match Command::new(tool).args(args).output() {
        Ok(o) => o,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            panic!("{tool} not found on PATH: run `bash .ci/install-test-deps`")
        }
        Err(e) => panic!("could not run {tool}: {e}"),
    };
    assert!(out.status.success(), "{tool} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// exiftool writes `tags` (`-TAG=VALUE`) into `file` in place.
pub fn exif_write(file: &Path, tags: &[&str]) {
    let mut args = vec!["-q", "-m", "-overwrite_original"];
    args.extend_from_slice(tags);
    args.push(s(file));
    run("exiftool", &args);
}

/// Camera-style EXIF with offsets, GPS (position, altitude, direction) and lens.
pub const CAMERA_TAGS: &[&str] = &[
    "-EXIF:Make=Canon",
    "-EXIF:Model=Canon EOS R6",
    "-EXIF:LensModel=RF24-105mm F4 L IS USM",
    "-EXIF:Software=Firmware 1.8.1",
    "-EXIF:Orientation#=6",
    "-EXIF:DateTimeOriginal=2026:03:14 13:02:03",
    "-EXIF:OffsetTimeOriginal=+01:00",
    "-EXIF:CreateDate=2026:03:14 13:02:03",
    "-EXIF:GPSLatitude=51.5072",
    "-EXIF:GPSLatitudeRef=N",
    "-EXIF:GPSLongitude=0.1276",
    "-EXIF:GPSLongitudeRef=W",
    "-EXIF:GPSAltitude=35.5",
    "-EXIF:GPSAltitudeRef=0",
    "-EXIF:GPSImgDirection=127.25",
];

/// Editor-style XMP (Lightroom/Photoshop write these) and wire-photo IPTC.
pub const XMP_TAGS: &[&str] = &[
    "-XMP-xmp:CreateDate=2026:03:14 13:02:03+01:00",
    "-XMP-xmp:CreatorTool=Adobe Photoshop Lightroom Classic 13.2",
    "-XMP-exif:DateTimeOriginal=2026:03:14 13:02:03+01:00",
    "-XMP-exif:GPSLatitude=51.5072",
    "-XMP-exif:GPSLongitude=-0.1276",
    "-XMP-tiff:Make=Canon",
    "-XMP-tiff:Model=Canon EOS R6",
    "-XMP-dc:Creator=Ana Reporter",
    "-XMP-dc:Subject=police",
    "-XMP-dc:Subject=barrier",
];

pub const IPTC_TAGS: &[&str] = &[
    "-IPTC:By-line=Ana Reporter",
    "-IPTC:Credit=Harbour Wire",
    "-IPTC:Caption-Abstract=Officers lift a barrier",
    "-IPTC:Keywords=police",
    "-IPTC:Keywords=barrier",
    "-IPTC:DateCreated=2026:03:14",
    "-IPTC:TimeCreated=13:02:03+01:00",
];

fn ffmpeg(args: &[&str]) {
    let mut all = vec!["-y", "-loglevel", "error"];
    all.extend_from_slice(args);
    run("ffmpeg", &all);
}

const VIDEO_SRC: &[&str] =
    &["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-f", "lavfi", "-i", "sine=frequency=440"];

/// The whole fixture set, one file per case, in `dir`. Returns the paths.
pub fn fixture_set(dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("fixture dir");
    let p = |name: &str| dir.join(name);
    let mut out = Vec::new();
    let mut keep = |path: PathBuf| {
        assert!(path.is_file(), "fixture {} was not written", path.display());
        out.push(path);
    };

    // Stills.
    let jpg = p("camera.jpg");
    std::fs::write(&jpg, jpeg_bytes(160, 120, 1)).expect("write");
    exif_write(&jpg, CAMERA_TAGS);
    keep(jpg);
    let wire = p("wire-xmp-iptc.jpg");
    std::fs::write(&wire, jpeg_bytes(160, 120, 2)).expect("write");
    exif_write(&wire, &[XMP_TAGS, IPTC_TAGS].concat());
    keep(wire);
    let png = p("screenshot-xmp.png");
    std::fs::write(&png, png_bytes(120, 80, 3)).expect("write");
    exif_write(&png, XMP_TAGS);
    keep(png);
    let png_exif = p("exported-exif.png");
    std::fs::write(&png_exif, png_bytes(64, 48, 4)).expect("write");
    exif_write(&png_exif, CAMERA_TAGS);
    keep(png_exif);
    let src_png = p("src.tmp.png");
    std::fs::write(&src_png, png_bytes(96, 64, 5)).expect("write");
    let webp = p("photo.webp");
    ffmpeg(&["-i", s(&src_png), "-c:v", "libwebp", s(&webp)]);
    exif_write(&webp, &[CAMERA_TAGS, XMP_TAGS].concat());
    keep(webp);
    let tiff = p("scan.tif");
    ffmpeg(&["-i", s(&src_png), "-c:v", "tiff", s(&tiff)]);
    exif_write(&tiff, CAMERA_TAGS);
    keep(tiff);
    let gif = p("anim.gif");
    ffmpeg(&["-i", s(&src_png), s(&gif)]);
    exif_write(&gif, &["-XMP-xmp:CreatorTool=GIMP 2.10", "-XMP-xmp:CreateDate=2026:03:14 13:02:03+01:00"]);
    keep(gif);
    let heic = p("phone.heic");
    run("heif-enc", &["-q", "40", s(&src_png), "-o", s(&heic)]);
    exif_write(&heic, CAMERA_TAGS);
    keep(heic);
    let avif = p("export.avif");
    run("heif-enc", &["-A", "-q", "40", s(&src_png), "-o", s(&avif)]);
    exif_write(
        &avif,
        &[
            "-EXIF:Make=Google",
            "-EXIF:Model=Pixel 8",
            "-EXIF:DateTimeOriginal=2026:03:14 13:02:03",
            "-EXIF:OffsetTimeOriginal=-05:00",
        ],
    );
    keep(avif);
    std::fs::remove_file(&src_png).expect("remove temp png");
    let grid = p("iphone-grid.heic");
    std::fs::write(&grid, iphone_like_heic()).expect("write");
    keep(grid);
    let old = p("powershot-layout.jpg");
    std::fs::write(&old, old_layout_jpeg()).expect("write");
    keep(old);
    let console = p("console-gps.jpg");
    std::fs::write(&console, partial_gps_jpeg()).expect("write");
    keep(console);

    // Videos.
    let mov = p("iphone.mov");
    let mut args: Vec<&str> = VIDEO_SRC.to_vec();
    args.extend_from_slice(&[
        "-t",
        "1",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:a",
        "aac",
        "-movflags",
        "use_metadata_tags",
    ]);
    args.extend_from_slice(&[
        "-metadata",
        "com.apple.quicktime.creationdate=2026-03-14T13:02:03+0100",
        "-metadata",
        "com.apple.quicktime.location.ISO6709=+51.5072-000.1276+035.500/",
        "-metadata",
        "com.apple.quicktime.make=Apple",
        "-metadata",
        "com.apple.quicktime.model=iPhone 15 Pro",
        "-metadata",
        "com.apple.quicktime.software=17.4.1",
        "-metadata",
        "creation_time=2026-03-14T12:02:03Z",
    ]);
    args.push(s(&mov));
    ffmpeg(&args);
    keep(mov);
    let tg_src = p("tg.tmp.mp4");
    let mut args: Vec<&str> = VIDEO_SRC.to_vec();
    args.extend_from_slice(&[
        "-t",
        "1",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:a",
        "aac",
        "-map_metadata",
        "-1",
    ]);
    args.extend_from_slice(&["-movflags", "+faststart", "-brand", "isom", s(&tg_src)]);
    ffmpeg(&args);
    // Telegram: re-muxed, metadata stripped, portrait by display matrix.
    let tg = p("telegram.mp4");
    ffmpeg(&["-i", s(&tg_src), "-c", "copy", "-map_metadata", "-1", "-metadata:s:v:0", "rotate=90", s(&tg)]);
    std::fs::remove_file(&tg_src).expect("remove temp mp4");
    keep(tg);
    // WhatsApp: mp42 brand, creation time, location in udta ©xyz.
    let wa = p("whatsapp.mp4");
    let mut args: Vec<&str> = VIDEO_SRC.to_vec();
    args.extend_from_slice(&["-t", "1", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-brand", "mp42"]);
    args.extend_from_slice(&[
        "-metadata",
        "creation_time=2026-03-14T12:02:03Z",
        "-metadata",
        "location=+51.5072-000.1276/",
        s(&wa),
    ]);
    ffmpeg(&args);
    keep(wa);
    let xmp_mp4 = p("edited-xmp.mp4");
    let mut args: Vec<&str> = VIDEO_SRC.to_vec();
    args.extend_from_slice(&["-t", "1", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", s(&xmp_mp4)]);
    ffmpeg(&args);
    exif_write(
        &xmp_mp4,
        &["-XMP-xmp:CreateDate=2026:03:14 13:02:03+01:00", "-XMP-xmp:CreatorTool=Adobe Premiere Pro 2024"],
    );
    keep(xmp_mp4);
    let gp = p("feature-phone.3gp");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=176x144:rate=15",
        "-f",
        "lavfi",
        "-i",
        "sine=sample_rate=8000",
        "-t",
        "1",
        "-c:v",
        "h263",
        "-c:a",
        "aac",
        "-ar",
        "8000",
        "-ac",
        "1",
        "-metadata",
        "creation_time=2026-03-14T12:02:03Z",
        s(&gp),
    ]);
    keep(gp);
    let mkv = p("download.mkv");
    let mut args: Vec<&str> = VIDEO_SRC.to_vec();
    args.extend_from_slice(&["-t", "1", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"]);
    args.extend_from_slice(&[
        "-metadata",
        "creation_time=2026-03-14T12:02:03Z",
        "-metadata",
        "title=Protest, day 2",
        s(&mkv),
    ]);
    ffmpeg(&args);
    keep(mkv);
    let webm = p("youtube.webm");
    let mut args: Vec<&str> = VIDEO_SRC.to_vec();
    args.extend_from_slice(&[
        "-t",
        "1",
        "-c:v",
        "libvpx-vp9",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-c:a",
        "libopus",
    ]);
    args.extend_from_slice(&["-metadata", "creation_time=2026-03-14T12:02:03Z", s(&webm)]);
    ffmpeg(&args);
    keep(webm);
    let avi = p("cctv.avi");
    let mut args: Vec<&str> = VIDEO_SRC.to_vec();
    args.extend_from_slice(&["-t", "1", "-c:v", "mpeg4", "-c:a", "libmp3lame", s(&avi)]);
    ffmpeg(&args);
    keep(avi);
    out
}

fn be32(v: u32) -> [u8; 4] {
    v.to_be_bytes()
}

fn bx(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    [&be32(8 + payload.len() as u32)[..], kind, payload].concat()
}

fn full(kind: &[u8; 4], version: u8, payload: &[u8]) -> Vec<u8> {
    bx(kind, &[&[version, 0, 0, 0][..], payload].concat())
}

/// An iPhone-like HEIC: primary item 1 is a 2x2 `grid` of `hvc1` tiles
/// (items 2-5) with `ispe` 4032x3024 on the grid and 512x512 on the tiles,
/// `irot` on the grid, an `Exif` item (6) located by `iloc` in `mdat`.
/// The tile data is not a real HEVC stream: probing never decodes pixels.
pub fn iphone_like_heic() -> Vec<u8> {
    let exif = Exif {
        date_time_original: Some("2026:03:14 13:02:03".into()),
        offset: Some("+01:00".into()),
        make: Some("Apple".into()),
        model: Some("iPhone 15 Pro".into()),
        gps: Some((51.5072, -0.1276)),
        orientation: Some(1),
        software: Some("17.4.1".into()),
    };
    let tiff = super::media::tiff_block(&exif);
    let exif_item = [&be32(6)[..], b"Exif\0\0", &tiff].concat();
    let tile = [0u8; 32];
    let grid_data = [0u8, 0, 1, 1, 0x0f, 0xc0, 0x0b, 0xd0];

    let ftyp = bx(b"ftyp", b"heic\0\0\0\0mif1heicmiaf");
    let hdlr = full(b"hdlr", 0, &[&[0u8; 4][..], b"pict", &[0u8; 12], b"\0"].concat());
    let pitm = full(b"pitm", 0, &1u16.to_be_bytes());
    let infe = |id: u16, kind: &[u8; 4]| full(b"infe", 2, &[&id.to_be_bytes()[..], &[0, 0], kind, b"\0"].concat());
    let mut iinf_body = 6u16.to_be_bytes().to_vec();
    iinf_body.extend(infe(1, b"grid"));
    for id in 2..=5 {
        iinf_body.extend(infe(id, b"hvc1"));
    }
    iinf_body.extend(infe(6, b"Exif"));
    let iinf = full(b"iinf", 0, &iinf_body);
    let dimg = bx(b"dimg", &[&1u16.to_be_bytes()[..], &4u16.to_be_bytes(), &[0, 2, 0, 3, 0, 4, 0, 5]].concat());
    let cdsc = bx(b"cdsc", &[&6u16.to_be_bytes()[..], &1u16.to_be_bytes(), &1u16.to_be_bytes()].concat());
    let iref = full(b"iref", 0, &[dimg, cdsc].concat());
    let ispe = |w: u32, h: u32| full(b"ispe", 0, &[be32(w), be32(h)].concat());
    let ipco = bx(b"ipco", &[ispe(512, 512), ispe(4032, 3024), bx(b"irot", &[1])].concat());
    // Associations: tiles -> property 1; grid -> properties 2 and 3.
    let mut ipma_body = be32(5).to_vec();
    ipma_body.extend([0, 1, 2, 0x82, 0x03]);
    for id in 2..=5u8 {
        ipma_body.extend([0, id, 1, 0x81]);
    }
    let ipma = full(b"ipma", 0, &ipma_body);
    let iprp = bx(b"iprp", &[ipco, ipma].concat());
    // iloc v1, 4-byte offsets and lengths, no base offset; offsets patched below.
    let items: Vec<(u16, u8, usize)> =
        vec![(1, 1, grid_data.len()), (2, 0, 32), (3, 0, 32), (4, 0, 32), (5, 0, 32), (6, 0, exif_item.len())];
    let iloc = |offsets: &[u32]| {
        let mut b = vec![0x44, 0x00];
        b.extend(6u16.to_be_bytes());
        for (i, (id, method, len)) in items.iter().enumerate() {
            b.extend(id.to_be_bytes());
            b.extend(u16::from(*method).to_be_bytes());
            b.extend([0, 0, 0, 1]);
            b.extend(be32(offsets[i]));
            b.extend(be32(*len as u32));
        }
        full(b"iloc", 1, &b)
    };
    let idat = bx(b"idat", &grid_data);
    let meta_with = |offsets: &[u32]| {
        full(
            b"meta",
            0,
            &[hdlr.clone(), pitm.clone(), iinf.clone(), iref.clone(), iprp.clone(), iloc(offsets), idat.clone()]
                .concat(),
        )
    };
    let head_len = ftyp.len() + meta_with(&[0; 6]).len() + 8;
    let mut offsets = vec![0u32];
    for i in 0..4 {
        offsets.push((head_len + i * 32) as u32);
    }
    offsets.push((head_len + 4 * 32) as u32);
    let mdat = bx(b"mdat", &[tile.repeat(4), exif_item].concat());
    [ftyp, meta_with(&offsets), mdat].concat()
}

/// Read `tiff` as little-endian u16/u32 at `at`.
fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// A JPEG with an APP1 Exif block built from `tiff`.
fn jpeg_with_tiff(tiff: &[u8]) -> Vec<u8> {
    let jpeg = jpeg_bytes(64, 48, 9);
    let seg_len = (2 + 6 + tiff.len()) as u16;
    [&jpeg[..2], &[0xff, 0xe1], &seg_len.to_be_bytes(), b"Exif\0\0", tiff, &jpeg[2..]].concat()
}

/// An older, PowerShot-like layout: IFD0 is not at offset 8 but after a
/// block of maker data, its next-IFD link points to a thumbnail IFD past the
/// end of the block.
/// exiftool reads make, model and date from such files; a strict reader gives up.
pub fn old_layout_jpeg() -> Vec<u8> {
    let exif = Exif {
        date_time_original: Some("2009:07:21 10:15:00".into()),
        make: Some("Canon".into()),
        model: Some("Canon PowerShot A590 IS".into()),
        ..Exif::default()
    };
    let tiff = super::media::tiff_block(&exif);
    // Move everything after the header 64 bytes later (as makers' data did),
    // fixing every offset, then break the IFD1 link and add a bad entry.
    let shift = 64u32;
    let mut body = tiff[8..].to_vec();
    let fix = |b: &mut Vec<u8>, ifd: usize| {
        let n = le16(b, ifd) as usize;
        for e in 0..n {
            let at = ifd + 2 + 12 * e;
            let kind = le16(b, at + 2);
            let count = u32::from_le_bytes(b[at + 4..at + 8].try_into().unwrap());
            let unit = match kind {
                1 | 2 | 7 => 1,
                3 => 2,
                4 => 4,
                5 => 8,
                _ => 1,
            };
            let tag = le16(b, at);
            if unit * count > 4 || tag == 0x8769 || tag == 0x8825 {
                let v = u32::from_le_bytes(b[at + 8..at + 12].try_into().unwrap()) + shift;
                b[at + 8..at + 12].copy_from_slice(&v.to_le_bytes());
            }
        }
    };
    // IFD0 starts at body[0]; its sub-IFD follows (offset in the 0x8769 entry).
    fix(&mut body, 0);
    let n0 = le16(&body, 0) as usize;
    let sub = (0..n0)
        .map(|e| 2 + 12 * e)
        .find(|&at| le16(&body, at) == 0x8769)
        .map(|at| u32::from_le_bytes(body[at + 8..at + 12].try_into().unwrap()) - shift - 8)
        .expect("Exif IFD pointer") as usize;
    fix(&mut body, sub);
    // Next-IFD link of IFD0 -> far past the end (a cut thumbnail IFD).
    let link = 2 + 12 * n0;
    body[link..link + 4].copy_from_slice(&0x00ff_0000u32.to_le_bytes());
    let mut out = b"II\x2a\x00".to_vec();
    out.extend((8 + shift).to_le_bytes());
    out.extend(vec![0u8; shift as usize]);
    out.extend(body);
    jpeg_with_tiff(&out)
}

/// A game-console-like GPS IFD: latitude only (no longitude), and a
/// non-zero next-IFD link after it, which the TIFF spec does not allow there.
pub fn partial_gps_jpeg() -> Vec<u8> {
    let exif = Exif {
        make: Some("Nintendo".into()),
        model: Some("Nintendo 3DS".into()),
        date_time_original: Some("2014:08:02 18:30:00".into()),
        gps: Some((35.6586, 139.7454)),
        ..Exif::default()
    };
    let mut tiff = super::media::tiff_block(&exif);
    // Find the GPS IFD and drop its longitude entries by shrinking the count
    // (entries are sorted by tag: version, lat ref, lat, lon ref, lon).
    let n0 = le16(&tiff, 8) as usize;
    let gps = (0..n0)
        .map(|e| 10 + 12 * e)
        .find(|&at| le16(&tiff, at) == 0x8825)
        .map(|at| u32::from_le_bytes(tiff[at + 8..at + 12].try_into().unwrap()))
        .expect("GPS pointer") as usize;
    let n = le16(&tiff, gps) as usize;
    assert_eq!(n, 5, "GPS IFD layout drifted");
    tiff[gps..gps + 2].copy_from_slice(&3u16.to_le_bytes());
    // The link now sits where entry 4 was: point it at junk inside the block.
    let link = gps + 2 + 12 * 3;
    tiff[link..link + 4].copy_from_slice(&8u32.to_le_bytes());
    jpeg_with_tiff(&tiff)
}
