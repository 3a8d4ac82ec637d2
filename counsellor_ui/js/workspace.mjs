// The workspace's state and the staff WebSocket protocol (docs/protocol.md §2.2, §2.4
// and the issue 6 additions), without any DOM: frames in, frames out through `send`,
// and what changed reported to `notify(kind, detail)` for the view to draw.
//
// notify kinds: status, queues, offer, offerGone, chatAdded, chat (detail {chat,
// event?}), chatRemoved, help, handled, notice ({text, chatId?}), welcome.
//
// Rules:
// - Chats are labelled "Visitor N", N counting up per sign-in (kept across a reload).
// - A chat the server lists after a (re)connect that is not in memory (a new tab)
//   cannot be decrypted here: it is shown as an orphan with End only.
// - End, requeue, transfer and block remove the chat as soon as the server confirms
//   (chat_ended with the matching reason); any other end leaves the panel saying why
//   until the counsellor closes it. Either way the session and transcript are wiped.
// - An `error` frame names the chat where it can; a refused transfer leaves the chat
//   unable to send (see chat.mjs) and the counsellor is told.
// - A colleague's ik and cert come from the server: before the HLP1 transfer is signed
//   the certificate must verify under the organisation key (GET /api/crypto), be for
//   that very ik, and the ik must not be on a current revocation list (checkColleague).
// - A chat restored from an out-of-date reload blob is broken ('stale_state', see
//   chat.mjs) and the counsellor is told.

import { CryptoError, b64uDecode, nacl, verifyCertificate, verifyRevocationList } from '/static/crypto/hlp1.mjs';
import { STALE_STATE, StaffChat } from './chat.mjs';
import { S, endedReason } from './strings.mjs';

const bytesOf = (v) => (v instanceof Uint8Array ? v : b64uDecode(v));

/**
 * The organisation's trust anchors from GET /api/crypto: {orgPub, revocations} (the
 * revocation list verified and current at `now`, unix seconds). Throws CryptoError
 * ("no_trust", "no_revocation_list", or the list's own refusal).
 */
export function trustFromCrypto(info, now) {
  if (!info || typeof info.org_public_key !== 'string') throw new CryptoError('no_trust', 'no organisation key');
  let orgPub;
  try {
    orgPub = b64uDecode(info.org_public_key);
  } catch {
    throw new CryptoError('no_trust', 'the organisation key is not base64url');
  }
  if (orgPub.length !== 32) throw new CryptoError('no_trust', 'the organisation key is not 32 bytes');
  if (typeof info.revocation_list !== 'string') throw new CryptoError('no_revocation_list', 'no revocation list');
  let blob;
  try {
    blob = b64uDecode(info.revocation_list);
  } catch {
    throw new CryptoError('bad_revocation_list', 'the revocation list is not base64url');
  }
  return { orgPub, revocations: verifyRevocationList(orgPub, blob, now) };
}

/**
 * A colleague (an entry of GET /api/staff/colleagues, ik and cert as b64u or bytes)
 * checked before anything is signed for them: the certificate verifies under the
 * organisation key at `now`, certifies exactly this ik, and the ik is not revoked.
 * Returns {username, handle (the certified one), ik, cert}; throws ColleagueKeyError
 * ("no_trust", "no_key", "key_mismatch", "revoked", "stale_revocation_list", or the
 * certificate's own refusal: "expired", "bad_signature", "bad_cert", ...).
 */
export function checkColleague(colleague, trust, now) {
  try {
    return checkColleagueOrThrow(colleague, trust, now);
  } catch (error) {
    if (error instanceof CryptoError) throw new ColleagueKeyError(error.code, error.message);
    throw error;
  }
}

/** A colleague's key or certificate did not check out: nothing was signed for them. */
export class ColleagueKeyError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function checkColleagueOrThrow(colleague, trust, now) {
  if (!trust || !(trust.orgPub instanceof Uint8Array) || !trust.revocations) {
    throw new CryptoError('no_trust', 'the organisation key and revocation list are not loaded');
  }
  if (!colleague || typeof colleague.username !== 'string' || !colleague.ik || !colleague.cert) {
    throw new CryptoError('no_key', 'the colleague has no certified key');
  }
  let ik;
  let cert;
  try {
    ik = bytesOf(colleague.ik);
    cert = bytesOf(colleague.cert);
  } catch {
    throw new CryptoError('bad_cert', 'the colleague\'s key or certificate is not base64url');
  }
  const parsed = verifyCertificate(trust.orgPub, cert, now);
  if (ik.length !== 32 || !nacl.verify(parsed.ik, ik)) throw new CryptoError('key_mismatch', 'the certificate is for another key');
  trust.revocations.checkCurrent(now);
  if (trust.revocations.has(ik)) throw new CryptoError('revoked', 'the colleague\'s key is revoked');
  return { username: colleague.username, handle: parsed.handle, ik, cert };
}

/**
 * The colleagues list for the transfer dialog: each entry with `certifiedHandle` (the
 * handle from its verified certificate) or `refusal` (the CryptoError code: the
 * dialog lists it disabled). trust null: every entry refused with `trustError`'s code.
 */
export function vetColleagues(colleagues, trust, now, trustError = null) {
  return (Array.isArray(colleagues) ? colleagues : []).map((c) => {
    if (!trust) return { ...c, certifiedHandle: null, refusal: trustError?.code ?? 'no_trust' };
    try {
      return { ...c, certifiedHandle: checkColleague(c, trust, now).handle, refusal: null };
    } catch (error) {
      if (!(error instanceof ColleagueKeyError)) throw error;
      return { ...c, certifiedHandle: null, refusal: error.code };
    }
  });
}

const OWN_REASONS = { end: 'counsellor_ended', requeue: 'handed_back', transfer: 'transferred', block: 'blocked' };
const MAX_OFFERS = 16;

export class Workspace {
  /**
   * @param {{send: (frame: object) => boolean, notify?: (kind: string, detail?: any) => void,
   *          identity: {seed: Uint8Array, cert: Uint8Array|null}, handled?: number,
   *          now?: () => number}} options
   */
  constructor({ send, notify, identity, handled = 0, now = () => Date.now() }) {
    this._send = send;
    this._notify = notify ?? (() => {});
    this.identity = identity;
    this.now = now;
    this.chats = new Map(); // chatId → StaffChat, in opening order
    this.offers = new Map(); // chatId → {chatId, language, waitedS, expiresAt, transferFrom}
    this.aliasCounter = 0;
    this.handled = handled;
    this.me = null; // the welcome's account facts
    this.status = { status: 'away', languages: [], capacity: 1, wrapUpUntil: 0 };
    this.queues = [];
    this.help = { on: false, since: null, acknowledged: false };
    this.up = false;
    this._lastCommandChat = null;
    this._wantAvailable = false;
    this.trust = null; // {orgPub, revocations} from GET /api/crypto (trustFromCrypto)
  }

  send(frame) {
    return this._send({ v: 1, ...frame });
  }

  // -- commands -----------------------------------------------------------------------

  setStatus({ status, languages, capacity }) {
    const frame = { type: 'status', status: status ?? this.status.status };
    if (languages) frame.languages = languages;
    if (capacity) frame.capacity = capacity;
    this._lastCommandChat = null;
    return this.send(frame);
  }

  accept(chatId) {
    if (!this.offers.has(chatId)) return false;
    return this.send({ type: 'accept', chat_id: chatId });
  }

  decline(chatId) {
    const sent = this.send({ type: 'decline', chat_id: chatId });
    if (sent) this._dropOffer(chatId, 'declined');
    return sent;
  }

  /** End with an outcome; an encrypted goodbye goes first when the chat can send. */
  end(chatId, outcome) {
    const chat = this.chats.get(chatId);
    if (!chat) return false;
    if (chat.ended) return this.close(chatId);
    if (!this.up) return false;
    chat.sendClose('counsellor_ended');
    return this._act(chat, 'end', outcome ? { type: 'end', chat_id: chatId, outcome } : { type: 'end', chat_id: chatId });
  }

  requeue(chatId) {
    return this._actOn(chatId, 'requeue', { type: 'requeue', chat_id: chatId });
  }

  block(chatId) {
    return this._actOn(chatId, 'block', { type: 'block', chat_id: chatId });
  }

  transferToLanguage(chatId, language) {
    return this._actOn(chatId, 'transfer', { type: 'transfer', chat_id: chatId, language });
  }

  /** colleague: an entry of GET /api/staff/colleagues (ik/cert as b64u or bytes).
   *  Throws ColleagueKeyError when the colleague's key does not check out (nothing is
   *  signed then), CryptoError when the chat cannot send the transfer. */
  transferToColleague(chatId, colleague) {
    const chat = this.chats.get(chatId);
    if (!chat || chat.ended || !this.up) return false;
    const checked = checkColleague(colleague, this.trust, Math.floor(this.now() / 1000));
    const frame = chat.transferFrame(checked.username, checked.ik, checked.cert);
    this._lastCommandChat = chatId;
    this.send(frame);
    this._notify('chat', { chat });
    return true;
  }

  askHelp(on) {
    this._lastCommandChat = null;
    return this.send({ type: 'help', on: Boolean(on) });
  }

  /** Close a finished (or orphan) chat's panel: nothing of it remains. */
  close(chatId) {
    const chat = this.chats.get(chatId);
    if (!chat) return false;
    if (!chat.ended && !chat.orphan) return false;
    this._remove(chat);
    return true;
  }

  sendText(chatId, text) {
    const chat = this.chats.get(chatId);
    if (!chat) return null;
    const entry = chat.sendText(text);
    this._notify('chat', { chat, event: { kind: 'sent', entry } });
    return entry;
  }

  sendTyping(chatId, on) {
    const chat = this.chats.get(chatId);
    if (chat && this.up) chat.sendTyping(on);
  }

  _actOn(chatId, action, frame) {
    const chat = this.chats.get(chatId);
    if (!chat || chat.ended || !this.up) return false;
    return this._act(chat, action, frame);
  }

  _act(chat, action, frame) {
    chat.pendingAction = action;
    this._lastCommandChat = chat.chatId;
    this.send(frame);
    this._notify('chat', { chat });
    return true;
  }

  // -- connection -----------------------------------------------------------------------

  onUp() {
    this.up = true;
  }

  onDown() {
    this.up = false;
    for (const chat of this.chats.values()) {
      if (chat.pendingAction && chat.pendingAction !== 'transfer') chat.pendingAction = null;
      if (chat.pendingTransfer) chat.transferRefused(); // unknown fate: the welcome will tell
    }
    // Offers do not survive a lost connection (the server withdraws them).
    for (const chatId of [...this.offers.keys()]) this._dropOffer(chatId, 'lost');
  }

  // -- frames -------------------------------------------------------------------------

  onFrame(frame) {
    const handler = this[`_on_${frame.type}`];
    if (typeof handler === 'function') handler.call(this, frame);
  }

  _on_welcome(f) {
    this.me = { username: f.username, languages: f.languages ?? [], capacity: f.capacity, maxCapacity: f.max_capacity };
    this._setStatus(f);
    const listed = new Set();
    for (const item of Array.isArray(f.chats) ? f.chats : []) {
      listed.add(item.chat_id);
      const chat = this.chats.get(item.chat_id);
      if (chat) {
        const events = chat.onResumed(item.accepted_seq);
        this._notify('chat', { chat });
        for (const event of events) this._notify('chat', { chat, event });
        if (chat.broken === STALE_STATE && events.length) this._notify('notice', { chatId: chat.chatId, text: S.staleState(chat.alias) });
      } else {
        const orphan = StaffChat.orphan({ chatId: item.chat_id, alias: this._alias(), language: item.language, send: (x) => this._send(x) });
        this.chats.set(orphan.chatId, orphan);
        this._notify('chatAdded', { chat: orphan });
      }
    }
    for (const chat of [...this.chats.values()]) {
      if (!listed.has(chat.chatId) && !chat.ended) this._ended(chat, 'lost');
    }
    this._notify('welcome', this.me);
  }

  _on_status(f) {
    this._setStatus(f);
  }

  _setStatus(f) {
    const wrap = typeof f.wrap_up_s === 'number' && f.wrap_up_s > 0 ? this.now() + f.wrap_up_s * 1000 : 0;
    this.status = {
      status: f.status === 'available' ? 'available' : 'away',
      languages: Array.isArray(f.languages) ? f.languages : [],
      capacity: f.capacity,
      wrapUpUntil: wrap,
    };
    this._notify('status', this.status);
  }

  _on_queues(f) {
    this.queues = Array.isArray(f.languages) ? f.languages : [];
    this._notify('queues', this.queues);
  }

  _on_offer(f) {
    if (this.offers.size >= MAX_OFFERS) return;
    const offer = {
      chatId: f.chat_id,
      language: f.language,
      waitedS: f.waited_s ?? 0,
      expiresAt: this.now() + (f.expires_in_s ?? 30) * 1000,
      transferFrom: f.transfer_from ?? null,
    };
    this.offers.set(offer.chatId, offer);
    this._notify('offer', offer);
  }

  _on_offer_withdrawn(f) {
    this._dropOffer(f.chat_id, f.reason);
  }

  _dropOffer(chatId, reason) {
    if (this.offers.delete(chatId)) this._notify('offerGone', { chatId, reason });
  }

  _on_matched(f) {
    this._dropOffer(f.chat_id, 'accepted');
    if (this.chats.has(f.chat_id)) return;
    if (!this.identity.cert) {
      this._notify('notice', { text: S.noCertificate });
      return;
    }
    const chat = StaffChat.open({
      chatId: f.chat_id,
      alias: this._alias(),
      language: f.language,
      identity: this.identity,
      acceptedSeq: f.accepted_seq ?? 0,
      send: (x) => this._send(x),
      startedAt: this.now(),
    });
    this.chats.set(chat.chatId, chat);
    this._notify('chatAdded', { chat });
  }

  _on_relay(f) {
    const chat = this.chats.get(f.chat_id);
    if (!chat) return;
    for (const event of chat.onRelay(f)) this._notify('chat', { chat, event });
  }

  _on_delivered(f) {
    const chat = this.chats.get(f.chat_id);
    if (!chat) return;
    chat.onDelivered(f.seq);
    this._notify('chat', { chat, event: { kind: 'delivered', seq: chat.delivery.deliveredSeq } });
  }

  _on_peer(f) {
    const chat = this.chats.get(f.chat_id);
    if (!chat) return;
    chat.peerConnected = Boolean(f.connected);
    if (!chat.peerConnected) chat.theyType = false;
    this._notify('chat', { chat, event: { kind: 'peer', connected: chat.peerConnected } });
  }

  _on_chat_ended(f) {
    const chat = this.chats.get(f.chat_id);
    if (!chat) return;
    this._ended(chat, f.reason);
  }

  _ended(chat, reason) {
    if (chat.ended) return;
    const own = chat.pendingAction && OWN_REASONS[chat.pendingAction] === reason;
    chat.ended = reason;
    chat.pendingAction = null;
    if (!chat.orphan) {
      this.handled += 1;
      this._notify('handled', this.handled);
    }
    // No more sending or decrypting: the keys go now, the transcript stays until Close.
    if (chat.session) chat.session.destroy();
    chat.delivery.wipe();
    chat.theyType = false;
    if (own || chat.orphan) this._remove(chat);
    else this._notify('chat', { chat, event: { kind: 'ended', reason, text: endedReason(reason) } });
  }

  _on_help(f) {
    this.help = { on: Boolean(f.on), since: f.since ?? null, acknowledged: Boolean(f.acknowledged) };
    this._notify('help', this.help);
  }

  _on_error(f) {
    const chatId = f.chat_id ?? this._lastCommandChat;
    const chat = chatId ? this.chats.get(chatId) : undefined;
    const detail = f.message ? `${f.message}` : f.code;
    if (chat && chat.pendingTransfer) {
      chat.transferRefused();
      this._notify('chat', { chat, event: { kind: 'transferRefused', text: detail } });
      this._notify('notice', { chatId, text: `${S.transferRefused(chat.alias)} ${detail}` });
    } else if (chat && chat.pendingAction) {
      chat.pendingAction = null;
      this._notify('chat', { chat });
      this._notify('notice', { chatId, text: `${S.refused(chat.alias)} ${detail}` });
    } else if (chat) {
      this._notify('notice', { chatId, text: `${S.refused(chat.alias)} ${detail}` });
    } else {
      this._notify('notice', { text: `${S.refusedGeneric} ${detail}` });
    }
    this._lastCommandChat = null;
  }

  // -- helpers --------------------------------------------------------------------------

  _alias() {
    this.aliasCounter += 1;
    return S.alias(this.aliasCounter);
  }

  _remove(chat) {
    chat.destroy();
    this.chats.delete(chat.chatId);
    this._notify('chatRemoved', { chatId: chat.chatId });
  }

  /** Open chats that are still going (for the reload blob and the title). */
  get liveChats() {
    return [...this.chats.values()].filter((c) => !c.ended && !c.orphan);
  }

  /** The reload blob's content (null when there is nothing worth keeping). */
  exportForReload() {
    const chats = this.liveChats.map((c) => c.exportForReload()).filter((c) => c !== null);
    if (chats.length === 0) return null;
    return { time: this.now(), aliasCounter: this.aliasCounter, handled: this.handled, chats };
  }

  /** Restores chats from an opened reload blob; returns how many came back. */
  restore(data) {
    this.aliasCounter = Math.max(this.aliasCounter, Number(data.aliasCounter) || 0);
    this.handled = Math.max(this.handled, Number(data.handled) || 0);
    let restored = 0;
    for (const saved of data.chats) {
      if (!saved || typeof saved.chatId !== 'string' || this.chats.has(saved.chatId)) continue;
      try {
        const chat = StaffChat.restore(saved, this.identity, (x) => this._send(x));
        this.chats.set(chat.chatId, chat);
        this._notify('chatAdded', { chat });
        restored += 1;
      } catch {
        // a state this session cannot resume: the welcome lists the chat as an orphan
      }
    }
    return restored;
  }

  /** Sign-out or 4001: every chat wiped, nothing left. */
  wipe() {
    for (const chat of [...this.chats.values()]) this._remove(chat);
    this.offers.clear();
  }
}
