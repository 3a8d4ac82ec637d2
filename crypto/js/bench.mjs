// Benchmark: median time of one seal + open of a message in the 1 KiB bucket
// (a plaintext that pads to 1024 bytes), over many runs, with tweetnacl in Node.
//   node crypto/js/bench.mjs [runs]
import { performance } from 'node:perf_hooks';

import { FrameType, ReceiveChain, SendChain } from './frames.mjs';

const runs = Number(process.argv[2] ?? 5000);
const chatId = new Uint8Array(16).fill(7);
const ck = new Uint8Array(32).fill(0x42);
const text = 'x'.repeat(600); // {"text":"xxx…","ack":null} pads into the 1024 bucket

const tx = new SendChain(ck, chatId, 0, 0);
const rx = new ReceiveChain(ck, chatId, 0, 0);
const body = { text, ack: null };
const first = tx.seal(FrameType.MESSAGE, body);
if (first.length !== 27 + 1024) throw new Error(`expected the 1024 bucket, got ${first.length - 27}`);
rx.commit(rx.open(first));

for (let i = 0; i < 200; i++) rx.commit(rx.open(tx.seal(FrameType.MESSAGE, body))); // warm-up

const times = new Float64Array(runs);
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const frame = tx.seal(FrameType.MESSAGE, body);
  const opened = rx.open(frame);
  rx.commit(opened);
  times[i] = performance.now() - t0;
  if (opened.body.text.length !== text.length) throw new Error('round trip failed');
}
times.sort();
const q = (p) => times[Math.min(runs - 1, Math.floor(p * runs))];
const us = (ms) => `${(ms * 1000).toFixed(1)} µs`;
console.log(`HLP1 seal + open, 1024-byte bucket, tweetnacl ${'1.0.3'}, Node ${process.version}, ${runs} runs`);
console.log(`  median ${us(q(0.5))}   p10 ${us(q(0.1))}   p90 ${us(q(0.9))}   p99 ${us(q(0.99))}`);
