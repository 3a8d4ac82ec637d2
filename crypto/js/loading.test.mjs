// How a page loads us: nacl-fast.js as a classic script (it sets self.nacl), then our
// modules, which must use that global and never reach for node:module. Simulated in a
// fresh Node process where the UMD file runs as a plain script, as in a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const NACL = new URL('../../node_modules/tweetnacl/nacl-fast.js', import.meta.url);
const HLP1 = new URL('./hlp1.mjs', import.meta.url);

test('the page path: self.nacl from the classic script is the one the modules use', () => {
  const script = `
    import { readFileSync } from 'node:fs';
    import vm from 'node:vm';
    globalThis.self = globalThis;             // what a browser window or worker has
    vm.runInThisContext(readFileSync(new URL(${JSON.stringify(NACL.href)}), 'utf8'));
    const loaded = globalThis.nacl;
    const m = await import(${JSON.stringify(HLP1.href)});
    if (m.nacl !== loaded) throw new Error('not the global tweetnacl');
    const key = m.nacl.randomBytes(32);       // the PRNG comes from self.crypto.getRandomValues
    const box = m.nacl.secretbox(new Uint8Array(3), new Uint8Array(24), key);
    if (box.length !== 19) throw new Error('secretbox');
    console.log('ok', m.fingerprint(m.orgPublicKey(new Uint8Array(32))));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ok [0-9a-f]{4}( [0-9a-f]{4}){7}\n$/);
});

test('tweetnacl is the pinned 1.0.3 with its integrity hash in package-lock.json', () => {
  const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8'));
  // The only package the browser ever runs (axe-core is a test tool: dev only).
  const pkgs = Object.keys(lock.packages).filter((k) => k !== '' && !lock.packages[k].dev);
  assert.deepEqual(pkgs, ['node_modules/tweetnacl']);
  const t = lock.packages['node_modules/tweetnacl'];
  assert.equal(t.version, '1.0.3');
  assert.match(t.integrity, /^sha512-[A-Za-z0-9+/]{86}==$/);
  const pkg = JSON.parse(readFileSync(new URL('../../node_modules/tweetnacl/package.json', import.meta.url), 'utf8'));
  assert.equal(pkg.version, '1.0.3');
});
