/** Helpers shared by the plan schema and its semantic checks: how problems name places and values. Pure. */

/** A lifecycle machine the engine knows, e.g. `{ id: 'annual-report', version: 1 }`. */
export interface KnownMachine {
  id: string;
  version: number;
}

/** A short description of a found value for messages: `string "abc"`, `number 3`, `null`. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length} item(s)`;
  if (typeof v === 'string') {
    const shown = v.length > 40 ? `${v.slice(0, 40)}…` : v;
    return `string ${JSON.stringify(shown)}`;
  }
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** `tasks[3].lead.agencies[0]`; keys that are not identifiers are quoted. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_$][\w$]*$/.test(seg))
      out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}
