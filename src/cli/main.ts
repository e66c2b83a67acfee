/** CLI entry point (bin/dondoc.js imports the compiled file). */
import 'reflect-metadata';
import { run } from './program.js';

/** Exit once stdout and stderr have been flushed (pipes may be asynchronous). */
function exit(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

void run(process.argv).then(exit);
