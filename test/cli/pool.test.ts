import { expect } from "chai";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { Outcome, PoolJob, runPool } from "../../grader/run/pool";
import { ProgressBar } from "../../grader/gradebook/progress-bar";

type Input = { action: "echo" | "throw" | "exit" | "hang"; value: number };
const WORKER = path.resolve(__dirname, "../fixtures/cli/pool-worker.ts");

/** Whether a process is running: it exists and is not a zombie waiting to be reaped. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false; // gone while we looked
  }
}

/**
 * A Unix socket every test worker connects to (POOL_TEST_SOCKET) and sends its pid on. `exited(pid)`
 * resolves when that worker's connection closes, which the kernel does as the process ends.
 */
class WorkerWatch {
  private readonly closed = new Map<number, Promise<void>>();
  private readonly waiting = new Map<number, () => void>();
  readonly socketPath: string;
  private readonly server: net.Server;
  private readonly dir: string;

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-pool-"));
    this.socketPath = path.join(this.dir, "workers.sock");
    this.server = net.createServer((socket) => {
      let text = "";
      socket.setEncoding("utf8");
      socket.on("data", (d: string) => {
        text += d;
        const pid = Number(text.split("\n")[0]);
        if (!text.includes("\n") || this.closed.has(pid)) return;
        this.closed.set(pid, new Promise((resolve) => socket.once("close", () => resolve())));
        this.waiting.get(pid)?.();
      });
      socket.on("error", () => undefined);
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.socketPath, resolve));
  }

  /** Resolves once the worker with this pid has connected and then exited. */
  async exited(pid: number): Promise<void> {
    if (!this.closed.has(pid)) await new Promise<void>((resolve) => this.waiting.set(pid, resolve));
    await this.closed.get(pid);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => {
      fs.rmSync(this.dir, { recursive: true, force: true });
      resolve();
    }));
  }
}

describe("worker pool", () => {
  let watch: WorkerWatch;
  beforeEach(async () => {
    watch = new WorkerWatch();
    await watch.listen();
  });
  afterEach(() => watch.close());

  it("runs every job once and reports answers, errors, dead workers and hangs", async () => {
    const jobs: PoolJob<Input>[] = [
      { id: 1, input: { action: "echo", value: 1 }, timeoutMs: 20_000 },
      { id: 2, input: { action: "throw", value: 2 }, timeoutMs: 20_000 },
      { id: 3, input: { action: "exit", value: 3 }, timeoutMs: 20_000 },
      { id: 4, input: { action: "hang", value: 4 }, timeoutMs: 1500 },
      { id: 5, input: { action: "echo", value: 5 }, timeoutMs: 20_000 },
      { id: 6, input: { action: "echo", value: 6 }, timeoutMs: 20_000 },
    ];
    const results = new Map<number, Outcome<{ doubled: number; pid: number }>>();
    const started: number[] = [];
    await runPool<Input, { doubled: number; pid: number }>(jobs, {
      workerModule: WORKER,
      workers: 2,
      execArgv: ["-r", "tsx/cjs"],
      env: { ...process.env, POOL_TEST_SOCKET: watch.socketPath },
      onStart: (j) => started.push(j.id),
      onResult: (j, o) => {
        expect(results.has(j.id), `job ${j.id} reported twice`).to.equal(false);
        results.set(j.id, o);
      },
    });
    expect([...results.keys()].sort()).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(started.sort()).to.deep.equal([1, 2, 3, 4, 5, 6]);
    const one = results.get(1);
    expect(one?.ok && one.value.doubled).to.equal(2);
    expect(results.get(2)).to.deep.equal({ ok: false, reason: "crash", message: "failed on 2" });
    const three = results.get(3);
    expect(three?.ok === false && three.reason).to.equal("crash");
    expect(three?.ok === false && three.message).to.match(/exited \(code 7/);
    const four = results.get(4);
    expect(four?.ok === false && four.reason).to.equal("timeout");
    const pids = [1, 5, 6].map((id) => {
      const r = results.get(id);
      return r?.ok ? r.value.pid : -1;
    });
    // the pool kills its workers as it finishes; wait until each one's connection closes
    await Promise.all(pids.map((pid) => watch.exited(pid)));
    for (const pid of pids) expect(isAlive(pid), `worker ${pid} left running`).to.equal(false);
  });

  it("uses no more workers than asked", async () => {
    const jobs = Array.from({ length: 6 }, (_, i) => ({ id: i + 1, input: { action: "echo" as const, value: i }, timeoutMs: 20_000 }));
    const pids = new Set<number>();
    await runPool<Input, { doubled: number; pid: number }>(jobs, {
      workerModule: WORKER, workers: 2, execArgv: ["-r", "tsx/cjs"], env: { ...process.env, POOL_TEST_SOCKET: watch.socketPath },
      onResult: (_, o) => {
        if (o.ok) pids.add(o.value.pid);
      },
    });
    expect(pids.size).to.be.within(1, 2);
  });
});

describe("progress bar", () => {
  it("shows done/total, live counts and an ETA", () => {
    const lines: string[] = [];
    const out = { write: (s: string) => lines.push(s), isTTY: false } as unknown as NodeJS.WritableStream;
    const bar = new ProgressBar(4, out, 8);
    expect(bar.line()).to.match(/^\[\.{8}\] 0\/4 graded 0 failed 0 timed out 0 .* ETA \?$/);
    bar.tick("graded", "alice 01");
    bar.tick("timedOut", "bob 01");
    expect(lines).to.have.length(2);
    expect(lines[1]).to.match(/^\[#{4}\.{4}\] 2\/4 graded 1 failed 0 timed out 1 elapsed \d+s ETA \d+s  bob 01\n$/);
  });
});
