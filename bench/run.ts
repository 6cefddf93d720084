// `npm run bench -- <name> [args...]` runs bench/<name>.ts. A bench module
// either exports `main(args)` or does its work when loaded.
import * as fs from "fs";
import * as path from "path";

async function run(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const available = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith(".ts") && f !== "run.ts")
    .map((f) => f.slice(0, -3));
  if (name === undefined || !available.includes(name)) {
    const what = name === undefined ? "no benchmark named" : `unknown benchmark "${name}"`;
    throw new Error(`${what}: use npm run bench -- <name>, with <name> one of ${available.join(", ")}`);
  }
  const mod = require(path.join(__dirname, `${name}.ts`)) as { main?: (args: string[]) => Promise<void> | void };
  if (typeof mod.main === "function") await mod.main(args);
}

run().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
