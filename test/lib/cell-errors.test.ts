/**
 * check() in a notebook names the cells that raised (issue 15.5). The kernel side is tslab's
 * JupyterHandlerImpl/ZmqServer; here a module with the same two methods stands in for it in the
 * module cache, under the path tslab's own module has, driven the way tslab drives them.
 */
import { expect } from "chai";
import { execFile } from "child_process";
import * as path from "path";
import { jupyterPython } from "../support/jupyter-python";
import { jupyterPathWithThisKit } from "../support/kernel";
import { raisedCellLines, raisedCells, watchCellErrors } from "../../src/cell-errors";
import { check } from "../../src/check";

/** What check() prints. */
function printed(questionId: string): string {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    check(questionId);
  } finally {
    console.log = log;
  }
  return lines.join("\n");
}

type Stream = (name: string, text: string) => void;

/** Stands in for tslab's JupyterHandlerImpl: runs "code" and reports like tslab does. */
class FakeHandler {
  async handleExecute(req: { code: string }, writeStream: Stream, _display: unknown): Promise<{ status: string; execution_count?: number }> {
    if (req.code.startsWith("const x: number")) {
      writeStream("stderr", "1:7 - Type 'string' is not assignable to type 'number'.\n");
      return { status: "error", execution_count: 3 };
    }
    if (req.code.startsWith("stub")) {
      // what tslab prints for a released stub called from a cell: the notebook's frames, then Node's, nnkit's and tslab's
      const tslab = path.join(path.sep, "kit", "node_modules", "tslab", "dist");
      const nnkit = path.resolve(__dirname, "../../src");
      writeStream(
        "stderr",
        [
          "Error: sigmoid is not implemented yet",
          `    at check (${path.join(nnkit, "check.ts")}:600:11)`,
          "    at sigmoid (evalmachine.<anonymous>:6:11)",
          "    at Array.map (<anonymous>)",
          "    at evalmachine.<anonymous>:3:24",
          "    at Script.runInThisContext (node:vm:135:14)",
          `    at Object.execute (${path.join(tslab, "executor.js")}:160:38)`,
          `    at async JupyterHandlerImpl.handleExecuteImpl (${path.join(tslab, "jupyter.js")}:250:18)`,
          "",
        ].join("\n"),
      );
      return { status: "error", execution_count: 4 };
    }
    if (req.code.startsWith("throw")) {
      // tslab writes the error to the cell's stderr and answers status "error"
      writeStream("stderr", "\nError: boom in a cell\n    at evalmachine.<anonymous>:1:7\n");
      return { status: "error", execution_count: 1 };
    }
    writeStream("stdout", "fine\n");
    return { status: "ok", execution_count: 2 };
  }
}

/** Stands in for tslab's ZmqServer: hands the execute request's content to the handler. */
class FakeServer {
  constructor(readonly handler: FakeHandler, readonly out: string[]) {}
  async handleExecute(_sock: unknown, msg: { metadata: Record<string, unknown>; content: { code: string } }): Promise<void> {
    const r = await this.handler.handleExecute(msg.content, (name, text) => this.out.push(`${name}:${text}`), null);
    this.out.push(`reply:${r.status}`);
  }
}

describe("check(): the cells that raised in this kernel session", () => {
  const file = path.join(path.sep, "tmp", "nnkit-fake-kernel", "node_modules", "tslab", "dist", "jupyter.js");
  const out: string[] = [];
  const server = new FakeServer(new FakeHandler(), out);
  const run = (code: string, cellId?: string): Promise<void> => server.handleExecute(null, { metadata: cellId ? { cellId } : {}, content: { code } });

  before(() => {
    require.cache[file] = { id: file, filename: file, loaded: true, exports: { JupyterHandlerImpl: FakeHandler, ZmqServer: FakeServer } } as unknown as NodeJS.Module;
    watchCellErrors();
    watchCellErrors(); // idempotent
  });
  after(() => {
    delete require.cache[file];
  });

  it("records a cell that raised, by the id the front end sent, with the first line of its error", async () => {
    await run('throw new Error("boom in a cell");', "train-loop");
    expect(raisedCellLines()).to.deep.equal(["cell train-loop raised Error: boom in a cell; in Jupyter, Run All stops here"]);
    // the cell's own output still reaches the front end, unchanged, and so does the reply
    expect(out).to.deep.equal(["stderr:\nError: boom in a cell\n    at evalmachine.<anonymous>:1:7\n", "reply:error"]);
  });

  it("check() names that cell before its own result", () => {
    const text = printed("sigmoid");
    expect(text.split("\n")[0]).to.equal("⚠ cell train-loop raised Error: boom in a cell; in Jupyter, Run All stops here");
  });

  it("names a cell without an id (Classic Notebook 6) by its first line of code", async () => {
    await run("throw new Error('x');\nconst y = 1;");
    expect(raisedCellLines()[1]).to.equal(`cell starting "throw new Error('x');" raised Error: boom in a cell; in Jupyter, Run All stops here`);
  });

  it("forgets a cell once it runs cleanly, and keeps the others", async () => {
    await run("const fixed = 1;", "train-loop");
    expect(raisedCells().map((c) => c.id)).to.deep.equal([null]);
    expect(printed("sigmoid")).to.not.include("train-loop");
    await run("const y = 1;", undefined);
    expect(raisedCells().map((c) => c.id)).to.deep.equal([null]);
  });

  it("leaves the frames of tslab, Node and nnkit out of a cell's error, and keeps the notebook's own (17.3)", async () => {
    out.length = 0;
    await run("stub()", "sigmoid-check");
    expect(out).to.deep.equal([
      "stderr:Error: sigmoid is not implemented yet\n    at sigmoid (evalmachine.<anonymous>:6:11)\n    at Array.map (<anonymous>)\n    at evalmachine.<anonymous>:3:24\n",
      "reply:error",
    ]);
    expect(raisedCells().find((c) => c.id === "sigmoid-check")?.error).to.equal("Error: sigmoid is not implemented yet");
    await run("const done = 1;", "sigmoid-check");
  });

  it("names a type error by tslab's diagnostic", async () => {
    await run('const x: number = "a";', "typed");
    expect(raisedCellLines()[1]).to.equal("cell typed raised 1:7 - Type 'string' is not assignable to type 'number'.; in Jupyter, Run All stops here");
  });
});

/**
 * The same through the real tslab kernel, as a front end that sends cell ids (JupyterLab, VS
 * Code) drives it: execute requests one at a time, each with metadata.cellId.
 */
const DRIVER = `
import json, sys, time
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name="tslab", cwd=sys.argv[1])
def run(code, cell_id):
    msg = kc.session.msg("execute_request", {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False, "stop_on_error": False}, metadata={"cellId": cell_id})
    kc.shell_channel.send(msg)
    out = []
    while True:
        m = kc.get_iopub_msg(timeout=300)
        if m["parent_header"].get("msg_id") != msg["header"]["msg_id"]: continue
        if m["msg_type"] == "stream": out.append(m["content"]["text"])
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle": break
    while True:
        reply = kc.get_shell_msg(timeout=300)
        if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]: break
    time.sleep(0.5)  # tslab drops requests that arrive within 200 ms of an error
    return {"id": cell_id, "status": reply["content"]["status"], "stdout": "".join(out)}
try:
    cells = json.loads(sys.argv[2])
    print(json.dumps([run(code, cid) for cid, code in cells]))
finally:
    km.shutdown_kernel(now=True)
`;

describe("check() in the real tslab kernel names the cells that raised", function () {
  this.timeout(300_000);

  it("names a thrown error and a type error by cell id, and forgets a cell fixed and run again", async () => {
    const cells = [
      ["imports", 'import { check } from "nnkit";'],
      ["boom-cell", 'throw new Error("boom in a cell");'],
      ["type-cell", 'const x: number = "a";'],
      ["check-1", 'check("sigmoid");'],
      ["boom-cell", "const fixed = 1;"],
      ["check-2", 'check("sigmoid");'],
    ];
    const root = path.resolve(__dirname, "../..");
    const text = await new Promise<string>((resolve, reject) => {
      execFile(jupyterPython(), ["-c", DRIVER, path.join(root, "notebooks"), JSON.stringify(cells)], { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, JUPYTER_PATH: jupyterPathWithThisKit() } }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    const ran = JSON.parse(text.trim().split("\n").pop() as string) as { id: string; status: string; stdout: string }[];
    expect(ran.map((r) => r.status)).to.deep.equal(["ok", "error", "error", "ok", "ok", "ok"]);
    expect(ran[3].stdout.split("\n").slice(0, 2)).to.deep.equal([
      "⚠ cell boom-cell raised Error: boom in a cell; in Jupyter, Run All stops here",
      "⚠ cell type-cell raised 1:7 - Type 'string' is not assignable to type 'number'.; in Jupyter, Run All stops here",
    ]);
    expect(ran[5].stdout).to.not.include("boom-cell");
    expect(ran[5].stdout).to.include("⚠ cell type-cell raised");
  });
});
