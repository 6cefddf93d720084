import { expect } from "chai";
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { Browser } from "playwright-core";
import { jupyterPython } from "../support/jupyter-python";
import { launchChromium } from "./support/browser";

const ROOT = path.resolve(__dirname, "../..");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function waitForServer(url: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`Jupyter did not answer at ${url} within ${ms} ms`);
}

describe("charts and live progress in classic Notebook 6 (real server, offline browser)", function () {
  this.timeout(400000);
  let dir: string;
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  let base = "";
  const token = "nnkit-test-token";

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-classic-"));
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    const dataDir = path.join(dir, "jupyter-data");
    const env = { ...process.env, JUPYTER_DATA_DIR: dataDir, JUPYTER_RUNTIME_DIR: path.join(dir, "runtime"), JUPYTER_CONFIG_DIR: path.join(dir, "config") };
    execFileSync("bash", [path.join(ROOT, "scripts/install-plotly.sh")], { env, stdio: "pipe" });
    // This kit's kernel, in the server's own data folder: a kernel of another kit (a system-wide
    // spec) would load another copy of tslab, which nnkit's displays never reach.
    const tslab = path.join(ROOT, "node_modules", ".bin", "tslab");
    execFileSync(tslab, ["install", "--user", "--python", jupyterPython(), "--binary", tslab], { env, stdio: "pipe" });
    const cells = [
      'import * as tf from "@tensorflow/tfjs";\nimport { makeMoons, scatterByClass, liveProgress, datasetTensors } from "nnkit";\nconst ds = makeMoons({ nSamples: 80, seed: 1 });\nscatterByClass(ds, { title: "moons" });',
      'const t = datasetTensors(ds);\nconst model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2], activation: "softmax" })] });\nmodel.compile({ optimizer: "sgd", loss: "categoricalCrossentropy", metrics: ["accuracy"] });\nawait model.fit(t.x, t.y, { epochs: 4, batchSize: 16, validationSplit: 0.2, callbacks: liveProgress(), verbose: 0 });',
    ];
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
      cells: cells.map((source, i) => ({ id: `c${i}`, cell_type: "code", metadata: {}, source, outputs: [], execution_count: null })),
    };
    fs.writeFileSync(path.join(dir, "charts.ipynb"), JSON.stringify(nb));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = spawn(
      jupyterPython(),
      ["-m", "notebook", "--no-browser", `--port=${port}`, "--ip=127.0.0.1", `--NotebookApp.token=${token}`, "--allow-root", `--notebook-dir=${dir}`],
      { env, stdio: "ignore", detached: true },
    );
    await waitForServer(`${base}/api?token=${token}`, 60000);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    if (server?.pid) {
      try {
        process.kill(-server.pid, "SIGTERM"); // the server and the kernels it started
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("draws the chart through require.js + the local nbextension and updates the progress output in place", async () => {
    const page = await browser!.newPage({ viewport: { width: 1200, height: 1000 } });
    const external: string[] = [];
    await page.route("**/*", (r) => {
      const url = r.request().url();
      if (url.startsWith(base) || url.startsWith(base.replace("127.0.0.1", "localhost")) || url.startsWith("ws:")) return r.continue();
      external.push(url);
      return r.abort();
    });
    await page.goto(`${base}/notebooks/charts.ipynb?token=${token}`);
    await page.waitForFunction(() => {
      const J = (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean } } } }).Jupyter;
      return !!J?.notebook?.kernel?.is_connected();
    }, undefined, { timeout: 120000 });
    await page.evaluate(() => (window as unknown as { Jupyter: { notebook: { execute_all_cells(): void } } }).Jupyter.notebook.execute_all_cells());
    await page.waitForSelector(".nnkit-plot .main-svg", { timeout: 180000 });
    await page.waitForFunction(() => document.querySelector(".nnkit-progress")?.textContent?.includes("(done)"), undefined, { timeout: 180000 });
    const progress = await page.$$eval(".nnkit-progress", (els) => els.map((e) => e.textContent ?? ""));
    expect(progress).to.have.length(1);
    expect(progress[0]).to.match(/epoch 4\/4 {2}loss \d\.\d{4}/);
    expect(await page.$$eval(".nnkit-progress svg", (els) => els.length)).to.equal(2);
    expect(await page.$$eval(".nnkit-plot .main-svg", (els) => els.length)).to.be.at.least(1);
    expect(external).to.deep.equal([]);
    if (process.env.NNKIT_SCREENSHOT) await page.screenshot({ path: process.env.NNKIT_SCREENSHOT, fullPage: true });
    await page.close();
  });
});
