import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BrowserContext, chromium, Page } from "playwright-core";
import { jupyterPython } from "../support/jupyter-python";
import { KEEP_NAMES_SHIM } from "../support/keep-names-shim";
import { docComment } from "./support/doc-comment";
import { closeSessions, JupyterServer, makeWorkspace, startJupyter } from "./support/jupyter-server";
import {
  codeCellWith, deleteLastCell, inspectRun, markCellChart, playAndCountLines, scrolledOutputs, openNotebook, restartAndRunAll, RunReport, saveNotebook, screenshotShowcase, shiftTabTooltip, tabComplete,
} from "./support/notebook-page";

const ROOT = path.resolve(__dirname, "../..");
const CHROMIUM = "/usr/bin/chromium";
const FIXTURE = path.join(__dirname, "fixtures", "e2e_fixture.ipynb");
/** Every master notebook, or only those named in NNKIT_E2E_NOTEBOOKS (e.g. "01_activations,03_gradient_descent") while debugging one. */
const ONLY = (process.env.NNKIT_E2E_NOTEBOOKS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
const MASTERS = fs.existsSync(path.join(ROOT, "notebooks"))
  ? fs.readdirSync(path.join(ROOT, "notebooks"))
      .filter((f) => /^\d\d_.*\.ipynb$/.test(f) && (ONLY.length === 0 || ONLY.includes(f.replace(/\.ipynb$/, ""))))
      .sort()
      .map((f) => path.join(ROOT, "notebooks", f))
  : [];
/**
 * Where the masters' screenshots go: a scratch folder that the run removes, unless NNKIT_SCREENSHOT_DIR
 * names one (`npm run screenshots` sets it to docs/img). Tests never write into the work tree.
 */
const IMG_DIR = process.env.NNKIT_SCREENSHOT_DIR ? path.resolve(process.env.NNKIT_SCREENSHOT_DIR) : "";
/**
 * How long one notebook's Run All may take in the browser: every cell runs, the long
 * `skip-in-grader` training cells included, so this is generous on a shared machine.
 */
const RUN_TIMEOUT_MS = 15 * 60_000;
/** Page width for the run and the screenshots: charts are laid out once, at this width. */
const WIDTH = 1100;

/**
 * Charts shown in docs/img, by notebook: the code cell (found by a piece of its source) and the file.
 * 05's is the confusion matrix of the CNN this run trained on the notebook's default setting.
 */
const FIGURE_SHOTS: Record<string, { source: string; file: string; what: string }> = {
  "03_gradient_descent": { source: "runRace(RACE_TRACKS[0])", file: "race-03_gradient_descent.png", what: "the race on Beale, half-way" },
  "04_convolution": { source: "poolingFigure(", file: "pooling-04_convolution.png", what: "the pooling picture" },
  "05_fashion_mnist": { source: "confusionMatrixChart(cm", file: "confusion-05_fashion_mnist.png", what: "the CNN's confusion matrix" },
};

/** Whether a notebook's code uses the live training display, read from its source. */
function usesLiveProgress(file: string): boolean {
  const nb = JSON.parse(fs.readFileSync(file, "utf8")) as { cells: { cell_type: string; source: string | string[] }[] };
  return nb.cells.some((c) => c.cell_type === "code" && [c.source].flat().join("").includes("liveProgress("));
}

/** PNG width and height, read from the IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const buf = fs.readFileSync(file);
  expect(buf.subarray(1, 4).toString("latin1")).to.equal("PNG");
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

const collapse = (s: string): string => s.replace(/\s+/g, " ").trim();

describe("the notebooks in a real browser (Jupyter Notebook 6 + chromium)", function () {
  this.timeout(RUN_TIMEOUT_MS + 5 * 60_000);
  const suiteStarted = Date.now();
  let server: JupyterServer | undefined;
  let context: BrowserContext | undefined;
  let workspace = "";
  let userDataDir = "";
  const pageErrors: string[] = [];
  /** Executed and saved notebooks (workspace paths) that drew charts, for the HTML export. */
  const exportable: string[] = [];

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: the browser tests need Debian's chromium; run ./setup.sh --e2e`);
    workspace = makeWorkspace(ROOT, [FIXTURE, ...MASTERS]);
    server = await startJupyter(workspace);
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: WIDTH, height: 900 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"],
    });
    await context.addInitScript(KEEP_NAMES_SHIM);
  });

  after(async function () {
    await context?.close();
    await server?.stop();
    if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
    console.log(`      e2e suite: ${((Date.now() - suiteStarted) / 1000).toFixed(0)} s for ${MASTERS.length} master notebook(s) + the fixture`);
  });

  for (const file of [FIXTURE, ...MASTERS]) {
    const name = path.basename(file);
    const stem = name.replace(/\.ipynb$/, "");
    const isMaster = file !== FIXTURE;

    describe(isMaster ? name : `${name} (fixture: charts and a live training display)`, function () {
      let page: Page;
      let report: RunReport;
      let scrolled: string[] = [];

      before(async function () {
        page = await context!.newPage();
        page.on("pageerror", (err) => pageErrors.push(`${name}: ${err.message}`));
        await openNotebook(page, server!.base, server!.token, name);
        const seconds = await restartAndRunAll(page, RUN_TIMEOUT_MS);
        report = await inspectRun(page, seconds);
        scrolled = await scrolledOutputs(page);
        console.log(`      ${name}: ${report.executed}/${report.codeCells} cells in ${seconds.toFixed(0)} s, ` +
          `${report.drawn}/${report.plots} charts drawn, ${report.progressStates} live display states`);
        await saveNotebook(page);
        if (report.plots > 0 && report.errors.length === 0) exportable.push(path.join(workspace, name));
      });

      after(async function () {
        await page?.close();
        if (server) await closeSessions(server, name);
      });

      it("runs every cell (Restart & Run All) without an error or stderr output", function () {
        expect(report.errors, JSON.stringify(report.errors, null, 1)).to.deep.equal([]);
        expect(report.executed, "cells that did not run").to.equal(report.codeCells);
        const mine = pageErrors.filter((e) => e.startsWith(`${name}:`));
        expect(mine, "JavaScript errors in the page").to.deep.equal([]);
      });

      it("draws every plotly chart", function () {
        if (!isMaster) expect(report.plots, "the fixture shows two charts").to.equal(2);
        expect(report.undrawn, "charts not drawn").to.deep.equal([]);
        expect(report.drawn).to.equal(report.plots);
      });

      it("shows every output whole: none is folded into a scroll box", function () {
        expect(scrolled).to.deep.equal([]);
      });

      if (stem === "01_activations") {
        it("renders the summary table left-aligned, with every formula typeset", async function () {
          const table = await page.evaluate(() => {
            const tables = Array.from(document.querySelectorAll("#notebook .text_cell_render table"));
            const summary = tables[tables.length - 1];
            if (!summary) return null;
            const cells = Array.from(summary.querySelectorAll("td, th"));
            return {
              rows: summary.querySelectorAll("tbody tr").length,
              aligned: cells.map((c) => getComputedStyle(c).textAlign),
              // MathJax marks what it cannot typeset (e.g. \mathbb in its fast preview) with an "undefined" class.
              untypeset: summary.querySelectorAll(".undefined, .MathJax_Error, merror").length,
              text: summary.textContent ?? "",
            };
          });
          expect(table, "no table in 01").to.not.equal(null);
          expect(table!.rows).to.equal(5);
          expect([...new Set(table!.aligned)]).to.deep.equal(["left"]);
          expect(table!.untypeset, table!.text).to.equal(0);
        });
      }

      const shot = isMaster ? FIGURE_SHOTS[stem] : undefined;
      if (shot) {
        it(`draws ${shot.what} (screenshot ${shot.file})${stem.startsWith("03") ? ", keeping every contour line while it plays" : ""}`, async function () {
          const index = await codeCellWith(page, shot.source);
          expect(index, `no code cell contains ${shot.source}`).to.be.at.least(0);
          const selector = await markCellChart(page, index);
          if (stem.startsWith("03")) {
            // Sampled on every animation frame: the count of drawn lines (contours and paths) must never drop.
            const counts = await playAndCountLines(page, selector, 2500);
            expect(counts.length, "animation frames sampled").to.be.greaterThan(10);
            expect(counts[0], "contour lines before play").to.be.greaterThan(10);
            expect(Math.min(...counts), "lines drawn while playing").to.equal(counts[0]);
          }
          const out = IMG_DIR ? path.join(IMG_DIR, shot.file) : path.join(workspace, shot.file);
          fs.mkdirSync(path.dirname(out), { recursive: true });
          await page.locator(selector).screenshot({ path: out });
          const size = pngSize(out);
          expect(size.width).to.be.at.least(300);
          expect(size.height).to.be.at.least(150);
        });
      }

      if (usesLiveProgress(file)) {
        it("updates the live training display more than once", function () {
          expect(report.progressOutputs, "no .nnkit-progress output").to.be.greaterThan(0);
          // The first state is the display's creation; two more mean it was updated at least twice.
          expect(report.progressStates).to.be.at.least(3);
        });
      }

      it("saves a screenshot of its first training display or last chart", async function () {
        const out = isMaster && IMG_DIR ? path.join(IMG_DIR, `nb-${stem}.png`) : path.join(workspace, `nb-${stem}.png`);
        fs.mkdirSync(path.dirname(out), { recursive: true });
        const shown = await screenshotShowcase(page, out, 3000);
        expect(shown, "nothing to show: no chart and no training display").to.be.at.least(0);
        const size = pngSize(out);
        expect(size.width).to.be.within(WIDTH / 2, WIDTH);
        expect(size.height).to.be.within(200, 3000);
        expect(fs.statSync(out).size).to.be.greaterThan(10_000);
      });

      it("offers setupBackend on Tab and shows its doc comment on Shift-Tab", async function () {
        const offered = await tabComplete(page, "setupBack");
        expect(offered.map((o) => o.trim())).to.include("setupBackend");
        const tooltip = collapse(await shiftTabTooltip(page, "setupBackend"));
        const doc = collapse(docComment(path.join(ROOT, "src", "backend.ts"), "setupBackend"));
        const firstSentence = doc.split(/(?<=\.)\s/)[0];
        expect(tooltip).to.include(firstSentence);
        await deleteLastCell(page);
      });
    });
  }

  // In its own describe: mocha runs a describe's own tests before its nested describes.
  describe("HTML export", function () {
    it("exports an executed notebook to HTML (nbconvert) whose charts draw offline", async function () {
      expect(exportable.length, "no notebook ran cleanly with charts, so there is nothing to export").to.be.greaterThan(0);
      // Prefer a real master over the fixture.
      const source = exportable.find((f) => path.basename(f) !== path.basename(FIXTURE)) ?? exportable[0];
      const html = source.replace(/\.ipynb$/, ".html");
      execFileSync(jupyterPython(), ["-m", "nbconvert", "--to", "html", "--template", "nnkit", "--output", path.basename(html), source], {
        cwd: workspace,
        env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: "1" },
        stdio: "pipe",
      });
      const page = await context!.newPage();
      const blocked: string[] = [];
      await page.route("**/*", (route) => {
        const url = route.request().url();
        if (url.startsWith("file:") || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
        blocked.push(url);
        return route.abort();
      });
      try {
        await page.goto(`file://${html}`, { waitUntil: "load" });
        await page.waitForFunction(
          () => Array.from(document.querySelectorAll(".nnkit-plot")).every((el) => el.querySelector(".main-svg")),
          undefined,
          { timeout: 60_000, polling: 250 },
        ).catch(() => undefined);
        const { plots, drawn } = await page.evaluate(() => {
          const all = Array.from(document.querySelectorAll(".nnkit-plot"));
          return { plots: all.length, drawn: all.filter((el) => el.querySelector(".main-svg")).length };
        });
        console.log(`      ${path.basename(html)}: ${drawn}/${plots} charts drawn offline, ${(fs.statSync(html).size / 1e6).toFixed(1)} MB, ${blocked.length} network request(s) blocked`);
        expect(plots).to.be.greaterThan(0);
        expect(drawn).to.equal(plots);
        await page.screenshot({ path: path.join(workspace, "export.png") });
      } finally {
        await page.close();
      }
    });
  });
});
