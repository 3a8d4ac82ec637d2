// The header bar and the side column: who is signed in, the key and its state,
// availability (status, capacity, languages), the wrap-up pause, queue figures,
// offers with their countdown, the shift's count, sound and help. Draws what the
// workspace reports; sends nothing itself (the app passes `actions`).

import { $, announce, el, setText } from './dom.mjs';
import { S, duration, formatClock, formatDate } from './strings.mjs';

export class HeaderView {
  /**
   * @param {{actions: {setStatus: Function, accept: Function, decline: Function, ready: Function,
   *          help: Function, sound: Function, signOut: Function, title: Function}, languageName: (code: string) => string}} options
   */
  constructor({ actions, languageName }) {
    this.actions = actions;
    this.languageName = languageName;
    this.canGoAvailable = false;
    this.status = { status: 'away', languages: [], capacity: 1, wrapUpUntil: 0 };
    this.offers = new Map(); // chatId → {offer, node}
    $('availability').addEventListener('click', () => {
      const next = this.status.status === 'available' ? 'away' : 'available';
      this.actions.setStatus({ status: next, ...this._choice() });
    });
    $('capacity').addEventListener('change', () => this.actions.setStatus({ status: this.status.status, ...this._choice() }));
    $('languages').addEventListener('change', () => this.actions.setStatus({ status: this.status.status, ...this._choice() }));
    $('ready').addEventListener('click', () => this.actions.ready());
    $('help-request').addEventListener('click', () => this.actions.help($('help-request').dataset.state !== 'on'));
    $('sound').addEventListener('click', () => this.actions.sound());
    $('signout').addEventListener('click', () => this.actions.signOut());
    $('status-form').addEventListener('submit', (e) => e.preventDefault());
  }

  /** The account: languages (checkboxes) and capacity (1..account capacity). */
  account(me) {
    setText($('me'), me.username);
    $('supervisor-link').hidden = me.role !== 'supervisor';
    const box = $('languages');
    for (const old of box.querySelectorAll('label')) old.remove();
    for (const code of me.languages ?? []) {
      const id = `lang-${code}`;
      box.append(el('label', { for: id, class: 'check' }, el('input', { id, type: 'checkbox', value: code, checked: true }), ` ${this.languageName(code)}`));
    }
    const select = $('capacity');
    select.replaceChildren();
    const max = Math.max(1, Number(me.capacity) || 1);
    for (let n = 1; n <= max; n += 1) select.append(el('option', { value: String(n), text: String(n) }));
    select.value = String(max);
  }

  _choice() {
    const languages = [...$('languages').querySelectorAll('input[type=checkbox]:checked')].map((i) => i.value);
    return { languages, capacity: Number($('capacity').value) || 1 };
  }

  /** The identity key: fingerprint, state and, when it cannot take chats, why. */
  identity(identity) {
    setText($('fingerprint'), identity.fingerprint);
    const state = identity.state;
    const node = $('key-state');
    node.dataset.state = state;
    setText(node, state === 'valid' && identity.notAfter ? S.keyState.valid(formatDate(identity.notAfter)) : (S.keyState[state] ?? state));
    this.canGoAvailable = state === 'valid' && identity.cert !== null;
    const help = $('key-help');
    const why = S.keyHelp[state];
    help.textContent = this.canGoAvailable ? '' : typeof why === 'function' ? why(identity.fingerprint) : (why ?? '');
    $('key-box').hidden = this.canGoAvailable;
    this._drawAvailability();
  }

  setStatus(status) {
    const changed = status.status !== this.status.status;
    this.status = status;
    $('capacity').value = String(status.capacity ?? $('capacity').value);
    if (status.languages.length) {
      for (const box of $('languages').querySelectorAll('input[type=checkbox]')) box.checked = status.languages.includes(box.value);
    }
    this._drawAvailability();
    this.tick();
    if (changed) announce(status.status === 'available' ? S.available : S.away);
  }

  _drawAvailability() {
    const button = $('availability');
    const available = this.status.status === 'available';
    button.dataset.status = available ? 'available' : 'away';
    button.setAttribute('aria-pressed', String(available));
    setText(button, available ? S.setAway : S.setAvailable);
    button.disabled = !available && !this.canGoAvailable;
    setText(
      $('availability-note'),
      available ? S.availableNote : this.canGoAvailable ? S.awayNote : S.awayNoKeyNote,
    );
  }

  connection(up) {
    const node = $('connection');
    node.dataset.up = String(up);
    setText(node, up ? S.connected : S.notConnected);
  }

  queues(list) {
    const body = $('queues').tBodies[0];
    const rows = new Map([...body.rows].map((r) => [r.dataset.language, r]));
    for (const item of list) {
      let row = rows.get(item.language);
      if (!row) {
        row = el('tr', { data: { language: item.language } }, el('th', { scope: 'row', text: this.languageName(item.language) }), el('td', { class: 'waiting' }), el('td', { class: 'longest' }));
        body.append(row);
      }
      rows.delete(item.language);
      setText(row.querySelector('.waiting'), String(item.waiting));
      setText(row.querySelector('.longest'), item.waiting ? duration(item.longest_wait_s ?? 0) : '—');
    }
    for (const stale of rows.values()) stale.remove();
  }

  handled(n) {
    setText($('handled-count'), S.handled(n));
  }

  sound(enabled) {
    const button = $('sound');
    button.setAttribute('aria-pressed', String(enabled));
    setText(button, enabled ? S.soundOn : S.soundOff);
  }

  help(state) {
    const button = $('help-request');
    button.dataset.state = state.on ? 'on' : 'off';
    button.setAttribute('aria-pressed', String(state.on));
    setText(button, state.on ? S.helpWithdraw : S.helpAsk);
    const note = $('help-state');
    const text = state.on ? S.helpRequested(state.since ? formatClock(state.since) : '') : state.acknowledged ? S.helpAcknowledged : '';
    setText(note, text);
    note.hidden = !text;
    if (state.acknowledged) announce(S.helpAcknowledged);
  }

  notice(text) {
    const node = $('notice');
    setText(node, text);
    node.hidden = !text;
    clearTimeout(this._noticeTimer);
    if (text) this._noticeTimer = setTimeout(() => this.notice(''), 15_000);
  }

  // -- offers -------------------------------------------------------------------------

  addOffer(offer) {
    const lang = this.languageName(offer.language);
    const node = el(
      'article',
      { class: 'offer', data: { chatId: offer.chatId }, 'aria-label': S.offerLanguage(lang) },
      el('h3', { text: S.offerLanguage(lang) }),
      el('p', { class: 'waited', text: S.offerWaited(offer.waitedS) }),
      offer.transferFrom ? el('p', { class: 'transfer-from', text: S.offerTransfer(offer.transferFrom) }) : null,
      el('p', { class: 'expires' }),
      el('div', { class: 'offer-actions' }, el('button', { type: 'button', class: 'accept primary', text: S.accept }), el('button', { type: 'button', class: 'decline', text: S.decline })),
    );
    node.querySelector('.accept').addEventListener('click', () => this.actions.accept(offer.chatId));
    node.querySelector('.decline').addEventListener('click', () => this.actions.decline(offer.chatId));
    $('offers').append(node);
    this.offers.set(offer.chatId, { offer, node });
    this._offersChanged();
    announce(S.offerAnnounce(lang), true);
    this.tick();
  }

  removeOffer(chatId) {
    const found = this.offers.get(chatId);
    if (!found) return;
    const hadFocus = found.node.contains(document.activeElement);
    found.node.remove();
    this.offers.delete(chatId);
    this._offersChanged();
    if (hadFocus) $('chats').focus();
  }

  clearOffers() {
    for (const chatId of [...this.offers.keys()]) this.removeOffer(chatId);
  }

  /** Alt+A: the oldest offer. */
  acceptFirst() {
    const first = this.offers.keys().next();
    if (!first.done) this.actions.accept(first.value);
  }

  _offersChanged() {
    $('offers').querySelector('.empty').hidden = this.offers.size > 0;
    this.actions.title();
  }

  /** Every second: offer countdowns and the wrap-up pause. */
  tick(now = Date.now()) {
    for (const { offer, node } of this.offers.values()) {
      setText(node.querySelector('.expires'), S.offerExpires(Math.max(0, Math.ceil((offer.expiresAt - now) / 1000))));
    }
    const left = Math.ceil((this.status.wrapUpUntil - now) / 1000);
    const box = $('wrap-up');
    const pausing = left > 0;
    if (pausing && box.hidden) announce(S.wrapUp(left)); // once, not every second
    box.hidden = !pausing;
    if (pausing) setText($('wrap-up-text'), S.wrapUp(left));
  }
}
