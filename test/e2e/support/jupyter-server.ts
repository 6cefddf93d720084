import { ChildProcess, spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { jupyterPython } from "../../support/jupyter-python";
import { jupyterPathWithThisKit } from "../../support/kernel";

/** A running Jupyter Notebook server started by the test. */
export interface JupyterServer {
  /** e.g. http://127.0.0.1:41234 */
  base: string;
  token: string;
  /** The folder it serves. */
  root: string;
  /** Everything the server logged (kernel stderr included), for failure messages. */
  log: () => string;
  stop: () => Promise<void>;
}

/** A TCP port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(base: string, token: string, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Jupyter exited with ${child.exitCode} while starting:\n${log()}`);
    try {
      const res = await fetch(`${base}/api/status?token=${token}`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Jupyter did not answer within ${timeoutMs} ms:\n${log()}`);
}

/**
 * Starts the classic Jupyter Notebook server (python -m notebook) on `root`, on a random
 * localhost port with a random token and no browser, using the kit's Python and kernel.
 */
export async function startJupyter(root: string): Promise<JupyterServer> {
  const port = await freePort();
  const token = randomBytes(24).toString("hex");
  const args = [
    "-m", "notebook", "--no-browser", "--ip=127.0.0.1", `--port=${port}`, "--port-retries=0",
    `--NotebookApp.token=${token}`, `--notebook-dir=${root}`,
  ];
  if (process.getuid?.() === 0) args.push("--allow-root");
  let output = "";
  const child = spawn(jupyterPython(), args, {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    // This kit's kernel first: a kernel registered by another copy of the kit loads another tslab.
    env: { ...process.env, JUPYTER_PATH: jupyterPathWithThisKit(), PYDEVD_DISABLE_FILE_VALIDATION: "1", BROWSER: "true" },
  });
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const base = `http://127.0.0.1:${port}`;
  const log = (): string => output;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || !child.pid) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    // SIGTERM lets the server shut its kernels down; the group kill catches stragglers.
    process.kill(-child.pid, "SIGTERM");
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitUntilUp(base, token, child, log, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { base, token, root, log, stop };
}

/** Shuts down the kernel of every open session on `notebookName` (File > Close and Halt), so finished notebooks stop using memory. */
export async function closeSessions(server: JupyterServer, notebookName: string): Promise<void> {
  const res = await fetch(`${server.base}/api/sessions?token=${server.token}`);
  const sessions = (await res.json()) as { id: string; path: string }[];
  for (const s of sessions.filter((x) => x.path === notebookName)) {
    await fetch(`${server.base}/api/sessions/${s.id}?token=${server.token}`, { method: "DELETE" });
  }
}

/** Copies the notebooks into a fresh folder inside the project (so `nnkit` and checks/ resolve from it). */
export function makeWorkspace(projectRoot: string, notebooks: string[]): string {
  const cacheDir = path.join(projectRoot, ".cache");
  fs.mkdirSync(cacheDir, { recursive: true });
  const dir = fs.mkdtempSync(path.join(cacheDir, "e2e-"));
  for (const nb of notebooks) fs.copyFileSync(nb, path.join(dir, path.basename(nb)));
  return dir;
}
