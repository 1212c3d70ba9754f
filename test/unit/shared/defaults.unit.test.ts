/**
 * package.json's settings and the CLI must agree with src/shared/defaults.ts: the defaults have one home.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ANALYSIS_OPTIONS, ANALYSIS_VALUES, DEFAULT_TRANSFORMS, optionName } from '../../../src/shared/defaults';

interface SettingSchema {
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
}

const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, SettingSchema> } } };
const settings = pkg.contributes.configuration.properties;
const table: Record<string, { default?: unknown; extensionDefault?: number; setting?: string; min?: number; max?: number }> = { ...ANALYSIS_OPTIONS, ...ANALYSIS_VALUES };

describe('analysis defaults (src/shared/defaults.ts)', () => {
  const withSetting = Object.entries(table).filter(([, o]) => o.setting);

  it('every setting the table names exists in package.json', () => {
    assert.ok(withSetting.length >= 8, 'the table should name the VS Code settings it maps');
    for (const [key, o] of withSetting) assert.ok(settings[o.setting as string], `${key}: ${o.setting} is not contributed by package.json`);
  });

  it("package.json's contributed defaults equal the table's", () => {
    for (const [key, o] of withSetting) {
      const s = settings[o.setting as string];
      // One setting serves two options (the built-in probe count and the image cap); it carries the probe count.
      if (key === 'maxImages') continue;
      // An empty transform list in the settings means "the engine's default set".
      if (key === 'transforms') {
        assert.deepEqual(s.default, [], 'seis.transforms should default to [] (= the engine default set)');
        continue;
      }
      // Empty paths mean "not given".
      const expected = o.extensionDefault ?? o.default;
      assert.deepEqual(s.default, expected, `${o.setting}: package.json says ${JSON.stringify(s.default)}, defaults.ts says ${JSON.stringify(expected)}`);
    }
  });

  it('a value the settings UI accepts is one the engine accepts', () => {
    for (const [key, o] of withSetting) {
      const s = settings[o.setting as string];
      if (o.min === undefined || o.max === undefined) continue;
      assert.ok(s.minimum !== undefined && s.minimum >= o.min, `${o.setting}: minimum ${s.minimum} below the engine's ${o.min} (${key})`);
      assert.ok(s.maximum !== undefined && s.maximum <= o.max, `${o.setting}: maximum ${s.maximum} above the engine's ${o.max} (${key})`);
    }
  });

  it('every default lies inside its own range', () => {
    for (const [key, o] of Object.entries(ANALYSIS_OPTIONS) as [string, { default?: number; min: number; max: number }][]) {
      if (o.default === undefined) continue;
      assert.ok(o.default >= o.min && o.default <= o.max, `${key}: default ${o.default} outside ${o.min}..${o.max}`);
    }
    assert.ok(DEFAULT_TRANSFORMS.length > 0);
  });

  it('names an option as the caller knows it', () => {
    assert.equal(optionName('probeCount', 'cli'), '--probes');
    assert.equal(optionName('probeCount', 'vscode'), 'the setting seis.probes.count');
    assert.match(optionName('memoryBudgetMB', 'vscode'), /--memory-budget \(not a VS Code setting\)/);
  });
});
