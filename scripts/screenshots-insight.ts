/**
 * Screenshots of the instructor's insight pages for the README (docs/img/insight-similarity.png,
 * docs/img/insight-stats.png): grades a class of the CLI fixture assignment with planted copies
 * (test/cli/insight-class.ts, plus generated students so the charts have a shape), runs
 * `similarity` and `export stats` through the CLI, and photographs the pages in headless chromium.
 *
 *   node -r tsx/cjs scripts/screenshots-insight.ts
 */
import * as fs from "fs";
import * as path from "path";
import { chromium } from "playwright-core";
import { Rng } from "../src/random";
import { buildInsightClass } from "../test/cli/insight-class";
import { FIXTURE_MASTERS, FIXTURE_SPECS, grader } from "../test/cli/helpers";

const SQUARES = [
  "  return xs.map((v) => v * v);",
  "  const out: number[] = [];\n  for (const v of xs) out.push(v * v);\n  return out;",
  "  return xs.slice(0, 4).map((v) => v * v);", // right on the hidden probe (4 values) only
  "  return xs.map((v) => v * Math.abs(v));", // wrong for negative values
  null,
];
const SCALES = [
  "  return xs.map((v) => v * factor);",
  "  return xs.map((v) => v * Math.abs(factor));", // right for the public probe only
  "  const r = [];\n  for (let i = 0; i < xs.length; i++) r.push(xs[i] * factor);\n  return r;",
  "  return xs.map((v) => v + factor);",
];

async function main(): Promise<void> {
  const r = new Rng(7);
  const extra: Record<string, [string | null, string | null]> = {};
  for (let i = 1; i <= 18; i++) extra[`s${String(i).padStart(2, "0")}`] = [SQUARES[r.int(0, SQUARES.length)], SCALES[r.int(0, SCALES.length)]];
  const c = buildInsightClass("insight-shots", extra);
  const outDir = path.resolve(__dirname, "..", "docs", "img");
  try {
    const sim = path.join(c.dir, "similarity");
    const s = grader(["similarity", "-g", c.gradebook, "-o", sim, "--specs", FIXTURE_SPECS, "--masters", FIXTURE_MASTERS]);
    if (s.code !== 0) throw new Error(`similarity failed: ${s.err}`);
    const e = grader(["export", "stats", "-g", c.gradebook, "-o", path.join(c.dir, "export"), "--specs", FIXTURE_SPECS]);
    if (e.code !== 0) throw new Error(`export stats failed: ${e.err}`);
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      // the pair of gus (with HTML in a comment) and eve: escaping and highlighting in one picture
      const pages = fs.readdirSync(sim).filter((f) => /^pair-\d+\.html$/.test(f)).sort();
      const pair = pages.find((f) => /<h2>gus<\/h2>/.test(fs.readFileSync(path.join(sim, f), "utf8"))) ?? pages[0];
      const page = await browser.newPage({ viewport: { width: 1100, height: 520 } });
      await page.goto(`file://${path.join(sim, pair)}`);
      await page.screenshot({ path: path.join(outDir, "insight-similarity.png"), fullPage: true });
      console.log(`docs/img/insight-similarity.png (${pair})`);
      const stats = await browser.newPage({ viewport: { width: 1150, height: 1000 } });
      await stats.goto(`file://${path.join(c.dir, "export", "stats", "stats.html")}`);
      await stats.waitForFunction(() => document.querySelectorAll(".main-svg").length >= 5);
      await stats.screenshot({ path: path.join(outDir, "insight-stats.png"), fullPage: false });
      console.log("docs/img/insight-stats.png");
    } finally {
      await browser.close();
    }
  } finally {
    fs.rmSync(c.dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
