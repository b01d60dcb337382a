//! Benchmark (not a test) for issue 15: what the audio fingerprint adds to
//! the analysis of a video. For each file given: the keyframe decode media
//! analysis runs (`video::decode`), the audio-only ffmpeg run
//! (`audio::decode_pcm`) and Chromaprint over its PCM (`audio::fingerprint_pcm`),
//! each timed on its own, and the CPU time of this process (Chromaprint) and
//! of its ffmpeg children.
//!
//! ```sh
//! cargo build --release --no-default-features --example audio_bench
//! target/release/examples/audio_bench CLIP.mp4 ...
//! ```

use std::path::PathBuf;
use std::time::Instant;

use evcat::fingerprint::{audio, video};

/// (user + system) CPU seconds of this process and of its waited-for children.
fn cpu() -> (f64, f64) {
    let stat = |who: i32| {
        // SAFETY: getrusage writes into the zeroed struct we own.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(who, &mut u) };
        let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
        t(u.ru_utime) + t(u.ru_stime)
    };
    (stat(libc::RUSAGE_SELF), stat(libc::RUSAGE_CHILDREN))
}

fn main() {
    let files: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if files.is_empty() {
        eprintln!("usage: audio_bench VIDEO...");
        std::process::exit(2);
    }
    let (mut keyframes_s, mut pcm_s, mut print_s) = (0.0, 0.0, 0.0);
    let (mut ff_video_cpu, mut ff_audio_cpu, mut print_cpu) = (0.0, 0.0, 0.0);
    println!("file\tkeyframes_s\taudio_decode_s\tchromaprint_s\titems");
    for f in &files {
        let (_, c0) = cpu();
        let t = Instant::now();
        let frames = video::decode(f).map(|d| d.frames.len()).unwrap_or(0);
        let k = t.elapsed().as_secs_f64();
        let (_, c1) = cpu();
        let t = Instant::now();
        let pcm = audio::decode_pcm(f).unwrap_or_default();
        let p = t.elapsed().as_secs_f64();
        let (s0, c2) = cpu();
        let t = Instant::now();
        let print = audio::fingerprint_pcm(&pcm);
        let c = t.elapsed().as_secs_f64();
        let (s1, _) = cpu();
        let items = print.map(|p| p.words.len()).unwrap_or(0);
        println!("{}\t{k:.3}\t{p:.3}\t{c:.3}\t{items}\t({frames} keyframes)", f.display());
        keyframes_s += k;
        pcm_s += p;
        print_s += c;
        ff_video_cpu += c1 - c0;
        ff_audio_cpu += c2 - c1;
        print_cpu += s1 - s0;
    }
    let n = files.len() as f64;
    println!(
        "mean per file: keyframes {:.3} s wall ({:.3} s ffmpeg CPU); audio: decode {:.3} s wall ({:.3} s ffmpeg CPU) + Chromaprint {:.3} s wall ({:.3} s CPU); audio adds {:.1} % of the keyframe wall time",
        keyframes_s / n,
        ff_video_cpu / n,
        pcm_s / n,
        ff_audio_cpu / n,
        print_s / n,
        print_cpu / n,
        100.0 * (pcm_s + print_s) / keyframes_s.max(1e-9)
    );
}
