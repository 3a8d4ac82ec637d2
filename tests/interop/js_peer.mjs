// One side of a live HLP1 conversation, in JavaScript, through the real server.
//
// Run by tests/interop/test_live_conversation.py with node --experimental-websocket and
// the configuration as JSON in PEER_CONFIG:
//   {role: "seeker" | "counsellor", http, ws, language, texts: [...], expect: n,
//    username?, password?}
// It speaks the relay protocol of docs/protocol.md (sequence numbers, acks) itself and
// the end-to-end protocol with crypto/js (the browser implementation). On success it
// prints one JSON line: {safetyCode, handle, received: [...]}; on failure it exits 1.
import {
  CounsellorSession,
  SeekerSession,
  b64uDecode,
  b64uEncode,
  derivePasswordKeys,
  nacl,
  publicKeyFromSeed,
  unwrapSeed,
  verifyRevocationList,
  wrapSeed,
} from '../../crypto/js/hlp1.mjs';

const cfg = JSON.parse(process.env.PEER_CONFIG);
const now = () => Math.floor(Date.now() / 1000);
const result = { safetyCode: null, handle: null, received: [] };

function fail(message) {
  console.error(`js_peer (${cfg.role}): ${message}`);
  process.exit(1);
}
setTimeout(() => fail('timed out'), 30_000).unref();

async function json(response) {
  if (!response.ok) fail(`${response.url}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

// The relay protocol (docs/protocol.md §3): our envelopes numbered, theirs acknowledged.
function relay(ws, chatField) {
  let sent = 0;
  let lastIn = 0;
  return {
    send(bytes, chatId) {
      sent += 1;
      const frame = { v: 1, type: 'relay', seq: sent, payload: b64uEncode(bytes) };
      if (chatField) frame.chat_id = chatId;
      ws.send(JSON.stringify(frame));
    },
    accept(frame) {
      if (frame.seq <= lastIn) return false; // a replay: shown once only
      lastIn = frame.seq;
      const ack = { v: 1, type: 'ack', seq: frame.seq };
      if (chatField) ack.chat_id = frame.chat_id;
      ws.send(JSON.stringify(ack));
      return true;
    },
  };
}

async function seeker() {
  const info = await json(await fetch(`${cfg.http}/api/crypto`));
  const orgPub = b64uDecode(info.org_public_key);
  const revocations = verifyRevocationList(orgPub, b64uDecode(info.revocation_list), now());
  const ws = new WebSocket(`${cfg.ws}/ws/seeker`);
  const link = relay(ws, false);
  let session = null;
  ws.onopen = () => ws.send(JSON.stringify({ v: 1, type: 'join', language: cfg.language }));
  ws.onmessage = (msg) => {
    const frame = JSON.parse(msg.data);
    if (frame.type === 'error') fail(`server error ${frame.code}`);
    if (frame.type === 'matched') {
      session = new SeekerSession(b64uDecode(frame.chat_id), orgPub, revocations);
      link.send(session.hello(now()));
    } else if (frame.type === 'relay' && link.accept(frame)) {
      for (const event of session.receive(b64uDecode(frame.payload), now())) {
        if (event.kind === 'outgoing') link.send(event.payload);
        else if (event.kind === 'established') {
          result.safetyCode = event.safetyCode;
          result.handle = event.handle;
          for (const text of cfg.texts) link.send(session.sendMessage(text));
        } else if (event.kind === 'message') result.received.push(event.text);
        else if (event.kind === 'peerClosed') {
          console.log(JSON.stringify(result));
          ws.close();
          process.exit(0);
        }
      }
    }
  };
}

async function counsellor() {
  const { salt, iterations } = await json(
    await fetch(`${cfg.http}/api/salt?username=${encodeURIComponent(cfg.username)}`),
  );
  const keys = await derivePasswordKeys(cfg.password, b64uDecode(salt), iterations);
  const login = await fetch(`${cfg.http}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: cfg.http },
    body: JSON.stringify({ username: cfg.username, secret: b64uEncode(keys.loginSecret) }),
  });
  const { csrf } = await json(login);
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  // The session's CSRF token goes with every state-changing request (protocol §6.3).
  const headers = {
    Cookie: cookie,
    Origin: cfg.http,
    'Content-Type': 'application/json',
    'X-CSRF-Token': csrf,
  };
  // First sign-in on this "device": create the identity key and store it wrapped.
  const seed = nacl.randomBytes(32);
  await json(
    await fetch(`${cfg.http}/api/identity`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({
        ik: b64uEncode(publicKeyFromSeed(seed)),
        wrapped_seed: b64uEncode(wrapSeed(seed, keys.wrappingKey)),
      }),
    }),
  );
  // Any later sign-in: fetch and unwrap it (here, right away, to prove the round trip).
  const identity = await json(await fetch(`${cfg.http}/api/identity`, { headers }));
  if (identity.state !== 'valid') fail(`identity key is ${identity.state}`);
  const unwrapped = unwrapSeed(b64uDecode(identity.wrapped_seed), keys.wrappingKey);
  const cert = b64uDecode(identity.cert);

  const ws = new WebSocket(`${cfg.ws}/ws/staff`, { headers: { Cookie: cookie, Origin: cfg.http } });
  const link = relay(ws, true);
  let session = null;
  let chatId = null;
  ws.onmessage = (msg) => {
    const frame = JSON.parse(msg.data);
    if (frame.type === 'error') fail(`server error ${frame.code}`);
    if (frame.type === 'welcome') {
      ws.send(JSON.stringify({ v: 1, type: 'status', status: 'available' }));
    } else if (frame.type === 'offer') {
      ws.send(JSON.stringify({ v: 1, type: 'accept', chat_id: frame.chat_id }));
    } else if (frame.type === 'matched') {
      chatId = frame.chat_id;
      session = new CounsellorSession(b64uDecode(chatId), unwrapped, cert);
    } else if (frame.type === 'relay' && link.accept(frame)) {
      for (const event of session.receive(b64uDecode(frame.payload), now())) {
        if (event.kind === 'outgoing') link.send(event.payload, chatId);
        else if (event.kind === 'established') result.safetyCode = event.safetyCode;
        else if (event.kind === 'message') {
          result.received.push(event.text);
          const reply = cfg.texts[result.received.length - 1];
          link.send(session.sendMessage(reply), chatId);
          if (result.received.length === cfg.expect) {
            link.send(session.sendClose('done'), chatId);
            ws.send(JSON.stringify({ v: 1, type: 'end', chat_id: chatId, outcome: 'support_given' }));
            console.log(JSON.stringify(result));
            setTimeout(() => process.exit(0), 200);
          }
        }
      }
    }
  };
}

await (cfg.role === 'seeker' ? seeker() : counsellor());
