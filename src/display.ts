/**
 * Rich outputs through the running tslab kernel.
 *
 * tslab's public `display` API sends one MIME type per call, but a chart must
 * carry several (plotly JSON for JupyterLab/VS Code, HTML for classic Notebook
 * and exported HTML, plain text for everything else) in ONE output, so that the
 * front end picks the richest it can show. tslab keeps the current cell's
 * display writer in its `jupyter` module (`lastWriteDisplayData`); we call it
 * with a full bundle.
 *
 * Outside a kernel (plain node, the grader's sandboxed child) there is no
 * writer: outputs are recorded in memory (see `recordedDisplays`) and nothing
 * is printed, so a chart never changes a cell's text output or crashes.
 */
import { randomBytes } from "crypto";
import { serializeKernelSends } from "./kernel-sends";

/** MIME type -> content, e.g. { "text/html": "<b>hi</b>", "text/plain": "hi" }. */
export type MimeBundle = Record<string, string>;

interface DisplayContent {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}

type WriteDisplayData = (content: DisplayContent, update: boolean) => void;

interface TslabJupyterModule {
  lastWriteDisplayData: WriteDisplayData | null;
}

/** An output that was shown (or, outside Jupyter, recorded). */
export interface RecordedDisplay {
  bundle: MimeBundle;
  displayId?: string;
  update: boolean;
}

const MAX_RECORDED = 200;
const recorded: RecordedDisplay[] = [];
const shownIds = new Set<string>();

/**
 * The kernel's own instance of tslab's jupyter module, if this process is a
 * tslab kernel. We only look in the module cache: requiring it ourselves would
 * load the TypeScript compiler into processes that are not kernels.
 */
function kernelModule(): TslabJupyterModule | undefined {
  for (const [file, mod] of Object.entries(require.cache)) {
    if (!mod || !/[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(file)) continue;
    const exp = mod.exports as Partial<TslabJupyterModule> | undefined;
    if (exp && "lastWriteDisplayData" in exp) return exp as TslabJupyterModule;
  }
  return undefined;
}

function writer(): WriteDisplayData | null {
  const write = kernelModule()?.lastWriteDisplayData ?? null;
  if (write) serializeKernelSends();
  return write;
}

/** True when running inside a tslab kernel that is executing a cell (rich outputs are shown). */
export function inJupyter(): boolean {
  return writer() !== null;
}

/** A fresh id for an output that you will update in place with `displayBundle(bundle, id)`. */
export function newDisplayId(): string {
  return "nnkit-" + randomBytes(8).toString("hex");
}

/**
 * Shows one output with several MIME types; the front end picks the richest
 * it can render. With a `displayId`, the first call shows the output and later
 * calls with the same id replace it in place (update_display_data).
 * Outside Jupyter the output is only recorded.
 */
export function displayBundle(bundle: MimeBundle, displayId?: string): void {
  if (Object.keys(bundle).length === 0) throw new Error("displayBundle: the bundle has no MIME types");
  const update = displayId !== undefined && shownIds.has(displayId);
  if (displayId !== undefined) shownIds.add(displayId);
  const write = writer();
  if (write) {
    const data: Record<string, unknown> = {};
    for (const [mime, content] of Object.entries(bundle)) {
      // Jupyter clients expect JSON MIME types as objects, not as strings.
      data[mime] = /[/+]json$/.test(mime) ? JSON.parse(content) : content;
    }
    write({ data, metadata: {}, transient: displayId === undefined ? {} : { display_id: displayId } }, update);
    return;
  }
  recorded.push({ bundle, displayId, update });
  if (recorded.length > MAX_RECORDED) recorded.shift();
}

/** The outputs recorded outside Jupyter (the most recent 200), oldest first. */
export function recordedDisplays(): readonly RecordedDisplay[] {
  return recorded;
}

/** Forgets the recorded outputs. */
export function clearRecordedDisplays(): void {
  recorded.length = 0;
}
