//! Benchmark setup (not a test) for issue 5, end to end: a real catalog
//! holding N synthetic PDQ fingerprints (default 1,000,000), for timing the
//! `evcat similar` and `evcat add` commands on it (`benches/similar.sh` does
//! the timing). Also times, in process, the old path (load every fingerprint
//! and build the in-memory index, which `similar` and each `add` batch used to
//! do) against the persisted band index.
//!
//! ```sh
//! cargo run --release --example similar_catalog -- DIR [N] [PHOTOS]
//! cargo run --release --example similar_catalog -- --attach DIR N   # see `attach`
//! ```
//!
//! Creates the catalog DIR (must not exist) with `Catalog::init`, then in one
//! transaction inserts N / 3 synthetic still-image file rows with three
//! fingerprints each (like a photo's whole + two crop hashes), 70 % in
//! clusters of 10 near-duplicate files, 30 % uniform. The `fingerprint_band`
//! rows are made by the schema's triggers, the same path as the library's
//! inserts. The synthetic rows have no custody events (`audit` would name
//! them); they are for timing only. Finally writes PHOTOS (default 20)
//! generated JPEGs to DIR.photos/ for timing `add`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use evcat::fingerprint::DEFAULT_MAX_DISTANCE;
use evcat::ids::FileId;
use evcat::{ActorOptions, Catalog};
use rusqlite::params;

#[path = "../benches/tools/synthetic_pdq.rs"]
mod synthetic_pdq;
use synthetic_pdq::Rng;

/// A textured picture (value noise; PDQ needs structure to reach quality 50+).
fn photo(w: u32, h: u32, seed: u64) -> image::RgbImage {
    let mut rng = Rng(seed);
    let cells = 12u32;
    let vals: Vec<f32> = (0..(cells + 1) * (cells + 1) * 3).map(|_| (rng.next() % 256) as f32).collect();
    image::RgbImage::from_fn(w, h, |x, y| {
        let fx = x as f32 / w as f32 * cells as f32;
        let fy = y as f32 / h as f32 * cells as f32;
        let (ix, iy) = (fx.floor() as u32, fy.floor() as u32);
        let (tx, ty) = (fx - ix as f32, fy - iy as f32);
        let at = |cx: u32, cy: u32, c: usize| vals[((cy.min(cells) * (cells + 1) + cx.min(cells)) * 3) as usize + c];
        image::Rgb([0, 1, 2].map(|c| {
            let top = at(ix, iy, c) * (1.0 - tx) + at(ix + 1, iy, c) * tx;
            let bot = at(ix, iy + 1, c) * (1.0 - tx) + at(ix + 1, iy + 1, c) * tx;
            (top * (1.0 - ty) + bot * ty) as u8
        }))
    })
}

fn populate(dir: &Path, n: usize) -> rusqlite::Result<()> {
    let mut conn = rusqlite::Connection::open(dir.join("catalog.sqlite"))?;
    // Room for the band index's pages while 16 rows per fingerprint land at random keys.
    conn.pragma_update(None, "cache_size", -2_000_000)?;
    let tx = conn.transaction()?;
    let now = "2026-01-01T00:00:00.000000Z";
    tx.execute(
        "INSERT INTO evidence(kind, title, status, created_at) VALUES ('image', 'synthetic', 'acquired', ?1)",
        [now],
    )?;
    let evidence = tx.last_insert_rowid();
    let mut file = tx.prepare(
        "INSERT INTO file(evidence_id, sha256, size, media_type, storage, original_name, acquired_at, created_at)
         VALUES (?1, ?2, 1, 'image/jpeg', 'object', ?3, ?4, ?4)",
    )?;
    let mut fp = tx.prepare(
        "INSERT INTO fingerprint(file_id, method, version, frame_index, hash, quality, created_at)
         VALUES (?1, 'pdq', 'evcat-pdq-1', ?2, ?3, 80, ?4)",
    )?;
    let mut rng = Rng(42);
    let files = n.div_ceil(3);
    let mut centre = rng.hash();
    for i in 0..files {
        let base = rng.synthetic(&mut centre, i, files);
        file.execute(params![evidence, format!("{:064x}", i + 1), format!("synthetic-{i}.jpg"), now])?;
        let id = tx.last_insert_rowid();
        for frame in 0..3.min(n - 3 * i) {
            // Crop variants sit 20-60 bits from the whole picture.
            let h = if frame == 0 {
                base
            } else {
                let bits = 20 + rng.next() % 40;
                rng.flip(&base, bits)
            };
            fp.execute(params![id, frame as i64, &h[..], now])?;
        }
    }
    drop(file);
    drop(fp);
    tx.commit()?;
    // Leave the catalog as a steady state would be: not a 500 MB WAL.
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")
}

/// `--attach DIR N`: give the first N file rows of an existing catalog one
/// synthetic fingerprint each (same distribution as [`populate`]), for timing
/// `similar` on the scale catalog of `benches/scale.sh`. Fingerprints are
/// derived data outside the custody log, so the catalog still audits clean;
/// only `similar`'s answers are synthetic.
fn attach(dir: &Path, n: usize) -> rusqlite::Result<usize> {
    let mut conn = rusqlite::Connection::open(dir.join("catalog.sqlite"))?;
    conn.pragma_update(None, "cache_size", -2_000_000)?;
    let tx = conn.transaction()?;
    let ids: Vec<i64> = {
        let mut st = tx.prepare("SELECT id FROM file ORDER BY id LIMIT ?1")?;
        let rows = st.query_map([n as i64], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut fp = tx.prepare(
        "INSERT INTO fingerprint(file_id, method, version, frame_index, hash, quality, created_at)
         VALUES (?1, 'pdq', 'evcat-pdq-1', 0, ?2, 80, '2026-01-01T00:00:00.000000Z')",
    )?;
    let mut rng = Rng(7);
    let mut centre = rng.hash();
    for (i, id) in ids.iter().enumerate() {
        let h = rng.synthetic(&mut centre, i, ids.len());
        fp.execute(params![id, &h[..]])?;
    }
    drop(fp);
    tx.commit()?;
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")?;
    Ok(ids.len())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().nth(1).as_deref() == Some("--attach") {
        let dir = PathBuf::from(std::env::args().nth(2).ok_or("usage: similar_catalog --attach DIR N")?);
        let n: usize = std::env::args().nth(3).ok_or("usage: similar_catalog --attach DIR N")?.parse()?;
        let t = Instant::now();
        let done = attach(&dir, n)?;
        println!("attached {done} synthetic fingerprints (with band rows) in {:.1} s", t.elapsed().as_secs_f64());
        return Ok(());
    }
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or("usage: similar_catalog DIR [N] [PHOTOS]")?);
    let n: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1_000_000);
    let photos: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(20);

    let t = Instant::now();
    drop(Catalog::init(&dir, "bench", None)?);
    populate(&dir, n)?;
    println!("catalog: {n} synthetic fingerprints inserted (with band rows) in {:.1} s", t.elapsed().as_secs_f64());

    let cat = Catalog::open(&dir, ActorOptions::default())?;
    let t = Instant::now();
    let set = cat.fingerprint_set()?;
    println!(
        "old path (every CLI run and add batch): load {} fingerprints + build the in-memory index: {:.2} s",
        set.len(),
        t.elapsed().as_secs_f64()
    );
    drop(set);
    for f in [1, 2, 500_000.min(n as i64 / 3), 333_333.min(n as i64 / 3)] {
        let t = Instant::now();
        let m = cat.similar(FileId(f), DEFAULT_MAX_DISTANCE)?;
        println!(
            "persisted index, in process: similar F{f}: {} matches in {:.2} ms",
            m.len(),
            t.elapsed().as_secs_f64() * 1000.0
        );
    }

    let pdir = PathBuf::from(format!("{}.photos", dir.display()));
    std::fs::create_dir_all(&pdir)?;
    for i in 0..photos {
        let img = photo(1200, 900, 1000 + i);
        img.save_with_format(pdir.join(format!("photo-{i:03}.jpg")), image::ImageFormat::Jpeg)?;
    }
    println!("{photos} photos written to {}", pdir.display());
    Ok(())
}
