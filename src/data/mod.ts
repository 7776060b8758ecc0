/** Public API of `src/data`: the book row type, the CSV reader and the train/test protocol. */
export * from './book-row.js';
export * from './csv-reader.js';
export * from './protocol.js';
