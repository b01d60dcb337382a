//! A local RFC 3161 Time-Stamping Authority for the tests: certificates made
//! by `tests/data/tsa/make-tsa.sh` (openssl CLI), replies made by `openssl ts
//! -reply`, served over HTTP on 127.0.0.1 by a thread of the test itself,
//! stopped when the `Tsa` is dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How the TSA answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Sign what is asked.
    Honest,
    /// Sign a query for other data (a token for another imprint).
    Foreign,
}

/// Make the certificates in `dir` (`rsa` or `ec` keys).
pub fn make_pki(dir: &Path, keytype: &str) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tsa/make-tsa.sh");
    let out =
        Command::new("bash").arg(script).arg(dir).arg(keytype).output().expect("bash runs tests/data/tsa/make-tsa.sh");
    assert!(
        out.status.success(),
        "make-tsa.sh failed (is the openssl CLI installed? run `bash .ci/install-test-deps`): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub struct Tsa {
    pub url: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Tsa {
    /// Serve `openssl ts -reply` signed by `signer` (`tsa`, `expired`,
    /// `rogue`: the certificate and key names in `dir`).
    pub fn start(dir: &Path, signer: &str, mode: Mode) -> Tsa {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}/tsa", listener.local_addr().expect("addr"));
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, dir, signer) = (stop.clone(), dir.to_path_buf(), signer.to_string());
        let thread = std::thread::spawn(move || {
            // Bounded: at most 2 minutes, however the test goes.
            let deadline = Instant::now() + Duration::from_secs(120);
            while !flag.load(Ordering::SeqCst) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => serve(stream, &dir, &signer, mode),
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Tsa { url, stop, thread: Some(thread) }
    }
}

impl Drop for Tsa {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(mut stream: TcpStream, dir: &Path, signer: &str, mode: Mode) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let body = loop {
        let Ok(n) = stream.read(&mut chunk) else { return };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let Ok(n) = stream.read(&mut chunk) else { return };
                if n == 0 {
                    return;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            break buf[end + 4..end + 4 + len].to_vec();
        }
    };
    let query = dir.join("q.tsq");
    std::fs::write(&query, &body).expect("write query");
    if mode == Mode::Foreign {
        let other = "ab".repeat(32);
        run(dir, &["ts", "-query", "-digest", &other, "-sha256", "-cert", "-out", "q.tsq"]);
    }
    let (cert, key) = (format!("{signer}.pem"), format!("{signer}.key"));
    run(
        dir,
        &[
            "ts",
            "-reply",
            "-config",
            "tsa.cnf",
            "-queryfile",
            "q.tsq",
            "-signer",
            &cert,
            "-inkey",
            &key,
            "-out",
            "r.tsr",
        ],
    );
    let reply = std::fs::read(dir.join("r.tsr")).expect("openssl wrote a reply");
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reply.len()
    );
    let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(&reply));
}

fn run(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("the openssl CLI runs");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The path of a file of the PKI.
pub fn pki(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}
