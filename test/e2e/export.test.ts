import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Browser } from "playwright-core";
import { jupyterPython } from "../support/jupyter-python";
import { executeNotebook } from "../support/kernel";
import { launchChromium } from "./support/browser";

const ROOT = path.resolve(__dirname, "../..");
const PLOTLY_SIGNATURE = /plotly\.js v\d+\.\d+\.\d+/g;

/** Ten chart cells, as a notebook of the course would have them. */
const CELLS = [
  'import { lineChart, scatterByClass, decisionBoundary, contourChart, heatmap, surface3d, trajectoryAnimation, makeMoons, linspace, setSeed } from "nnkit";\nsetSeed(0);\nconst xs = linspace(-5, 5, 101);\nconst ds = makeMoons({ nSamples: 200 });\nconst f = (x: number, y: number) => (1 - x) ** 2 + 100 * (y - x * x) ** 2;',
  'lineChart({ sigmoid: xs.map((v) => 1 / (1 + Math.exp(-v))) }, { x: xs, title: "sigmoid" });',
  'lineChart({ tanh: xs.map(Math.tanh) }, { x: xs, title: "tanh" });',
  'lineChart({ loss: [1, 0.6, 0.4, 0.3, 0.25], val_loss: [1.1, 0.7, 0.5, 0.45, 0.44] }, { title: "loss" });',
  "scatterByClass(ds);",
  'decisionBoundary((p) => p.map((q) => (q[1] > 0.5 - 0.5 * q[0] ? 0 : 1)), ds, { title: "boundary" });',
  "contourChart(f, { xRange: [-2, 2], yRange: [-1, 3], logScale: true });",
  "heatmap([[1, 2], [3, 4]], { showValues: true });",
  "surface3d((x, y) => x * x - y * y, { xRange: [-1, 1] });",
  'scatterByClass(makeMoons({ nSamples: 100, seed: 2 }), { title: "second" });',
  'trajectoryAnimation(f, [{ name: "path", points: Array.from({ length: 100 }, (_, i) => [-1.5 + i * 0.025, 2 - i * 0.01]) }], { xRange: [-2, 2], yRange: [-1, 3] });',
];

describe("a saved notebook with ten charts, and its HTML export", function () {
  this.timeout(400000);
  let dir: string;
  let saved: string;
  let browser: Browser | undefined;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-export-"));
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
      cells: CELLS.map((source, i) => ({ id: `c${i}`, cell_type: "code", metadata: {}, source, outputs: [], execution_count: null })),
    };
    fs.writeFileSync(path.join(dir, "ten.ipynb"), JSON.stringify(nb));
    const executed = await executeNotebook(path.join(dir, "ten.ipynb"), { cwd: dir });
    expect(executed.metadata.nnkit_execution.error_cell).to.equal(null);
    saved = path.join(dir, "ten-charts.ipynb");
    fs.writeFileSync(saved, JSON.stringify(executed, null, 1));
  });

  after(async () => {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("stays small: no copy of plotly.js in the notebook (size printed)", () => {
    const text = fs.readFileSync(saved, "utf8");
    console.log(`      saved notebook with ten charts: ${(text.length / 1024).toFixed(0)} KiB`);
    expect(text.match(PLOTLY_SIGNATURE)).to.equal(null);
    const nb = JSON.parse(text) as { cells: { outputs: { output_type: string; data?: Record<string, unknown> }[] }[] };
    const charts = nb.cells.flatMap((c) => c.outputs).filter((o) => o.output_type === "display_data");
    expect(charts).to.have.length(10);
    for (const o of charts) expect(Object.keys(o.data ?? {}).sort()).to.deep.equal(["application/vnd.plotly.v1+json", "text/html", "text/plain"]);
    // plotly.min.js alone is 4.7 MB; the ten charts together must weigh less than one copy of it.
    expect(text.length).to.be.below(fs.statSync(path.join(ROOT, "node_modules/plotly.js-dist-min/plotly.min.js")).size);
  });

  it("exports to HTML with the nnkit template: one copy of plotly.js, every chart drawn offline", async () => {
    const dataDir = path.join(dir, "jupyter-data");
    const env = { ...process.env, JUPYTER_DATA_DIR: dataDir };
    execFileSync("bash", [path.join(ROOT, "scripts/install-plotly.sh")], { env, stdio: "pipe" });
    expect(fs.existsSync(path.join(dataDir, "nbextensions/nnkit-plotly/plotly.min.js"))).to.equal(true);
    execFileSync(jupyterPython(), ["-m", "nbconvert", "--to", "html", "--template", "nnkit", saved], { env, cwd: dir, stdio: "pipe" });
    const htmlFile = saved.replace(/\.ipynb$/, ".html");
    const html = fs.readFileSync(htmlFile, "utf8");
    expect((html.match(PLOTLY_SIGNATURE) ?? []).length).to.equal(1);
    console.log(`      HTML export: ${(html.length / 1024 / 1024).toFixed(1)} MiB`);

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const external: string[] = [];
    await page.route("**/*", (r) => {
      const url = r.request().url();
      if (url.startsWith("file://")) return r.continue();
      external.push(url);
      return r.abort();
    });
    await page.goto(`file://${htmlFile}`);
    await page.waitForFunction(() => document.querySelectorAll(".nnkit-plot .main-svg").length >= 10 || document.querySelector(".nnkit-plot pre") !== null, undefined, { timeout: 120000 });
    const counts = await page.evaluate(() => ({
      plots: document.querySelectorAll(".nnkit-plot").length,
      drawn: Array.from(document.querySelectorAll(".nnkit-plot")).filter((el) => el.querySelector(".main-svg")).length,
    }));
    expect(counts).to.deep.equal({ plots: 10, drawn: 10 });
    // The lab template links require.js and MathJax from a CDN; they fail offline and the charts do not need them.
    expect(external.every((u) => /cdnjs|unpkg|jsdelivr|mathjax/i.test(u))).to.equal(true);
    await page.close();
  });
});
