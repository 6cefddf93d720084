// `npm run bench -- notebooks`: the targets it judges against, and its verdict per notebook.
import { expect } from "chai";
import { benchLine, TARGET_BYTES, TARGET_SECONDS } from "../../../bench/notebooks";
import { specsWithMaster } from "../../support/masters";

describe("npm run bench -- notebooks", () => {
  it("has a Run-All target for every master, as issue 17.6 sets them", () => {
    const masters = specsWithMaster().map((s) => s.notebook);
    expect(masters.filter((nb) => TARGET_SECONDS[nb] === undefined)).to.deep.equal([]);
    expect(TARGET_SECONDS["05_fashion_mnist.ipynb"]).to.equal(300);
    expect(TARGET_SECONDS["02_mlp.ipynb"]).to.equal(30);
  });

  const run = { notebook: "04_convolution.ipynb", seconds: 42, cpuSeconds: 50, bytes: 800_000, failedCell: null };

  it("passes a notebook within its time target and the size limit, and prints both", () => {
    const line = benchLine(run);
    expect(line.ok).to.equal(true);
    expect(line.text).to.match(/^04_convolution\.ipynb\s+42\.0 s \(target 60\.0 s\), kernel CPU 50\.0 s\s+0\.76 MB \(limit 1\.50 MB\)$/);
  });

  it("flags a notebook over its time target, over the size limit, or stopped at a failing cell", () => {
    const slow = benchLine({ ...run, seconds: 61 });
    expect(slow.ok).to.equal(false);
    expect(slow.text).to.contain("(target 60.0 s, OVER)");
    const big = benchLine({ ...run, bytes: TARGET_BYTES + 1 });
    expect(big.ok).to.equal(false);
    expect(big.text).to.contain("(limit 1.50 MB, OVER)");
    const failed = benchLine({ ...run, failedCell: "conv-check" });
    expect(failed.ok).to.equal(false);
    expect(failed.text).to.contain("FAILED at cell conv-check");
  });

  it("writes long times in minutes and leaves out the CPU time where the platform does not tell it", () => {
    const line = benchLine({ ...run, notebook: "05_fashion_mnist.ipynb", seconds: 250, cpuSeconds: null });
    expect(line.text).to.contain("4 min 10 s (target 5 min 0 s)");
    expect(line.text).not.to.contain("kernel CPU");
  });
});
