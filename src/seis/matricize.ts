/**
 * Matricization (docs/method.md, step 1): activation tensor → observations × variables.
 *
 *   spatial (SEIS):   (b,c,h,w) → rows (sample, channel), n = b·c; columns positions, d = h·w
 *   tokens:           (b,t,dim) → rows (sample, dim),     n = b·dim; columns tokens, d = t
 *                     (a leading class token, t = 1 + g², is dropped so the columns are the patch grid)
 *   channel (diag.):  (b,c,h,w) → rows (sample, position), n = b·h·w; columns channels, d = c
 *
 * Row i of the clean matrix and row i of the transformed matrix come from the same image and
 * channel, which is what makes the pairing (and its permutation null) meaningful.
 */
import { SeisInputError, type ActivationLayout, type ActivationTensor, type ObservationMatrix, type Orientation } from './types';

export interface MatricizedActivations extends ObservationMatrix {
  readonly layout: ActivationLayout;
  readonly droppedClassToken: boolean;
  readonly warnings: string[];
}

export function resolveLayout(tensor: ActivationTensor): ActivationLayout {
  if (tensor.layout) return tensor.layout;
  if (tensor.shape.length === 4) return 'NCHW';
  if (tensor.shape.length === 3) return 'tokens';
  throw new SeisInputError(
    `A tensor of shape (${tensor.shape.join(', ')}) has no spatial or token axis: SEIS needs (b, c, h, w) or (b, tokens, dim). ` +
      'Layers like (b, c) after global pooling have no equivariance or invariance score.',
  );
}

/** Like MatricizedActivations, but the data may be the tensor's own array (float32 or float64, not copied). */
export interface MatricizedView extends Omit<MatricizedActivations, 'data'> {
  readonly data: Float32Array | Float64Array;
}

export function matricize(tensor: ActivationTensor, orientation: Orientation = 'spatial'): MatricizedActivations {
  const view = matricizeView(tensor, orientation);
  return view.data === tensor.data ? { ...view, data: new Float64Array(view.data) } : (view as MatricizedActivations);
}

/**
 * The observations × variables matrix without copying where the tensor's memory already is that matrix
 * (NCHW spatial, NHWC channel): then `data` is the tensor's own array, in its own precision. Otherwise
 * a float64 rearranged copy, as matricize.
 */
export function matricizeView(tensor: ActivationTensor, orientation: Orientation = 'spatial'): MatricizedView {
  const { shape, data } = tensor;
  const layout = resolveLayout(tensor);
  const expectedRank = layout === 'tokens' ? 3 : 4;
  if (shape.length !== expectedRank) {
    throw new SeisInputError(`Layout ${layout} needs a rank-${expectedRank} tensor, got shape (${shape.join(', ')}).`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((dim) => Number.isInteger(dim) && dim > 0)) {
    throw new SeisInputError(`Shape (${shape.join(', ')}) has an empty or invalid dimension.`);
  }
  if (data.length !== size) {
    throw new SeisInputError(`Shape (${shape.join(', ')}) needs ${size} values but the tensor holds ${data.length}.`);
  }
  const warnings: string[] = [];

  if (layout === 'tokens') {
    const [b, tokens, dim] = shape;
    const grid = Math.round(Math.sqrt(tokens - 1));
    const dropClassToken = tokens > 1 && grid >= 1 && grid * grid === tokens - 1;
    const first = dropClassToken ? 1 : 0;
    const kept = tokens - first;
    if (dropClassToken) warnings.push(`Dropped the leading class token: ${tokens} tokens = 1 + ${grid}², scored the ${grid}×${grid} patch grid.`);
    if (orientation === 'channel') {
      // Transposed diagnostic: observations (sample, token), variables = embedding dims.
      const out = new Float64Array(b * kept * dim);
      for (let s = 0; s < b; s++) {
        for (let t = 0; t < kept; t++) {
          const src = (s * tokens + t + first) * dim;
          const dst = (s * kept + t) * dim;
          for (let j = 0; j < dim; j++) out[dst + j] = data[src + j];
        }
      }
      return { data: out, n: b * kept, d: dim, layout, droppedClassToken: dropClassToken, warnings };
    }
    const out = new Float64Array(b * dim * kept);
    for (let s = 0; s < b; s++) {
      for (let t = 0; t < kept; t++) {
        const src = (s * tokens + t + first) * dim;
        for (let j = 0; j < dim; j++) out[(s * dim + j) * kept + t] = data[src + j];
      }
    }
    return { data: out, n: b * dim, d: kept, layout, droppedClassToken: dropClassToken, warnings };
  }

  const [b, c, h, w] = layout === 'NCHW' ? shape : [shape[0], shape[3], shape[1], shape[2]];
  const positions = h * w;
  if (orientation === 'spatial') {
    if (layout === 'NCHW') return { data, n: b * c, d: positions, layout, droppedClassToken: false, warnings };
    const out = new Float64Array(b * c * positions);
    for (let s = 0; s < b; s++) {
      for (let pos = 0; pos < positions; pos++) {
        const src = (s * positions + pos) * c;
        for (let ch = 0; ch < c; ch++) out[(s * c + ch) * positions + pos] = data[src + ch];
      }
    }
    return { data: out, n: b * c, d: positions, layout, droppedClassToken: false, warnings };
  }
  if (layout === 'NHWC') return { data, n: b * positions, d: c, layout, droppedClassToken: false, warnings };
  const out = new Float64Array(b * positions * c);
  for (let s = 0; s < b; s++) {
    for (let ch = 0; ch < c; ch++) {
      const src = (s * c + ch) * positions;
      for (let pos = 0; pos < positions; pos++) out[(s * positions + pos) * c + ch] = data[src + pos];
    }
  }
  return { data: out, n: b * positions, d: c, layout, droppedClassToken: false, warnings };
}
