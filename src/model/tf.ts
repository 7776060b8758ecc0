/**
 * TensorFlow.js backend selection. The native `@tensorflow/tfjs-node` backend
 * is an optional dependency (it downloads libtensorflow at install time, which
 * is not possible everywhere); without it veto runs the same model files on the
 * WebAssembly backend, and on the pure-JS CPU backend as a last resort.
 */
import * as tf from '@tensorflow/tfjs';

export type TfBackend = 'tensorflow' | 'wasm' | 'cpu';

export { tf };

let active: Promise<TfBackend> | undefined;

/** Initialises TF.js once per process and returns the active backend. */
export function initTensorflow(): Promise<TfBackend> {
  active ??= selectBackend();
  return active;
}

async function selectBackend(): Promise<TfBackend> {
  const native = '@tensorflow/tfjs-node';
  try {
    await import(native);
    if (await tf.setBackend('tensorflow')) return 'tensorflow';
  } catch {
    // optional dependency not installed or libtensorflow missing: fall through
  }
  try {
    const before = {
      uncaughtException: new Set(process.listeners('uncaughtException')),
      unhandledRejection: new Set(process.listeners('unhandledRejection')),
    };
    await import('@tensorflow/tfjs-backend-wasm');
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      // The Emscripten runtime of the wasm backend installs process handlers that rethrow
      // every uncaught exception and unhandled rejection, i.e. crash the process. The
      // engine decides what a stray error does (it logs it); remove them.
      for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
        const emitter = process as NodeJS.EventEmitter;
        for (const listener of emitter.listeners(event)) {
          if (!before[event].has(listener as never)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
        }
      }
      return 'wasm';
    }
  } catch {
    // fall through to the CPU backend
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}
