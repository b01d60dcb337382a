// Mozilla's Readability.js (the Firefox reader view) on jsdom over benchmark pages: one JSON
// line per page, {"page", "tool", "text", "seconds"} (parse + extract, in process).
// Usage: node readability.mjs PAGE.html...   (NODE_PATH points at the installed modules)
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(process.env.EVCAT_NODE_MODULES + "/");
const { JSDOM, VirtualConsole } = require("jsdom");
const { Readability } = require("@mozilla/readability");

for (const path of process.argv.slice(2)) {
  const raw = readFileSync(path);
  const page = basename(path).replace(/\.html$/, "");
  const t = process.hrtime.bigint();
  let text = "";
  try {
    // Binary input: jsdom sniffs the encoding (BOM, <meta charset>) like a browser.
    const dom = new JSDOM(raw, { virtualConsole: new VirtualConsole() });
    const article = new Readability(dom.window.document).parse();
    text = article ? article.textContent : "";
  } catch (e) {
    process.stderr.write(`readability.js failed on ${page}: ${e}\n`);
  }
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  console.log(JSON.stringify({ page, tool: "readability.js", text, seconds }));
}
