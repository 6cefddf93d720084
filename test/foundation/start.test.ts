import { expect } from "chai";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { jupyterPathWithThisKit } from "../support/kernel";

const ROOT = path.resolve(__dirname, "../..");

/** Resolves with the first match of `pattern` in the child's stdout, or rejects when it exits first. */
function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${seen}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const m = seen.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (seen += chunk.toString()));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code} before printing its URL; output:\n${seen}`));
    });
  });
}

/** Polls until the server answers, since Jupyter listens a moment after it printed. */
async function fetchWhenUp(url: string, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fetch(url);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

describe("npm start (scripts/start.sh)", function () {
  this.timeout(120_000);
  let child: ChildProcess | undefined;

  afterEach(function () {
    // The script execs Jupyter in its own process group: end the whole group.
    if (child?.pid && child.exitCode === null) process.kill(-child.pid, "SIGTERM");
  });

  it("serves notebooks/ on localhost without a display, prints a working URL and offers the project's kernel", async function () {
    const port = 20000 + Math.floor(Math.random() * 20000);
    // This folder's kernel first on JUPYTER_PATH, as setup.sh registers it: another checkout of the kit that
    // registered its own since (setup.sh there, or its tests) must not fail this one.
    const env: NodeJS.ProcessEnv = {
      ...process.env, NNKIT_PORT: String(port), DISPLAY: undefined, WAYLAND_DISPLAY: undefined, CI: "true", JUPYTER_PATH: jupyterPathWithThisKit(),
    };
    child = spawn("bash", [path.join(ROOT, "scripts", "start.sh")], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const [url, base, token] = await waitForOutput(child, /(http:\/\/127\.0\.0\.1:\d+)\/tree\?token=([0-9a-f]+)/, 60_000);
    expect(Number(new URL(url).port)).to.be.at.least(port);

    const tree = await fetchWhenUp(url, 60_000);
    expect(tree.status).to.equal(200);
    const specs = (await (await fetch(`${base}/api/kernelspecs?token=${token}`)).json()) as {
      kernelspecs: Record<string, { spec: { argv: string[] } }>;
    };
    expect(specs.kernelspecs["tslab"].spec.argv[0]).to.equal(path.join(ROOT, "node_modules", ".bin", "tslab"));
    const contents = (await (await fetch(`${base}/api/contents?token=${token}`)).json()) as { path: string; type: string };
    expect(contents.type).to.equal("directory");
    const denied = await fetch(`${base}/api/contents`);
    expect(denied.status, "the server must require its token").to.equal(403);
  });
});
