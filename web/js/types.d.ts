/** Types shared by the pages (checked by `tsc -p web`; the browser never loads this file). */
export interface PageContext {
  /** The element the page renders into (detached until the page resolves). */
  root: HTMLElement;
  /** Groups captured by the route's pattern. */
  params: string[];
  /** The hash's query string, e.g. `#/dashboard?plan=x&year=2025`. */
  query: Record<string, string>;
  app: typeof import('./app.js').app;
  /** False once the user has navigated elsewhere: stop rendering. */
  isCurrent: () => boolean;
  /** Renders the current route again (after a change). */
  reload: () => void;
}
