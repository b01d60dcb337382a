//! The review desk in a real browser: Debian's Chromium, headless, driven
//! through chromedriver (WebDriver) with `fantoccini`, against the real
//! `evcat serve` on a free loopback port. Each test does what a journalist
//! does with the mouse (select a sentence, set in/out on the player, drag a
//! box on a photo, press buttons) and then checks what the catalog recorded
//! with the CLI. Chromium and chromedriver are required: without them every
//! test fails with the command that installs them (`.ci/install-test-deps`).
//!
//! Screenshots of the article and file pages are written to
//! `target/tmp/desk-screenshots/`, and also to `$EVCAT_SCREENSHOT_DIR` when it
//! is set (`EVCAT_SCREENSHOT_DIR=docs` refreshes the README's pictures).

mod common;

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use common::server::Server;
use common::{media, registered, s, Cat};

const INSTALL: &str = "run `bash .ci/install-test-deps` (Debian packages chromium and chromium-driver)";

/// Chromium's flags: headless, no sandbox (tests run as root in CI), and
/// nothing that reaches the network on its own (updates, sync, QUIC probes).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
];

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| PathBuf::from(d).join(name)).find(|p| p.is_file())
}

/// chromedriver's port: started once per test binary, on 127.0.0.1 (it
/// accepts local connections only), on a port it picks and prints.
fn driver_port() -> u16 {
    static PORT: OnceLock<u16> = OnceLock::new();
    *PORT.get_or_init(|| {
        let driver = on_path("chromedriver").unwrap_or_else(|| panic!("chromedriver not found on PATH: {INSTALL}"));
        let (tx, rx) = std::sync::mpsc::channel();
        // The thread that spawns chromedriver never ends, so the child's
        // parent-death signal fires only when the test process exits.
        std::thread::spawn(move || {
            let mut cmd = Command::new(driver);
            cmd.args(["--port=0"]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
            #[cfg(target_os = "linux")]
            {
                use std::os::unix::process::CommandExt;
                // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
                unsafe {
                    cmd.pre_exec(|| {
                        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                        Ok(())
                    });
                }
            }
            let mut child = cmd.spawn().unwrap_or_else(|e| panic!("could not start chromedriver ({e}): {INSTALL}"));
            let mut out = BufReader::new(child.stdout.take().expect("chromedriver stdout"));
            let mut line = String::new();
            while out.read_line(&mut line).unwrap_or(0) > 0 {
                if let Some(p) = line.trim().strip_prefix("ChromeDriver was started successfully on port ") {
                    let _ = tx.send(p.trim_end_matches('.').parse::<u16>().ok());
                    break;
                }
                line.clear();
            }
            let _ = tx.send(None);
            // Stay alive as long as chromedriver (its parent-death signal is
            // tied to this thread), with its stdout pipe open.
            let _ = child.wait();
            drop(out);
        });
        rx.recv_timeout(Duration::from_secs(30))
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("chromedriver did not say which port it listens on: {INSTALL}"))
    })
}

/// A new Chromium with a fresh profile.
async fn session(profile: &std::path::Path) -> Client {
    let chromium = on_path("chromium").unwrap_or_else(|| panic!("chromium not found on PATH: {INSTALL}"));
    let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": chromium, "args": args },
    });
    let Value::Object(caps) = caps else { unreachable!("a JSON object") };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver_port()))
        .await
        .unwrap_or_else(|e| panic!("chromedriver could not start Chromium ({e}): {INSTALL}"))
}

/// Run one browser scenario: one Chromium at a time (two cores), closed
/// whether the scenario passes or panics, the panic then re-raised.
fn in_browser<F, Fut>(scenario: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    static ONE: Mutex<()> = Mutex::new(());
    let _one = ONE.lock().unwrap_or_else(|p| p.into_inner());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    rt.block_on(async {
        let profile = tempfile::tempdir().expect("profile dir");
        let client = session(profile.path()).await;
        let run = tokio::spawn(scenario(client.clone())).await;
        let _ = client.close().await;
        if let Err(e) = run {
            if e.is_panic() {
                std::panic::resume_unwind(e.into_panic());
            }
            panic!("browser scenario did not finish: {e}");
        }
    });
}

/// Poll `script` (a function body returning a value) until it returns true.
async fn wait_true(c: &Client, script: &str, what: &str) {
    let start = Instant::now();
    loop {
        let v = c.execute(script, vec![]).await.unwrap_or(Value::Null);
        if v == Value::Bool(true) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_url(c: &Client, contains: &str) {
    let start = Instant::now();
    loop {
        if c.current_url().await.map(|u| u.as_str().contains(contains)).unwrap_or(false) {
            // The new document may still be loading.
            wait_true(c, "return document.readyState === 'complete'", "the page to load").await;
            return;
        }
        if start.elapsed() > Duration::from_secs(20) {
            // Say what the browser shows instead (a refusal names its reason).
            let shown = match c.find(Locator::Css("main")).await {
                Ok(m) => m.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            panic!("timed out waiting for a URL with {contains}; the page shows: {shown}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Open the printed address with its one-time token: the browser gets the
/// session cookie and lands on the page without the token.
async fn login(c: &Client, srv: &Server) -> String {
    let base = format!("http://{}", srv.host);
    c.goto(&format!("{base}/?token={}", srv.token)).await.expect("open the printed URL");
    let url = c.current_url().await.expect("url");
    assert!(!url.as_str().contains("token"), "the token is taken out of the address: {url}");
    base
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    let mut dirs = vec![PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("desk-screenshots")];
    if let Some(d) = std::env::var_os("EVCAT_SCREENSHOT_DIR") {
        dirs.push(PathBuf::from(d));
    }
    for d in dirs {
        std::fs::create_dir_all(&d).expect("screenshot dir");
        std::fs::write(d.join(name), &png).expect("write screenshot");
    }
}

/// UTF-8 on purpose: the em dashes are three bytes each, so byte offsets and
/// the browser's UTF-16 offsets differ after the first one.
const ARTICLE: &str = "Le café du port — the ferry report.\n\n\
The guard — in a blue cap — waved people through the side door.\n\n\
Organisers said 300 people attended.\n";

#[test]
fn select_a_sentence_mark_it_as_a_claim_and_confirm_it() {
    let c = Cat::new();
    let p = c.write("article.txt", ARTICLE.as_bytes());
    c.ok(&["article", "add", s(&p), "--title", "The ferry"]);
    c.ok(&["actor", "add", "desk"]);
    let srv = Server::start(&c, &["--actor", "desk"]);
    let quote = "The guard — in a blue cap — waved people through the side door.";
    in_browser(move |b| async move {
        let base = login(&b, &srv).await;
        b.goto(&format!("{base}/articles/1")).await.expect("article page");
        // Select the sentence as a drag would: a DOM range over the text
        // nodes it spans (it may cross highlighted claims).
        let selected = b
            .execute(
                "const quote = arguments[0], body = document.getElementById('body');
                 const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
                 const nodes = []; let text = '';
                 while (walker.nextNode()) { nodes.push([walker.currentNode, text.length]); text += walker.currentNode.data; }
                 const at = text.indexOf(quote); if (at < 0) return false;
                 const point = (i) => { for (const [n, off] of nodes) if (i <= off + n.data.length) return [n, i - off]; };
                 const r = document.createRange(); r.setStart(...point(at)); r.setEnd(...point(at + quote.length));
                 const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r); return true;",
                vec![json!(quote)],
            )
            .await
            .expect("select");
        assert_eq!(selected, Value::Bool(true), "the sentence is on the page");
        wait_true(&b, "return document.getElementById('start').value !== ''", "the selection to fill the form").await;
        b.find(Locator::Id("mark-claim")).await.expect("Mark claim").click().await.expect("click Mark claim");
        wait_url(&b, "#c").await;
        let url = b.current_url().await.expect("url");
        let id = url.fragment().and_then(|f| f.strip_prefix('c')).expect("claim anchor").to_string();
        let mark = b.find(Locator::Id(&format!("c{id}"))).await.expect("the new claim is highlighted");
        assert_eq!(mark.text().await.expect("text"), quote);
        b.find(Locator::Css(&format!("form[action='/claims/{id}/status'] button.confirm")))
            .await
            .expect("Confirm button")
            .click()
            .await
            .expect("click Confirm");
        wait_url(&b, &format!("#c{id}")).await;
        wait_true(&b, &format!("return document.getElementById('c{id}').classList.contains('confirmed')"), "confirmed")
            .await;
        screenshot(&b, "desk-article.png").await;
        assert!(srv.stop().success());
        let shown = c.json(&["show", &format!("C{id}")]);
        let start = ARTICLE.find(quote).expect("quote in the article");
        assert_eq!(shown["claim"]["start_byte"], start, "UTF-8 byte offsets, not UTF-16 ones");
        assert_eq!(shown["claim"]["end_byte"], start + quote.len());
        assert_eq!(shown["claim"]["text"], quote);
        assert_eq!(shown["claim"]["status"], "confirmed");
        let log = c.ok(&["log"]);
        assert!(log.lines().any(|l| l.contains("marked") && l.contains("by desk")), "{log}");
    });
}

/// A standalone claim C1 and one file; returns the file's number.
fn claim_and_file(c: &Cat, path: &std::path::Path, title: &str) -> String {
    c.ok(&["actor", "add", "desk"]);
    c.ok(&["claim", "add", "--text", "A guard waved people through the side door"]);
    let report = c.json(&["add", s(path), "--title", title]);
    registered(&report)[0]["file"].as_str().expect("file id").trim_start_matches('F').to_string()
}

#[test]
fn set_in_and_out_on_the_player_and_save_a_link_with_that_range() {
    let c = Cat::new();
    let clip = media::make_mp4(&c.work("."), "side-door.mp4", 4, 320, 240, None);
    let f = claim_and_file(&c, &clip, "Side door clip");
    let srv = Server::start(&c, &["--actor", "desk"]);
    in_browser(move |b| async move {
        let base = login(&b, &srv).await;
        b.goto(&format!("{base}/files/{f}?claim=C1")).await.expect("file page");
        // The player loads the stored object (metadata, then seeks by range requests).
        wait_true(&b, "const v = document.getElementById('player'); return v.readyState >= 1", "video metadata").await;
        let d = b.execute("return document.getElementById('player').duration", vec![]).await.expect("duration");
        assert!((d.as_f64().unwrap_or(0.0) - 4.0).abs() < 0.1, "the stored clip plays: duration {d}");
        for (t, button) in [(1.0, "set-in"), (2.5, "set-out")] {
            b.execute(
                "const v = document.getElementById('player'); window.__seeked = false;
                 v.addEventListener('seeked', () => { window.__seeked = true; }, { once: true });
                 v.currentTime = arguments[0];",
                vec![json!(t)],
            )
            .await
            .expect("seek");
            wait_true(&b, "return window.__seeked === true", "the seek").await;
            b.find(Locator::Id(button)).await.expect("in/out button").click().await.expect("click");
        }
        let at = b.find(Locator::Id("at")).await.expect("at field").prop("value").await.expect("value");
        assert_eq!(at.as_deref(), Some("00:01-00:02.500"));
        b.find(Locator::Id("save-link")).await.expect("Save link").click().await.expect("click Save");
        wait_url(&b, "#link-evidence").await;
        let links = b.find(Locator::Css("ul.links")).await.expect("links list").text().await.expect("text");
        assert!(links.contains("C1 depicts") && links.contains("at 00:01-00:02.500"), "{links}");
        assert!(srv.stop().success());
        let l = c.json(&["show", "L1"]);
        assert_eq!(l["link"]["range"], json!({ "start_ms": 1000, "end_ms": 2500 }));
        assert_eq!(l["link"]["created_by"], "desk");
    });
}

#[test]
fn drag_a_region_on_a_photo_and_save_a_link_with_it_in_photo_pixels() {
    let c = Cat::new();
    // Wider than the page: shown scaled down, so screen and photo pixels differ.
    let photo = c.write("guard.jpg", &media::photo_jpeg(1600, 1200, 9));
    let f = claim_and_file(&c, &photo, "Photo of the guard");
    let srv = Server::start(&c, &["--actor", "desk"]);
    in_browser(move |b| async move {
        let base = login(&b, &srv).await;
        b.goto(&format!("{base}/files/{f}?claim=C1")).await.expect("file page");
        wait_true(&b, "const i = document.getElementById('photo'); return i.complete && i.naturalWidth > 0", "photo")
            .await;
        let rect = b
            .execute(
                "const i = document.getElementById('photo'); i.scrollIntoView({block: 'nearest'});
                 const r = i.getBoundingClientRect(); return [r.left, r.top, r.width, r.height, i.naturalWidth];",
                vec![],
            )
            .await
            .expect("rect");
        let r: Vec<f64> = rect.as_array().expect("array").iter().map(|v| v.as_f64().unwrap_or(0.0)).collect();
        let (left, top, width, natural) = (r[0], r[1], r[2], r[4]);
        assert_eq!(natural, 1600.0);
        assert!(width < 1600.0, "the photo is shown scaled ({width} px wide)");
        let (x0, y0, x1, y1) =
            ((left + 120.0).round(), (top + 60.0).round(), (left + 420.0).round(), (top + 300.0).round());
        let drag = MouseActions::new("mouse".into())
            .then(PointerAction::MoveTo { duration: None, x: x0, y: y0 })
            .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
            .then(PointerAction::MoveTo { duration: Some(Duration::from_millis(200)), x: x1, y: y1 })
            .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
        b.perform_actions(drag).await.expect("drag on the photo");
        let region = b.find(Locator::Id("region")).await.expect("region field").prop("value").await.expect("value");
        let region = region.unwrap_or_default();
        let got: Vec<f64> = region.split(',').map(|v| v.parse().unwrap_or(-1.0)).collect();
        let scale = natural / width;
        let want = [(x0 - left) * scale, (y0 - top) * scale, (x1 - x0) * scale, (y1 - y0) * scale];
        assert_eq!(got.len(), 4, "x,y,w,h: {region}");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() <= 2.0, "region {region} in photo pixels, expected about {want:?}");
        }
        wait_true(&b, "return !document.getElementById('region-box').hidden", "the box drawn on the photo").await;
        screenshot(&b, "desk-file.png").await;
        b.find(Locator::Id("save-link")).await.expect("Save link").click().await.expect("click Save");
        wait_url(&b, "#link-evidence").await;
        assert!(srv.stop().success());
        let l = c.json(&["show", "L1"]);
        let saved = &l["link"]["region"];
        let saved = format!("{},{},{},{}", saved["x"], saved["y"], saved["w"], saved["h"]);
        assert_eq!(saved, region, "what was saved is what the form showed");
    });
}

#[test]
fn run_an_audit_from_the_audit_page() {
    let c = Cat::new();
    let p = c.write("article.txt", ARTICLE.as_bytes());
    c.ok(&["article", "add", s(&p)]);
    c.ok(&["actor", "add", "desk"]);
    let srv = Server::start(&c, &["--actor", "desk"]);
    in_browser(move |b| async move {
        let base = login(&b, &srv).await;
        b.goto(&format!("{base}/audit")).await.expect("audit page");
        let head = b.find(Locator::Id("head")).await.expect("head").text().await.expect("text");
        b.find(Locator::Id("run")).await.expect("Run audit").click().await.expect("click");
        let report = b.wait().for_element(Locator::Id("report")).await.expect("report").text().await.expect("text");
        assert!(report.contains("Audit clean."), "{report}");
        let after = b.find(Locator::Id("head")).await.expect("head").text().await.expect("text");
        assert_eq!(head, after, "the head the page showed is the head audited");
        let recorded = b.find(Locator::Id("recorded")).await.expect("recorded").text().await.expect("text");
        assert!(srv.stop().success());
        let seq = recorded.trim_start_matches("Recorded as event #").trim_end_matches('.');
        let log = c.ok(&["log"]);
        assert!(
            log.lines().any(|l| l.contains(&format!("#{seq} ")) && l.contains("verified") && l.contains("by desk")),
            "{recorded}: {log}"
        );
    });
}

#[test]
fn a_script_in_an_evidence_title_is_shown_as_text_and_never_runs() {
    let c = Cat::new();
    let evil = "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>";
    let photo = c.write("p.jpg", &media::photo_jpeg(320, 240, 2));
    let f = claim_and_file(&c, &photo, evil);
    let srv = Server::start(&c, &["--read-only"]);
    in_browser(move |b| async move {
        let base = login(&b, &srv).await;
        for path in ["/files".to_string(), format!("/files/{f}")] {
            b.goto(&format!("{base}{path}")).await.expect("page");
            wait_true(&b, "return document.readyState === 'complete'", "the page").await;
            tokio::time::sleep(Duration::from_millis(200)).await;
            let pwned = b.execute("return window.__pwned === undefined", vec![]).await.expect("check");
            assert_eq!(pwned, Value::Bool(true), "{path}: the title's markup ran");
            let text = b.find(Locator::Css("main")).await.expect("main").text().await.expect("text");
            assert!(text.contains(evil), "{path}: the title is shown as text: {text}");
            let imgs =
                b.execute("return document.querySelectorAll('img[src=\"x\"], main script').length", vec![]).await;
            assert_eq!(imgs.expect("count"), json!(0), "{path}: no element was made from the title");
        }
    });
}
