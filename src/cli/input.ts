/** Reading secrets from standard input (never from arguments, which show in the process list). */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UsageError } from './errors.js';

/**
 * The first line of standard input without its line ending ('' when the input is empty). On a
 * terminal it prompts on stderr and does not echo what is typed.
 */
export async function readSecretLine(
  prompt: string,
  input: NodeJS.ReadStream = process.stdin,
): Promise<string> {
  const tty = input.isTTY === true;
  const rl = createInterface({
    input,
    // On a terminal, readline echoes to `output`: a sink keeps the secret off the screen.
    output: tty ? new Writable({ write: (_chunk, _encoding, done) => done() }) : undefined,
    terminal: tty,
    crlfDelay: Infinity,
  });
  if (tty) process.stderr.write(prompt);
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
      rl.once('SIGINT', () => reject(new UsageError('cancelled; nothing was changed')));
    });
  } finally {
    rl.close();
    if (tty) process.stderr.write('\n');
  }
}
