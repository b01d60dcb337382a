"""Fixtures for the acquisition tests, written by the archivists' own tools.

Run with the interop venv's python (`.ci/install-test-deps` installs yt-dlp,
gallery-dl, warcio and wacz there). Every tool works on local files only:

  ytdlp SRC OUTDIR ID [KEY=VALUE ...]
      yt-dlp "downloads" SRC (a file:// URL, --enable-file-urls) from a
      loaded info dict describing a TikTok post, and writes the media file and
      its `.info.json` as it does for a real download (`_version`, `epoch`,
      `_type`, formats ... are yt-dlp's own). KEY=VALUE pairs override fields
      of the info dict (JSON values: `width=640`, `uploader="someone"`).
  ytdlp-embed SRC.mkv OUTDIR ID [KEY=VALUE ...]
      the same with `--embed-info-json` instead of `--write-info-json`: yt-dlp's
      FFmpegMetadataPP has ffmpeg attach the info.json to the Matroska file
      (`-attach`, mimetype application/json, filename info.json; yt-dlp does
      this for mkv/mka only) and deletes the temporary .info.json.
  gallerydl SRC OUTDIR
      gallery-dl downloads SRC from a server on 127.0.0.1 through a fixture
      extractor (category `twitter`, subcategory `tweet`, the keys of
      gallery-dl's twitter extractor) with `--write-metadata`: the metadata
      file name, layout and date formatting are gallery-dl's.
  instaloader SRC.mp4 OUTDIR
      Instaloader's own `Instaloader.download_post` on a `Post` built from a
      GraphQL video node (the shape Instagram serves and Instaloader keeps),
      the video served from 127.0.0.1: it names the files
      `{date_utc}_UTC.mp4` and, compressed as by default, writes the metadata
      with `save_structure_to_file` as `{date_utc}_UTC.json.xz` (LZMA, xz
      container, check NONE). Prints the file names.
  wacz OUT.wacz PAGE_URL MEDIA_URL=FILE[;FLAG...] ...
      warcio writes a WARC holding an HTML page (PAGE_URL) and each media file
      as an HTTP response; `wacz create` packs it with a pages.jsonl. FLAGs
      shape the response as servers do: `chunked` (Transfer-Encoding:
      chunked, body chunk-encoded in the record), `partial` (a 206 with the
      first half of the file, as a browser's range request gets),
      `type=MIME` (the Content-Type sent, e.g. application/octet-stream).
  wacz-tamper IN.wacz OUT.wacz MEMBER
      rewrites IN with one byte of MEMBER changed, datapackage.json untouched
      (what a damaged or edited capture looks like).
"""

import http.server
import json
import os
import re
import sys
import threading


def ytdlp(src, outdir, post_id, overrides, write=("--write-info-json",)):
    import yt_dlp

    info = {
        "id": post_id,
        "title": "Barrier lifted at the quay",
        "description": "officers lift the barrier #quay",
        "uploader": "harbourwatch",
        "uploader_id": "6890001112223334445",
        "channel": "Harbour Watch",
        "timestamp": 1773496320,
        "upload_date": "20260314",
        "ext": os.path.splitext(src)[1].lstrip(".") or "mp4",
        "url": "file://" + os.path.abspath(src),
        "protocol": "file",
        "webpage_url": f"https://www.tiktok.com/@harbourwatch/video/{post_id}",
        "original_url": "https://vm.tiktok.com/ZMquay1/",
        "extractor": "TikTok",
        "extractor_key": "TikTok",
        "live_status": "not_live",
        "was_live": False,
    }
    for kv in overrides:
        key, _, value = kv.partition("=")
        info[key] = json.loads(value)
    os.makedirs(outdir, exist_ok=True)
    loaded = os.path.join(outdir, ".loaded.json")
    with open(loaded, "w") as f:
        json.dump(info, f)
    cwd = os.getcwd()
    os.chdir(outdir)
    try:
        try:
            yt_dlp.main([
                "--ignore-config", "--no-cache-dir", "--enable-file-urls", "--quiet",
                "--load-info-json", ".loaded.json", *write,
                "-o", "clip [%(id)s].%(ext)s",
            ])
        except SystemExit as e:
            if e.code not in (0, None):
                raise
    finally:
        os.chdir(cwd)
        os.remove(loaded)


def serve(root):
    """An HTTP server for the files under `root` on 127.0.0.1: (server, port)."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=root, **k)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def instaloader_post(src, outdir):
    import instaloader

    server, port = serve(os.path.dirname(os.path.abspath(src)))
    try:
        L = instaloader.Instaloader(
            quiet=True, dirname_pattern=outdir, download_pictures=False, download_video_thumbnails=False,
            download_geotags=False, download_comments=False, save_metadata=True, post_metadata_txt_pattern="")
        node = {
            "__typename": "GraphVideo",
            "id": "3321456789012345678",
            "shortcode": "C4quayLift1",
            "is_video": True,
            "video_url": f"http://127.0.0.1:{port}/{os.path.basename(src)}",
            "display_url": f"http://127.0.0.1:{port}/{os.path.basename(src)}",
            "video_duration": 2.0,
            "dimensions": {"width": 320, "height": 240},
            "taken_at_timestamp": 1773496320,
            "owner": {"id": "5550001112", "username": "harbourwatch"},
            "edge_media_to_caption": {"edges": [{"node": {"text": "Officers lift the barrier #quay"}}]},
            "edge_media_preview_like": {"count": 12},
            "edge_media_to_comment": {"count": 0},
        }
        post = instaloader.Post(L.context, node)
        L.download_post(post, target="harbourwatch")
        print(L.format_filename(post, target="harbourwatch"))
    finally:
        server.shutdown()


def gallerydl(src, outdir):
    import gallery_dl
    from gallery_dl import extractor
    from gallery_dl.extractor.common import Extractor, Message
    from gallery_dl import text, dt

    root = os.path.dirname(os.path.abspath(src))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=root, **k)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()

    class FixtureTweet(Extractor):
        """A tweet whose media is served from 127.0.0.1."""
        category = "twitter"
        subcategory = "tweet"
        directory_fmt = ("{category}", "{author[name]}")
        filename_fmt = "{tweet_id}_{num}.{extension}"
        archive_fmt = "{tweet_id}_{num}"
        pattern = r"evcat-fixture:(\d+)"

        def items(self):
            tweet_id = int(self.groups[0])
            name = os.path.basename(src)
            data = {
                "tweet_id": tweet_id,
                "conversation_id": tweet_id,
                "date": dt.parse("2026-03-14 13:52:00", "%Y-%m-%d %H:%M:%S"),
                "author": {"id": 1500000000000000001, "name": "harbourwatch", "nick": "Harbour Watch"},
                "user": {"id": 1500000000000000001, "name": "harbourwatch", "nick": "Harbour Watch"},
                "content": "Officers lifting the barrier at the quay",
                "lang": "en",
                "num": 1,
                "count": 1,
                "width": 320,
                "height": 240,
            }
            text.nameext_from_url(name, data)
            data["filename"] = f"{tweet_id}_1"
            yield Message.Directory, "", data
            yield Message.Url, f"http://127.0.0.1:{port}/{name}", data

    FixtureTweet.__module__ = "evcat_fixture"
    FixtureTweet.pattern = re.compile(FixtureTweet.pattern)
    extractor._cache.insert(0, FixtureTweet)
    try:
        sys.argv = ["gallery-dl", "--config-ignore", "-q", "--write-metadata", "-D", outdir,
                    "evcat-fixture:1768000000000000042"]
        try:
            code = gallery_dl.main()
        except SystemExit as e:
            code = e.code
        if code not in (0, None):
            raise SystemExit(f"gallery-dl exited {code}")
    finally:
        server.shutdown()


def wacz(out, page_url, media):
    from warcio.warcwriter import WARCWriter
    from warcio.statusandheaders import StatusAndHeaders
    import io
    import subprocess

    work = out + ".work"
    os.makedirs(work, exist_ok=True)
    warc_path = os.path.join(work, "capture.warc.gz")
    names = [u for u, _ in media]
    body = "<html><head><title>Quay live</title></head><body>" + "".join(
        f'<video src="{u}"></video>' for u in names) + "</body></html>"

    def mime(path):
        ext = os.path.splitext(path)[1].lower()
        return {".mp4": "video/mp4", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                ".png": "image/png", ".webm": "video/webm"}.get(ext, "application/octet-stream")

    with open(warc_path, "wb") as f:
        w = WARCWriter(f, gzip=True)
        records = [(page_url, "text/html; charset=utf-8", body.encode())]
        for url, spec in media:
            path, *flags = spec.split(";")
            with open(path, "rb") as m:
                records.append((url, mime(path), m.read(), flags))
        for url, ctype, payload, *rest in records:
            flags = rest[0] if rest else []
            status = "200 OK"
            extra = []
            for flag in flags:
                if flag.startswith("type="):
                    ctype = flag[5:]
            if "partial" in flags:
                total = len(payload)
                payload = payload[: total // 2]
                status = "206 Partial Content"
                extra.append(("Content-Range", f"bytes 0-{len(payload) - 1}/{total}"))
            if "chunked" in flags:
                step = 1000
                body = b"".join(b"%x\r\n%s\r\n" % (len(payload[i:i + step]), payload[i:i + step])
                                for i in range(0, len(payload), step)) + b"0\r\n\r\n"
                payload = body
                extra.append(("Transfer-Encoding", "chunked"))
            else:
                extra.append(("Content-Length", str(len(payload))))
            headers = StatusAndHeaders(status, [("Content-Type", ctype)] + extra,
                                       protocol="HTTP/1.1")
            rec = w.create_warc_record(url, "response", payload=io.BytesIO(payload),
                                       http_headers=headers,
                                       warc_headers_dict={"WARC-Date": "2026-03-14T14:05:09Z"})
            w.write_record(rec)
    pages = os.path.join(work, "pages.jsonl")
    with open(pages, "w") as p:
        p.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}) + "\n")
        p.write(json.dumps({"id": "p1", "url": page_url, "ts": "2026-03-14T14:05:09Z",
                            "title": "Quay live"}) + "\n")
    wacz_bin = os.path.join(os.path.dirname(sys.executable), "wacz")
    subprocess.run([wacz_bin, "create", "-o", out, "-p", pages, "--title", "Quay live", warc_path],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wacz_tamper(src, out, member):
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == member:
                data = data[:-2] + bytes([data[-2] ^ 0x01]) + data[-1:]
            zout.writestr(info, data)


def main(argv):
    cmd = argv[1]
    if cmd == "ytdlp":
        ytdlp(argv[2], argv[3], argv[4], argv[5:])
    elif cmd == "ytdlp-embed":
        ytdlp(argv[2], argv[3], argv[4], argv[5:], write=("--embed-info-json",))
    elif cmd == "instaloader":
        instaloader_post(argv[2], argv[3])
    elif cmd == "gallerydl":
        gallerydl(argv[2], argv[3])
    elif cmd == "wacz":
        # URL=FILE with an absolute FILE: URLs may hold '=' themselves.
        media = [(a[:a.rfind("=/")], a[a.rfind("=/") + 1:]) for a in argv[4:]]
        wacz(argv[2], argv[3], media)
    elif cmd == "wacz-tamper":
        wacz_tamper(argv[2], argv[3], argv[4])
    else:
        raise SystemExit(f"unknown fixture {cmd}")


if __name__ == "__main__":
    main(sys.argv)
