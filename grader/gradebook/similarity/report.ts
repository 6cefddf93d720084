/**
 * The similarity report's outputs: ranked lines for the terminal, a CSV of every scored pair
 * (csv-stringify), and for the top pairs a self-contained HTML page each with the two
 * solutions side by side and the shared runs highlighted, plus an index page. Student code is
 * untrusted: every character of it is escaped, and the pages carry no script at all.
 */
import { stringify } from "csv-stringify/sync";
import * as fs from "fs";
import * as path from "path";
import { matchedRanges, MASTER, sharedFingerprints, type PairScore, type Participant } from "./compare";
import type { SimilarityResult } from "./analyze";
import { K, W } from "./winnow";

const esc = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/** One ranked line: similarity, the two ids, the question, and the flag when there is one. */
export function pairLine(p: PairScore): string {
  return [p.similarity.toFixed(3), p.a.student, p.b.student, p.question, p.flag].filter((x) => x !== "").join("\t");
}

const CSV_COLUMNS = ["similarity", "student_a", "student_b", "question", "shared_fingerprints", "fingerprints_a", "fingerprints_b",
  "containment_a", "containment_b", "flag", "page"];

function csvRow(p: PairScore, pages: Map<PairScore, string>): (string | number)[] {
  return [p.similarity.toFixed(4), p.a.student, p.b.student, p.question, p.shared, p.sets[0].size, p.sets[1].size,
    (p.shared / p.sets[0].size).toFixed(4), (p.shared / p.sets[1].size).toFixed(4), p.flag, pages.get(p) ?? ""];
}

/** The CSV of all scored pairs (pairs sharing no fingerprint are left out: their similarity is 0). */
export function pairsCsv(pairs: PairScore[], pages: Map<PairScore, string>): string {
  return stringify([CSV_COLUMNS, ...pairs.map((p) => csvRow(p, pages))]);
}

/** Writes the pairs CSV in slices (a big class has hundreds of thousands of pairs). */
function writePairsCsv(file: string, pairs: PairScore[], pages: Map<PairScore, string>): void {
  const fd = fs.openSync(file, "w");
  try {
    fs.writeSync(fd, stringify([CSV_COLUMNS]));
    for (let i = 0; i < pairs.length; i += 20_000) fs.writeSync(fd, stringify(pairs.slice(i, i + 20_000).map((p) => csvRow(p, pages))));
  } finally {
    fs.closeSync(fd);
  }
}

/** The text of a participant with its shared runs in <mark>, escaped. */
function highlighted(p: Participant, shared: Set<number>): string {
  const ranges = matchedRanges(p, shared);
  let html = "";
  let at = 0;
  ranges.forEach(([s, e, key]) => {
    html += esc(p.text.slice(at, s)) + `<mark class="m${key % 4}">${esc(p.text.slice(s, e))}</mark>`;
    at = e;
  });
  return html + esc(p.text.slice(at));
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:1.5rem;color:#222}h1{font-size:1.3rem}
.side{display:grid;grid-template-columns:1fr 1fr;gap:1rem}.side h2{font-size:1rem;margin:.2rem 0}
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:.6rem;overflow:auto;white-space:pre-wrap;font-size:13px;line-height:1.4}
mark.m0{background:#ffd8a8}mark.m1{background:#c3fae8}mark.m2{background:#d0bfff}mark.m3{background:#ffc9c9}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}.flag{color:#b42318;font-weight:600}
.score{font-weight:700;font-variant-numeric:tabular-nums}`;

const page = (title: string, body: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">` +
  `<title>${esc(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>\n`;

const who = (p: Participant): string => (p.student === MASTER ? "the master's solution" : p.student);

/** The side-by-side page of one pair. */
export function pairHtml(p: PairScore): string {
  const title = `${who(p.a)} and ${who(p.b)}: ${p.question}`;
  const shared = sharedFingerprints(p);
  return page(title, `<h1>${esc(title)}</h1>` +
    `<p>Similarity <span class="score">${p.similarity.toFixed(3)}</span> (${p.shared} shared fingerprints of ${p.sets[0].size} and ${p.sets[1].size})` +
    `${p.flag ? ` <span class="flag">${esc(p.flag)}</span>` : ""}. Highlighted: runs of at least ${K} tokens the two share ` +
    `(identifiers and literals normalised; given code and the stub removed${p.b.student === MASTER ? "" : "; the master's solution and code most of the class shares do not count"}).</p>` +
    `<div class="side"><div><h2>${esc(who(p.a))}</h2><pre>${highlighted(p.a, shared)}</pre></div>` +
    `<div><h2>${esc(who(p.b))}</h2><pre>${highlighted(p.b, shared)}</pre></div></div>`);
}

/** Writes the CSV, the top pages and their index into `outDir`; returns the files written. */
export function writeSimilarityReport(r: SimilarityResult, outDir: string, top: number): { files: string[]; pages: Map<PairScore, string> } {
  fs.mkdirSync(outDir, { recursive: true });
  const pages = new Map<PairScore, string>();
  const files: string[] = [];
  const shown = r.pairs.slice(0, top);
  const width = String(shown.length).length;
  shown.forEach((p, i) => {
    const name = `pair-${String(i + 1).padStart(width, "0")}.html`;
    fs.writeFileSync(path.join(outDir, name), pairHtml(p));
    pages.set(p, name);
    files.push(path.join(outDir, name));
  });
  const rows = shown.map((p) => `<tr><td class="score">${p.similarity.toFixed(3)}</td><td>${esc(who(p.a))}</td><td>${esc(who(p.b))}</td>` +
    `<td>${esc(p.question)}</td><td class="flag">${esc(p.flag)}</td><td><a href="${esc(pages.get(p) ?? "")}">side by side</a></td></tr>`).join("");
  const index = path.join(outDir, "index.html");
  fs.writeFileSync(index, page("Code similarity", `<h1>Code similarity: the ${shown.length} most similar pairs</h1>` +
    `<p>${r.questions.length} questions, ${r.scored} pairs scored; winnowing with k = ${K} tokens, window w = ${W}. All scored pairs: <a href="pairs.csv">pairs.csv</a>.</p>` +
    (r.notCaptured.length ? `<p>${r.notCaptured.length} notebook(s) graded before code capture were not compared (grade them again with --force).</p>` : "") +
    `<table><tr><th>similarity</th><th>student</th><th>student</th><th>question</th><th>flag</th><th></th></tr>${rows}</table>`));
  const csv = path.join(outDir, "pairs.csv");
  writePairsCsv(csv, r.pairs, pages);
  return { files: [index, csv, ...files], pages };
}
