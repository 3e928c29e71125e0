/** `npm run docs`: writes the generated documentation pages. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generatedDocs } from './docs.js';

const root = fileURLToPath(new URL('..', import.meta.url));
for (const [path, content] of Object.entries(generatedDocs())) {
  writeFileSync(root + path, content);
  process.stdout.write(`wrote ${path}\n`);
}
