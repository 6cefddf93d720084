/**
 * Issue 23 and 22.1: the operating system's layer of the sandbox (bubblewrap). Hostile cells
 * attack the grader, its neighbours, the network and the file system; each is graded next to an
 * untouched stub and the master, which must score as they do alone, and the batch goes on.
 *
 * Cells that send signals first check that they run inside a pid namespace (pid <= 2) and refuse
 * otherwise: if the isolation ever broke, a test must fail, not stop or kill the machine.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { gradeNotebook, type NotebookResult } from "../../grader/judge/grade";
import { bwrapArgs, isolationStatus } from "../../grader/run/isolation";
import { defaultReadPaths, spawnSandboxed } from "../../grader/run/sandbox";
import { runnerProgram } from "../../grader/run/child-bundle";
import { toStudentNotebook } from "../../grader/release/release-transform";
import type { NotebookJson } from "../../grader/core/notebook";
import { spec } from "../fixtures/grader/spec";
import { FIXTURE_OPTIONS, ROOT, TempDir, codeCell, fixtureMaster } from "./fixture";

const FULL = { "fx-square": 2, "fx-dot": 3, "fx-lse": 2, "fx-report": 1 };
const INTERLOCK = 'if (process.pid > 2) throw new Error("not inside a pid namespace: refusing to send signals");';
const PID_MAX = Number(fs.readFileSync("/proc/sys/kernel/pid_max", "utf8"));

function scores(r: NotebookResult): Record<string, number> {
  return Object.fromEntries(r.questions.map((q) => [q.id, q.score]));
}

/** The stub (the student version of the fixture master) with extra cells at the end. */
function stubWith(...sources: string[]): NotebookJson {
  const nb = toStudentNotebook(fixtureMaster());
  sources.forEach((s, i) => nb.cells.push(codeCell(`hostile-${i}`, s)));
  return nb;
}

/** Every descendant of a process, from /proc. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop() as number;
    let kids: number[] = [];
    try {
      kids = fs.readFileSync(`/proc/${p}/task/${p}/children`, "utf8").split(" ").filter(Boolean).map(Number);
    } catch {
      // gone
    }
    out.push(...kids);
    stack.push(...kids);
  }
  return out;
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/** Host processes whose command line holds `marker`. */
function processesWith(marker: string): number[] {
  return fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e)).map(Number).filter((p) => p !== process.pid && cmdline(p).includes(marker));
}

/** Resolves when `check` holds, polling (an event we wait for, never a timed assertion). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 100));
}

/** The shared libraries ldd lists for a binary (the test's own account of what node needs). */
function ldd(binary: string): string[] {
  const r = spawnSync("ldd", [binary], { encoding: "utf8" });
  return r.stdout.split("\n").map((l) => (/=>\s+(\/\S+)/.exec(l) ?? /^\s*(\/\S+)\s+\(/.exec(l))?.[1]).filter((x): x is string => !!x);
}

describe("grader: isolation with bubblewrap (issues 23 and 22.1)", function () {
  this.timeout(600_000);
  const tmp = new TempDir();
  after(() => tmp.cleanup());
  const grade = (nb: NotebookJson, extra: object = {}): Promise<NotebookResult> => gradeNotebook(spec, tmp.write(nb), { ...FIXTURE_OPTIONS, ...extra });
  const cell = (r: NotebookResult, id: string) => r.cells.find((c) => c.id === id)!;
  let stubAlone: Record<string, number>;

  before(async () => {
    const status = isolationStatus(ROOT);
    expect(status.available, status.reason).to.equal(true);
    stubAlone = scores(await grade(stubWith()));
    expect(stubAlone).to.deep.equal({ "fx-square": 0, "fx-dot": 0, "fx-lse": 0, "fx-report": 0 });
  });

  it("a sandboxed run says it ran inside bubblewrap, as pid 2 under a new init, as nobody", async () => {
    let seen: unknown;
    const box = spawnSandboxed({
      root: ROOT, memoryMb: 256,
      program: { code: 'require("fs").writeSync(3, JSON.stringify({ pid: process.pid, ppid: process.ppid, uid: process.getuid(), host: require("os").hostname() }) + "\\n")' },
      onMessage: (m) => (seen = m),
    });
    const exit = await box.done;
    expect(exit.isolation).to.equal("bubblewrap");
    expect(seen).to.deep.equal({ pid: 2, ppid: 1, uid: 65534, host: "sandbox" });
  });

  it("a run that shows a private (0700) folder still runs in bubblewrap, as the grader's user instead of nobody", async () => {
    const priv = fs.mkdtempSync(path.join(require("os").tmpdir(), "nnkit-private-"));
    try {
      fs.writeFileSync(path.join(priv, "data.txt"), "private data");
      let seen: unknown;
      const box = spawnSandboxed({
        root: ROOT, memoryMb: 256, allowRead: [priv],
        program: { code: `require("fs").writeSync(3, JSON.stringify({ pid: process.pid, uid: process.getuid(), text: require("fs").readFileSync(${JSON.stringify(path.join(priv, "data.txt"))}, "utf8") }) + "\\n")` },
        onMessage: (m) => (seen = m),
      });
      const exit = await box.done;
      expect(exit.isolation, exit.stderr).to.equal("bubblewrap");
      expect(seen).to.deep.equal({ pid: 2, uid: process.getuid!(), text: "private data" });
    } finally {
      fs.rmSync(priv, { recursive: true, force: true });
    }
  });

  it("22.1: the OS layer alone shows exactly node, its libraries, the kit's libraries, the snapshot and the data", async () => {
    const program = await runnerProgram(ROOT, 512);
    const blob = program.snapshotBlob;
    const walker = String.raw`
      const fs = require("fs"), path = require("path");
      const files = [], links = [], seen = new Set();
      let proc = [], dev = [];
      const walk = (p) => {
        if (seen.has(p)) return;
        seen.add(p);
        let st;
        try { st = fs.lstatSync(p); } catch { return; }
        if (st.isSymbolicLink()) {
          let to = null;
          try { to = fs.realpathSync(p); } catch {}
          links.push([p, to]);
          if (to) walk(to);
        } else if (st.isDirectory()) {
          if (p === "/proc") { proc = fs.readdirSync(p); return; }
          if (p === "/dev") { dev = fs.readdirSync(p); return; }
          let names = [];
          try { names = fs.readdirSync(p); } catch { return; }
          for (const n of names) walk(path.join(p, n));
        } else {
          try { fs.closeSync(fs.openSync(p, "r")); files.push(p); } catch {}
        }
      };
      walk("/");
      const kitRoot = ${JSON.stringify(ROOT)};
      const viaLink = fs.readdirSync(kitRoot + "/node_modules/nnkit").sort();
      const tmp = fs.readdirSync("/tmp");
      process.stdout.write(JSON.stringify({ files, links, proc, dev, viaLink, top: fs.readdirSync(kitRoot).sort(), tmp }));
    `;
    const readPaths = [...defaultReadPaths(ROOT), ...(blob ? [blob] : [])];
    const args = bwrapArgs({ root: ROOT, readPaths, command: [process.execPath, "-e", walker], limits: { cpuSeconds: 120, addressSpaceMb: 16384, processes: 64, fileSizeMb: 1, tmpMb: 1 } });
    const status = isolationStatus(ROOT);
    const r = spawnSync(status.bwrap!, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, env: { PATH: "/usr/bin:/bin" }, ...(status.runAs ?? {}) });
    expect(r.status, r.stderr).to.equal(0);
    const view = JSON.parse(r.stdout) as { files: string[]; links: [string, string | null][]; proc: string[]; dev: string[]; viaLink: string[]; top: string[]; tmp: string[] };
    const prlimit = "/usr/bin/prlimit";
    const system = new Set([process.execPath, prlimit, ...ldd(process.execPath), ...ldd(prlimit)]);
    const allowedDirs = [path.join(ROOT, "node_modules"), path.join(ROOT, "src", "dist"), "/usr/share/datasets/fashion-mnist", path.join(ROOT, "data")];
    const allowedFiles = new Set([...system, path.join(ROOT, "src", "package.json"), ...(blob ? [blob] : [])]);
    const outside = view.files.filter((f) => !allowedFiles.has(f) && !allowedDirs.some((d) => f.startsWith(d + path.sep)));
    expect(outside, "files the sandbox can open beyond the allowed set").to.deep.equal([]);
    // what it needs is there
    for (const f of [process.execPath, path.join(ROOT, "src", "package.json"), path.join(ROOT, "src", "dist", "index.js"), path.join(ROOT, "node_modules", "typescript", "package.json")]) {
      expect(view.files, f).to.include(f);
    }
    for (const forbidden of [".cache/expected", "notebooks", "grader", "checks", "test", "package.json", "src/index.ts", "gradebook.sqlite"]) {
      expect(view.files.filter((f) => f.startsWith(path.join(ROOT, forbidden))), forbidden).to.deep.equal([]);
    }
    // no symlink leads out: every link the kernel can follow ends inside the allowed set
    for (const [from, to] of view.links) {
      if (to === null) continue;
      expect(allowedFiles.has(to) || allowedDirs.some((d) => to === d || to.startsWith(d + path.sep)) || to === path.join(ROOT, "src"), `${from} -> ${to}`).to.equal(true);
    }
    expect(view.viaLink, "node_modules/nnkit (the kit's src/)").to.deep.equal(["dist", "package.json"]);
    expect(view.top, "the kit root").to.deep.equal(blob && blob.startsWith(ROOT) ? [".cache", "node_modules", "src"] : ["node_modules", "src"]);
    expect(view.proc.filter((p) => /^\d+$/.test(p)).sort(), "processes in /proc").to.deep.equal(["1", "2"]);
    expect(view.dev).to.not.include("sda");
    expect(view.tmp).to.deep.equal([]);
  });

  it("22.1/23.2: reads through the nnkit symlink, of /etc/hostname, / and the grader's command line fail; the stub and the master score as alone", async () => {
    // Each node_modules/nnkit/.. is node_modules to Node's permission check (which reads the path as
    // written) but the kit's root to the kernel (which follows the link): repeated, the path passes
    // the check however far up it then climbs. Without bubblewrap these reads succeed.
    const depth = ROOT.split("/").length - 1;
    const kit = ROOT + "/node_modules/nnkit/..".repeat(depth + 2);
    const up = "/..".repeat(depth);
    const reads = {
      expected: `require("fs").readdirSync(${JSON.stringify(`${kit}/.cache/expected`)})`,
      master: `require("fs").readFileSync(${JSON.stringify(`${kit}/notebooks/01_activations.ipynb`)}, "utf8").length`,
      spec: `require("fs").readFileSync(${JSON.stringify(`${kit}/grader/specs/01_activations.ts`)}, "utf8").length`,
      hostname: `require("fs").readFileSync(${JSON.stringify(`${kit}${up}/etc/hostname`)}, "utf8")`,
      hostnameDirect: 'require("fs").readFileSync("/etc/hostname", "utf8")',
      cmdline: `require("fs").readFileSync(${JSON.stringify(`${kit}${up}/proc/${process.pid}/cmdline`)}, "utf8")`,
      init: 'require("fs").readFileSync("/proc/1/cmdline", "utf8")',
    };
    const cells = Object.entries(reads).map(([name, expr]) => `try { console.log(${JSON.stringify(name)} + " GOT " + JSON.stringify(${expr})); } catch (e) { console.log(${JSON.stringify(name)} + " FAILED " + ((e as any).code ?? (e as any).message)); }`);
    const [hostile, stub, master] = await Promise.all([grade(stubWith(...cells)), grade(stubWith()), grade(fixtureMaster())]);
    expect(scores(master)).to.deep.equal(FULL);
    expect(scores(stub)).to.deep.equal(stubAlone);
    for (const q of hostile.questions) expect(q.score, q.id).to.be.at.most(stubAlone[q.id]);
    const log = hostile.log;
    for (const name of Object.keys(reads)) expect(log, name).to.match(new RegExp(`^${name} FAILED`, "m"));
    // the kernel, not Node's permission model, said no to the paths that pass Node's check as written
    for (const name of ["expected", "master", "spec", "hostname", "cmdline"]) expect(log, name).to.match(new RegExp(`^${name} FAILED ENOENT`, "m"));
    // a listing of / through the same trick shows the sandbox's own root, none of the machine's
    const listing = await grade(stubWith(`console.log("ROOT " + require("fs").readdirSync(${JSON.stringify(kit + up)}).join(","));`));
    const shown = /^ROOT (.*)$/m.exec(listing.log)?.[1].split(",") ?? [];
    expect(shown).to.include("usr");
    for (const hostOnly of ["etc", "home", "root", "var", "boot"]) expect(shown).to.not.include(hostOnly);
  });

  it("23.1: signals at the grader, at every pid, at -1 and at a neighbouring run reach nobody", async () => {
    // The neighbour: the master with a last cell that waits for SIGWINCH (ignored by default, so an early one does no harm).
    const waiting = fixtureMaster();
    waiting.cells.push(codeCell("wait", 'await new Promise<void>((resolve) => process.once("SIGWINCH", () => resolve()));\nconsole.log("neighbour went on");'));
    const before = new Set(descendants(process.pid));
    let neighbourDone = false;
    // Its limits outlast the attacks' grading, however loaded the machine: it must end because it was told to.
    const neighbour = grade(waiting, { cellTimeoutMs: 900_000, notebookTimeoutMs: 900_000 }).finally(() => (neighbourDone = true));
    let neighbourPids: number[] = [];
    await until(() => {
      neighbourPids = descendants(process.pid).filter((p) => !before.has(p) && cmdline(p).includes("--snapshot-blob"));
      return neighbourPids.length > 0 || neighbourDone;
    });
    const targets = [...new Set([...descendants(process.pid).filter((p) => !before.has(p)), process.pid, process.ppid])];
    const attack = [
      INTERLOCK,
      `for (const pid of ${JSON.stringify(targets)}) for (const sig of ["SIGSTOP", "SIGKILL"]) { try { process.kill(pid, sig as NodeJS.Signals); } catch {} }`,
      'try { process.kill(-1, "SIGKILL"); } catch {}',
      'try { process.kill(process.ppid, "SIGKILL"); } catch {}',
      'try { process.kill(1, "SIGSTOP"); } catch {}',
      'console.log("attacks sent");',
    ].join("\n");
    // SIGSTOP to every pid it can find: inside the namespace these are its own init and its own
    // threads (kill accepts a thread id), so it stops itself; the watchdog ends that run.
    const stopAll = [INTERLOCK, `for (let pid = 1; pid <= ${PID_MAX}; pid++) if (pid !== process.pid) { try { process.kill(pid, "SIGSTOP"); } catch {} }`].join("\n");
    const [hostile, stub] = await Promise.all([grade(stubWith(attack, stopAll)), grade(stubWith())]);
    expect(cell(hostile, "hostile-0").ok, cell(hostile, "hostile-0").error).to.equal(true);
    expect(hostile.log).to.include("attacks sent");
    expect(cell(hostile, "hostile-1").error).to.match(/did not finish within/);
    for (const q of hostile.questions) expect(q.score, q.id).to.be.at.most(stubAlone[q.id]);
    expect(scores(stub)).to.deep.equal(stubAlone);
    // the neighbour is still running and finishes normally once told to
    expect(neighbourDone).to.equal(false);
    // Found again at each poke: when the first look came early (a loaded machine), it may have
    // seen only bubblewrap's processes, not yet the node below them that waits for the signal.
    const poke = setInterval(() => {
      neighbourPids = descendants(process.pid).filter((p) => !before.has(p) && cmdline(p).includes("--snapshot-blob"));
      for (const p of neighbourPids) try { process.kill(p, "SIGWINCH"); } catch { /* gone */ }
    }, 200);
    const n = await neighbour.finally(() => clearInterval(poke));
    expect(n.status, n.reason).to.equal("graded");
    expect(scores(n)).to.deep.equal(FULL);
    expect(n.log).to.include("neighbour went on");
  });

  it("23.2: a TCP connection to a listener on the host's 127.0.0.1 fails", async () => {
    let connections = 0;
    const server = net.createServer((s) => {
      connections++;
      s.end("secret");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const connect = `const got = await new Promise<string>((resolve) => {
  const s = require("net").connect(${port}, "127.0.0.1");
  s.on("data", (d: Buffer) => resolve("connected: " + d.toString()));
  s.on("error", (e: any) => resolve("refused: " + e.code));
});
console.log("NET " + got);`;
      const [hostile, stub] = await Promise.all([grade(stubWith(connect)), grade(stubWith())]);
      expect(hostile.log).to.match(/^NET refused: (ECONNREFUSED|ENETUNREACH)/m);
      expect(connections).to.equal(0);
      for (const q of hostile.questions) expect(q.score, q.id).to.be.at.most(stubAlone[q.id]);
      expect(scores(stub)).to.deep.equal(stubAlone);
    } finally {
      server.close();
    }
  });

  it("23.3: no process outlives its run, through Node's API or around it", async () => {
    const marker = `nnkit-outlive-${process.pid}-${Date.now()}`;
    // through a graded cell: Node's permission model refuses child processes
    const spawnCell = `for (const f of [() => require("child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", ${JSON.stringify(marker)}], { detached: true, stdio: "ignore" }).unref(),
  () => (process as any).binding("spawn_sync").spawn({ file: process.execPath, args: [process.execPath, "-e", "setInterval(() => {}, 1000)", ${JSON.stringify(marker)}], stdio: [] })]) {
  try { f(); console.log("SPAWN started"); } catch (e) { console.log("SPAWN refused: " + ((e as any).code ?? (e as any).message)); }
}`;
    const [hostile, stub] = await Promise.all([grade(stubWith(spawnCell)), grade(stubWith())]);
    expect(hostile.log).to.not.include("SPAWN started");
    for (const q of hostile.questions) expect(q.score, q.id).to.be.at.most(stubAlone[q.id]);
    expect(scores(stub)).to.deep.equal(stubAlone);
    expect(processesWith(marker)).to.deep.equal([]);
    // around it: bubblewrap alone (no permission model) lets node fork; the fork dies with the run
    const status = isolationStatus(ROOT);
    const forker = `const c = require("child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", ${JSON.stringify(marker)}], { detached: true, stdio: "ignore" }); c.unref(); console.log("forked " + c.pid);`;
    const args = bwrapArgs({ root: ROOT, readPaths: defaultReadPaths(ROOT), command: [process.execPath, "-e", forker], limits: { cpuSeconds: 60, addressSpaceMb: 16384, processes: 64, fileSizeMb: 1, tmpMb: 1 } });
    const r = spawnSync(status.bwrap!, args, { encoding: "utf8", env: { PATH: "/usr/bin:/bin" }, ...(status.runAs ?? {}) });
    expect(r.stdout, r.stderr).to.match(/^forked \d+/);
    // the namespace's init takes its last processes down as it exits, just after bwrap returns
    await until(() => processesWith(marker).length === 0);
  });

  it("23.3: a run whose grader dies goes with it (--die-with-parent)", async () => {
    const marker = `nnkit-orphan-${process.pid}-${Date.now()}`;
    // a stand-in grader: starts a sandboxed run that never ends, reports, and is killed with SIGKILL
    const graderScript = `
      const { spawnSandboxed } = require(${JSON.stringify(path.join(ROOT, "grader", "run", "sandbox.ts"))});
      const box = spawnSandboxed({ root: ${JSON.stringify(ROOT)}, memoryMb: 256, onMessage: () => require("fs").writeSync(1, "running\\n"),
        program: { code: "require('fs').writeSync(3, '{}\\\\n'); setInterval(() => {}, 1000); // ${marker}" } });
      require("fs").writeSync(1, "started " + box.pid + "\\n");`;
    const { spawn } = await import("child_process");
    const fake = spawn(process.execPath, ["-r", "tsx/cjs", "-e", graderScript], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    fake.stdout.on("data", (c: Buffer) => (out += c.toString()));
    // once the run has said it runs (bubblewrap's own start-up, which has a short window without
    // the parent-death signal, is over), the grader dies with SIGKILL
    await until(() => out.includes("running") && processesWith(marker).some((p) => cmdline(p).startsWith(process.execPath)));
    const exited = new Promise((resolve) => fake.on("exit", resolve));
    fake.kill("SIGKILL");
    await exited;
    await until(() => processesWith(marker).length === 0);
    expect(out).to.match(/^started \d+/);
  });
});
