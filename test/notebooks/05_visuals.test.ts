/**
 * Notebook 05's pictures and the bonus cell's printout, through the real tslab kernel, on a tiny
 * training budget (a copy of the master keeps only the cells these need and trains on 1,200 images for
 * one epoch), so it takes seconds instead of the default setting's minutes.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { COUNT_COLORSCALE, unpackFigure } from "../../src/plot";
import { FASHION_CLASSES } from "../../src/fashion-mnist";
import { cellById, executeNotebook, ExecutedNotebook, stderrOf, streamText } from "../support/kernel";
import { masterPath, ROOT } from "../support/masters";
import { plotOutputs } from "../support/notebook-results";

/** The cells of 05 that the confusion matrix and the bonus cell depend on, in order. */
const CELLS = ["setup", "recipe", "load-data", "class-grid", "accuracy-impl", "cnn-impl", "cnn-train", "confusion-plot", "filters-plot", "bonus-save-helper", "bonus-train"];

interface NbCell { id: string; cell_type: string; source: string | string[] }

/** A copy of 05 with only CELLS, whose default setting trains on 1,200 images for one epoch. */
function tinyCopy(dir: string): string {
  const nb = JSON.parse(fs.readFileSync(masterPath("05_fashion_mnist.ipynb"), "utf8")) as { cells: NbCell[] };
  nb.cells = CELLS.map((id) => {
    const cell = nb.cells.find((c) => c.id === id);
    if (!cell) throw new Error(`05 has no cell ${id}`);
    return cell;
  });
  const recipe = nb.cells.find((c) => c.id === "recipe")!;
  const source = [recipe.source].flat().join("");
  const small = source.replace(/(trainImages:\s*)[\d_]+/g, "$11200").replace(/(Epochs:\s*)\d+/g, "$11");
  expect(small, "the recipe cell names trainImages and the epochs").to.not.equal(source);
  recipe.source = small;
  const file = path.join(dir, "05_tiny.ipynb");
  fs.writeFileSync(file, JSON.stringify(nb));
  return file;
}

describe("notebook 05: the confusion matrix and the bonus cell's printout (tiny budget, real kernel)", function () {
  this.timeout(15 * 60 * 1000);
  let dir: string;
  let nb: ExecutedNotebook;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-05-visuals-"));
    // Laid out like the kit, so that tslab resolves `nnkit` and tfjs (no check cell runs, so no checks/).
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    if (fs.existsSync(path.join(ROOT, "data"))) fs.symlinkSync(path.join(ROOT, "data"), path.join(dir, "data"));
    nb = await executeNotebook(tinyCopy(dir), { cwd: dir, cellTimeoutSeconds: 900 });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("runs the cells without an error or stderr output", () => {
    expect(nb.metadata.nnkit_execution.error_cell).to.equal(null);
    expect(stderrOf(nb)).to.deep.equal([]);
  });

  it("draws the confusion matrix with every class name and a scale on which more images are darker", () => {
    const [first] = plotOutputs(cellById(nb, "confusion-plot").outputs);
    const raw = first.data?.["application/vnd.plotly.v1+json"];
    const fig = unpackFigure<{ data: Record<string, unknown>[]; layout: Record<string, Record<string, unknown>> }>(typeof raw === "string" ? JSON.parse(raw) : raw);
    const trace = fig.data[0];
    expect(trace.type).to.equal("heatmap");
    expect(trace.x).to.deep.equal([...FASHION_CLASSES]);
    expect(trace.y).to.deep.equal([...FASHION_CLASSES]);
    expect(trace.colorscale).to.deep.equal(COUNT_COLORSCALE.map(([t, c]) => [t, c]));
    expect(trace.zmin).to.equal(0);
    const z = trace.z as number[][];
    expect(z.flat().reduce((a, b) => a + b, 0), "every test image is counted once").to.equal(10000);
    expect(fig.layout.xaxis.automargin).to.equal(true);
    expect(fig.layout.yaxis.automargin).to.equal(true);
  });

  it("keeps its pictures small on disk: every chart of 05 plus two training displays under 1 MB", () => {
    // Written as Jupyter writes it (JSON indented by one space); the images are saved as bytes.
    const bytes = Buffer.byteLength(`${JSON.stringify(nb, null, 1)}\n`, "utf8");
    const charts = CELLS.reduce((n, id) => n + plotOutputs(cellById(nb, id).outputs).length, 0);
    console.log(`      05's charts (${charts}) and training displays: ${(bytes / 1e6).toFixed(2)} MB`);
    expect(charts).to.equal(1 + 4 + 3);
    expect(bytes).to.be.below(1e6);
  });

  it("prints the bonus model's validation and test accuracy", () => {
    const out = streamText(cellById(nb, "bonus-train"), "stdout");
    const m = /validation accuracy (\d\.\d{4}) .*test accuracy (\d\.\d{4})/.exec(out);
    expect(m, out).to.not.equal(null);
    const [val, test] = [Number(m![1]), Number(m![2])];
    // One epoch on 1,080 images already beats guessing (0.1) by far.
    expect(val).to.be.within(0.3, 1);
    expect(test).to.be.within(0.3, 1);
    expect(fs.existsSync(path.join(dir, "bonus-model", "model.json"))).to.equal(true);
  });
});
