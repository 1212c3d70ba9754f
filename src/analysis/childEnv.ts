/**
 * The environment of an analysis child process (one analysis, or a checkpoint series).
 *
 * - ELECTRON_RUN_AS_NODE: inside VS Code process.execPath is Electron; this makes it behave as Node
 *   (a no-op for Node).
 * - MALLOC_MMAP_THRESHOLD_: glibc serves allocations of at least 1 MiB with their own mappings,
 *   returned to the system when freed, instead of from heaps that only grow. The run's large arrays
 *   (activations, float64 work copies, onnxruntime's product outputs, on four threads) otherwise
 *   left the recognizer's process at 1.2 GB for a 448 MiB budget; with it, 0.9 GB, and the same wall
 *   and CPU time (classifier at 48×192, four runs each, paired: ratio 1.00). Ignored off glibc; a
 *   value the user set is kept.
 */
export function analysisChildEnv(): NodeJS.ProcessEnv {
  return { ...process.env, ELECTRON_RUN_AS_NODE: '1', MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? String(2 ** 20) };
}
