/** Parsing of definition files (plans, calendars): YAML 1.2, syntax errors naming line and column. */
import { parseDocument } from 'yaml';
import { DefinitionError } from '../core/errors.js';

export function parseDefinitionYaml(source: string, file: string, maxAliasCount = 1000): unknown {
  const doc = parseDocument(source, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new DefinitionError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const where = pos ? `line ${pos.line}, column ${pos.col}` : `offset ${e.pos[0]}`;
        const reason = (e.message.split('\n')[0] ?? e.message).replace(
          / at line \d+, column \d+:?$/,
          '',
        );
        return {
          path: '',
          message: `expected valid YAML, found a syntax error at ${where}: ${reason}`,
        };
      }),
    );
  }
  return doc.toJS({ maxAliasCount });
}
