// Loads tweetnacl 1.0.3 (the pinned npm package) for Node and for the browser.
//
// Browser: the page loads our own copy of node_modules/tweetnacl/nacl-fast.js (or
// nacl-fast.min.js) as a classic script BEFORE any module that imports crypto/js;
// that UMD file sets self.nacl. Module scripts are deferred, so a classic
// <script src=".../nacl-fast.min.js" integrity="sha384-..."></script> placed before
// <script type="module" src=".../crypto/js/hlp1.mjs"></script> always runs first.
// Nothing is fetched from a third party at run time.
//
// Node (tests, the cross-implementation conversation): no global is set, so we load
// the CommonJS package with createRequire; node:module is imported dynamically only
// on that path, so browsers never see it.

let nacl = globalThis.nacl;
if (nacl === undefined) {
  if (typeof process !== 'undefined' && process.versions && process.versions.node) {
    const { createRequire } = await import('node:module');
    nacl = createRequire(import.meta.url)('tweetnacl');
  } else {
    throw new Error(
      'HLP1: tweetnacl is not loaded; the page must include nacl-fast.js before crypto/js modules',
    );
  }
}
if (typeof nacl.hash !== 'function' || typeof nacl.sign !== 'function') {
  throw new Error('HLP1: globalThis.nacl is not tweetnacl');
}

export default nacl;
