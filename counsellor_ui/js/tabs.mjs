// A tab list as the ARIA Authoring Practices describe it: one tab in the Tab order
// (the selected one), arrow keys move between tabs and show them (Home and End go to
// the first and last), each tab controls one panel (aria-controls); the others are
// hidden. The selected tab's name goes into the address's fragment (#history), so a
// reload stays on it.

/** The index after pressing `key` on tab `index` of `count`, or null for other keys. */
export function nextIndex(index, key, count) {
  if (count <= 0) return null;
  switch (key) {
    case 'ArrowRight':
    case 'ArrowDown':
      return (index + 1) % count;
    case 'ArrowLeft':
    case 'ArrowUp':
      return (index - 1 + count) % count;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/** "tab-history" → "history". */
export function tabName(id) {
  return id.startsWith('tab-') ? id.slice(4) : id;
}

export class Tabs {
  /** @param {HTMLElement} list the [role=tablist]; @param {{onShow: (name: string, label: string) => void}} options */
  constructor(list, { onShow }) {
    this.list = list;
    this.onShow = onShow;
    this.tabs = [...list.querySelectorAll('[role="tab"]')];
    this.current = null;
    list.addEventListener('click', (e) => {
      const tab = e.target.closest('[role="tab"]');
      if (tab) this.select(tabName(tab.id));
    });
    list.addEventListener('keydown', (e) => {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const index = this.tabs.indexOf(document.activeElement);
      if (index < 0) return;
      const next = nextIndex(index, e.key, this.tabs.length);
      if (next === null) return;
      e.preventDefault();
      this.select(tabName(this.tabs[next].id));
    });
  }

  /** The tab named by a fragment ("#audit"), or null. */
  fromHash(hash) {
    const name = (hash ?? '').replace(/^#/, '');
    return this.tabs.some((t) => tabName(t.id) === name) ? name : null;
  }

  select(name, { focus = true } = {}) {
    const target = this.tabs.find((t) => tabName(t.id) === name);
    if (!target) return;
    for (const tab of this.tabs) {
      const on = tab === target;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      const panel = document.getElementById(tab.getAttribute('aria-controls'));
      if (panel) panel.hidden = !on;
    }
    if (focus) target.focus();
    if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
    const changed = this.current !== name;
    this.current = name;
    if (changed) this.onShow(name, target.textContent.trim());
  }
}
