/**
 * The lifecycle diagram as SVG, drawn from the machine definition: the main path top to bottom,
 * transitions that go back as arcs on the left, side exits (withdrawn) on the right. The current
 * stage is filled; a replayed stage ("as of" a date) is outlined; transitions the user may send
 * now are drawn bold.
 */
import { h, s, uid } from '../dom.js';
import { EVENT_LABELS, STAGE_LABELS, label } from '../i18n.js';
import { layoutMachine } from '../lifecycle-layout.js';

const NODE_W = 200;
const NODE_H = 46;
const GAP = 62;
const MAIN_X = 170;
const SINK_X = 500;
const TOP = 16;

/** Splits a label into at most two lines of similar length. */
export function twoLines(text, max = 24) {
  if (text.length <= max) return [text];
  const words = text.split(' ');
  let best = [text];
  let bestScore = Infinity;
  for (let i = 1; i < words.length; i += 1) {
    const a = words.slice(0, i).join(' ');
    const b = words.slice(i).join(' ');
    const score = Math.max(a.length, b.length);
    if (score < bestScore) {
      best = [a, b];
      bestScore = score;
    }
  }
  return best;
}

function nodeText(x, y, text, className) {
  const lines = twoLines(text);
  const first = y + NODE_H / 2 - (lines.length - 1) * 8 + 5;
  return s(
    'text',
    { x: x + NODE_W / 2, y: first, 'text-anchor': 'middle', class: className },
    lines.map((line, i) => s('tspan', { x: x + NODE_W / 2, dy: i === 0 ? 0 : 16 }, line)),
  );
}

/**
 * `machine`: the statechart; `current`: the stage now; `replayed`: a stage to outline (or null);
 * `allowedEvents`: the events the user may send now.
 */
export function lifecycleDiagram({ machine, current, replayed = null, allowedEvents = [] }) {
  const layout = layoutMachine(machine);
  const titleId = uid('diagram-title');
  const descId = uid('diagram-desc');
  const arrowId = uid('arrow');
  const arrowStrongId = uid('arrow-strong');
  const pos = {};
  layout.columns.forEach((column, rank) => {
    column.forEach((name, i) => {
      pos[name] = { x: MAIN_X + i * (NODE_W + 30), y: TOP + rank * (NODE_H + GAP) };
    });
  });
  const mainHeight = layout.columns.length * (NODE_H + GAP) - GAP;
  layout.sinks.forEach((name, i) => {
    pos[name] = {
      x: SINK_X,
      y:
        TOP +
        mainHeight / 2 -
        NODE_H / 2 +
        i * (NODE_H + 20) -
        ((layout.sinks.length - 1) * (NODE_H + 20)) / 2,
    };
  });
  const width = SINK_X + NODE_W + 20;
  const height = TOP * 2 + mainHeight;
  const allowed = new Set(allowedEvents);
  const edgeClass = (edge) =>
    edge.from === current && edge.events.some((e) => allowed.has(e))
      ? 'edge edge-available'
      : 'edge';
  const marker = (edge) =>
    `url(#${edge.from === current && edge.events.some((e) => allowed.has(e)) ? arrowStrongId : arrowId})`;
  const edgeLabel = (edge) => edge.events.map((e) => label(EVENT_LABELS, e)).join(' / ');

  const shapes = [];
  let backOffset = 0;
  for (const edge of layout.edges) {
    const a = pos[edge.from];
    const b = pos[edge.to];
    if (!a || !b || edge.kind === 'self') continue;
    if (edge.kind === 'forward') {
      const x1 = a.x + NODE_W / 2;
      const y1 = a.y + NODE_H;
      const x2 = b.x + NODE_W / 2;
      const y2 = b.y - 2;
      const lines = twoLines(edgeLabel(edge), 22);
      const top = (y1 + y2) / 2 + 4 - (lines.length - 1) * 7;
      shapes.push(
        s('line', { x1, y1, x2, y2, class: edgeClass(edge), 'marker-end': marker(edge) }),
        s(
          'text',
          { x: x1 + 10, y: top, class: 'edge-label' },
          lines.map((line, i) => s('tspan', { x: x1 + 10, dy: i === 0 ? 0 : 14 }, line)),
        ),
      );
    } else if (edge.kind === 'back') {
      backOffset += 1;
      const x = a.x - 26 * backOffset;
      const y1 = a.y + NODE_H / 2;
      const y2 = b.y + NODE_H / 2;
      shapes.push(
        s('path', {
          d: `M ${a.x} ${y1} C ${x} ${y1}, ${x} ${y2}, ${b.x - 2} ${y2}`,
          fill: 'none',
          class: edgeClass(edge),
          'marker-end': marker(edge),
        }),
        s(
          'text',
          { x: x + 4 - 26, y: (y1 + y2) / 2 + 4, 'text-anchor': 'end', class: 'edge-label' },
          edgeLabel(edge),
        ),
      );
    } else {
      // Along the stage's own row first, then across to the side exit: clear of the labels.
      const y1 = a.y + NODE_H / 2;
      shapes.push(
        s('path', {
          d: `M ${a.x + NODE_W} ${y1} H ${b.x - 36} L ${b.x - 2} ${b.y + NODE_H / 2}`,
          fill: 'none',
          class: `${edgeClass(edge)} edge-sink`,
          'marker-end': marker(edge),
        }),
      );
    }
  }
  for (const sink of layout.sinks) {
    const into = layout.edges.filter((e) => e.to === sink);
    const events = [...new Set(into.flatMap((e) => e.events))];
    shapes.push(
      s(
        'text',
        {
          x: pos[sink].x + NODE_W / 2,
          y: pos[sink].y - 10,
          'text-anchor': 'middle',
          class: 'edge-label',
        },
        events.map((e) => label(EVENT_LABELS, e)).join(' / '),
      ),
    );
  }
  for (const stage of machine.stages) {
    const p = pos[stage.name];
    if (!p) continue;
    const classes = ['stage'];
    if (stage.name === current) classes.push('stage-current');
    if (replayed && stage.name === replayed) classes.push('stage-replayed');
    if (stage.final) classes.push('stage-final');
    shapes.push(
      s(
        'g',
        {
          class: classes.join(' '),
          'data-stage': stage.name,
          'aria-current': stage.name === current ? 'step' : null,
        },
        s('rect', { x: p.x, y: p.y, width: NODE_W, height: NODE_H, rx: 8 }),
        nodeText(p.x, p.y, label(STAGE_LABELS, stage.name), 'stage-label'),
      ),
    );
  }

  const selfEvents = [
    ...new Set(layout.edges.filter((e) => e.kind === 'self').flatMap((e) => e.events)),
  ];
  const description = [
    `Các bước: ${layout.columns
      .flat()
      .map((n) => label(STAGE_LABELS, n))
      .join(' → ')}.`,
    current ? `Bước hiện tại: ${label(STAGE_LABELS, current)}.` : '',
    replayed ? `Bước tại thời điểm xem lại: ${label(STAGE_LABELS, replayed)}.` : '',
  ].join(' ');
  const markerDef = (id, cls) =>
    s(
      'marker',
      {
        id,
        viewBox: '0 0 10 10',
        refX: 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: 'auto-start-reverse',
      },
      s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: cls }),
    );
  const svg = s(
    'svg',
    {
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-labelledby': `${titleId} ${descId}`,
      class: 'lifecycle',
      preserveAspectRatio: 'xMidYMin meet',
    },
    s('title', { id: titleId }, 'Sơ đồ quy trình'),
    s('desc', { id: descId }, description),
    s('defs', {}, markerDef(arrowId, 'arrow-head'), markerDef(arrowStrongId, 'arrow-head-strong')),
    shapes,
  );
  return h(
    'figure',
    { class: 'diagram' },
    svg,
    h(
      'figcaption',
      {},
      h('span', { class: 'legend legend-current' }, 'Bước hiện tại'),
      replayed
        ? h('span', { class: 'legend legend-replayed' }, 'Bước tại thời điểm xem lại')
        : null,
      h('span', { class: 'legend legend-available' }, 'Thao tác bạn có thể làm'),
      selfEvents.length
        ? h(
            'span',
            { class: 'legend-note' },
            `Giữ nguyên bước: ${selfEvents.map((e) => label(EVENT_LABELS, e)).join(', ')}.`,
          )
        : null,
    ),
  );
}
