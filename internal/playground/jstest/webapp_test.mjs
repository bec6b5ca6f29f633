// Tests of botd's web app's pure modules (internal/webapp/static): every
// string in both languages, what the member is told for every outcome of
// tt.sendMessageCard in the seed, and dates in the member's zone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STRINGS, LANGS, t, detectLang, langOf, joinList } from '../../webapp/static/i18n.js';
import { SEED_CODES, errKey, shareOutcome, sentEntries } from '../../webapp/static/outcome.js';
import { formatDue } from '../../webapp/static/format.js';
import { inClientUA, unsupported, describe } from '../../webapp/static/sdk.js';

test('every string exists in both languages, with the same placeholders', () => {
  for (const lang of LANGS) {
    assert.deepEqual(Object.keys(STRINGS[lang]).sort(), Object.keys(STRINGS.en).sort(), `${lang} lacks or adds keys`);
    for (const [k, v] of Object.entries(STRINGS[lang])) {
      assert.ok(v.trim(), `${lang}.${k} is empty`);
      const holes = (s) => (s.match(/\{\w+\}/g) || []).sort().join();
      assert.equal(holes(v), holes(STRINGS.en[k]), `${lang}.${k} has other placeholders than en`);
    }
  }
  assert.equal(t('en', 'signedInAs', { name: 'Alice' }), 'Signed in as Alice');
  assert.equal(joinList('en', ['A', 'B', 'C']), 'A, B and C');
  assert.equal(joinList('zh', ['甲', '乙']), '甲和乙');
});

test('the language is the client\'s: zh or en', () => {
  assert.equal(detectLang(['fr-FR', 'zh-CN', 'en']), 'zh');
  assert.equal(detectLang(['en-US']), 'en');
  assert.equal(detectLang(['ja']), 'en');
  assert.equal(langOf('zh_CN'), 'zh');
  assert.equal(langOf('en_US'), 'en');
  assert.equal(langOf('de'), null);
});

const names = { oc_a: '# Team', oc_b: '# Launch' };
const name = (id) => names[id] || id;

test('every errCode of the seed has its own message, in both languages', () => {
  const seen = new Set();
  for (const lang of LANGS) {
    for (const code of SEED_CODES) {
      const key = errKey(code);
      assert.ok(key && STRINGS[lang][key], `errCode ${code} has no ${lang} message`);
      const out = shareOutcome(lang, false, { errCode: code, errMsg: 'sendMessageCard:fail' }, name);
      assert.equal(out.lines[0], STRINGS[lang][key]);
      assert.equal(out.tone, code === -6 ? 'cancelled' : 'error', `errCode ${code}`);
      seen.add(`${lang}${out.lines[0]}`);
    }
  }
  assert.equal(seen.size, SEED_CODES.length * LANGS.length, 'two codes share a message');
  assert.match(shareOutcome('en', false, { errCode: 12345, errMsg: 'x:fail odd' }, name).lines[0], /12345.*odd/);
});

test('success names the chats; failures name the chats not sent to', () => {
  const ok = shareOutcome('en', true, {
    errMsg: 'sendMessageCard:ok',
    sendCardInfo: [{ status: 0, openChatId: 'oc_a', openMessageId: 'om_1' }, { status: 0, openChatId: 'oc_b', openMessageId: 'om_2' }],
  }, name);
  assert.equal(ok.tone, 'success');
  assert.deepEqual(ok.lines, ['Shared to # Team and # Launch.']);
  assert.deepEqual(ok.sent.map((s) => s.openMessageId), ['om_1', 'om_2']);

  const partial = shareOutcome('en', false, {
    errCode: -5, sendCardInfo: [{ status: 0, openChatId: 'oc_a', openMessageId: 'om_1' }], failedOpenChatIDs: ['oc_b'],
  }, name);
  assert.equal(partial.tone, 'partial');
  assert.deepEqual(partial.lines, [STRINGS.en.err_5, 'Shared to # Team.', 'Not sent to # Launch.']);
  assert.deepEqual(partial.failed, ['oc_b']);

  // A status other than 0 in sendCardInfo is a failure for that chat, and
  // a numeric id (the seed's type table) is read as a string.
  const mixed = shareOutcome('zh', true, { sendCardInfo: [{ status: 0, openChatId: 'oc_a', openMessageId: 'om_1' }, { status: 3, openChatId: 'oc_b' }] }, name);
  assert.equal(mixed.tone, 'partial');
  assert.deepEqual(mixed.lines, ['已分享到 # Team。', '未发送到 # Launch。']);
  assert.deepEqual(sentEntries({ sendCardInfo: [{ status: 0, openChatId: 12, openMessageId: 'om' }, null] }), [{ status: 0, openChatId: '12', openMessageId: 'om' }]);

  // A client before 4.2 says nothing of where the card went.
  assert.deepEqual(shareOutcome('en', true, { errMsg: 'sendMessageCard:ok' }, name).lines, [STRINGS.en.shareSentNoInfo]);
  // -8 names the bad chats.
  assert.deepEqual(shareOutcome('en', false, { errCode: -8, failedOpenChatIDs: ['ou_x'] }, name).lines, [STRINGS.en.err_8, 'Not sent to ou_x.']);
});

test('a due date stays a date; a due moment shows in the zone, with the zone', () => {
  assert.deepEqual(formatDue('2026-12-05', 'en', 'America/Los_Angeles'), { text: 'Sat, 5 Dec 2026', zone: '' });
  const sh = formatDue('2026-12-04T09:00:00+08:00', 'en', 'Asia/Shanghai');
  assert.match(sh.text, /4 Dec 2026.*09:00/);
  assert.equal(sh.zone, 'GMT+8');
  const berlin = formatDue('2026-12-04T09:00:00+08:00', 'en', 'Europe/Berlin');
  assert.match(berlin.text, /02:00/);
  assert.equal(berlin.zone, 'CET');
  assert.match(formatDue('2026-12-04T09:00:00+08:00', 'zh', 'Asia/Shanghai').text, /2026.*12.*4.*09:00/);
  assert.equal(formatDue('', 'en', 'UTC'), null);
  assert.equal(formatDue('not a date', 'en', 'UTC'), null);
});

test('the client is recognised; an unsupported requestAccess falls back', () => {
  assert.ok(inClientUA('Mozilla/5.0 (iPhone) AppleWebKit Lark/7.40.0 LarkLocale/zh_CN'));
  assert.ok(inClientUA('Mozilla/5.0 Feishu/7.1'));
  assert.ok(!inClientUA('Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36'));
  assert.ok(unsupported({ errCode: 2700002, errMsg: 'requestAccess:fail api not supported' }));
  assert.ok(!unsupported({ errCode: 10236, errMsg: 'requestAccess:fail invalid appID' }));
  assert.ok(!unsupported({ errMsg: 'requestAccess:fail user cancel' }));
  assert.equal(describe({ errCode: -4, errMsg: 'sendMessageCard:fail' }), '-4 sendMessageCard:fail');
});
