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
