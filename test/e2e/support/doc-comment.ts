import * as fs from "fs";
import * as ts from "typescript";

/** The doc comment (without tags) of the exported function `name` declared in `file`. */
export function docComment(file: string, name: string): string {
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  let found: string | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionDeclaration(node) && node.name?.text === name) {
      const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
      found = docs.map((d) => ts.getTextOfJSDocComment(d.comment) ?? "").join("\n").trim();
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (!found) throw new Error(`${file} declares no documented function ${name}`);
  return found;
}
