/** The kit's version (package.json), recorded in manifests and in every gradebook run. */
import * as fs from "fs";
import * as path from "path";

/** The kit's root folder (the one holding package.json, grader/ and src/). */
export const KIT_ROOT = path.resolve(__dirname, "../..");

/** The version in the kit's package.json ("0.0.0" when it cannot be read). */
export function kitVersion(root = KIT_ROOT): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}
