// evcat serve: turn a text selection in the article body into UTF-8 byte
// offsets of the stored body (the same offsets `evcat claim add` records).
"use strict";
(function () {
  var body = document.getElementById("body");
  var form = document.getElementById("mark");
  if (!body || !form) return;
  var enc = new TextEncoder();
  // Byte offset of (node, offset) : the segment's data-start plus the UTF-8
  // length of the text before the point inside that segment.
  function byteAt(node, offset) {
    var el = node.nodeType === 3 ? node.parentElement : node;
    while (el && el !== body && !el.hasAttribute("data-start")) el = el.parentElement;
    if (!el || el === body) return null;
    var r = document.createRange();
    r.selectNodeContents(el);
    r.setEnd(node, offset);
    return Number(el.getAttribute("data-start")) + enc.encode(r.toString()).length;
  }
  document.addEventListener("selectionchange", function () {
    var s = window.getSelection();
    if (!s || s.rangeCount === 0 || s.isCollapsed) return;
    var r = s.getRangeAt(0);
    if (!body.contains(r.startContainer) || !body.contains(r.endContainer)) return;
    var a = byteAt(r.startContainer, r.startOffset), b = byteAt(r.endContainer, r.endOffset);
    if (a === null || b === null) return;
    form.elements.start.value = Math.min(a, b);
    form.elements.end.value = Math.max(a, b);
  });
})();

// The file page: set in/out points on the player into the time range field
// (the `--at START-END` text `evcat link` takes), in milliseconds.
(function () {
  var video = document.getElementById("player");
  var at = document.getElementById("at");
  var setIn = document.getElementById("set-in"), setOut = document.getElementById("set-out");
  if (!video || !at || !setIn || !setOut) return;
  var marks = { in: null, out: null };
  function two(n) { return (n < 10 ? "0" : "") + n; }
  // Same shape as evcat's format_clock_ms: MM:SS.mmm or H:MM:SS.mmm.
  function clock(ms) {
    var h = Math.floor(ms / 3600000), m = Math.floor(ms % 3600000 / 60000);
    var s = Math.floor(ms % 60000 / 1000), milli = ms % 1000;
    var frac = milli ? "." + String(milli + 1000).slice(1) : "";
    return (h ? h + ":" + two(m) : two(m)) + ":" + two(s) + frac;
  }
  function fill() {
    if (marks.in === null || marks.out === null) {
      at.value = marks.in !== null ? clock(marks.in) + "-" : "";
      return;
    }
    var a = Math.min(marks.in, marks.out), b = Math.max(marks.in, marks.out);
    at.value = clock(a) + "-" + clock(b);
  }
  function now() { return Math.round(video.currentTime * 1000); }
  setIn.hidden = false;
  setOut.hidden = false;
  setIn.addEventListener("click", function () { marks.in = now(); setIn.textContent = "In " + clock(marks.in); fill(); });
  setOut.addEventListener("click", function () { marks.out = now(); setOut.textContent = "Out " + clock(marks.out); fill(); });
})();

// The file page: drag a rectangle on the photo; the region field gets it in
// pixels of the photo itself (x,y,w,h, as `evcat link --region` takes),
// whatever size the picture is shown at.
(function () {
  var img = document.getElementById("photo");
  var box = document.getElementById("region-box");
  var field = document.getElementById("region");
  if (!img || !box || !field) return;
  var start = null;
  function toPhoto(ev) {
    var r = img.getBoundingClientRect();
    var sx = img.naturalWidth / r.width, sy = img.naturalHeight / r.height;
    var x = Math.min(Math.max(ev.clientX - r.left, 0), r.width);
    var y = Math.min(Math.max(ev.clientY - r.top, 0), r.height);
    return { x: x, y: y, px: Math.round(x * sx), py: Math.round(y * sy) };
  }
  function draw(a, b) {
    box.hidden = false;
    box.style.left = img.offsetLeft + Math.min(a.x, b.x) + "px";
    box.style.top = img.offsetTop + Math.min(a.y, b.y) + "px";
    box.style.width = Math.abs(a.x - b.x) + "px";
    box.style.height = Math.abs(a.y - b.y) + "px";
  }
  img.addEventListener("dragstart", function (ev) { ev.preventDefault(); });
  img.addEventListener("pointerdown", function (ev) {
    if (ev.button !== 0) return;
    ev.preventDefault();
    start = toPhoto(ev);
    img.setPointerCapture(ev.pointerId);
  });
  img.addEventListener("pointermove", function (ev) {
    if (start) draw(start, toPhoto(ev));
  });
  img.addEventListener("pointerup", function (ev) {
    if (!start) return;
    var end = toPhoto(ev);
    draw(start, end);
    var w = Math.abs(end.px - start.px), h = Math.abs(end.py - start.py);
    if (w > 0 && h > 0) field.value = [Math.min(start.px, end.px), Math.min(start.py, end.py), w, h].join(",");
    start = null;
  });
})();
