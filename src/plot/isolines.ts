/**
 * Contour lines of a sampled function (marching squares), as polylines that a plotly scatter
 * trace can draw. The optimizer race draws its surface this way: plotly's animation drops
 * contour and heatmap traces while it plays, but leaves scatter traces alone.
 */
import type { GridData } from "./grid";

/** The contour line of one level: x and y of its points, with null between separate pieces. */
export interface IsoLine {
  level: number;
  x: (number | null)[];
  y: (number | null)[];
}

/** `count` levels evenly spaced strictly between the smallest and largest finite z. */
export function contourLevels(g: GridData, count: number): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of g.z) for (const v of row) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!(hi > lo)) return [];
  return Array.from({ length: count }, (_, k) => lo + ((k + 1) * (hi - lo)) / (count + 1));
}

/** Ramer-Douglas-Peucker: drops the points of a polyline that lie within `tol` of the simplified line. */
export function simplifyLine(pts: [number, number][], tol: number): [number, number][] {
  if (pts.length < 3 || !(tol > 0)) return pts;
  const keep = new Uint8Array(pts.length);
  keep[0] = keep[pts.length - 1] = 1;
  const stack: [number, number][] = [[0, pts.length - 1]];
  while (stack.length) {
    const [a, b] = stack.pop()!;
    const [ax, ay] = pts[a];
    const [bx, by] = pts[b];
    const len = Math.hypot(bx - ax, by - ay);
    let worst = -1;
    let at = -1;
    for (let i = a + 1; i < b; i++) {
      const [px, py] = pts[i];
      const d = len > 0 ? Math.abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / len : Math.hypot(px - ax, py - ay);
      if (d > worst) { worst = d; at = i; }
    }
    if (worst > tol) {
      keep[at] = 1;
      stack.push([a, at], [at, b]);
    }
  }
  return pts.filter((_, i) => keep[i]);
}

/**
 * The lines where the sampled function equals each level. Pieces are joined across cells, so a
 * closed line comes back as one closed polyline (its first point repeated at its end). A cell
 * whose four corners alternate around the level is split by the value at its centre.
 * With a `tolerance` (in the units of x and y, after scaling both to the same span) each line
 * is simplified, dropping points that change it by less than that: a saved chart stays small.
 */
export function isoLines(g: GridData, levels: number[], tolerance = 0): IsoLine[] {
  const nx = g.x.length;
  const ny = g.y.length;
  const [x0, y0] = [g.x[0], g.y[0]];
  const sx = g.x[nx - 1] - x0 || 1;
  const sy = g.y[ny - 1] - y0 || 1;
  return levels.map((level) => {
    // Edge ids: horizontal edge from (i, j) to (i+1, j) is j*nx + i; vertical edge from (i, j) to (i, j+1) is H + j*nx + i.
    const H = ny * nx;
    const above = (i: number, j: number): boolean => g.z[j][i] > level;
    const cross = (a: number, b: number): number => {
      const t = (level - a) / (b - a);
      return Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0.5;
    };
    const point = (edge: number): [number, number] => {
      if (edge < H) {
        const j = Math.floor(edge / nx), i = edge % nx;
        return [g.x[i] + cross(g.z[j][i], g.z[j][i + 1]) * (g.x[i + 1] - g.x[i]), g.y[j]];
      }
      const e = edge - H;
      const j = Math.floor(e / nx), i = e % nx;
      return [g.x[i], g.y[j] + cross(g.z[j][i], g.z[j + 1][i]) * (g.y[j + 1] - g.y[j])];
    };
    const links = new Map<number, number[]>();
    const link = (a: number, b: number): void => {
      links.set(a, [...(links.get(a) ?? []), b]);
      links.set(b, [...(links.get(b) ?? []), a]);
    };
    for (let j = 0; j + 1 < ny; j++) {
      for (let i = 0; i + 1 < nx; i++) {
        const corners = [g.z[j][i], g.z[j][i + 1], g.z[j + 1][i + 1], g.z[j + 1][i]];
        if (!corners.every(Number.isFinite)) continue;
        const a = [above(i, j), above(i + 1, j), above(i + 1, j + 1), above(i, j + 1)];
        // Edges in order: bottom, right, top, left.
        const edges = [j * nx + i, H + j * nx + i + 1, (j + 1) * nx + i, H + j * nx + i];
        const crossed = [0, 1, 2, 3].filter((k) => a[k] !== a[(k + 1) % 4]);
        if (crossed.length === 2) link(edges[crossed[0]], edges[crossed[1]]);
        else if (crossed.length === 4) {
          const centre = (corners[0] + corners[1] + corners[2] + corners[3]) / 4 > level;
          if (centre === a[0]) { link(edges[0], edges[1]); link(edges[2], edges[3]); }
          else { link(edges[0], edges[3]); link(edges[1], edges[2]); }
        }
      }
    }
    const x: (number | null)[] = [];
    const y: (number | null)[] = [];
    const used = new Set<string>();
    const key = (a: number, b: number): string => (a < b ? `${a},${b}` : `${b},${a}`);
    const walk = (start: number): void => {
      const chain = [start];
      let prev = -1;
      let cur = start;
      for (;;) {
        const next = (links.get(cur) ?? []).find((n) => n !== prev && !used.has(key(cur, n)));
        if (next === undefined) break;
        used.add(key(cur, next));
        chain.push(next);
        prev = cur;
        cur = next;
      }
      if (chain.length < 2) return;
      if (x.length) { x.push(null); y.push(null); }
      // Simplify in coordinates scaled so that both axes span 1, then scale back.
      const scaled = chain.map((e): [number, number] => {
        const [px, py] = point(e);
        return [(px - x0) / sx, (py - y0) / sy];
      });
      for (const [px, py] of simplifyLine(scaled, tolerance)) { x.push(x0 + px * sx); y.push(y0 + py * sy); }
    };
    // Open lines first, from their ends (edges with one link), then the closed loops.
    for (const [e, ns] of links) if (ns.length === 1) walk(e);
    for (const e of links.keys()) walk(e);
    return { level, x, y };
  });
}
