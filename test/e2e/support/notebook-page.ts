import type { Page } from "playwright-core";

/** What a Run All left in the page, read from the classic Notebook's DOM and model. */
export interface RunReport {
  codeCells: number;
  executed: number;
  /** Cells whose output has an error or anything on stderr (tslab writes errors there). */
  errors: { index: number; text: string }[];
  /** `.nnkit-plot` outputs, and how many of them plotly has drawn (a `.main-svg` with a trace inside). */
  plots: number;
  drawn: number;
  undrawn: { index: number; text: string }[];
  /** Distinct states of the live training display (`.nnkit-progress`) seen while running. */
  progressStates: number;
  progressOutputs: number;
  seconds: number;
}

/* The functions passed to page.evaluate run in the browser, where the classic Notebook's
   global `Jupyter` lives; this is the slice of its API they use. */
interface NbOutput { output_type: string; name?: string; text?: string; ename?: string; evalue?: string }
interface NbCell {
  cell_type: string;
  input_prompt_number: number | string | null | undefined;
  output_area: { outputs: NbOutput[] };
  element: ArrayLike<HTMLElement>;
  code_mirror: { setValue(v: string): void; getValue(): string; focus(): void; setCursor(pos: { line: number; ch: number }): void; lineCount(): number };
}
interface NbGlobal {
  notebook: {
    get_cells(): NbCell[];
    insert_cell_at_bottom(type: string): NbCell;
    select(index: number): void;
    ncells(): number;
    delete_cell(index: number): void;
    save_notebook(): Promise<unknown>;
    kernel: { is_connected(): boolean } | null;
    events: { one(ev: string, cb: () => void): void };
  };
}
declare const Jupyter: NbGlobal;
interface ProgressWindow { __nnkitProgress?: Set<string> }

/** Opens a notebook in the classic Notebook UI and waits for its kernel. */
export async function openNotebook(page: Page, base: string, token: string, name: string): Promise<void> {
  await page.goto(`${base}/notebooks/${encodeURIComponent(name)}?token=${token}`, { waitUntil: "load" });
  await page.waitForFunction(
    () => typeof Jupyter !== "undefined" && !!Jupyter.notebook && !!Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected(),
    undefined,
    { timeout: 90_000, polling: 250 },
  );
  await page.waitForSelector("#kernel_indicator_icon.kernel_idle_icon", { timeout: 90_000 });
}

/** Records every distinct text of the live training display from now on. */
async function watchProgress(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as ProgressWindow;
    w.__nnkitProgress = new Set<string>();
    const seen = w.__nnkitProgress;
    const snapshot = (): void => {
      document.querySelectorAll("#notebook .nnkit-progress").forEach((el, i) => seen.add(`${i}:${el.textContent ?? ""}`));
    };
    new MutationObserver(snapshot).observe(document.getElementById("notebook")!, {
      subtree: true, childList: true, characterData: true, attributes: true,
    });
  });
}

/**
 * Kernel > Restart & Run All through the menu, as a student does, then waits until no cell
 * is queued or running. The kernel's busy/idle light is not used: tslab's status messages
 * wait behind a cell's synchronous work, so it shows "idle" during a long computation.
 * A failed cell makes the kernel abort the queued ones, which then show no number.
 */
export async function restartAndRunAll(page: Page, timeoutMs: number): Promise<number> {
  await watchProgress(page);
  const started = Date.now();
  await page.click("#kernellink");
  await page.click("#restart_run_all");
  await page.click(".modal-dialog .modal-footer button.btn-danger");
  let began = false;
  let quietSince = 0;
  for (;;) {
    const state = await page.evaluate(() => {
      const cells = Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code");
      return {
        pending: cells.filter((c) => c.input_prompt_number === "*").length,
        executed: cells.filter((c) => typeof c.input_prompt_number === "number").length,
      };
    });
    if (state.pending > 0 || state.executed > 0) began = true;
    if (began && state.pending === 0) {
      // Outputs may trail the last reply a little: finish after a quiet second.
      if (!quietSince) quietSince = Date.now();
      if (Date.now() - quietSince >= 1000) break;
    } else {
      quietSince = 0;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`Run All did not finish within ${timeoutMs / 1000} s (${state.executed} cells ran, ${state.pending} still queued)`);
    }
    await page.waitForTimeout(250);
  }
  return (Date.now() - started) / 1000;
}

/** Waits (up to `timeoutMs`) for plotly to draw every `.nnkit-plot`, then reports what the page shows. */
export async function inspectRun(page: Page, seconds: number, timeoutMs = 30_000): Promise<RunReport> {
  await page
    .waitForFunction(
      () => Array.from(document.querySelectorAll("#notebook .nnkit-plot")).every((el) => el.querySelector(".main-svg")),
      undefined,
      { timeout: timeoutMs, polling: 250 },
    )
    .catch(() => undefined); // the report below says which charts were not drawn
  const report = await page.evaluate(() => {
    const cells = Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code");
    const errors: { index: number; text: string }[] = [];
    cells.forEach((c, index) => {
      for (const o of c.output_area.outputs) {
        if (o.output_type === "error") errors.push({ index, text: `${o.ename}: ${o.evalue}` });
        if (o.output_type === "stream" && o.name === "stderr") errors.push({ index, text: o.text ?? "" });
      }
    });
    const cellIndex = (el: Element): number => cells.findIndex((c) => c.element[0].contains(el));
    const plots = Array.from(document.querySelectorAll("#notebook .nnkit-plot"));
    const undrawn: { index: number; text: string }[] = [];
    let drawn = 0;
    for (const el of plots) {
      const svg = el.querySelector(".main-svg");
      const box = el.getBoundingClientRect();
      // A drawn chart has plotly's SVG, a real size and at least one trace layer or WebGL canvas.
      const traces = el.querySelectorAll(".trace, .hm, .contour, .gl-container canvas, .layer-above image, image").length;
      if (svg && box.width > 100 && box.height > 100 && traces > 0) drawn++;
      else undrawn.push({ index: cellIndex(el), text: (el.textContent ?? "").slice(0, 200) });
    }
    const w = window as unknown as ProgressWindow;
    return {
      codeCells: cells.length,
      executed: cells.filter((c) => typeof c.input_prompt_number === "number").length,
      errors,
      plots: plots.length,
      drawn,
      undrawn,
      progressStates: w.__nnkitProgress ? w.__nnkitProgress.size : 0,
      progressOutputs: document.querySelectorAll("#notebook .nnkit-progress").length,
    };
  });
  return { ...report, seconds };
}

/**
 * Types `prefix` in a new cell at the bottom, presses Tab and returns what the completer
 * offered: the dropdown's options, or the single completion it inserted.
 */
export async function tabComplete(page: Page, prefix: string): Promise<string[]> {
  await page.evaluate((text) => {
    const cell = Jupyter.notebook.insert_cell_at_bottom("code");
    Jupyter.notebook.select(Jupyter.notebook.ncells() - 1);
    cell.code_mirror.setValue(text);
    cell.code_mirror.focus();
    cell.code_mirror.setCursor({ line: 0, ch: text.length });
    cell.element[0].scrollIntoView();
  }, prefix);
  await page.keyboard.press("Tab");
  const handle = await page.waitForFunction(
    (text) => {
      const options = Array.from(document.querySelectorAll("#complete select option")).map((o) => o.textContent ?? "");
      if (options.length) return options;
      const cells = Jupyter.notebook.get_cells();
      const value = cells[cells.length - 1].code_mirror.getValue();
      return value !== text ? [value] : false;
    },
    prefix,
    { timeout: 30_000, polling: 200 },
  );
  const offered = (await handle.jsonValue()) as string[];
  await page.keyboard.press("Escape");
  return offered;
}

/**
 * In the cell at the bottom, writes `name`, puts the cursor at its end and presses Shift-Tab;
 * returns the tooltip's text. (tslab answers for the identifier under the cursor, so after
 * an opening parenthesis it has nothing to show.)
 */
export async function shiftTabTooltip(page: Page, name: string): Promise<string> {
  await page.evaluate((text) => {
    const cells = Jupyter.notebook.get_cells();
    const cell = cells[cells.length - 1];
    cell.code_mirror.setValue(text);
    cell.code_mirror.focus();
    cell.code_mirror.setCursor({ line: 0, ch: text.length });
  }, name);
  await page.keyboard.press("Shift+Tab");
  await page.waitForSelector("#tooltip", { state: "visible", timeout: 30_000 });
  await page.waitForFunction(() => (document.querySelector("#tooltip .tooltiptext")?.textContent ?? "").trim().length > 0, undefined, {
    timeout: 30_000,
  });
  const text = await page.$eval("#tooltip .tooltiptext", (el) => el.textContent ?? "");
  await page.keyboard.press("Escape");
  return text;
}

/** Deletes the scratch cell added by `tabComplete`. */
export async function deleteLastCell(page: Page): Promise<void> {
  await page.evaluate(() => Jupyter.notebook.delete_cell(Jupyter.notebook.ncells() - 1));
}

/** Saves the notebook (with its outputs) to disk and waits for the save to finish. */
export async function saveNotebook(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await Jupyter.notebook.save_notebook();
  });
}

/**
 * A PNG of the notebook's showcase: the code of the first cell with a live training display
 * (else of the last cell with a chart) and its first such display or chart. The classic UI
 * scrolls inside #site and folds tall outputs into a scroll box, so outputs are unfolded,
 * the cell scrolled to the top and the viewport stretched for the shot (at most `maxHeight`;
 * when code and chart do not fit together, the chart alone). Returns the code cell's index,
 * or -1 when there is nothing to show (then the shot is the top of the notebook).
 */
export async function screenshotShowcase(page: Page, file: string, maxHeight: number): Promise<number> {
  const original = page.viewportSize() ?? { width: 1100, height: 900 };
  const index = await page.evaluate(() => {
    const cells = Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code");
    for (const c of cells) (c.output_area as unknown as { unscroll_area(): void }).unscroll_area();
    const has = (i: number, selector: string): boolean => !!cells[i].element[0].querySelector(selector);
    const progress = cells.findIndex((_, i) => has(i, ".nnkit-progress"));
    if (progress >= 0) return progress;
    for (let i = cells.length - 1; i >= 0; i--) if (has(i, ".nnkit-plot .main-svg")) return i;
    return -1;
  });
  if (index < 0) {
    await page.screenshot({ path: file });
    return -1;
  }
  /** The shot's region in page coordinates after scrolling `top` (the cell's, or the output's) to the top of #site. */
  const region = (fromOutput: boolean) =>
    page.evaluate(
      ({ index, fromOutput }) => {
        const cell = Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code")[index].element[0];
        const shown = cell.querySelector(".nnkit-progress") ?? cell.querySelector(".nnkit-plot")!;
        const output = shown.closest(".output_area") ?? shown;
        const site = document.getElementById("site")!;
        const start = fromOutput ? output : cell;
        site.scrollTop += start.getBoundingClientRect().top - site.getBoundingClientRect().top - 10;
        const c = cell.getBoundingClientRect();
        const top = start.getBoundingClientRect().top;
        const bottom = output.getBoundingClientRect().bottom;
        return { x: Math.max(0, c.left - 10), y: Math.max(0, top - 10), width: c.width + 20, height: bottom - top + 16 };
      },
      { index, fromOutput },
    );
  const site = await page.evaluate(() => document.getElementById("site")?.getBoundingClientRect().top ?? 0);
  let fromOutput = false;
  let clip = await region(fromOutput);
  if (clip.height > maxHeight) {
    fromOutput = true;
    clip = await region(fromOutput);
  }
  await page.setViewportSize({ width: original.width, height: Math.ceil(site + Math.min(clip.height, maxHeight) + 20) });
  clip = await region(fromOutput); // the page reflowed with the new viewport
  clip.height = Math.min(clip.height, maxHeight);
  await page.waitForTimeout(500);
  await page.screenshot({ path: file, clip });
  await page.setViewportSize(original);
  return index;
}

/** Index (among code cells) of the first code cell whose source contains `text`, or -1. */
export async function codeCellWith(page: Page, text: string): Promise<number> {
  return page.evaluate((t) => Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code").findIndex((c) => c.code_mirror.getValue().includes(t)), text);
}

/** Output areas that the classic Notebook folded into a scroll box (code cell index and its first line). */
export async function scrolledOutputs(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const cells = Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code");
    return cells
      .map((c, i) => ({ i, scrolled: !!c.element[0].querySelector(".output_scroll"), first: c.code_mirror.getValue().split("\n")[0] }))
      .filter((c) => c.scrolled)
      .map((c) => `cell ${c.i}: ${c.first}`);
  });
}

/** Scrolls the n-th chart of a code cell into view; returns its element's CSS selector for screenshots and clicks. */
export async function markCellChart(page: Page, cellIndex: number, chart = 0): Promise<string> {
  const id = await page.evaluate(
    ({ cellIndex, chart }) => {
      const cell = Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code")[cellIndex].element[0];
      const el = cell.querySelectorAll(".nnkit-plot")[chart] as HTMLElement | undefined;
      if (!el) return "";
      el.scrollIntoView({ block: "start" });
      return el.id;
    },
    { cellIndex, chart },
  );
  if (!id) throw new Error(`code cell ${cellIndex} has no chart number ${chart}`);
  return `[id="${id}"]`;
}

/**
 * Presses the ▶ play button of an animated chart and samples, on every animation frame for
 * `ms` milliseconds, how many lines of the chart have a drawn path; returns the counts.
 */
export async function playAndCountLines(page: Page, selector: string, ms: number): Promise<number[]> {
  await page.evaluate((sel) => {
    const w = window as unknown as { __nnkitLines?: number[]; __nnkitStop?: boolean };
    const el = document.querySelector(sel)!;
    const seen: number[] = [];
    w.__nnkitLines = seen;
    w.__nnkitStop = false;
    const count = (): number => Array.from(el.querySelectorAll(".scatterlayer .js-line")).filter((l) => (l.getAttribute("d") ?? "").length > 0).length;
    seen.push(count());
    const tick = (): void => {
      seen.push(count());
      if (!w.__nnkitStop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, selector);
  await page.locator(`${selector} .updatemenu-button`).first().click();
  await page.waitForTimeout(ms);
  return page.evaluate(() => {
    const w = window as unknown as { __nnkitLines?: number[]; __nnkitStop?: boolean };
    w.__nnkitStop = true;
    return (w.__nnkitLines ?? []).slice();
  });
}
