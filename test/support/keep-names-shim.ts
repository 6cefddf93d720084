/**
 * Functions given to playwright's page.evaluate reach the browser as their source text. Under
 * tsx (esbuild with keepNames) that text can call esbuild's `__name` helper, which exists only
 * in Node, and the page fails with "__name is not defined". This init script gives every page
 * a stand-in that does what the helper does: it names the function and returns it.
 */
export const KEEP_NAMES_SHIM = {
  content: "globalThis.__name = (fn, name) => { try { Object.defineProperty(fn, 'name', { value: name, configurable: true }); } catch (e) {} return fn; };",
};
