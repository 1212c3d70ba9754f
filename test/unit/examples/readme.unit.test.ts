/**
 * README.md is the Marketplace page: every in-page anchor must name a heading and every relative
 * link or image must exist (vsce keeps relative links as they are; scripts/checkVsix.ts checks the
 * same links inside the packaged VSIX).
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { brokenLinks, githubSlug, headingAnchors, markdownLinks } from '../../../scripts/readmeLinks';
import { manifestFiles } from '../../../scripts/checkVsix';

const ROOT = join(__dirname, '..', '..', '..');
const inRepo = (rel: string): boolean => existsSync(join(ROOT, rel));

describe('README and CHANGELOG links', () => {
  for (const page of ['README.md', 'CHANGELOG.md']) {
    it(`${page}: every anchor names a heading and every relative target exists`, () => {
      const md = readFileSync(join(ROOT, page), 'utf8');
      assert.ok(markdownLinks(md).length > 0 || page === 'CHANGELOG.md', 'the README has links to check');
      assert.deepEqual(brokenLinks(md, inRepo), []);
    });
  }

  it('shows the panel near the top of the README (the first screen of the Marketplace page)', () => {
    const md = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const firstImage = markdownLinks(md).find((l) => l.image);
    assert.ok(firstImage && firstImage.line <= 15, `first image on line ${firstImage?.line}`);
  });

  it('slugs headings as GitHub does and catches what is broken', () => {
    assert.equal(githubSlug('Reading the scores — always against their null'), 'reading-the-scores--always-against-their-null');
    assert.equal(githubSlug('In VS Code'), 'in-vs-code');
    assert.equal(githubSlug('`seis analyze` options'), 'seis-analyze-options');
    const md = '# Title\n\n## Usage\n\n## Usage\n\n[ok](#usage) [twice](#usage-1) [bad](#nowhere)\n\n```sh\n[not a link](#inside-code)\n```\n\n![img](docs/none.png) [doc](LICENSE#x) [web](https://example.com/#y)\n';
    assert.deepEqual([...headingAnchors(md)], ['title', 'usage', 'usage-1']);
    assert.deepEqual(brokenLinks(md, inRepo), ['line 7: #nowhere names no heading', 'line 13: image docs/none.png does not resolve']);
  });

  it('finds the icon and every walkthrough file package.json names; they and their links exist', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const files = manifestFiles(pkg);
    assert.ok(files.includes('media/icon.png'));
    for (const f of files) assert.ok(inRepo(f), `${f} exists`);
    for (const md of files.filter((f) => f.endsWith('.md'))) {
      const dir = dirname(md);
      assert.deepEqual(brokenLinks(readFileSync(join(ROOT, md), 'utf8'), (rel) => inRepo(join(dir, rel))), [], `${md}: its links resolve`);
    }
  });
});
