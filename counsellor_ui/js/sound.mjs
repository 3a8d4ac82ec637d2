// The audible cue for a new offer: a short two-note chime made with WebAudio (no audio
// file, nothing from elsewhere). The on/off choice is kept in localStorage: it is a
// preference, not conversation data. Browsers only let audio start after a user
// gesture, so the context is created (or resumed) on the first click or key press.

const PREF_KEY = 'helpline.staff.sound';

export class Chime {
  constructor(storage = globalThis.localStorage) {
    this._storage = storage;
    this._context = null;
    this.enabled = this._read();
    this._unlock = () => this._ensure();
    globalThis.addEventListener?.('pointerdown', this._unlock, { capture: true });
    globalThis.addEventListener?.('keydown', this._unlock, { capture: true });
  }

  _read() {
    try {
      return this._storage.getItem(PREF_KEY) !== 'off';
    } catch {
      return true;
    }
  }

  set(enabled) {
    this.enabled = Boolean(enabled);
    try {
      this._storage.setItem(PREF_KEY, this.enabled ? 'on' : 'off');
    } catch {
      // the choice holds for this page only
    }
  }

  _ensure() {
    const Ctx = globalThis.AudioContext ?? globalThis.webkitAudioContext;
    if (!Ctx) return null;
    if (this._context === null) {
      try {
        this._context = new Ctx();
      } catch {
        return null;
      }
    }
    if (this._context.state === 'suspended') this._context.resume().catch(() => {});
    return this._context;
  }

  /** Two soft notes, about half a second in all. */
  play() {
    if (!this.enabled) return;
    const ctx = this._ensure();
    if (ctx === null || ctx.state !== 'running') return;
    const start = ctx.currentTime + 0.01;
    [660, 880].forEach((frequency, i) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = frequency;
      const t0 = start + i * 0.18;
      gain.gain.setValueAtTime(0.0001, t0);
      gain.gain.exponentialRampToValueAtTime(0.2, t0 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.25);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0);
      osc.stop(t0 + 0.3);
    });
  }
}
