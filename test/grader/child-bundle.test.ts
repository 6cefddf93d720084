/**
 * The child bundle (grader/run/child-bundle.ts, esbuild): what its cache key covers, and what it
 * refuses to bundle. Built in a scratch kit holding a copy of grader/run/child/, without a snapshot.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import { isBuiltin } from "module";
import * as os from "os";
import * as path from "path";
import { runnerProgram } from "../../grader/run/child-bundle";
import { KIT_ROOT } from "../../grader/core/version";

describe("grader: the child bundle (esbuild)", () => {
  let root: string;
  const saved = process.env.NNKIT_GRADER_SNAPSHOT;
  before(() => (process.env.NNKIT_GRADER_SNAPSHOT = "0"));
  after(() => {
    if (saved === undefined) delete process.env.NNKIT_GRADER_SNAPSHOT;
    else process.env.NNKIT_GRADER_SNAPSHOT = saved;
  });
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "child-bundle-"));
    fs.cpSync(path.join(KIT_ROOT, "grader", "run", "child"), path.join(root, "grader", "run", "child"), { recursive: true });
    fs.symlinkSync(path.join(KIT_ROOT, "node_modules"), path.join(root, "node_modules"));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const build = (): ReturnType<typeof runnerProgram> => runnerProgram(root, 256, path.join(root, ".cache"));

  it("bundles grader/run/child/ into one script that requires only Node's built-ins, and caches it by its hash", async () => {
    const program = await build();
    const script = path.join(root, ".cache", "runner", `runner-${program.hash}.js`);
    expect(fs.readFileSync(script, "utf8")).to.equal(program.code);
    const required = [...program.code.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(required).to.include.members(["fs", "vm", "v8"]);
    expect(required.filter((id) => !isBuiltin(id))).to.deep.equal([]);
    // every module of grader/run/child/ that the runner imports is inside, none left to require
    for (const f of ["runner.ts", "builtins.ts", "encode.ts", "loader.ts"]) expect(program.code).to.include(`// grader/run/child/${f}`);
    // it compiles as a script (what `node -e` and --build-snapshot are given)
    const check = spawnSync(process.execPath, ["--check", script], { encoding: "utf8" });
    expect(check.status, check.stderr).to.equal(0);
  });

  it("gets a new hash when any file of grader/run/child/ changes or is added", async () => {
    const first = (await build()).hash;
    expect((await build()).hash).to.equal(first);
    fs.appendFileSync(path.join(root, "grader", "run", "child", "encode.ts"), "\n// changed\n");
    const second = (await build()).hash;
    expect(second).not.to.equal(first);
    fs.writeFileSync(path.join(root, "grader", "run", "child", "NOTES.md"), "not code, still covered\n");
    expect((await build()).hash).not.to.equal(second);
  });

  it("refuses a child that imports a kit file outside grader/run/child/ or a package", async () => {
    fs.mkdirSync(path.join(root, "grader", "judge"), { recursive: true });
    fs.writeFileSync(path.join(root, "grader", "judge", "secret.ts"), "export const answer = 42;\n");
    const runner = path.join(root, "grader", "run", "child", "runner.ts");
    const original = fs.readFileSync(runner, "utf8");
    fs.writeFileSync(runner, `import { answer } from "../../judge/secret";\nconsole.log(answer);\n${original}`);
    const outside = await build().then(() => null, (e: Error) => e);
    expect(outside?.message).to.match(/only grader\/run\/child\/ files.*grader\/judge\/secret\.ts/);
    fs.writeFileSync(runner, `import * as tslab from "tslab";\nconsole.log(tslab);\n${original}`);
    const pkg = await build().then(() => null, (e: Error) => e);
    expect(pkg?.message).to.match(/only Node's built-in modules.*tslab/);
  });
});
