/**
 * Transaction simulator of "Reproducible Machine Learning for Credit Card Fraud
 * Detection — Practical Handbook" (Le Borgne et al., 2022): customers,
 * terminals, daily transactions and the three fraud scenarios, streamed as the
 * book's CSV (BOOK_COLUMNS).
 */
export {
  BOOK_DEFAULTS,
  GRID_SIZE,
  SCENARIO1_THRESHOLD_CENTS,
  SCENARIO2_TERMINALS_PER_DAY,
  SCENARIO2_WINDOW_DAYS,
  SCENARIO3_CUSTOMERS_PER_DAY,
  SCENARIO3_MULTIPLIER,
  SCENARIO3_WINDOW_DAYS,
  SECONDS_PER_DAY,
  deriveSeed,
  resolveOptions,
  type SimulateOptions,
} from './options.js';
export { generateProfiles, isWithin, terminalsOf, terminalsWithin, type Profiles } from './profiles.js';
export type { SimDay } from './day.js';
export { newTrace, type SimTrace } from './scenarios.js';
export { Simulation } from './generator.js';
export { CSV_HEADER, CsvEncoder, formatCents } from './csv.js';
export {
  simulate,
  simulateToString,
  type ProgressCallback,
  type SimulateProgress,
  type SimulationSummary,
} from './simulate.js';
