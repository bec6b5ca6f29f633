// calls.js classifies the Open API calls botd made, for the calls panel. It
// is pure (no DOM), so node's test runner checks it (jstest/calls_test.mjs).

/** ok says whether the platform accepted a call. */
export function ok(c) {
  return c.status === 200 && c.code === 0;
}

// sameRequest: a retry sends the same method, path, query and body again
// (the access token travels in a header, which the log does not keep).
function sameRequest(a, b) {
  return a.method === b.method && a.path === b.path && (a.query || '') === (b.query || '')
    && JSON.stringify(a.body ?? null) === JSON.stringify(b.body ?? null);
}

/**
 * retriedBy lists the seqs of the earlier failed calls that call c, a
 * success, retried: those fail only on the way (an expired token's
 * 99991663, a rate limit), not in the end, and the panel marks them
 * "retried" instead of as failures. calls are the earlier calls, in order.
 */
export function retriedBy(calls, c) {
  if (!ok(c)) return [];
  const out = [];
  for (const p of calls) {
    if (p.seq < c.seq && !ok(p) && !p.retried && sameRequest(p, c)) out.push(p.seq);
  }
  return out;
}
