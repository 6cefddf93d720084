/**
 * check() in a notebook names the cells that raised (issue 15.5). The kernel side is tslab's
 * JupyterHandlerImpl/ZmqServer; here a module with the same two methods stands in for it in the
 * module cache, under the path tslab's own module has, driven the way tslab drives them.
 */
import { expect } from "chai";
import * as path from "path";
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
});
