/**
 * TypeScript source -> normalised tokens, with the TypeScript compiler's own scanner, so that
 * whitespace, comments, renamed identifiers and changed literals do not change the stream:
 * every identifier becomes `ID` (except a property name after `.`, which names an API such as
 * `Math.exp` or `xs.map` and is rarely renamed), every number `NUM`, every string or template
 * piece `STR`, every regular expression `RE`; keywords and punctuation stay as they are.
 */
import ts from "typescript";

export interface Token {
  /** The normalised text, e.g. "ID", "NUM", "const", "=>". */
  norm: string;
  /** Offsets of the original token in the source (for highlighting). */
  start: number;
  end: number;
  /** A line break comes before it. */
  newline: boolean;
  /** A semicolon came right after it (semicolons themselves are dropped: they are optional). */
  semi: boolean;
}

/** Tokens that begin a statement when they start a line (a unit boundary without semicolons). */
const STATEMENT_START = new Set(["const", "let", "var", "function", "class", "return", "for", "if", "while", "do", "switch",
  "throw", "try", "interface", "type", "export", "async"]);

/** Tokens after which a `/` divides (anything else starts a regular expression). */
const ENDS_EXPRESSION = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.Identifier, ts.SyntaxKind.NumericLiteral, ts.SyntaxKind.BigIntLiteral, ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.CloseParenToken, ts.SyntaxKind.CloseBracketToken, ts.SyntaxKind.CloseBraceToken,
  ts.SyntaxKind.ThisKeyword, ts.SyntaxKind.SuperKeyword, ts.SyntaxKind.TrueKeyword, ts.SyntaxKind.FalseKeyword,
  ts.SyntaxKind.NullKeyword, ts.SyntaxKind.PlusPlusToken, ts.SyntaxKind.MinusMinusToken,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral, ts.SyntaxKind.TemplateTail, ts.SyntaxKind.RegularExpressionLiteral,
]);

/**
 * Contextual keywords kept as keywords; the others (`out`, `type`, `number`, `get`, `from`, ...)
 * can name a student's variable or stand for a type that could be renamed: they become `ID`.
 */
const KEPT_CONTEXTUAL = new Set(["of", "as", "async", "await", "readonly", "keyof", "satisfies", "is"]);

function isReserved(kind: ts.SyntaxKind): boolean {
  return (kind >= ts.SyntaxKind.FirstReservedWord && kind <= ts.SyntaxKind.LastReservedWord) ||
    (kind >= ts.SyntaxKind.FirstFutureReservedWord && kind <= ts.SyntaxKind.LastFutureReservedWord);
}

function normalise(kind: ts.SyntaxKind, text: string, afterDot: boolean): string {
  if (kind >= ts.SyntaxKind.FirstKeyword && kind <= ts.SyntaxKind.LastKeyword && !isReserved(kind) && !KEPT_CONTEXTUAL.has(text)) {
    return afterDot ? `.${text}` : "ID";
  }
  if (afterDot && kind >= ts.SyntaxKind.FirstKeyword && kind <= ts.SyntaxKind.LastKeyword) return `.${text}`;
  switch (kind) {
    case ts.SyntaxKind.Identifier:
    case ts.SyntaxKind.PrivateIdentifier:
      return afterDot ? `.${text}` : "ID";
    case ts.SyntaxKind.NumericLiteral:
    case ts.SyntaxKind.BigIntLiteral:
      return "NUM";
    case ts.SyntaxKind.StringLiteral:
    case ts.SyntaxKind.NoSubstitutionTemplateLiteral:
    case ts.SyntaxKind.TemplateHead:
    case ts.SyntaxKind.TemplateMiddle:
    case ts.SyntaxKind.TemplateTail:
      return "STR";
    case ts.SyntaxKind.RegularExpressionLiteral:
      return "RE";
    default:
      // keywords are identifiers to a type checker but a fixed part of the language here
      return ts.tokenToString(kind) ?? ts.SyntaxKind[kind];
  }
}

/** The normalised tokens of `source` (TypeScript; bad syntax is tokenised as far as it goes). */
export function tokenize(source: string): Token[] {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, /* skipTrivia */ true, ts.LanguageVariant.Standard, source);
  const out: Token[] = [];
  // brace depth inside each open template `${ ... }`, innermost last
  const templates: number[] = [];
  let prev: ts.SyntaxKind | undefined;
  let afterDot = false;
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if ((kind === ts.SyntaxKind.SlashToken || kind === ts.SyntaxKind.SlashEqualsToken) && (prev === undefined || !ENDS_EXPRESSION.has(prev))) {
      kind = scanner.reScanSlashToken();
    } else if (kind === ts.SyntaxKind.CloseBraceToken && templates.length > 0 && templates[templates.length - 1] === 0) {
      kind = scanner.reScanTemplateToken(false);
      if (kind === ts.SyntaxKind.TemplateTail) templates.pop();
    } else if (kind === ts.SyntaxKind.OpenBraceToken && templates.length > 0) {
      templates[templates.length - 1]++;
    } else if (kind === ts.SyntaxKind.CloseBraceToken && templates.length > 0) {
      templates[templates.length - 1]--;
    }
    if (kind === ts.SyntaxKind.TemplateHead) templates.push(0);
    if (kind === ts.SyntaxKind.Unknown && /^\s*$/.test(scanner.getTokenText())) continue;
    if (kind === ts.SyntaxKind.SemicolonToken) {
      if (out.length > 0) out[out.length - 1].semi = true;
      prev = kind;
      afterDot = false;
      continue;
    }
    out.push({
      norm: normalise(kind, scanner.getTokenText(), afterDot), start: scanner.getTokenStart(), end: scanner.getTokenEnd(),
      newline: scanner.hasPrecedingLineBreak(), semi: false,
    });
    // `(x) => ...` and `x => ...` are the same arrow function: drop the optional parentheses
    const n = out.length;
    if (out[n - 1].norm === "=>" && n >= 4 && out[n - 2].norm === ")" && out[n - 3].norm === "ID" && out[n - 4].norm === "(") {
      out.splice(n - 2, 1);
      out.splice(n - 4, 1);
    }
    afterDot = kind === ts.SyntaxKind.DotToken || kind === ts.SyntaxKind.QuestionDotToken;
    prev = kind;
  }
  return out;
}

/**
 * Splits a token stream into top-level units (statements and declarations at brace depth 0),
 * so that fingerprints never span two functions and reordering them changes nothing. A unit
 * shorter than `minLength` tokens is joined to the next one (a k-gram needs k tokens).
 */
export function splitUnits(tokens: Token[], minLength: number): Token[][] {
  const units: Token[][] = [];
  let current: Token[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (depth === 0 && t.newline && STATEMENT_START.has(t.norm) && current.length >= minLength) {
      units.push(current);
      current = [];
    }
    current.push(t);
    if (t.norm === "{" || t.norm === "(" || t.norm === "[") depth++;
    else if (t.norm === "}" || t.norm === ")" || t.norm === "]") depth = Math.max(0, depth - 1);
    if (depth === 0 && (t.semi || t.norm === "}") && current.length >= minLength) {
      units.push(current);
      current = [];
    }
  }
  if (current.length > 0) {
    if (current.length < minLength && units.length > 0) units[units.length - 1].push(...current);
    else units.push(current);
  }
  return units;
}
