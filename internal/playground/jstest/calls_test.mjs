// Tests of the calls panel's classification (web/calls.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retriedBy } from '../web/calls.js';

const call = (seq, extra) => ({ seq, method: 'POST', path: '/open-apis/im/v1/messages', query: 'receive_id_type=chat_id',
  body: { content: '{"text":"hi"}', uuid: 'u1' }, status: 200, code: 0, ...extra });

test('a success marks the earlier failures of the same request as retried', () => {
  const expired = call(1, { code: 99991663, status: 400 });
  const token = call(2, { path: '/open-apis/auth/v3/tenant_access_token/internal', body: { app_id: 'x' } });
  assert.deepEqual(retriedBy([expired, token], call(3)), [1]);
});

test('a failure, another request or an already retried call is not marked', () => {
  const failed = call(1, { code: 99991663, status: 400 });
  const cases = [
    ['the later call failed too', [failed], call(2, { code: 230002 })],
    ['another body', [failed], call(2, { body: { content: '{"text":"other"}', uuid: 'u2' } })],
    ['another path', [failed], call(2, { path: '/open-apis/im/v1/chats/oc_x' })],
    ['already retried', [{ ...failed, retried: true }], call(2)],
    ['no earlier failure', [call(1)], call(2)],
  ];
  for (const [name, earlier, c] of cases) assert.deepEqual(retriedBy(earlier, c), [], name);
});
