/**
 * The relu of notebook 01's master, taken from the notebook and run without a kernel: NaN in gives
 * NaN out, as PyTorch's relu does, so that a NaN upstream stays visible instead of becoming 0.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const MASTER = path.resolve(__dirname, "../../../notebooks/01_activations.ipynb");

/** The functions defined in one code cell of the master, compiled to JavaScript and evaluated. */
function cellFunctions(cellId: string, names: string[]): Record<string, (...args: number[]) => number> {
  const nb = JSON.parse(fs.readFileSync(MASTER, "utf8")) as { cells: { id?: string; source: string | string[] }[] };
  const cell = nb.cells.find((c) => c.id === cellId);
  if (!cell) throw new Error(`no cell ${cellId} in ${MASTER}`);
  const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
  const js = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2020 } }).outputText;
  return new Function(`${js}\nreturn { ${names.join(", ")} };`)() as Record<string, (...args: number[]) => number>;
}

describe("notebook 01's master relu", () => {
  const { relu, leakyRelu } = cellFunctions("relu-impl", ["relu", "leakyRelu"]);

  it("gives NaN for NaN, as PyTorch's torch.relu(torch.tensor(float('nan'))) does", () => {
    expect(relu(NaN)).to.be.NaN;
    expect(leakyRelu(NaN)).to.be.NaN;
  });

  it("is max(0, z) on numbers, infinities included", () => {
    expect([-2, -0.5, 0, 0.5, 3].map((z) => relu(z))).to.deep.equal([0, 0, 0, 0.5, 3]);
    expect(relu(Infinity)).to.equal(Infinity);
    expect(relu(-Infinity)).to.equal(0);
  });
});
