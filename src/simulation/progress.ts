/**
 * A one-line progress bar ("[#####.....] 120/365 days") for a terminal: drawn only when the
 * stream is a TTY, only once the work has taken a moment, and redrawn a few times a second at
 * most. `done` erases it, so nothing of it stays on the screen or in a captured stream.
 */
export interface Progress {
  update(done: number, total: number): void;
  done(): void;
}

const SHOW_AFTER_MS = 300;
const REDRAW_EVERY_MS = 200;
const WIDTH = 20;

export function progressBar(
  stream: NodeJS.WriteStream,
  unit = 'days',
  now: () => number = Date.now,
): Progress {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  const started = now();
  let drawnAt = 0;
  let shown = false;
  return {
    update(done, total) {
      const t = now();
      if (t - started < SHOW_AFTER_MS || t - drawnAt < REDRAW_EVERY_MS) return;
      drawnAt = t;
      shown = true;
      const filled = total > 0 ? Math.round((done / total) * WIDTH) : WIDTH;
      stream.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${total} ${unit}`,
      );
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
