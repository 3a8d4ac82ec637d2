// Checks every message catalogue (node --test): each locales/*.json parses, has
// exactly the keys of en.json, only non-empty strings, the same {placeholders}
// in each text as English, a valid `_dir`, and no markup.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';

const dir = new URL('../locales/', import.meta.url);
const files = readdirSync(dir).filter((name) => name.endsWith('.json')).sort();
const read = (name) => JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
const placeholders = (text) => [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();

const english = read('en.json');
const englishKeys = Object.keys(english).sort();

test('there is an English catalogue and at least one other', () => {
  assert.ok(files.includes('en.json'));
  assert.ok(files.length > 1);
});

for (const name of files) {
  test(`locales/${name}`, () => {
    let messages;
    assert.doesNotThrow(() => {
      messages = read(name);
    }, `${name} does not parse`);
    assert.equal(typeof messages, 'object');
    assert.ok(messages !== null && !Array.isArray(messages), `${name} is not an object`);

    const keys = Object.keys(messages).sort();
    const missing = englishKeys.filter((key) => !(key in messages));
    const extra = keys.filter((key) => !(key in english));
    assert.deepEqual(missing, [], `${name} lacks keys`);
    assert.deepEqual(extra, [], `${name} has keys English does not`);

    for (const [key, text] of Object.entries(messages)) {
      assert.equal(typeof text, 'string', `${name} ${key} is not a string`);
      assert.ok(text.trim().length > 0, `${name} ${key} is empty`);
      assert.ok(!text.includes('<'), `${name} ${key} contains "<"`);
      assert.deepEqual(placeholders(text), placeholders(english[key]), `${name} ${key} placeholders differ from English`);
    }

    assert.ok(['ltr', 'rtl'].includes(messages._dir), `${name} _dir is ${messages._dir}`);
  });
}
