/**
 * One full garbage collection once the server has started. Loading plans (YAML documents of
 * every agency), migrating and wiring the modules leave a heap several times the size of what
 * stays live (with a 10,000-agency plan: about 140 MiB used at the peak, 55 MiB live). V8 sizes
 * its next collections from that peak, so without this the process keeps the boot heap's pages
 * for its whole life and grows further under load (`npm run bench:scale`: 340–540 MiB peak RSS
 * under load against 200–220 MiB with one collection after start).
 *
 * Node gives `gc` only with `--expose-gc`; setting that flag at run time and taking `gc` from a
 * new context is the documented way round (v8.setFlagsFromString). Any failure is ignored: the
 * collection is an optimisation.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

export function collectBootGarbage(): boolean {
  try {
    let gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    }
    gc();
    // Pages are given back once the sweeper has run: collect again when the event loop is idle.
    setTimeout(gc, 1000).unref();
    return true;
  } catch {
    return false;
  }
}
