import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ExecutedNotebook, cellById, executeNotebook, streamText } from "../support/kernel";

const ROOT = path.resolve(__dirname, "../..");

/** A notebook of tslab code cells with ids c0, c1, ... */
function notebook(cells: string[]): object {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    cells: cells.map((source, i) => ({ id: `c${i}`, cell_type: "code", metadata: {}, source, outputs: [], execution_count: null })),
  };
}

describe("nnkit in the real tslab kernel", function () {
  this.timeout(300000);
  let dir: string;
  let nb: ExecutedNotebook;

  before(async () => {
    // A notebook folder outside the kit that sees the kit's packages, as a student's copy would.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-kernel-"));
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    const file = path.join(dir, "lib.ipynb");
    fs.writeFileSync(
      file,
      JSON.stringify(
        notebook([
          'import * as tf from "@tensorflow/tfjs";\nimport { setSeed, makeMoons, scatterByClass, liveProgress, inJupyter, datasetTensors } from "nnkit";\nconsole.log("in jupyter:", inJupyter());',
          "setSeed(1);\nconst ds = makeMoons({ nSamples: 60 });\nconst fig = scatterByClass(ds, { title: \"moons\" });\nconsole.log(\"traces:\", fig.data.length);",
          'const t = datasetTensors(ds);\nconst model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2], activation: "softmax" })] });\nmodel.compile({ optimizer: "sgd", loss: "categoricalCrossentropy", metrics: ["accuracy"] });\nawait model.fit(t.x, t.y, { epochs: 3, batchSize: 20, validationSplit: 0.2, callbacks: liveProgress({ title: "moons" }), verbose: 0 });\nconsole.log("trained");',
        ]),
      ),
    );
    nb = await executeNotebook(file, { cwd: dir });
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("imports nnkit by name, typed, and knows it is in Jupyter", () => {
    expect(nb.metadata.nnkit_execution.error_cell).to.equal(null);
    expect(streamText(cellById(nb, "c0"), "stdout")).to.equal("in jupyter: true\n");
  });

  it("shows a chart as one display_data with plotly JSON, HTML and text", () => {
    const cell = cellById(nb, "c1");
    expect(streamText(cell, "stdout")).to.equal("traces: 2\n");
    const displays = (cell.outputs ?? []).filter((o) => o.output_type === "display_data");
    expect(displays).to.have.length(1);
    const data = displays[0].data ?? {};
    expect(Object.keys(data).sort()).to.deep.equal(["application/vnd.plotly.v1+json", "text/html", "text/plain"]);
    const fig = data["application/vnd.plotly.v1+json"] as { data: { name: string }[] };
    expect(fig.data.map((t) => t.name)).to.deep.equal(["class 0", "class 1"]);
    const html = data["text/html"];
    expect(Array.isArray(html) ? html.join("") : html).to.match(/^<div class="nnkit-plot"/);
  });

  it("shows training progress as one output updated in place, ending at the last epoch", () => {
    const cell = cellById(nb, "c2");
    expect(streamText(cell, "stdout")).to.equal("trained\n");
    const displays = (cell.outputs ?? []).filter((o) => o.output_type === "display_data");
    // nbclient applies update_display_data to the original output, so one output remains.
    expect(displays).to.have.length(1);
    const html = displays[0].data?.["text/html"];
    const text = Array.isArray(html) ? html.join("") : String(html);
    expect(text).to.match(/^<div class="nnkit-progress"/);
    expect(text).to.contain("moons (done)");
    expect(String(displays[0].data?.["text/plain"])).to.match(/^epoch 3\/3  loss \d\.\d{4}  acc \d\.\d{4}  val_loss/);
  });

  it("imports quickly: nnkit never loads plotly.js or the TypeScript compiler (figures printed)", () => {
    // As a notebook does: tfjs first (its own cost), then nnkit; and nnkit alone in a fresh process.
    const script =
      'const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6; let t = process.hrtime.bigint();' +
      'if (process.argv[1] === "tfjs-first") require("@tensorflow/tfjs"); const tfjs = ms(t); t = process.hrtime.bigint();' +
      'require("nnkit"); const nnkit = ms(t);' +
      'const heavy = Object.keys(require.cache).filter((f) => /plotly|typescript/.test(f));' +
      "console.log(JSON.stringify({ tfjs, nnkit, heavy }));";
    const run = (mode: string): { tfjs: number; nnkit: number; heavy: string[] } =>
      JSON.parse(execFileSync(process.execPath, ["-e", script, mode], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
    const afterTf = run("tfjs-first");
    const cold = run("cold");
    console.log(`      tfjs import: ${afterTf.tfjs.toFixed(0)} ms; nnkit after tfjs: ${afterTf.nnkit.toFixed(0)} ms; nnkit alone (cold, incl. what it loads): ${cold.nnkit.toFixed(0)} ms`);
    expect(afterTf.heavy).to.deep.equal([]);
    expect(cold.heavy).to.deep.equal([]);
  });
});
