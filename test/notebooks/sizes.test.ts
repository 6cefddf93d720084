/**
 * How big each master is on disk after Run All (issue 17: 02 once saved 9.2 MB of decision-boundary
 * grids). The masters run through the real tslab kernel (the shared run of test/support/masters.ts);
 * 05 trains for minutes on its default setting, so its size is measured with the browser tests' run.
 */
import { expect } from "chai";
import type { ExecutedNotebook } from "../support/kernel";
import { executedMaster, LONG_KERNEL_RUNS } from "../support/masters";

/** The most a master may weigh on disk after Run All. */
const MAX_BYTES = 1.5e6;

/** The masters measured here: every one whose Run All is quick. */
const MEASURED = ["01_activations.ipynb", "02_mlp.ipynb", "03_gradient_descent.ipynb", "04_convolution.ipynb"].filter((n) => !LONG_KERNEL_RUNS.has(n));

/** The notebook's size as Jupyter writes it (nbformat: JSON indented by one space, non-ASCII kept). */
function bytesOnDisk(nb: ExecutedNotebook): number {
  return Buffer.byteLength(`${JSON.stringify(nb, null, 1)}\n`, "utf8");
}

/** The heaviest cells, for the failure message. */
function heaviest(nb: ExecutedNotebook): string {
  return nb.cells
    .map((c) => ({ id: c.id, bytes: Buffer.byteLength(JSON.stringify(c.outputs ?? [])) }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 5)
    .map((c) => `${c.id}: ${(c.bytes / 1e3).toFixed(0)} kB`)
    .join(", ");
}

describe("the masters' size on disk after Run All (real kernel)", function () {
  this.timeout(20 * 60 * 1000);

  for (const name of MEASURED) {
    it(`${name} stays under ${MAX_BYTES / 1e6} MB with its outputs`, async () => {
      const nb = await executedMaster(name);
      expect(nb.metadata.nnkit_execution.error_cell, "failing cell").to.equal(null);
      const bytes = bytesOnDisk(nb);
      console.log(`      ${name}: ${(bytes / 1e6).toFixed(2)} MB after Run All (heaviest outputs: ${heaviest(nb)})`);
      expect(bytes, `heaviest outputs: ${heaviest(nb)}`).to.be.below(MAX_BYTES);
    });
  }
});
