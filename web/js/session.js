/**
 * The signed-in user, kept in sessionStorage: it lasts while the tab is open and is not shared
 * with other tabs, so two people on one computer (or a test driving two roles) stay apart.
 */
const KEY = 'dondoc.session';

/** `{ accessToken, expiresAt, user: { username, role, agencyCode? } }` or null. */
export function getSession() {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

export function setSession(session) {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
}

/** Remembers the plan and year last viewed, so every page opens on the same cycle. */
export function getSelection() {
  try {
    return JSON.parse(sessionStorage.getItem('dondoc.selection') ?? 'null');
  } catch {
    return null;
  }
}

export function setSelection(selection) {
  sessionStorage.setItem('dondoc.selection', JSON.stringify(selection));
}
