#!/usr/bin/env node
// The sessiongate command. The TypeScript sources are compiled to dist/ by `npm install` (prepare script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('sessiongate is not built yet: run `npm install` (or `npm run build`) in the checkout first.\n');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
