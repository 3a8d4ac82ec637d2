// What the page keeps in the browser: one sessionStorage entry, written only when the
// page is left (pagehide) and read back, then deleted, by the next load, which uses it
// only if that load is a reload within RELOAD_WINDOW_MS. While the page is open
// nothing is stored; no cookie, localStorage or IndexedDB, ever (docs/privacy.md).

const STORE_KEY = 'helpline.seeker';
const RELOAD_WINDOW_MS = 10_000;

/** pagehide: what a reload needs ({token, language, chat}), with the time. */
export function saveForReload(entry) {
  try {
    sessionStorage.setItem(STORE_KEY, JSON.stringify({ at: Date.now(), ...entry }));
  } catch {
    // private modes may refuse storage: a reload then starts again, nothing breaks
  }
}

/** At load: the saved entry, deleted at once, if this load is a reload just now. */
export function takeSaved() {
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(STORE_KEY) ?? 'null');
    sessionStorage.clear();
  } catch {
    return null;
  }
  const navigation = performance.getEntriesByType('navigation')[0];
  const reload = navigation === undefined || navigation.type === 'reload';
  const fresh =
    saved !== null && typeof saved.at === 'number' && Math.abs(Date.now() - saved.at) < RELOAD_WINDOW_MS;
  return reload && fresh && typeof saved.token === 'string' ? saved : null;
}

export function clearStorage() {
  try {
    sessionStorage.clear();
  } catch {
    // nothing stored
  }
}
