/**
 * Lays out a lifecycle statechart (`GET /api/plans/:planId/machine`) for drawing: the main path
 * left to right, stages that every open stage can reach (such as "withdrawn") on a row below,
 * and each transition classified as forward, back, to-sink or self. Pure: no DOM.
 */

/**
 * `machine`: `{ initial, stages: [{ name, final, on: [{ event, target }] }] }`.
 * Returns `{ columns: [[name]], rankOf, sinks, edges }` where `columns[r]` holds the main stages
 * of rank r, and each edge is `{ from, to, events, kind }`.
 */
export function layoutMachine(machine) {
  const byName = new Map(machine.stages.map((s) => [s.name, s]));
  const sources = new Map(machine.stages.map((s) => [s.name, new Set()]));
  for (const stage of machine.stages) {
    for (const t of stage.on) {
      if (t.target && t.target !== stage.name && sources.has(t.target)) {
        sources.get(t.target).add(stage.name);
      }
    }
  }
  // A final stage entered from three or more stages is a side exit, drawn apart from the path.
  const sinks = machine.stages
    .filter((s) => s.final && sources.get(s.name).size >= 3)
    .map((s) => s.name);
  const isSink = (name) => sinks.includes(name);

  // Depth-first from the initial stage: an edge to a stage still on the stack goes back.
  const back = new Set();
  const state = new Map();
  const order = [];
  const visit = (name) => {
    state.set(name, 'open');
    for (const t of byName.get(name)?.on ?? []) {
      const to = t.target;
      if (!to || to === name || isSink(to) || !byName.has(to)) continue;
      if (state.get(to) === 'open') back.add(`${name}>${to}`);
      else if (!state.has(to)) visit(to);
    }
    state.set(name, 'done');
    order.unshift(name);
  };
  if (byName.has(machine.initial)) visit(machine.initial);
  for (const s of machine.stages) if (!state.has(s.name) && !isSink(s.name)) visit(s.name);

  // Longest path from the start, over forward edges, in topological order.
  const rankOf = {};
  for (const name of order) rankOf[name] ??= 0;
  for (const name of order) {
    for (const t of byName.get(name).on) {
      const to = t.target;
      if (!to || to === name || isSink(to) || back.has(`${name}>${to}`)) continue;
      rankOf[to] = Math.max(rankOf[to] ?? 0, rankOf[name] + 1);
    }
  }
  const columns = [];
  for (const name of order) (columns[rankOf[name]] ??= []).push(name);
  for (const column of columns) {
    column.sort(
      (a, b) =>
        machine.stages.findIndex((s) => s.name === a) -
        machine.stages.findIndex((s) => s.name === b),
    );
  }

  // Group parallel transitions (same from and to) into one edge with several events.
  const edges = new Map();
  for (const stage of machine.stages) {
    for (const t of stage.on) {
      const to = t.target ?? stage.name;
      const kind =
        to === stage.name
          ? 'self'
          : isSink(to)
            ? 'sink'
            : back.has(`${stage.name}>${to}`)
              ? 'back'
              : 'forward';
      const key = `${stage.name}>${to}`;
      if (!edges.has(key)) edges.set(key, { from: stage.name, to, events: [], kind });
      edges.get(key).events.push(t.event);
    }
  }
  return { columns: columns.filter(Boolean), rankOf, sinks, edges: [...edges.values()] };
}

/** The stages of the main path, in order (the dashboard matrix's columns). */
export function mainStages(machine) {
  return layoutMachine(machine).columns.flat();
}
