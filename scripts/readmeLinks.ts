/**
 * Links of a Markdown page that can break on the Marketplace: in-page anchors (must name a heading,
 * slugged the way GitHub and the Marketplace do) and relative targets (must exist where the page is
 * served from: the repository, and the VSIX since vsce runs with --no-rewrite-relative-links).
 * Used by test/unit/examples/readme.unit.test.ts and scripts/checkVsix.ts.
 */

export interface MarkdownLink {
  readonly target: string;
  readonly line: number;
  readonly image: boolean;
}

/** Lines outside fenced code blocks, with their 1-based numbers: code may contain `[x](y)` that is not a link. */
function proseLines(markdown: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((text, i) => {
    const m = /^\s*(```+|~~~+)/.exec(text);
    if (m) {
      const marker = m[1]!;
      if (!fence) fence = marker[0]!.repeat(marker.length);
      else if (marker.startsWith(fence)) fence = undefined;
      return;
    }
    if (!fence) out.push({ text: text.replace(/`[^`]*`/g, ''), line: i + 1 });
  });
  return out;
}

/** GitHub's heading anchor: lower case, punctuation dropped (letters, digits, `-`, `_` and spaces kept), spaces to `-`. */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[*`]/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** Every heading's anchor, with `-1`, `-2` … for repeats as GitHub numbers them. */
export function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const { text } of proseLines(markdown)) {
    const m = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(text);
    if (!m) continue;
    const base = githubSlug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Inline links and images `[text](target "title")`, `<img src="…">` and reference definitions `[x]: target`. */
export function markdownLinks(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const { text, line } of proseLines(markdown)) {
    for (const m of text.matchAll(/(!?)\[(?:[^\]]|\\\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ target: m[2]!, line, image: m[1] === '!' });
    for (const m of text.matchAll(/<img\s[^>]*src="([^"]+)"/g)) links.push({ target: m[1]!, line, image: true });
    const ref = /^\s{0,3}\[[^\]]+\]:\s+(\S+)/.exec(text);
    if (ref) links.push({ target: ref[1]!, line, image: false });
  }
  return links;
}

function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target);
}

/**
 * What is broken: anchors that name no heading and relative targets `exists` does not know
 * (paths relative to the page's folder, without `#…`). Empty when every link resolves.
 */
export function brokenLinks(markdown: string, exists: (relativePath: string) => boolean): string[] {
  const anchors = headingAnchors(markdown);
  const problems: string[] = [];
  for (const link of markdownLinks(markdown)) {
    if (isExternal(link.target)) continue;
    const [path, anchor] = link.target.split('#', 2) as [string, string | undefined];
    if (!path) {
      if (anchor === undefined || !anchors.has(decodeURIComponent(anchor))) problems.push(`line ${link.line}: #${anchor ?? ''} names no heading`);
      continue;
    }
    const clean = decodeURIComponent(path).replace(/^\.\//, '');
    if (!exists(clean)) problems.push(`line ${link.line}: ${link.image ? 'image' : 'link'} ${clean} does not resolve`);
  }
  return problems;
}
