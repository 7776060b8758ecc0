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
    await import('@tensorflow/tfjs-backend-wasm');
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      return 'wasm';
    }
  } catch {
    // fall through to the CPU backend
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}
