import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cellById, executeNotebook, ExecutedNotebook, streamText, thisKitsKernel } from "../support/kernel";
import { jupyterPython } from "../support/jupyter-python";

const ROOT = path.resolve(__dirname, "../..");
const FIXTURES = path.join(__dirname, "fixtures");

interface KernelSpecList {
  kernelspecs: Record<string, { resource_dir: string; spec: { argv: string[]; language: string } }>;
}

/** Whether tfjs-node can be loaded here; the test below forces its absence when it can. */
function tfjsNodeInstalled(): boolean {
  try {
    require.resolve("@tensorflow/tfjs-node", { paths: [ROOT] });
    return true;
  } catch {
    return false;
  }
}

describe("the tslab kernel", function () {
  this.timeout(10 * 60 * 1000);

  // Registered the way setup.sh does it, into a Jupyter data folder of this test's own: the
  // user's registration belongs to whichever copy of the kit ran ./setup.sh last.
  it("registers as setup.sh does it, Jupyter lists it, and it points into this project", function () {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-kernel-test-"));
    try {
      const env = { ...process.env, JUPYTER_DATA_DIR: dataDir, JUPYTER_PATH: "", PYDEVD_DISABLE_FILE_VALIDATION: "1" };
      const binary = path.join(ROOT, "node_modules", ".bin", "tslab");
      execFileSync(binary, ["install", "--user", "--python", jupyterPython(), "--binary", binary], { env, stdio: "pipe" });
      const out = execFileSync(jupyterPython(), ["-m", "jupyter_client.kernelspecapp", "list", "--json"], { encoding: "utf8", env });
      const tslab = (JSON.parse(out) as KernelSpecList).kernelspecs["tslab"];
      expect(tslab, "tslab install registered no kernel").to.not.equal(undefined);
      expect(fs.realpathSync(tslab.resource_dir)).to.equal(fs.realpathSync(path.join(dataDir, "kernels", "tslab")));
      expect(tslab.spec.language).to.equal("typescript");
      expect(tslab.spec.argv[0]).to.equal(binary);
      expect(fs.realpathSync(binary)).to.equal(path.join(fs.realpathSync(ROOT), "node_modules", "tslab", "bin", "tslab"));
      // The notebooks below run on the test support's own copy of the spec: it must be this one.
      const support = JSON.parse(fs.readFileSync(path.join(thisKitsKernel(), "kernels", "tslab", "kernel.json"), "utf8")) as { argv: string[] };
      expect(support.argv).to.deep.equal(tslab.spec.argv);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe("running a small notebook headless (without tfjs-node)", function () {
    let nb: ExecutedNotebook;
    const forced = tfjsNodeInstalled();

    before(async function () {
      // NNKIT_BACKEND unset lets setupBackend choose, as a student's kernel does;
      // where tfjs-node is installed the wasm backend is forced to simulate its absence.
      nb = await executeNotebook(path.join(FIXTURES, "smoke.ipynb"), {
        env: { NNKIT_BACKEND: forced ? "wasm" : undefined, NNKIT_THREADS: undefined },
      });
    });

    it("runs every cell without an error", function () {
      expect(nb.metadata.nnkit_execution.error_cell).to.equal(null);
      for (const cell of nb.cells.filter((c) => c.cell_type === "code")) {
        expect(cell.execution_count, `cell ${cell.id} did not run`).to.be.a("number");
        expect(streamText(cell, "stderr"), `stderr of cell ${cell.id}`).to.equal("");
      }
    });

    it("sets up the WebAssembly backend and says why", function () {
      const out = streamText(cellById(nb, "setup"), "stdout");
      expect(out).to.match(/^tfjs backend: wasm\b.*: .+/m);
      if (!forced) expect(out).to.match(/tfjs-node is not installed/);
      expect(out).to.include("active backend: wasm\n");
    });

    it("type-checks and runs a typed function", function () {
      expect(streamText(cellById(nb, "typed-function"), "stdout")).to.equal("scaled: 2,4,6\n");
    });

    it("supports top-level await", function () {
      expect(streamText(cellById(nb, "top-level-await"), "stdout")).to.equal("awaited: 42\n");
    });

    it("computes a tfjs op", function () {
      expect(streamText(cellById(nb, "tfjs-op"), "stdout")).to.equal("matmul: 3,7 shape 2x1\n");
    });
  });

  it("stops at a cell that fails to type-check and names it", async function () {
    const nb = await executeNotebook(path.join(FIXTURES, "failing.ipynb"));
    expect(nb.metadata.nnkit_execution.error_cell).to.equal("type-error");
    expect(streamText(cellById(nb, "ok-first"), "stdout")).to.equal("before: 1\n");
    expect(streamText(cellById(nb, "type-error"), "stderr")).to.include("Type 'string' is not assignable to type 'number'");
    expect(cellById(nb, "never-runs").execution_count ?? null).to.equal(null);
  });
});
