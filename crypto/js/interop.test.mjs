// A live conversation between the two implementations, in process pairs: a Python
// session (crypto/session.py, driven over stdin/stdout JSON lines) and a JavaScript
// one, in both roles, with messages in every padding bucket both ways, a re-hello and
// a handover. Skipped when the Python environment (.venv with PyNaCl) is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import nacl from './nacl.mjs';
import { b64uDecode, b64uEncode } from './encoding.mjs';
import { publicKeyFromSeed } from './ed25519.mjs';
import { makeCertificate, makeRevocationList, verifyRevocationList } from './certs.mjs';
import { CounsellorSession, SeekerSession } from './session.mjs';
import { BUCKETS } from './frames.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PYTHON = `${ROOT}.venv/bin/python`;

const DRIVER = String.raw`
import json, sys
from crypto.encoding import b64u_decode as D, b64u_encode as E
from crypto.errors import CryptoError
from crypto.certs import verify_revocation_list
from crypto.session import SeekerSession, CounsellorSession

sessions = {}

def event(e):
    out = {"kind": type(e).__name__}
    for f in e.__dataclass_fields__:
        v = getattr(e, f)
        out[f] = E(v) if isinstance(v, bytes) else v
    return out

for line in sys.stdin:
    c = json.loads(line)
    try:
        op, sid = c["op"], c.get("id")
        if op == "counsellor":
            sessions[sid] = CounsellorSession(D(c["chat_id"]), D(c["seed"]), D(c["cert"]), c["transcripts"])
            r = None
        elif op == "seeker":
            rl = verify_revocation_list(D(c["org_pub"]), D(c["rl"]), c["now"])
            sessions[sid] = SeekerSession(D(c["chat_id"]), D(c["org_pub"]), rl)
            r = None
        elif op == "hello":
            r = E(sessions[sid].hello(c["now"]))
        elif op == "receive":
            r = [event(e) for e in sessions[sid].receive(D(c["payload"]), c["now"])]
        elif op == "send_message":
            r = E(sessions[sid].send_message(c["text"]))
        elif op == "send_close":
            r = E(sessions[sid].send_close(c["reason"]))
        elif op == "send_transfer":
            r = E(sessions[sid].send_transfer(D(c["ik2"]), D(c["cert2"])))
        elif op == "state":
            s = sessions[sid]
            r = {"epoch": s.epoch, "safety_code": s.safety_code, "established": s.established}
        else:
            raise ValueError(op)
        print(json.dumps({"ok": r}), flush=True)
    except CryptoError as exc:
        print(json.dumps({"error": exc.code}), flush=True)
`;

function pythonAvailable() {
  if (!existsSync(PYTHON)) return false;
  const r = spawnSync(PYTHON, ['-c', 'import crypto.session'], { cwd: ROOT });
  return r.status === 0;
}

class PythonPeer {
  constructor() {
    this.proc = spawn(PYTHON, ['-c', DRIVER], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }

  async call(cmd) {
    this.proc.stdin.write(`${JSON.stringify(cmd)}\n`);
    const { value, done } = await this.lines.next();
    if (done) throw new Error('the Python driver exited');
    const reply = JSON.parse(value);
    if (reply.error) throw Object.assign(new Error(`python: ${reply.error}`), { code: reply.error });
    return reply.ok;
  }

  close() {
    this.proc.stdin.end();
  }
}

const NOW = 1_700_000_000;
const DAY = 86_400;
const fill = (b) => new Uint8Array(32).fill(b);
const orgSeed = fill(0x21);
const orgPub = publicKeyFromSeed(orgSeed);
const ik1Seed = fill(0x22);
const ik2Seed = fill(0x23);
const cert1 = makeCertificate(orgSeed, publicKeyFromSeed(ik1Seed), NOW + 60 * DAY, 'Sam · Équipe 2');
const cert2 = makeCertificate(orgSeed, publicKeyFromSeed(ik2Seed), NOW + 60 * DAY, 'Noor');
const rlBlob = makeRevocationList(orgSeed, NOW - 60, NOW + 30 * DAY, [fill(0xab)]);
const rl = verifyRevocationList(orgPub, rlBlob, NOW);
const E = b64uEncode;
const D = b64uDecode;
// texts whose JSON lands in each bucket: 256, 1024, 4096, 16384
const TEXTS = ['short ✓', 'a'.repeat(700), 'é'.repeat(1500), '👋'.repeat(4000)];

const skip = pythonAvailable() ? false : 'the Python environment (.venv with crypto/) is not set up';

test('JavaScript seeker with a Python counsellor: every bucket, re-hello, handover', { skip }, async () => {
  const py = new PythonPeer();
  try {
    const chatId = nacl.randomBytes(16);
    await py.call({ op: 'counsellor', id: 'c1', chat_id: E(chatId), seed: E(ik1Seed), cert: E(cert1), transcripts: true });
    let seeker = new SeekerSession(chatId, orgPub, rl);
    const handshake = async (s, id, now) => {
      const [accept] = await py.call({ op: 'receive', id, payload: E(s.hello(now)), now });
      assert.equal(accept.kind, 'Outgoing');
      const [reveal, est] = s.receive(D(accept.payload), now);
      const [cEst] = await py.call({ op: 'receive', id, payload: E(reveal.payload), now });
      assert.equal(cEst.kind, 'Established');
      assert.equal(cEst.safety_code, est.safetyCode);
      return { est, cEst };
    };
    let { est, cEst } = await handshake(seeker, 'c1', NOW);
    assert.deepEqual([est.handle, est.transcripts, cEst.same_person], ['Sam · Équipe 2', true, null]);
    for (const [i, text] of TEXTS.entries()) {
      const frame = seeker.sendMessage(text);
      assert.equal(frame.length - 27, BUCKETS[i]);
      const [m] = await py.call({ op: 'receive', id: 'c1', payload: E(frame), now: NOW });
      assert.deepEqual([m.kind, m.text], ['Message', text]);
      const [back] = seeker.receive(D(await py.call({ op: 'send_message', id: 'c1', text: `re: ${text}` })), NOW);
      assert.deepEqual([back.kind, back.text], ['message', `re: ${text}`]);
    }
    // re-hello after a reload
    seeker = SeekerSession.resumeFrom(JSON.parse(JSON.stringify(seeker.exportState())), orgPub, rl);
    ({ est, cEst } = await handshake(seeker, 'c1', NOW + 30));
    assert.deepEqual([est.epoch, cEst.epoch, cEst.same_person], [1, 1, true]);
    const [m] = await py.call({ op: 'receive', id: 'c1', payload: E(seeker.sendMessage('back again')), now: NOW + 31 });
    assert.deepEqual([m.n, m.text], [0, 'back again']);
    // handover to a second Python counsellor
    const tr = await py.call({ op: 'send_transfer', id: 'c1', ik2: E(publicKeyFromSeed(ik2Seed)), cert2: E(cert2) });
    const [req] = seeker.receive(D(tr), NOW + 40);
    assert.deepEqual([req.kind, req.handle2], ['transferRequested', 'Noor']);
    await py.call({ op: 'counsellor', id: 'c2', chat_id: E(chatId), seed: E(ik2Seed), cert: E(cert2), transcripts: false });
    ({ est, cEst } = await handshake(seeker, 'c2', NOW + 41));
    assert.deepEqual([est.epoch, est.handle, est.transcripts], [2, 'Noor', false]);
    const [closed] = await py.call({ op: 'receive', id: 'c2', payload: E(seeker.sendClose('done')), now: NOW + 42 });
    assert.deepEqual([closed.kind, closed.reason], ['PeerClosed', 'done']);
  } finally {
    py.close();
  }
});

test('Python seeker with a JavaScript counsellor: every bucket both ways, close', { skip }, async () => {
  const py = new PythonPeer();
  try {
    const chatId = nacl.randomBytes(16);
    await py.call({ op: 'seeker', id: 's', chat_id: E(chatId), org_pub: E(orgPub), rl: E(rlBlob), now: NOW });
    const counsellor = new CounsellorSession(chatId, ik1Seed, cert1, false);
    const [accept] = counsellor.receive(D(await py.call({ op: 'hello', id: 's', now: NOW })), NOW);
    const [reveal, sEst] = await py.call({ op: 'receive', id: 's', payload: E(accept.payload), now: NOW });
    assert.equal(sEst.kind, 'Established');
    const [cEst] = counsellor.receive(D(reveal.payload), NOW);
    assert.equal(cEst.safetyCode, sEst.safety_code);
    for (const [i, text] of TEXTS.entries()) {
      const frame = counsellor.sendMessage(text);
      assert.equal(frame.length - 27, BUCKETS[i]);
      const [m] = await py.call({ op: 'receive', id: 's', payload: E(frame), now: NOW });
      assert.deepEqual([m.kind, m.text], ['Message', text]);
      const [back] = counsellor.receive(D(await py.call({ op: 'send_message', id: 's', text: `thanks ${text}` })), NOW);
      assert.equal(back.text, `thanks ${text}`);
    }
    const [closed] = counsellor.receive(D(await py.call({ op: 'send_close', id: 's', reason: 'bye' })), NOW + 6);
    assert.deepEqual([closed.kind, closed.reason], ['peerClosed', 'bye']);
  } finally {
    py.close();
  }
});
