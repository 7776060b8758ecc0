/**
 * Customer and terminal profiles of the book's simulator, and the set of
 * terminals each customer uses (all terminals strictly within distance r).
 */
import { Rng } from '../domain/random.js';
import { GRID_SIZE, deriveSeed, type SimulateOptions } from './options.js';

export interface Profiles {
  readonly customers: number;
  readonly terminals: number;
  readonly radius: number;
  readonly customerX: Float64Array;
  readonly customerY: Float64Array;
  /** mean_amount ~ U(5, 100) */
  readonly meanAmount: Float64Array;
  /** std_amount = mean_amount / 2 */
  readonly stdAmount: Float64Array;
  /** mean_nb_tx_per_day ~ U(0, 4) */
  readonly meanTxPerDay: Float64Array;
  readonly terminalX: Float64Array;
  readonly terminalY: Float64Array;
  /**
   * Available terminals in CSR form: those of customer c are
   * `availableTerminals[availableStart[c] .. availableStart[c + 1])`, ascending.
   */
  readonly availableStart: Int32Array;
  readonly availableTerminals: Int32Array;
}

/** Draws the profiles from the `customers` and `terminals` streams of the seed. */
export function generateProfiles(options: SimulateOptions): Profiles {
  const { customers, terminals, radius, seed } = options;
  const crng = new Rng(deriveSeed(seed, 'customers'));
  const customerX = new Float64Array(customers);
  const customerY = new Float64Array(customers);
  const meanAmount = new Float64Array(customers);
  const stdAmount = new Float64Array(customers);
  const meanTxPerDay = new Float64Array(customers);
  // Same draw order as the book: x, y, mean_amount, (std derived), mean_nb_tx_per_day.
  for (let c = 0; c < customers; c++) {
    customerX[c] = crng.uniform(0, GRID_SIZE);
    customerY[c] = crng.uniform(0, GRID_SIZE);
    const mean = crng.uniform(5, 100);
    meanAmount[c] = mean;
    stdAmount[c] = mean / 2;
    meanTxPerDay[c] = crng.uniform(0, 4);
  }
  const trng = new Rng(deriveSeed(seed, 'terminals'));
  const terminalX = new Float64Array(terminals);
  const terminalY = new Float64Array(terminals);
  for (let t = 0; t < terminals; t++) {
    terminalX[t] = trng.uniform(0, GRID_SIZE);
    terminalY[t] = trng.uniform(0, GRID_SIZE);
  }
  const { start, list } = terminalsWithin(customerX, customerY, terminalX, terminalY, radius);
  return {
    customers,
    terminals,
    radius,
    customerX,
    customerY,
    meanAmount,
    stdAmount,
    meanTxPerDay,
    terminalX,
    terminalY,
    availableStart: start,
    availableTerminals: list,
  };
}

/** The terminals customer c uses, ascending (a view, do not modify). */
export function terminalsOf(p: Profiles, c: number): Int32Array {
  return p.availableTerminals.subarray(p.availableStart[c], p.availableStart[c + 1]);
}

/** The book's test: Euclidean distance strictly below r. */
export function isWithin(dx: number, dy: number, radius: number): boolean {
  return Math.sqrt(dx * dx + dy * dy) < radius;
}

/**
 * For every point (px, py), the ascending indices of the points (qx, qy)
 * strictly within `radius`, in CSR form. A uniform grid of cells at least
 * `radius` wide limits each search to the 3×3 surrounding cells.
 */
export function terminalsWithin(
  px: Float64Array,
  py: Float64Array,
  qx: Float64Array,
  qy: Float64Array,
  radius: number,
): { start: Int32Array; list: Int32Array } {
  const nq = qx.length;
  const side = Math.max(1, Math.min(Math.floor(GRID_SIZE / radius), Math.ceil(Math.sqrt(nq)) + 1, 2048));
  const cellSize = GRID_SIZE / side; // >= radius, so neighbours are in adjacent cells
  const cellOf = (v: number): number => Math.min(side - 1, Math.max(0, Math.floor(v / cellSize)));

  // Counting sort of the q points by cell (ascending index within a cell).
  const cellStart = new Int32Array(side * side + 1);
  const qCell = new Int32Array(nq);
  for (let j = 0; j < nq; j++) {
    const cell = cellOf(qy[j]!) * side + cellOf(qx[j]!);
    qCell[j] = cell;
    cellStart[cell + 1]!++;
  }
  for (let k = 0; k < side * side; k++) cellStart[k + 1]! += cellStart[k]!;
  const fill = cellStart.slice(0, side * side);
  const cellItems = new Int32Array(nq);
  for (let j = 0; j < nq; j++) cellItems[fill[qCell[j]!]!++] = j;

  const np = px.length;
  const start = new Int32Array(np + 1);
  let list = new Int32Array(Math.max(16, np * 8));
  let size = 0;
  for (let i = 0; i < np; i++) {
    const x = px[i]!;
    const y = py[i]!;
    const cx = cellOf(x);
    const cy = cellOf(y);
    const first = size;
    for (let gy = Math.max(0, cy - 1); gy <= Math.min(side - 1, cy + 1); gy++) {
      for (let gx = Math.max(0, cx - 1); gx <= Math.min(side - 1, cx + 1); gx++) {
        const cell = gy * side + gx;
        for (let k = cellStart[cell]!; k < cellStart[cell + 1]!; k++) {
          const j = cellItems[k]!;
          if (!isWithin(qx[j]! - x, qy[j]! - y, radius)) continue;
          if (size === list.length) {
            const grown = new Int32Array(list.length * 2);
            grown.set(list);
            list = grown;
          }
          list[size++] = j;
        }
      }
    }
    list.subarray(first, size).sort();
    start[i + 1] = size;
  }
  return { start, list: list.slice(0, size) };
}
