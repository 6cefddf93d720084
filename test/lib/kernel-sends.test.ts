import { expect } from "chai";
import * as path from "path";
import { cellById, executeNotebook, streamText } from "../support/kernel";

describe("kernel sends (through the real tslab kernel)", function () {
  this.timeout(600_000);

  // More than the ~500 sends after which zeromq first reports EBUSY, but fewer than the
  // 1000 messages a PUB socket queues before it drops some for a slow subscriber.
  it("survives hundreds of displays and in-place updates in one cell", async () => {
    const nb = await executeNotebook(path.join(__dirname, "fixtures", "display-flood.ipynb"), {
      cwd: path.resolve(__dirname, "../.."),
    });
    expect(nb.metadata.nnkit_execution.error_cell).to.equal(null);
    const flood = cellById(nb, "flood");
    expect(streamText(flood, "stderr")).to.equal("");
    const shown = (flood.outputs ?? []).filter((o) => o.output_type === "display_data");
    // 1 updatable output (its updates replace it in place) + 600 separate ones.
    expect(shown).to.have.length(601);
    expect(JSON.stringify(shown[0].data)).to.include("update 99");
    expect(streamText(cellById(nb, "after"), "stdout")).to.equal("kernel alive\n");
  });
});
