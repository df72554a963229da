// Parses every ```mermaid block of the given Markdown files with the real Mermaid parser (in a
// jsdom window, no browser). Run from .tools/mermaid, where install-tools.sh installed the
// pinned packages of package.json: node .tools/mermaid/check-mermaid.mjs docs/*.md ...
// Prints one line per diagram and "mermaid: N passed, M failed"; exit 1 on any failure.
import { JSDOM } from "jsdom";
import fs from "node:fs";

const dom = new JSDOM("<!doctype html><html><body></body></html>", { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.DOMParser = dom.window.DOMParser;
globalThis.Element = dom.window.Element;
globalThis.HTMLElement = dom.window.HTMLElement;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

let passed = 0;
let failed = 0;
for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, "utf8");
  const blocks = [...text.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
  for (const [i, block] of blocks.entries()) {
    try {
      await mermaid.parse(block);
      passed++;
      console.log(`  ok   ${file}: diagram ${i + 1}`);
    } catch (err) {
      failed++;
      console.log(`  FAIL ${file}: diagram ${i + 1}: ${String(err?.message ?? err).slice(0, 400)}`);
    }
  }
}
console.log(`mermaid: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
