/**
 * `node --import tsx scripts/patternsExample.ts` → docs/patterns.md and docs/patterns/*.png: the
 * canonical spatial patterns (src/seis/patterns.ts) of two example CNNs under rot90, from the tool's
 * own output. Numbers and pictures are computed, not written by hand, so a rerun after a change to the
 * tool rewrites them.
 *
 * For each layer shown: the analysis of the example (as `npm run demo` runs it) dumps the scored
 * activations; scorePairWithPatterns gives the top pairs; each pair is drawn as its clean pattern w,
 * w moved by the transform (src/shared/positionMap.ts: what a layer that rotates its maps along with
 * the input would show) and the transformed pattern v, and `moved cos` = cos(v, g·w) says how close v
 * is to g·w.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { parseTransform } from '../src/analysis/transforms';
import { readNpyFile } from '../src/io/npy';
import { patternPairs, scorePairWithPatterns, type PositionGrid } from '../src/seis';
import { movedCosine, movePattern } from '../src/shared/positionMap';
import { readingOf } from '../src/shared/reading';
import type { TransformInfo } from '../src/shared/results';
import { analyseExample, fmt, loadExampleMetrics, ROOT, shortLayerName } from './demo';

const TRANSFORM = 'rot90';
const PAIRS = 4;
const LAYERS = ['/encoder/conv1/Conv_output_0', '/encoder/conv4/Conv_output_0'];
const MODELS = ['cnn-rotaug', 'cnn-plain'];
const OUT_DOC = join(ROOT, 'docs', 'patterns.md');
const OUT_DIR = join(ROOT, 'docs', 'patterns');

// ------------------------------------------------------------------ PNG drawing

/** Diverging blue–white–red (ColorBrewer RdBu ends) for t in [−1, 1]. */
function diverging(t: number): [number, number, number] {
  const blue = [33, 102, 172];
  const red = [178, 24, 43];
  const end = t < 0 ? blue : red;
  const a = Math.min(1, Math.abs(t));
  return [0, 1, 2].map((c) => Math.round(255 + (end[c] - 255) * a)) as [number, number, number];
}

/** Rows of maps (each row shares one colour scale so its maps compare), upscaled by whole pixels. */
function drawRows(rows: ArrayLike<number>[][], grid: PositionGrid): Buffer {
  const scale = Math.max(1, Math.floor(96 / Math.max(grid.height, grid.width)));
  const [cellH, cellW, gap] = [grid.height * scale, grid.width * scale, 8];
  const columns = rows[0].length;
  const png = new PNG({ width: columns * cellW + (columns + 1) * gap, height: rows.length * cellH + (rows.length + 1) * gap });
  png.data.fill(255);
  rows.forEach((maps, r) => {
    let peak = 0;
    for (const map of maps) for (let i = 0; i < map.length; i++) peak = Math.max(peak, Math.abs(map[i]));
    maps.forEach((map, c) => {
      const x0 = gap + c * (cellW + gap);
      const y0 = gap + r * (cellH + gap);
      for (let y = 0; y < cellH; y++) {
        for (let x = 0; x < cellW; x++) {
          const value = map[Math.floor(y / scale) * grid.width + Math.floor(x / scale)];
          const [red, green, blue] = diverging(peak > 0 ? value / peak : 0);
          const o = 4 * ((y0 + y) * png.width + x0 + x);
          png.data[o] = red;
          png.data[o + 1] = green;
          png.data[o + 2] = blue;
          png.data[o + 3] = 255;
        }
      }
    });
  });
  return PNG.sync.write(png);
}

// ------------------------------------------------------------------ the example

interface LayerFigure {
  readonly model: string;
  readonly layer: string;
  readonly grid: PositionGrid;
  readonly equivariance: number;
  readonly invariance: number;
  readonly nullE: number;
  readonly nullI: number;
  readonly reading: string;
  readonly pairs: { rho: number; cosine: number; moved: number; tied: boolean }[];
  readonly image: string;
}

async function figuresOf(model: string, transform: TransformInfo): Promise<LayerFigure[]> {
  const metrics = loadExampleMetrics();
  const dump = mkdtempSync(join(tmpdir(), 'seis-patterns-'));
  try {
    const result = await analyseExample(metrics, model, { transforms: [TRANSFORM], layers: LAYERS.join(','), dumpActivations: dump }, (line) => process.stderr.write(`${line}\n`));
    const files = readdirSync(dump);
    const figures: LayerFigure[] = [];
    for (const layer of LAYERS) {
      const cell = result.layers.find((l) => l.name === layer)?.scores[TRANSFORM];
      const stem = files.find((f) => f.endsWith(`_${layer.replace(/[^A-Za-z0-9._-]+/g, '_')}.clean.npy`));
      if (!cell || !stem) throw new Error(`${model}: ${layer} was not scored under ${TRANSFORM}`);
      const clean = readNpyFile(join(dump, stem));
      const moved = readNpyFile(join(dump, stem.replace('.clean.npy', `.${TRANSFORM}.npy`)));
      const { score, grid, patterns } = await scorePairWithPatterns({ data: clean.data, shape: clean.shape }, { data: moved.data, shape: moved.shape }, PAIRS);
      // The dumps are the engine's scored activations: the same scores, recomputed, must agree.
      if (Math.abs(score.equivariance - cell.equivariance) > 1e-9) throw new Error(`${model} ${layer}: S_E ${score.equivariance} vs the analysis's ${cell.equivariance}`);
      const image = `${model}-${shortLayerName(layer).replace(/^\//, '').replace(/[^A-Za-z0-9]+/g, '-')}-${TRANSFORM}.png`;
      const [, , height, width] = result.model.probeInputShape;
      const input = { height, width };
      const pairs = patternPairs(patterns, grid);
      writeFileSync(join(OUT_DIR, image), drawRows(pairs.map((p) => [p.clean, movePattern(p.clean, grid, transform, input) as Float64Array, p.transformed]), grid));
      figures.push({
        model,
        layer,
        grid,
        equivariance: cell.equivariance,
        invariance: cell.invariance,
        nullE: cell.null.equivariance,
        nullI: cell.null.invariance,
        reading: readingOf(cell),
        pairs: pairs.map((p) => ({ rho: p.rho, cosine: p.cosine, moved: movedCosine(p, transform, input) as number, tied: p.tied })),
        image,
      });
    }
    return figures;
  } finally {
    rmSync(dump, { recursive: true, force: true });
  }
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function describeFigure(f: LayerFigure): string {
  const rows = f.pairs.map((p, i) => `| ${i + 1} | ${fmt(p.rho)} | ${fmt(p.cosine)} | ${fmt(p.moved)}${p.tied ? ' (tied)' : ''} |`);
  return [
    `### ${f.model}: \`${shortLayerName(f.layer)}\` (${f.grid.height}×${f.grid.width})`,
    '',
    `S_E ${fmt(f.equivariance)} (null ${fmt(f.nullE)}), S_I ${fmt(f.invariance)} (null ${fmt(f.nullI)}): reads **${f.reading}**.`,
    '',
    `![${f.model} ${shortLayerName(f.layer)} patterns under ${TRANSFORM}](patterns/${f.image})`,
    '',
    '| pair | ρ | \\|cos(w, v)\\| | moved cos = cos(v, rot90·w) |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  mkdirSync(OUT_DIR, { recursive: true });
  const transform = parseTransform(TRANSFORM);
  const figures: LayerFigure[] = [];
  for (const model of MODELS) figures.push(...(await figuresOf(model, transform)));
  const find = (model: string, layer: string) => figures.find((f) => f.model === model && f.layer === layer) as LayerFigure;
  const deepRot = find('cnn-rotaug', LAYERS[1]);
  const deepPlain = find('cnn-plain', LAYERS[1]);
  // + 0 turns a rounded −0 into 0 so the text never says "-0.00".
  const movedMean = (f: LayerFigure) => fmt(Number(mean(f.pairs.map((p) => p.moved)).toFixed(2)) + 0, 2);
  const shallowRange = (f: LayerFigure) => `${fmt(Math.min(...f.pairs.map((p) => p.moved)), 2)}–${fmt(Math.max(...f.pairs.map((p) => p.moved)), 2)}`;
  const shallowRot = find('cnn-rotaug', LAYERS[0]);
  const shallowPlain = find('cnn-plain', LAYERS[0]);
  const doc = [
    '# Canonical spatial patterns: how a layer re-encodes space',
    '',
    '<!-- Generated by `node --import tsx scripts/patternsExample.ts`; edit the script, not this file. -->',
    '',
    'S_E says how much of the spatial information a layer keeps under a transform g; S_I says whether',
    'it stays at the same positions. The canonical patterns show *how* it is kept. Each canonical pair i',
    '(docs/method.md, step 5) has weights over the positions on both sides:',
    '',
    '- the clean pattern w_i = V S⁻¹ m_i: the positions whose activations form the i-th canonical variate',
    '  on the clean probes;',
    '- the transformed pattern v_i = V′ S′⁻¹ n_i: the positions carrying the same signal on the',
    '  transformed probes;',
    '- ρ_i, how strongly the pair correlates, and |cos(w_i, v_i)|, its factor in S_I.',
    '',
    'Drawn on the layer\'s grid, a layer that carries a rot90 of the input as a rot90 of its maps has',
    'v_i ≈ rot90(w_i); an invariant layer has v_i ≈ w_i; a layer that keeps the information in some other',
    'arrangement has a high ρ_i and a v_i that is neither.',
    '',
    '## Getting them',
    '',
    '- `seis score CLEAN.npy TRANSFORMED.npy --patterns N --json` adds `patterns` (the top N pairs) to',
    '  its JSON; the table lists ρ and |cos| per pair.',
    '- `seis analyze MODEL.onnx --patterns N` stores them in every score cell (`patterns`, see',
    '  docs/results-schema.md, also in the input floor); the default is 0 (none): they add up to 2·N·d numbers per cell.',
    '- In code: `canonicalPatterns(cleanBasis, transformedBasis, N)` or `scorePairWithPatterns(...)` from',
    '  `src/seis`.',
    '',
    'Conventions, so two runs draw the same pictures: pairs come in decreasing ρ; both maps have unit',
    'length; the sign of a pair is fixed by making the clean pattern\'s largest-magnitude entry positive,',
    'and the transformed pattern flips with it (keeping the pair\'s correlation positive), so a map that',
    'is merely moved keeps its colours. Pairs inside a block of tied ρ (|Δρ| ≤ 10⁻⁹) use the project\'s tie',
    'basis (docs/method.md, "Ties") and are flagged `tied`: any rotation within the block is equally valid.',
    'The cost over the scores is one k×n×k′ product and one small CCA per transform.',
    '',
    '## Example: rot90 on the two example CNNs',
    '',
    '`cnn-rotaug` and `cnn-plain` (examples/README.md) are the same CNN trained with and without rotation',
    'augmentation, analysed on the 64 bundled probe images under rot90 (exact). Each figure has one row per',
    'canonical pair (top four by ρ) and three maps per row, on one colour scale per row (blue negative,',
    'red positive): the clean pattern w, **w rotated by 90°** (what a layer that rotates its maps with the',
    'input would show), and the transformed pattern v. `moved cos` is cos(v, rot90·w): 1 when v is w',
    'rotated. `movePattern` and `movedCosine` in `src/shared/positionMap.ts` compute both for any stored',
    'pattern and any transform that moves whole positions on the layer\'s grid (90° turns, flips, shifts',
    'by whole cells of the layer: a 4-pixel shift is one cell of a 7×7 map of a 28×28 input).',
    '',
    `In the last conv layer the augmented model carries the rotation as a rotation of its maps: its top`,
    `pairs have a mean moved cos of ${movedMean(deepRot)}. The plain model keeps part of the information`,
    `(S_E above its null) but not as a rotation: mean moved cos ${movedMean(deepPlain)}. In the first`,
    `conv layer the two models look alike (moved cos ${shallowRange(shallowRot)} and ${shallowRange(shallowPlain)} over the top pairs).`,
    '',
    figures.map(describeFigure).join('\n'),
    '## Reading patterns with care',
    '',
    '- Patterns live on the scored grid: maps above `--max-positions` are pooled first (docs/method.md,',
    '  "Pooling"), token layers use their patch grid.',
    '- Channels are observations: a layer that answers a rotation by rotating its maps *and* permuting',
    '  channels (rotated copies of a filter) pairs the wrong rows, and its patterns show only the part',
    '  that stays in the same channel.',
    '- A high moved cos needs a high ρ to mean anything; pairs near the null correlation are noise.',
    '- Tied pairs (every pair of an exact transform of the input itself) are one basis among many.',
    '',
  ].join('\n');
  writeFileSync(OUT_DOC, doc);
  process.stderr.write(`wrote ${OUT_DOC} and ${figures.length} images in ${OUT_DIR}\n`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
