/**
 * runPublicChecks (grader/submit/public-checks.ts), which `grader submit` calls before packing:
 * it runs `grader check` of the kit it is given, in that kit's folder, and reports whether the
 * command passed. A stand-in kit whose grader/cli/main.ts records how it was started and exits
 * with the code the test chooses shows both without running any notebook.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { runPublicChecks } from "../../grader/submit/public-checks";
import { KIT_ROOT } from "../../grader/core/version";
import { tmpDir } from "./helpers";

/** A kit whose `grader` writes its folder and arguments to started.json and exits with `code`. */
function standInKit(code: number): string {
  const kit = tmpDir("public-checks");
  fs.mkdirSync(path.join(kit, "grader", "cli"), { recursive: true });
  // tsx (which runPublicChecks preloads) is resolved from the kit's own node_modules
  fs.symlinkSync(path.join(KIT_ROOT, "node_modules"), path.join(kit, "node_modules"));
  fs.writeFileSync(
    path.join(kit, "grader", "cli", "main.ts"),
    'import * as fs from "fs";\n' +
      'fs.writeFileSync("started.json", JSON.stringify({ cwd: process.cwd(), args: process.argv.slice(2) }));\n' +
      `process.exit(${code});\n`,
  );
  return kit;
}

describe("runPublicChecks: the public checks that submit runs first", function () {
  this.timeout(60_000);
  const kits: string[] = [];
  after(() => kits.forEach((k) => fs.rmSync(k, { recursive: true, force: true })));

  it("runs the kit's `grader check` in the kit's folder and passes when it exits 0", () => {
    const kit = standInKit(0);
    kits.push(kit);
    expect(runPublicChecks(kit)).to.equal(true);
    const started = JSON.parse(fs.readFileSync(path.join(kit, "started.json"), "utf8")) as { cwd: string; args: string[] };
    expect(started).to.deep.equal({ cwd: fs.realpathSync(kit), args: ["check"] });
  });

  it("fails when the checks exit with any other code (3: some checks fail)", () => {
    const kit = standInKit(3);
    kits.push(kit);
    expect(runPublicChecks(kit)).to.equal(false);
    expect(fs.existsSync(path.join(kit, "started.json")), "the checks ran").to.equal(true);
  });
});
