// Node only (tests): makes the page's absolute module URLs resolve to the files the
// server serves under them, so the same modules run in the browser and in `node --test`.
//   /static/crypto/NAME.mjs     → crypto/js/NAME.mjs
//   /static/seeker/js/NAME.mjs  → helpline/web/seeker_page/js/NAME.mjs
//   /static/staff/js/NAME.mjs   → counsellor_ui/js/NAME.mjs
// Import this first, then import the modules under test dynamically (static imports
// are linked before any code runs). Kept out of js/*.mjs so the server never serves it.
import { register } from 'node:module';

const root = new URL('../../../', import.meta.url).href;
const map = {
  '/static/crypto/': `${root}crypto/js/`,
  '/static/seeker/js/': `${root}helpline/web/seeker_page/js/`,
  '/static/staff/js/': `${root}counsellor_ui/js/`,
};
const hooks = `
const map = ${JSON.stringify(map)};
export async function resolve(specifier, context, next) {
  for (const [prefix, target] of Object.entries(map)) {
    if (specifier.startsWith(prefix)) return next(target + specifier.slice(prefix.length), context);
  }
  return next(specifier, context);
}
`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
