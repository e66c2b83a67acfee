// Builds dist/ once before the suite: the CLI and server-start tests run the built program.
import { spawnSync } from 'node:child_process';

export default function globalSetup() {
  const result = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('The build failed; see the TypeScript errors above.');
}
