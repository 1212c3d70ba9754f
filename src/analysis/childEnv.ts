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
 * - GLIBC_TUNABLES glibc.malloc.hugetlb=1: those mappings are marked for transparent huge pages
 *   (where the system leaves that to madvise, the common default). The price of returning large
 *   blocks is that every fresh 4 KiB page faults when first written: on a 2-core AMD EPYC VM a fifth
 *   to a third of a run's CPU was the kernel's, 6.6 million faults for the recognizer at ~5 µs each;
 *   with 2 MiB pages, paired (2 pairs each): recognizer at 48×320 wall 0.91 (0.86–0.97), classifier
 *   0.90 (0.87–0.92), the same numbers, peaks +14 to +45 MiB. Keeping freed memory mapped instead
 *   (a larger threshold) saved more time but took the recognizer's peak over 1 GiB. Ignored off
 *   glibc (before 2.35) and where huge pages are off; tunables the user set are kept, this one added.
 */
export function analysisChildEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ELECTRON_RUN_AS_NODE: '1',
    MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? String(2 ** 20),
    GLIBC_TUNABLES: withHugePageTunable(process.env.GLIBC_TUNABLES),
  };
}

function withHugePageTunable(tunables: string | undefined): string {
  if (!tunables) return HUGE_PAGE_TUNABLE;
  return tunables.includes('glibc.malloc.hugetlb=') ? tunables : `${tunables}:${HUGE_PAGE_TUNABLE}`;
}

const HUGE_PAGE_TUNABLE = 'glibc.malloc.hugetlb=1';
