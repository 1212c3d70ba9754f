/**
 * Best-effort link between PyTorch-exported ONNX node names and the Python lines that define the
 * modules (`self.conv1 = nn.Conv2d(...)`). Pure: no vscode, unit-tested in plain Node.
 *
 * torch.onnx names nodes by module scope: `/layer1/layer1.0/conv1/Conv` = op `Conv` inside module
 * path `layer1 › layer1.0 › conv1`. The attribute that defines a module is the last part of its
 * last scope segment (`conv1`; `0` for a Sequential child, which no `self.x =` line names).
 * A line is decorated only when the match is unambiguous in both directions: exactly one module
 * path ends in that attribute, and exactly one `self.<attr> =` line in the file assigns it. A
 * `conv1` reused in every ResNet block therefore gets no decoration rather than a wrong one.
 */
import type { LayerResult } from '../shared/results';

export interface PythonMatch {
  /** 0-based line of the `self.<attr> =` assignment. */
  readonly line: number;
  readonly attribute: string;
  /** The module path the line was matched to, dotted (`layer1.0.conv1`). */
  readonly modulePath: string;
  /** The module's last scored layer in graph order (its output). */
  readonly layer: LayerResult;
}

/** Scope segments of a PyTorch-style node name, without the trailing op segment; undefined if not that style. */
export function moduleScope(nodeName: string): string[] | undefined {
  if (!nodeName.startsWith('/')) return undefined;
  const parts = nodeName.split('/').filter((p) => p !== '');
  if (parts.length < 2) return undefined;
  // The last segment is the op (optionally with a _N suffix), e.g. `Conv`, `Relu_1`.
  return parts.slice(0, -1);
}

function attributeOf(scope: readonly string[]): string {
  const last = scope[scope.length - 1]!;
  const dot = last.lastIndexOf('.');
  return dot >= 0 ? last.slice(dot + 1) : last;
}

/** `['layer1', 'layer1.0', 'conv1']` → `layer1.0.conv1`: some segments are already qualified, some not. */
export function qualifiedPath(scope: readonly string[]): string {
  let q = '';
  for (const seg of scope) q = q === '' || seg.startsWith(`${q}.`) ? seg : `${q}.${seg}`;
  return q;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ASSIGNMENT = /^\s*self\.([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=]+)?=(?!=)/;

/** Attribute name → module paths (dotted) that end in it, each with its last scored layer. */
export function modulesByAttribute(layers: readonly LayerResult[]): Map<string, Map<string, LayerResult>> {
  const byAttr = new Map<string, Map<string, LayerResult>>();
  for (const layer of layers) {
    if (layer.status !== 'scored') continue;
    const scope = moduleScope(layer.node || layer.name);
    if (!scope) continue;
    const attr = attributeOf(scope);
    if (!IDENT.test(attr)) continue;
    const path = scope.join('/');
    let paths = byAttr.get(attr);
    if (!paths) byAttr.set(attr, (paths = new Map()));
    // Later layers overwrite earlier ones: graph order means the last one is the module's output.
    paths.set(path, layer);
  }
  return byAttr;
}

export function matchPythonSource(text: string, layers: readonly LayerResult[]): PythonMatch[] {
  const byAttr = modulesByAttribute(layers);
  if (byAttr.size === 0) return [];
  const linesByAttr = new Map<string, number[]>();
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    const m = ASSIGNMENT.exec(line);
    if (!m) return;
    const attr = m[1]!;
    const list = linesByAttr.get(attr);
    if (list) list.push(i);
    else linesByAttr.set(attr, [i]);
  });
  const matches: PythonMatch[] = [];
  for (const [attr, lineNumbers] of linesByAttr) {
    const paths = byAttr.get(attr);
    if (!paths || paths.size !== 1 || lineNumbers.length !== 1) continue;
    const [path, layer] = [...paths][0]!;
    matches.push({ line: lineNumbers[0]!, attribute: attr, modulePath: qualifiedPath(path.split('/')), layer });
  }
  return matches.sort((a, b) => a.line - b.line);
}
