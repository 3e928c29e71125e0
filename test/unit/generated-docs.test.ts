import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatedDocs } from '../../scripts/docs.js';

describe('generated documentation', () => {
  for (const [path, content] of Object.entries(generatedDocs())) {
    it(`${path} is up to date (run \`npm run docs\` when this fails)`, () => {
      expect(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')).toBe(content);
    });
  }
});
