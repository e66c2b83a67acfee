/**
 * A tiny DOM builder. Pages build elements and text nodes only (never innerHTML), so nothing the
 * API returns is ever parsed as markup, and event handlers are attached in code, which the
 * Content Security Policy (no inline scripts) requires anyway.
 */
const SVG_NS = 'http://www.w3.org/2000/svg';

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function build(el, props, children) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

/**
 * An HTML element: `h('a', { href: '#/x', class: 'link' }, 'text', child)`.
 * @param {string} tag
 * @param {Record<string, any> | null} [props]
 * @param {...any} children
 * @returns {any}
 */
export function h(tag, props, ...children) {
  return build(document.createElement(tag), props, children);
}

/**
 * An SVG element, same signature as `h`.
 * @param {string} tag
 * @param {Record<string, any> | null} [props]
 * @param {...any} children
 * @returns {any}
 */
export function s(tag, props, ...children) {
  return build(document.createElementNS(SVG_NS, tag), props, children);
}

/**
 * Replaces an element's content.
 * @param {Element} el
 * @param {...any} children
 */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let nextId = 0;
/** A document-unique id, for label/input and aria-describedby pairs. */
export function uid(prefix = 'f') {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/**
 * A label and its control; `hint` and the error message are tied to it with aria-describedby.
 * @param {{ label: string, control: any, hint?: string, required?: boolean }} options
 */
export function field({ label, control, hint, required }) {
  const id = control.id || uid('f');
  control.id = id;
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  control.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
  if (required) control.required = true;
  const error = h('p', { class: 'field-error', id: errorId, hidden: true });
  const wrap = h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label, required ? h('span', { class: 'req' }, ' (bắt buộc)') : null),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    control,
    error,
  );
  return {
    element: wrap,
    control,
    /** Shows (or clears, with null) the validation message of this field. */
    setError(message) {
      error.hidden = !message;
      error.textContent = message ?? '';
      if (message) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
    },
  };
}

/**
 * A `<select>` with `[value, text]` options.
 * @param {Array<Array<any>>} options `[value, text]` pairs
 * @param {string | number | null | undefined} selected
 * @param {Record<string, any>} [props]
 */
export function select(options, selected, props = {}) {
  return h(
    'select',
    props,
    options.map(([value, text]) =>
      h('option', { value, selected: String(value) === String(selected) }, text),
    ),
  );
}

/** A table inside a keyboard-scrollable region (narrow screens scroll it sideways). */
export function tableRegion(label, table) {
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': label, tabindex: 0 }, table);
}
