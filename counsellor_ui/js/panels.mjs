// The chats on screen: one section.chat per chat (side by side on wide screens, tabs
// on narrow ones), its messages (textContent only), composer, typing both ways,
// safety code, delivered marks and tools. Each panel is bound to ONE chat id from
// the moment it is made: every button and the composer act on that id only, so a
// message can never go to another chat.

import { STALE_STATE, fitsInOneMessage } from './chat.mjs';
import { blockDialog, cannedDialog, endDialog, transferDialog } from './dialogs.mjs';
import { $, announce, el, setText, unannounce } from './dom.mjs';
import { S, duration } from './strings.mjs';

const TYPING_REFRESH_MS = 4000; // "typing on" again while typing goes on
const TYPING_IDLE_MS = 3000; // "typing off" after this long without a key
const TYPING_SHOWN_MS = 8000; // their indicator fades if no "off" comes
const ANNOUNCE_CHARS = 200;

let panelCount = 0;

export class ChatPanels {
  /**
   * @param {{actions: {sendText, typing, end, requeue, transfer, block, close},
   *          languageName: (code: string) => string, canned: (language: string) => object[],
   *          outcomes: () => string[], transferTargets: () => Promise<object>,
 *          connected: () => boolean, onRead?: () => void}} options
   */
  constructor(options) {
    this.o = options;
    this.panels = new Map(); // chatId → panel
    this.selected = null;
    $('chat-tabs').addEventListener('keydown', (e) => this._tabKeys(e));
  }

  add(chat) {
    if (this.panels.has(chat.chatId)) return;
    const n = ++panelCount;
    const id = `chat-${n}`;
    const lang = this.o.languageName(chat.language);
    const p = { chat, id, typingSentAt: 0, typingIdle: null, theirTyping: null };
    const composerId = `${id}-composer`;
    p.messages = el('ol', { class: 'messages' });
    p.log = el('div', { class: 'log', role: 'log', 'aria-live': 'off', 'aria-label': S.messagesWith(chat.alias), tabindex: '0' }, p.messages);
    p.safety = el('span', { class: 'safety-code', text: chat.safetyCode ?? S.waitingKeys });
    p.peerNote = el('p', { class: 'peer-note note', hidden: true, text: S.peerGone });
    p.stateNote = el('p', { class: 'state-note warning', hidden: true });
    p.typing = el('p', { class: 'typing', hidden: true, text: S.typing, 'aria-hidden': 'true' });
    p.composer = el('textarea', { id: composerId, class: 'composer', rows: '3', 'aria-describedby': `${id}-note` });
    p.note = el('p', { id: `${id}-note`, class: 'composer-note', 'aria-live': 'polite' });
    p.send = el('button', { type: 'submit', class: 'send primary', text: S.send });
    p.cannedButton = el('button', { type: 'button', class: 'canned', text: S.canned, title: 'Alt+C', 'aria-keyshortcuts': 'Alt+C' });
    p.form = el(
      'form',
      { class: 'compose', novalidate: true },
      el('label', { for: composerId, class: 'visually-hidden', text: S.messageTo(chat.alias) }),
      p.composer,
      el('div', { class: 'compose-buttons' }, p.send, p.cannedButton),
      p.note,
    );
    p.endButton = el('button', { type: 'button', class: 'end', text: S.end });
    p.requeueButton = el('button', { type: 'button', class: 'requeue', text: S.requeue });
    p.transferButton = el('button', { type: 'button', class: 'transfer', text: S.transfer });
    p.blockButton = el('button', { type: 'button', class: 'block danger', text: S.block });
    p.endedNote = el('p', { class: 'ended-note', hidden: true, role: 'status' });
    p.closeButton = el('button', { type: 'button', class: 'close-chat primary', hidden: true, text: S.closeChat });
    p.elapsed = el('span', { class: 'elapsed' });
    const heading = el('h3', { id: `${id}-title` }, el('span', { class: 'alias', text: chat.alias }), ' ', el('span', { class: 'language', text: lang }), ' ', p.elapsed);
    p.section = el(
      'section',
      { id, class: 'chat', role: 'tabpanel', 'aria-labelledby': `${id}-title`, data: { chatId: chat.chatId, selected: 'false' } },
      el('header', { class: 'chat-head' }, heading, el('p', { class: 'safety' }, el('span', { class: 'label', text: `${S.safetyCode}: ` }), p.safety), p.peerNote, p.stateNote),
      p.log,
      p.typing,
      p.endedNote,
      p.closeButton,
      p.form,
      el('div', { class: 'chat-actions', role: 'group', 'aria-label': S.toolsFor(chat.alias) }, p.endButton, p.requeueButton, p.transferButton, p.blockButton),
    );
    p.unread = el('span', { class: 'unread', hidden: true });
    p.tab = el('button', { type: 'button', role: 'tab', id: `${id}-tab`, 'aria-controls': id, 'aria-selected': 'false', tabindex: '-1', data: { chatId: chat.chatId } }, el('span', { class: 'alias', text: chat.alias }), ' ', el('span', { class: 'tab-language', text: lang }), ' ', p.unread);
    this._dialogs(p);
    this._wire(p);
    for (const entry of chat.transcript) this._message(p, entry);
    $('chats').append(p.section);
    $('chat-tabs').append(p.tab);
    this.panels.set(chat.chatId, p);
    $('no-chats').hidden = true;
    if (this.selected === null || !this.panels.has(this.selected)) this.select(chat.chatId, false);
    this._refresh(p);
    this.tick();
    announce(S.chatOpen(chat.alias, lang));
  }

  _dialogs(p) {
    const { chat } = p;
    const cid = chat.chatId;
    p.endDialog = endDialog(chat.alias, () => this.o.outcomes(), (outcome) => this.o.actions.end(cid, outcome));
    p.blockDialog = blockDialog(chat.alias, () => this.o.actions.block(cid));
    p.transferDialog = transferDialog(chat.alias, chat.language, () => this.o.transferTargets(), (target) => this.o.actions.transfer(cid, target));
    p.cannedDialog = cannedDialog(chat.alias, () => this.o.canned(chat.language), (text) => this._insert(p, text));
    p.section.append(p.endDialog.dialog, p.blockDialog.dialog, p.transferDialog.dialog, p.cannedDialog.dialog);
  }

  _wire(p) {
    const cid = p.chat.chatId;
    p.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this._send(p);
    });
    p.composer.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        this._send(p);
      } else if ((e.key === '/' && p.composer.value === '') || (e.altKey && (e.key === 'c' || e.key === 'C' || e.code === 'KeyC'))) {
        e.preventDefault();
        p.cannedDialog.open();
      }
    });
    p.composer.addEventListener('input', () => this._typing(p));
    p.composer.addEventListener('blur', () => this._stopTyping(p));
    p.section.addEventListener('focusin', () => {
      this.select(cid, false);
      this._read(p);
    });
    p.section.addEventListener('pointerdown', () => this._read(p));
    p.tab.addEventListener('click', () => this.select(cid, true));
    p.cannedButton.addEventListener('click', () => p.cannedDialog.open());
    p.endButton.addEventListener('click', () => p.endDialog.open());
    p.requeueButton.addEventListener('click', () => this.o.actions.requeue(cid));
    p.transferButton.addEventListener('click', () =>
      p.transferDialog.open({
        onlyUser: p.chat.failedTransfer ? p.chat.failedTransfer.to : null,
        colleagues: p.chat.canSend || p.chat.failedTransfer !== null,
      }),
    );
    p.blockButton.addEventListener('click', () => p.blockDialog.open());
    p.closeButton.addEventListener('click', () => this.o.actions.close(cid));
  }

  // -- events from the workspace --------------------------------------------------------

  update(chat, event) {
    const p = this.panels.get(chat.chatId);
    if (!p) return;
    if (event) {
      switch (event.kind) {
        case 'message':
          this._theirTyping(p, false);
          this._message(p, event.entry);
          if (this._isActive(p)) chat.markRead();
          announce(`${chat.alias}: ${event.entry.text.slice(0, ANNOUNCE_CHARS)}`);
          break;
        case 'sent':
          this._message(p, event.entry);
          break;
        case 'typing':
          this._theirTyping(p, event.on);
          break;
        case 'established':
          this._refresh(p);
          if (event.first && p.section.contains(document.activeElement)) p.composer.focus(); // it was disabled
          if (event.samePerson === true) this._message(p, chat.note(S.samePerson));
          if (event.samePerson === false) this._message(p, chat.note(S.notSamePerson));
          break;
        case 'delivered':
          this._delivered(p);
          break;
        case 'peer':
          announce(`${chat.alias}: ${event.connected ? S.peerBack : S.peerGone}`);
          break;
        case 'peerClosed':
          this._message(p, chat.note(S.endedPeer));
          break;
        case 'transferRefused':
          this._message(p, chat.note(S.transferRefusedNote));
          break;
        case 'broken':
          if (event.code === STALE_STATE) this._message(p, chat.note(S.staleNote));
          break;
        case 'ended':
          setText(p.endedNote, event.text);
          announce(`${chat.alias}: ${event.text}`);
          break;
        default:
          break;
      }
    }
    this._refresh(p);
  }

  remove(chatId) {
    const p = this.panels.get(chatId);
    if (!p) return;
    clearTimeout(p.typingIdle);
    clearTimeout(p.theirTyping);
    const hadFocus = p.section.contains(document.activeElement) || p.tab === document.activeElement;
    for (const d of [p.endDialog, p.blockDialog, p.transferDialog, p.cannedDialog]) if (d.dialog.open) d.dialog.close();
    p.composer.value = '';
    p.messages.replaceChildren();
    unannounce(`${p.chat.alias}: `); // its last message may still be in a live region
    p.section.remove();
    p.tab.remove();
    this.panels.delete(chatId);
    $('no-chats').hidden = this.panels.size > 0;
    if (this.selected === chatId) {
      this.selected = null;
      const next = this.panels.keys().next();
      if (!next.done) this.select(next.value, hadFocus);
      else if (hadFocus) $('chats').focus();
    } else if (hadFocus) $('chats').focus();
  }

  // -- selection and keyboard -----------------------------------------------------------

  select(chatId, focus) {
    const p = this.panels.get(chatId);
    if (!p) return;
    if (this.selected !== chatId) {
      this.selected = chatId;
      for (const q of this.panels.values()) {
        const on = q === p;
        q.section.dataset.selected = String(on);
        q.tab.setAttribute('aria-selected', String(on));
        q.tab.tabIndex = on ? 0 : -1;
      }
    }
    if (focus) (p.composer.disabled ? (p.closeButton.hidden ? p.endButton : p.closeButton) : p.composer).focus();
    this._read(p);
  }

  /** Alt+1..3: the Nth chat; Alt+arrows: the next or previous one. */
  selectIndex(i) {
    const ids = [...this.panels.keys()];
    if (i >= 0 && i < ids.length) this.select(ids[i], true);
  }

  step(delta) {
    const ids = [...this.panels.keys()];
    if (!ids.length) return;
    const at = Math.max(0, ids.indexOf(this.selected));
    this.select(ids[(at + delta + ids.length) % ids.length], true);
  }

  _tabKeys(e) {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft' && e.key !== 'Home' && e.key !== 'End') return;
    const ids = [...this.panels.keys()];
    if (!ids.length) return;
    e.preventDefault();
    const at = Math.max(0, ids.indexOf(this.selected));
    const to = e.key === 'Home' ? 0 : e.key === 'End' ? ids.length - 1 : (at + (e.key === 'ArrowRight' ? 1 : -1) + ids.length) % ids.length;
    this.select(ids[to], false);
    this.panels.get(ids[to]).tab.focus();
  }

  _isActive(p) {
    return document.hasFocus() && document.visibilityState === 'visible' && p.section.contains(document.activeElement);
  }

  _read(p) {
    if (p.chat.unread) {
      p.chat.markRead();
      this._refresh(p);
      this.o.onRead?.();
    }
  }

  // -- drawing --------------------------------------------------------------------------

  _message(p, entry) {
    const li = el('li', { class: `message ${entry.dir}`, data: { entry: String(entry.id) } });
    li.append(el('p', { class: 'text', dir: 'auto', text: entry.text }));
    if (entry.dir !== 'note') {
      const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }).format(new Date(entry.at));
      const meta = el('p', { class: 'meta' }, el('span', { class: 'who visually-hidden', text: entry.dir === 'mine' ? S.you : `${p.chat.alias}: ` }), el('time', { text: time }));
      if (entry.dir === 'mine') meta.append(' ', el('span', { class: 'mark', text: S.sending }));
      li.append(meta);
    }
    p.messages.append(li);
    if (entry.dir === 'mine') this._delivered(p);
    const log = p.log;
    log.scrollTop = log.scrollHeight;
  }

  _delivered(p) {
    const upTo = p.chat.delivery.deliveredSeq;
    for (const entry of p.chat.transcript) {
      if (entry.dir !== 'mine' || !(entry.seq <= upTo)) continue;
      const li = p.messages.querySelector(`li[data-entry="${entry.id}"]`);
      if (li && !li.classList.contains('delivered')) {
        li.classList.add('delivered');
        setText(li.querySelector('.mark'), `✓ ${S.delivered}`);
      }
    }
  }

  _refresh(p) {
    const { chat } = p;
    setText(p.safety, chat.safetyCode ?? (chat.orphan ? '—' : S.waitingKeys));
    p.peerNote.hidden = chat.peerConnected || Boolean(chat.ended);
    const ended = Boolean(chat.ended);
    const broken = chat.broken === STALE_STATE ? S.staleNote : S.brokenNote;
    const why = chat.orphan ? S.orphan : chat.broken ? broken : chat.failedTransfer ? S.transferRefusedNote : '';
    setText(p.stateNote, ended ? '' : why);
    p.stateNote.hidden = ended || !why;
    p.typing.hidden = !chat.theyType || ended;
    p.section.dataset.state = ended ? 'ended' : chat.orphan ? 'orphan' : chat.established ? 'open' : 'connecting';
    p.endedNote.hidden = !ended;
    p.closeButton.hidden = !ended;
    p.form.hidden = ended || chat.orphan;
    p.composer.disabled = !chat.canSend;
    p.send.disabled = !chat.canSend;
    p.cannedButton.disabled = !chat.canSend;
    const busy = chat.pendingAction !== null;
    p.endButton.disabled = ended || busy || !this.o.connected();
    p.endButton.hidden = ended;
    for (const b of [p.requeueButton, p.transferButton, p.blockButton]) {
      b.hidden = ended || chat.orphan;
      b.disabled = busy || !this.o.connected();
    }
    p.section.setAttribute('aria-busy', String(busy));
    p.unread.hidden = !chat.unread;
    setText(p.unread, chat.unread ? `${chat.unread} unread` : '');
  }

  _theirTyping(p, on) {
    clearTimeout(p.theirTyping);
    p.chat.theyType = on;
    p.typing.hidden = !on;
    if (on) {
      p.theirTyping = setTimeout(() => {
        p.chat.theyType = false;
        p.typing.hidden = true;
      }, TYPING_SHOWN_MS);
    }
  }

  /** Every second: time since each chat started. */
  tick(now = Date.now()) {
    for (const p of this.panels.values()) setText(p.elapsed, duration((now - p.chat.startedAt) / 1000));
  }

  refreshAll() {
    for (const p of this.panels.values()) this._refresh(p);
  }

  // -- composing ------------------------------------------------------------------------

  _send(p) {
    const text = p.composer.value;
    if (!text.trim() || !p.chat.canSend) return;
    if (!fitsInOneMessage(text)) {
      setText(p.note, S.tooLong);
      return;
    }
    clearTimeout(p.typingIdle);
    p.typingSentAt = 0; // a message ends "typing" on the other side
    try {
      this.o.actions.sendText(p.chat.chatId, text);
    } catch (error) {
      setText(p.note, S.serverError(error.code ?? 'unexpected'));
      return;
    }
    p.composer.value = '';
    setText(p.note, '');
    p.composer.focus();
  }

  _typing(p) {
    const text = p.composer.value;
    setText(p.note, fitsInOneMessage(text) ? '' : S.tooLong);
    if (!p.chat.canSend) return;
    const at = Date.now();
    if (text && at - p.typingSentAt > TYPING_REFRESH_MS) {
      p.typingSentAt = at;
      this.o.actions.typing(p.chat.chatId, true);
    }
    clearTimeout(p.typingIdle);
    p.typingIdle = setTimeout(() => this._stopTyping(p), TYPING_IDLE_MS);
  }

  _stopTyping(p) {
    clearTimeout(p.typingIdle);
    if (p.typingSentAt === 0) return;
    p.typingSentAt = 0;
    if (p.chat.canSend) this.o.actions.typing(p.chat.chatId, false);
  }

  _insert(p, text) {
    const c = p.composer;
    const start = c.selectionStart ?? c.value.length;
    const end = c.selectionEnd ?? c.value.length;
    c.value = c.value.slice(0, start) + text + c.value.slice(end);
    c.focus();
    c.setSelectionRange(start + text.length, start + text.length);
    this._typing(p);
  }
}
