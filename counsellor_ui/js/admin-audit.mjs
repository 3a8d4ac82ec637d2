// The Audit log panel: every administrative action, newest first, a page at a time
// ("Load older entries"). Endpoint (docs/protocol.md §6.7): GET
// /api/admin/audit?before=<id>&limit=<n ≤ 200> → {"entries": [{id, at, actor, action,
// detail}]}, newest first. The log holds no seeker data; its texts are shown as text.

import { el } from './dom.mjs';
import { A, formatMoment } from './admin-strings.mjs';
import { dataTable, onShown, panelHeader, problemOf } from './admin-forms.mjs';

export const PAGE = 50;

/** The query of the next page: the first page, or the entries older than `oldestId`. */
export function auditPath(oldestId = null, limit = PAGE) {
  const query = new URLSearchParams({ limit: String(limit) });
  if (oldestId !== null) query.set('before', String(oldestId));
  return `/api/admin/audit?${query}`;
}

/** An entry's detail as one line of text: a string as it is, an object as
 *  "key: value, …" (nested values as JSON). */
export function detailText(detail) {
  if (detail === null || detail === undefined) return '';
  if (typeof detail === 'string') return detail;
  if (typeof detail !== 'object' || Array.isArray(detail)) return JSON.stringify(detail);
  return Object.entries(detail)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

/** The actions' codes made readable ("staff.disable" → "staff disable"). */
export function actionText(action) {
  return String(action ?? '').replace(/[._]/g, ' ');
}

class AuditPanel {
  constructor(panel, ctx) {
    this.panel = panel;
    this.ctx = ctx;
    this.entries = [];
    this.oldest = null;
    panel.classList.add('admin-panel');
    this.refresh = el('button', { type: 'button', class: 'refresh', text: A.refresh });
    this.refresh.addEventListener('click', () => this.reload());
    this.status = panelHeader(panel, A.auditHeading, this.refresh).status;
    this.table = dataTable('audit-table', A.auditCaption, [A.colWhen, A.colWho, A.colWhat, A.colDetail]);
    this.older = el('button', { type: 'button', class: 'load-older', text: A.loadOlder, hidden: true });
    this.older.addEventListener('click', () => this.loadOlder());
    this.end = el('p', { class: 'note audit-end', hidden: true });
    panel.append(this.table.wrap, el('div', { class: 'dialog-actions' }, this.older), this.end);
    onShown(panel, () => this.reload()); // the newest entries when coming back
  }

  async reload() {
    this.entries = [];
    this.oldest = null;
    this.table.tbody.replaceChildren();
    await this.page();
  }

  async loadOlder() {
    const added = await this.page();
    if (added === null) return;
    this.ctx.announce(added ? A.olderLoaded(added) : A.noOlder);
    const rows = this.table.tbody.rows;
    const firstNew = rows[rows.length - added];
    if (added && firstNew) firstNew.querySelector('th').focus();
    else this.older.focus();
  }

  /** Loads one page (older than what is shown); the number of entries added, or null. */
  async page() {
    this.status.textContent = A.loading;
    this.older.disabled = true;
    let entries;
    try {
      const answer = await this.ctx.api.get(auditPath(this.oldest));
      entries = answer.entries ?? [];
      this.status.textContent = '';
    } catch (error) {
      this.status.textContent = `${A.loadFailed(A.auditHeading)} ${problemOf(error).message}`;
      this.older.disabled = false;
      return null;
    } finally {
      this.older.disabled = false;
    }
    for (const entry of entries) {
      this.entries.push(entry);
      this.table.tbody.append(
        el(
          'tr',
          { data: { id: String(entry.id) } },
          el('th', { scope: 'row', tabindex: '-1' }, el('time', { datetime: new Date(entry.at * 1000).toISOString(), text: formatMoment(entry.at) })),
          el('td', { text: entry.actor ?? '' }),
          el('td', { class: 'action', data: { action: entry.action ?? '' }, text: actionText(entry.action) }),
          el('td', { class: 'detail', text: detailText(entry.detail) }),
        ),
      );
    }
    if (entries.length) this.oldest = entries[entries.length - 1].id;
    const more = entries.length >= PAGE;
    this.older.hidden = !more;
    this.end.hidden = more;
    this.end.textContent = this.entries.length ? A.noOlder : A.noEntries;
    return entries.length;
  }
}

/** Fills the Audit log panel (called once, when its tab is first shown). */
export async function mountAudit(panel, ctx) {
  const view = new AuditPanel(panel, ctx);
  await view.page();
  return view;
}
