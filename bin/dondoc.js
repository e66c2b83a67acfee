#!/usr/bin/env node
// The `dondoc` command: runs the compiled CLI (npm run build compiles src/ to dist/).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('dondoc is not built: run npm run build');
  process.exit(1);
}
await import(main.href);
