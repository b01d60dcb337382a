//! Audio fingerprints: Chromaprint (the AcoustID algorithm, through the
//! pure-Rust port `rusty-chromaprint`) of a file's first audio stream,
//! decoded by the `ffmpeg` on PATH to 11 025 Hz mono 16-bit PCM (the rate
//! Chromaprint works at, so it never resamples again) under the same
//! wall-clock limit as keyframes, and the match rule over two fingerprints:
//! the matched time ranges of their best alignment.
//!
//! A fingerprint is one 32-bit word per [`ITEM_MS`] (≈ 124 ms) of sound;
//! two recordings of the same sound agree on most words at one offset, and
//! many words exactly, which is what the catalog's audio index keys on
//! (`catalog/fingerprints.rs`, ARCHITECTURE.md "Fingerprints").

use std::path::Path;
use std::process::{Command, Stdio};

use rusty_chromaprint::{match_fingerprints, Configuration, Fingerprinter};
use serde::Serialize;

use super::matching::Segment;
use super::video::{read_capped, wait_bounded, VideoError};
use crate::hash::Sha256;

/// Fingerprint method stored with every audio fingerprint.
pub const METHOD: &str = "chromaprint";
/// Chromaprint's default algorithm (`TEST2`, what `fpcalc` computes), of at
/// most the first [`MAX_SECONDS`] of the first audio stream, decoded by
/// ffmpeg to 11 025 Hz mono. Change it whenever fingerprints could change.
pub const VERSION: &str = "evcat-chromaprint-1";
/// Sample rate of the decoded audio: Chromaprint's own.
pub const SAMPLE_RATE: u32 = 11_025;
/// Seconds of audio fingerprinted per file at most (a long livestream
/// recording is matched on its first ten minutes; 13 MB of PCM).
pub const MAX_SECONDS: u32 = 600;
/// Shortest matched stretch (after joining) that counts as the same audio:
/// below it, short tones and silences of unrelated sound can line up by chance.
pub const MIN_MATCH_MS: u64 = 4000;
/// Largest mean bit error (of 32 per item) of a matched stretch. Chromaprint's
/// matcher keeps stretches under 10; re-encodes, excerpts and re-recordings
/// under noise of evcat's fixtures stay under 2, but unrelated tunes built
/// from the same twelve pitches line up over stretches of 1-10 s at 6.7-9.9
/// (28 pairs measured; 7.3 over 4.3 s, 7.8 over 9.8 s), so 5 keeps a margin
/// on both sides.
pub const MAX_BIT_ERROR: f64 = 5.0;
/// Stretches of one alignment closer than this are reported as one.
const JOIN_GAP_MS: u64 = 2000;

fn config() -> Configuration {
    Configuration::preset_test2()
}

/// Milliseconds of sound per fingerprint item (4096-sample frames, a third
/// of a frame apart, at 11 025 Hz).
pub fn item_ms() -> f64 {
    f64::from(config().item_duration_in_seconds()) * 1000.0
}

/// How much sound after an item's start went into it: Chromaprint's delay
/// (its chroma and classifier filters span ~19 items plus a frame), less
/// one item. A stretch of items `a..b` covers the sound from `a`'s start to
/// `b - 1`'s start plus this.
fn tail_ms() -> u64 {
    let c = config();
    ((c.delay() as f64 * 1000.0 / f64::from(SAMPLE_RATE)) - item_ms()).max(0.0).round() as u64
}

/// Duration of `n` fingerprint items, in whole milliseconds.
fn items_ms(n: usize) -> u64 {
    (n as f64 * item_ms()).round() as u64
}

/// A file's audio fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioPrint {
    /// Chromaprint's raw fingerprint, one word per item.
    pub words: Vec<u32>,
    /// Duration of the decoded audio (at most [`MAX_SECONDS`]).
    pub duration_ms: u64,
}

impl AudioPrint {
    /// The words as stored: 4 bytes each, little-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    /// Words from their stored bytes (a trailing partial word is ignored).
    pub fn words_from_bytes(b: &[u8]) -> Vec<u32> {
        b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
    }

    /// SHA-256 of the stored bytes (what the custody event attests).
    pub fn digest(&self) -> String {
        Sha256::of_bytes(&self.to_bytes()).to_hex()
    }

    /// The distinct words, the keys of the catalog's audio index.
    pub fn keys(&self) -> Vec<u32> {
        let mut k = self.words.clone();
        k.sort_unstable();
        k.dedup();
        k
    }
}

/// Why a file has no audio fingerprint.
#[derive(Debug, PartialEq, Eq)]
pub enum AudioError {
    /// No `ffmpeg` on PATH.
    NoFfmpeg,
    /// The file has no audio stream (most screen recordings, many clips).
    NoAudio,
    /// Too little sound to fingerprint (under a few seconds, or silence).
    TooShort,
    /// ffmpeg could not decode it.
    Failed(String),
}

/// Decode the first audio stream of `path` to 11 025 Hz mono PCM and fingerprint it.
pub fn fingerprint_file(path: &Path) -> Result<AudioPrint, AudioError> {
    let pcm = decode_pcm(path)?;
    fingerprint_pcm(&pcm).ok_or(AudioError::TooShort)
}

/// Chromaprint of 11 025 Hz mono samples; `None` when too short to give a word.
pub fn fingerprint_pcm(samples: &[i16]) -> Option<AudioPrint> {
    let mut fp = Fingerprinter::new(&config());
    fp.start(SAMPLE_RATE, 1).ok()?;
    fp.consume(samples);
    fp.finish();
    let words = fp.fingerprint().to_vec();
    let duration_ms = (samples.len() as u64 * 1000) / u64::from(SAMPLE_RATE);
    (!words.is_empty()).then_some(AudioPrint { words, duration_ms })
}

/// The first audio stream as 11 025 Hz mono signed 16-bit samples, at most
/// [`MAX_SECONDS`] of it, under the keyframe decoder's time limit.
pub fn decode_pcm(path: &Path) -> Result<Vec<i16>, AudioError> {
    let child = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-threads", "1", "-i"])
        .arg(path)
        .args(["-map", "0:a:0?", "-vn", "-sn", "-dn", "-ac", "1", "-ar", &SAMPLE_RATE.to_string()])
        .args(["-t", &MAX_SECONDS.to_string(), "-f", "s16le", "-acodec", "pcm_s16le", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(AudioError::NoFfmpeg),
        Err(e) => return Err(AudioError::Failed(format!("cannot start ffmpeg: {e}"))),
    };
    let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(AudioError::Failed("ffmpeg pipes unavailable".into()));
    };
    let cap = u64::from(MAX_SECONDS + 1) * u64::from(SAMPLE_RATE) * 2;
    let out_reader = std::thread::spawn(move || read_capped(out, cap));
    let err_reader = std::thread::spawn(move || String::from_utf8_lossy(&read_capped(err, 1 << 20)).into_owned());
    let waited = wait_bounded(&mut child);
    let raw = out_reader.join().unwrap_or_default();
    let log = err_reader.join().unwrap_or_default();
    let (status, _timed_out) = match waited {
        Ok(w) => w,
        Err(VideoError::NoFfmpeg) => return Err(AudioError::NoFfmpeg),
        Err(VideoError::Failed(e)) => return Err(AudioError::Failed(e)),
    };
    if raw.is_empty() {
        // `-map 0:a:0?` maps nothing when there is no audio stream, and
        // ffmpeg then refuses to write an output without streams.
        if log.contains("does not contain any stream") || log.contains("Output file is empty") {
            return Err(AudioError::NoAudio);
        }
        let why = log.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no audio decoded").trim().to_string();
        return Err(match status {
            Some(s) if !s.success() => AudioError::Failed(format!("ffmpeg failed ({s}) decoding audio: {why}")),
            _ => AudioError::NoAudio,
        });
    }
    // A run killed at the time limit keeps the sound decoded so far.
    Ok(raw.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect())
}

/// How the audio of a query file matches another file's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AudioMatch {
    /// Mean bit error of the matched stretches (of 32 bits per item; 0 is identical).
    pub bit_error: f64,
    /// Milliseconds of the query's audio that match.
    pub matched_ms: u64,
    /// Length of the query's fingerprinted audio.
    pub query_ms: u64,
    /// Length of the other file's fingerprinted audio.
    pub other_ms: u64,
    /// Which stretches of the query's audio match which of the other's.
    pub segments: Vec<Segment>,
}

/// The match rule for audio: Chromaprint's matcher aligns the two
/// fingerprints at their most common offset and cuts the aligned stretch
/// where the bit error jumps; the stretches with a mean bit error of at most
/// [`MAX_BIT_ERROR`] are joined across short gaps, and the pair matches when
/// the longest joined stretch lasts at least [`MIN_MATCH_MS`] (or all of a
/// shorter file's audio, less a second for the matcher's edges).
pub fn audio_match(query: &AudioPrint, other: &AudioPrint) -> Option<AudioMatch> {
    let segs = match_fingerprints(&query.words, &other.words, &config()).ok()?;
    let mut joined: Vec<(Segment, f64, usize)> = Vec::new();
    let tail = tail_ms();
    for s in segs.iter().filter(|s| s.score <= MAX_BIT_ERROR && s.items_count > 0) {
        let seg = Segment {
            start_ms: items_ms(s.offset1),
            end_ms: (items_ms(s.offset1 + s.items_count) + tail).min(query.duration_ms.max(1)),
            other_start_ms: items_ms(s.offset2),
            other_end_ms: (items_ms(s.offset2 + s.items_count) + tail).min(other.duration_ms.max(1)),
        };
        if let Some((last, err, n)) = joined.last_mut() {
            if seg.start_ms <= last.end_ms + JOIN_GAP_MS && seg.other_start_ms <= last.other_end_ms + JOIN_GAP_MS {
                *err = (*err * *n as f64 + s.score * s.items_count as f64) / (*n + s.items_count) as f64;
                *n += s.items_count;
                last.end_ms = seg.end_ms;
                last.other_end_ms = seg.other_end_ms;
                continue;
            }
        }
        joined.push((seg, s.score, s.items_count));
    }
    let longest = joined.iter().map(|(g, _, _)| g.end_ms.saturating_sub(g.start_ms)).max()?;
    let shorter = query.duration_ms.min(other.duration_ms);
    if longest < MIN_MATCH_MS.min(shorter.saturating_sub(1000).max(1)) {
        return None;
    }
    let items: usize = joined.iter().map(|(_, _, n)| n).sum();
    let matched_ms = joined.iter().map(|(g, _, _)| g.end_ms.saturating_sub(g.start_ms)).sum();
    let bit_error = joined.iter().map(|(_, e, n)| e * *n as f64).sum::<f64>() / items as f64;
    Some(AudioMatch {
        bit_error: (bit_error * 100.0).round() / 100.0,
        matched_ms,
        query_ms: query.duration_ms,
        other_ms: other.duration_ms,
        segments: joined.into_iter().map(|(s, _, _)| s).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A melody that never repeats: a note every 250 ms whose pitch comes
    /// from a hash of its index and `seed`, over a slower bass line.
    pub(super) fn melody(seed: u32, secs: f64) -> Vec<i16> {
        let n = (secs * f64::from(SAMPLE_RATE)) as usize;
        (0..n)
            .map(|i| {
                let t = i as f64 / f64::from(SAMPLE_RATE);
                let note = |k: u64, m: u32| {
                    let x = (k ^ u64::from(seed) << 32).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
                    (x % u64::from(m)) as f64
                };
                let hi = 220.0 * 2f64.powf(note((t * 4.0) as u64, 24) / 12.0);
                let lo = 110.0 * 2f64.powf(note((t * 2.0) as u64 + 1000, 12) / 12.0);
                let v = 0.4 * (2.0 * std::f64::consts::PI * hi * t).sin()
                    + 0.3 * (2.0 * std::f64::consts::PI * lo * t).sin();
                (v * 20000.0) as i16
            })
            .collect()
    }

    #[test]
    fn an_excerpt_matches_at_its_place_and_other_sound_does_not() {
        let whole = fingerprint_pcm(&melody(1, 30.0)).unwrap();
        assert_eq!(whole.duration_ms, 30_000);
        let from = 7 * SAMPLE_RATE as usize + 3000;
        let excerpt = fingerprint_pcm(&melody(1, 30.0)[from..from + 12 * SAMPLE_RATE as usize]).unwrap();
        let m = audio_match(&excerpt, &whole).expect("the excerpt matches");
        assert!(m.bit_error < 2.0, "{m:?}");
        let s = m.segments[0];
        let start = (from as f64 / f64::from(SAMPLE_RATE) * 1000.0) as i64;
        assert!((s.other_start_ms as i64 - start - s.start_ms as i64).abs() < 250, "{m:?}");
        assert!(m.matched_ms > 9000, "{m:?}");
        // Tunes from the same twelve pitches meet in places, never for long.
        for seed in 2..10 {
            let other = fingerprint_pcm(&melody(seed, 20.0)).unwrap();
            assert_eq!(audio_match(&other, &whole), None, "seed {seed}");
            assert_eq!(audio_match(&whole, &other), None, "seed {seed}");
        }
    }

    #[test]
    fn stored_words_round_trip_and_keys_are_distinct() {
        let p = AudioPrint { words: vec![7, 0xdead_beef, 7, 1], duration_ms: 500 };
        assert_eq!(AudioPrint::words_from_bytes(&p.to_bytes()), p.words);
        assert_eq!(AudioPrint::words_from_bytes(&[1, 0, 0, 0, 9]), [1]);
        assert_eq!(p.keys(), [1, 7, 0xdead_beef]);
        assert!(fingerprint_pcm(&[0; 100]).is_none(), "too short for one item");
    }

    #[test]
    fn a_file_without_audio_or_not_media_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.mp4");
        std::fs::write(&junk, b"not a video at all").unwrap();
        match decode_pcm(&junk) {
            Err(AudioError::Failed(why)) => assert!(why.contains("ffmpeg failed"), "{why}"),
            other => panic!("expected a failure, got {other:?} (is ffmpeg on PATH? `bash .ci/install-test-deps`)"),
        }
        // A real video without a sound track: no audio, which is not an error.
        let silent = dir.path().join("silent.mp4");
        let made = std::process::Command::new("ffmpeg")
            .args(["-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=d=2", "-an"])
            .arg(&silent)
            .status()
            .expect("ffmpeg on PATH: run `bash .ci/install-test-deps`");
        assert!(made.success());
        assert_eq!(fingerprint_file(&silent), Err(AudioError::NoAudio));
    }
}
