// Browser test of botd's web app inside the playground's simulated
// Feishu client (run by run.sh after playground.test.mjs): a member opens
// the web app from their column, sees their items, marks one done (the
// group card changes), shares one to two chats (it appears there), and
// sees the messages for a cancel and for errors -2, -4 and -8. Screenshots
// of the web app at 390 and 1600 px go to $SCREENSHOTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { STEP, startPlayground, launch } from './harness.mjs';

const BOTD = process.env.BOTD_BIN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.SCREENSHOTS || join(process.cwd(), 'screenshots');

const ALICE = 'ou_alice';
const BOB = 'ou_bob';
const CAROL = 'ou_carol';
const MAIN = 'oc_playground';
const LAUNCH = 'oc_launch';

let pg;
let chrome;
let page;
const pageErrors = [];

const column = (member) => page.locator(`section.member[data-member="${member}"]`);
const shot = (p, name) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
const frame = () => page.frameLocator('#webapp-frame');

async function type(member, text) {
  const input = column(member).locator('.composer input');
  await input.fill(text);
  await input.press('Enter');
}

// submitForm sends a command as member and submits the form it opens.
async function submitForm(member, command, cardText) {
  await type(member, command);
  const form = column(member).locator('li.ephemeral[data-kind="card"]').last();
  await form.waitFor({ timeout: STEP });
  await form.locator('button[data-action="submit"]').click();
  await column(member).locator('li.msg[data-kind="card"]:not(.ephemeral)', { hasText: cardText }).first().waitFor({ timeout: STEP });
  await form.waitFor({ state: 'detached', timeout: STEP });
}

// setNextAnswer picks the errCode the simulated client answers the next
// share with, in the panel's control, and waits until the playground has it.
async function setNextAnswer(code) {
  const saved = page.waitForResponse((r) => r.url().endsWith('/api/client/settings') && r.request().method() === 'POST');
  await page.locator('#wa-next').selectOption(String(code));
  assert.equal((await saved).status(), 200);
}

// share presses an item's share button in the web app and, in the
// client's picker, chooses chats (or cancels with none); it returns the
// outcome the page shows on the item.
async function share(where, title, chats) {
  const item = where.locator('li.item', { hasText: title });
  await item.locator('button[data-action="share"]').click();
  const picker = where.locator('[data-clientsim="picker"]');
  await picker.locator('[role="dialog"]').waitFor({ timeout: STEP });
  if (!chats.length) {
    await picker.getByRole('button', { name: /^(Cancel|取消)$/ }).click();
  } else {
    for (const id of chats) await picker.locator(`input[value="${id}"]`).check();
    await picker.getByRole('button', { name: /^(Send|发送)/ }).click();
  }
  await picker.waitFor({ state: 'detached', timeout: STEP });
  const outcome = item.locator('.outcome');
  await outcome.waitFor({ timeout: STEP });
  return outcome;
}

// overflow lists what sticks out sideways at the page's width.
function overflow(p) {
  return p.evaluate(() => {
    const out = [];
    const w = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > w + 1) out.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${w})`);
    for (const el of document.querySelectorAll('button, .item, .item-title, .outcome, h1')) {
      const r = el.getBoundingClientRect();
      if (r.width && (r.left < -1 || r.right > w + 1)) out.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 30)}" at ${Math.round(r.left)}..${Math.round(r.right)}`);
      if (el.tagName === 'BUTTON' && el.scrollWidth > el.clientWidth + 1) out.push(`button "${el.textContent.trim()}" text overflows`);
    }
    return out;
  });
}

before(async () => {
  assert.ok(BOTD, 'BOTD_BIN names the botd binary (run.sh builds it)');
  mkdirSync(SHOTS, { recursive: true });
  pg = await startPlayground(BOTD);
  // The members' devices are in Shanghai, as Alice is: the page shows
  // times in the device's zone and says which.
  chrome = await launch(CHROMIUM, { viewport: { width: 1600, height: 1000 }, timezoneId: 'Asia/Shanghai' });
  page = chrome.browser.pages()[0] || await chrome.browser.newPage();
  page.on('pageerror', (err) => { pageErrors.push(err.message); });
  await page.goto(pg.base);
  await page.locator('body[data-live="true"]').waitFor({ timeout: STEP });
});

after(async () => {
  await chrome?.close();
  await pg?.stop();
});

test('the web app in the client: items, mark done, share to two chats, every outcome', async () => {
  // Alice's items: a todo for Bob, one for herself, and a reminder.
  await submitForm(ALICE, '/todo Buy milk @Bob', 'Buy milk');
  await submitForm(ALICE, '/todo Book the room', 'Book the room');
  await submitForm(ALICE, '/remind tomorrow 9:00 Stand-up', 'Stand-up');

  await column(ALICE).locator('button.webapp-open').click();
  await page.locator('#webapp-panel').waitFor({ timeout: STEP });
  const app = frame();
  for (const title of ['Buy milk', 'Book the room', 'Stand-up']) {
    await app.locator('li.item', { hasText: title }).waitFor({ timeout: STEP });
  }
  const milk = app.locator('li.item', { hasText: 'Buy milk' });
  assert.match(await milk.innerText(), /Chat\s+Playground/, 'the item does not name its chat');
  assert.match(await milk.innerText(), /created it/, "the item does not say Alice's role");
  assert.match(await app.locator('li.item', { hasText: 'Stand-up' }).innerText(), /\d{2}:\d{2}\s+(GMT|UTC|[A-Z]{2,5})/, "the reminder's time has no zone");
  assert.match(await app.locator('#zone-note').innerText(), /Asia\/Shanghai/, 'the page does not say which zone its times are in');
  assert.match(await app.locator('li.item', { hasText: 'Stand-up' }).innerText(), /GMT\+8/, "the reminder's time is not in the device's zone");
  await app.locator('#who', { hasText: 'Alice' }).waitFor({ timeout: STEP });
  // The phone stands beside the chat: every member's column stays in view.
  const panelBox = await page.locator('#webapp-panel').boundingBox();
  for (const m of [ALICE, BOB, CAROL]) {
    const box = await column(m).boundingBox();
    assert.ok(box.x + box.width <= panelBox.x + 1, `${m}'s column is under the web app panel`);
  }
  await shot(page, 'wa-01-panel-items-1600');

  // Mark done: the web app's toast, and the group card in the chat changes.
  const groupCard = column(ALICE).locator('li.msg[data-kind="card"]:not(.ephemeral)', { hasText: 'Buy milk' }).first();
  assert.doesNotMatch(await groupCard.innerText(), /Done by/);
  await milk.getByRole('button', { name: 'Mark done' }).click();
  await app.locator('.toast', { hasText: /done/i }).waitFor({ timeout: STEP });
  await milk.getByRole('button', { name: 'Reopen' }).waitFor({ timeout: STEP });
  for (const m of [ALICE, BOB, CAROL]) {
    await column(m).locator('li.msg[data-kind="card"]:not(.ephemeral)', { hasText: 'Buy milk' }).filter({ hasText: 'Done by' })
      .first().waitFor({ timeout: STEP });
  }
  await shot(page, 'wa-02-marked-done-group-card-changed');

  // Share "Book the room" to two chats through the client's picker.
  const shared = await share(app, 'Book the room', [MAIN, LAUNCH]);
  assert.equal(await shared.getAttribute('data-tone'), 'success', await shared.innerText());
  assert.match(await shared.innerText(), /Shared to .*Playground/);
  assert.doesNotMatch(await shared.innerText(), /Not sent/);
  assert.match(await shared.innerText(), /Launch team|oc_launch/);
  await shot(page, 'wa-03-shared-to-two-chats');
  await page.locator(`#chat-tabs [data-chat="${LAUNCH}"]`).click();
  const inLaunch = column(BOB).locator('li.msg[data-kind="card"]', { hasText: 'Book the room' });
  await inLaunch.first().waitFor({ timeout: STEP });
  assert.match(await inLaunch.first().locator('.sender').innerText(), /Alice/, 'the shared card is not shown as sent by Alice');
  await shot(page, 'wa-04-shared-card-in-launch-team');
  // The shared copy's button reaches botd like the group card's: Bob may
  // not close Alice's todo; Alice may.
  await inLaunch.first().getByRole('button', { name: 'Mark done' }).click();
  await column(BOB).locator('.toast', { hasText: /Only the assignee, the creator or an admin/ }).waitFor({ timeout: STEP });
  const aliceCopy = column(ALICE).locator('li.msg[data-kind="card"]', { hasText: 'Book the room' }).first();
  await aliceCopy.getByRole('button', { name: 'Mark done' }).click();
  await column(ALICE).locator('.toast', { hasText: 'Marked done' }).waitFor({ timeout: STEP });
  await aliceCopy.getByRole('button', { name: 'Reopen' }).waitFor({ timeout: STEP });
  await aliceCopy.getByRole('button', { name: 'Reopen' }).click();
  await column(ALICE).locator('.toast', { hasText: 'Reopened' }).waitFor({ timeout: STEP });
  await page.locator(`#chat-tabs [data-chat="${MAIN}"]`).click();
  // Two "Book the room" cards in Playground now: botd's and the shared one.
  await page.waitForFunction((m) => [...document.querySelectorAll(`section.member[data-member="${m}"] li.msg[data-kind="card"]`)]
    .filter((li) => li.innerText.includes('Book the room')).length >= 2, CAROL, { timeout: STEP });

  // The member cancels in the picker.
  const cancelled = await share(app, 'Book the room', []);
  assert.equal(await cancelled.getAttribute('data-tone'), 'cancelled');
  assert.match(await cancelled.innerText(), /cancelled: nothing was sent/);

  // The client answers with errors -2, -4 and -8, one after the other.
  const want = {
    '-2': /Too many chats: choose at most 10/,
    '-4': /could not read the card/,
    '-8': /not valid[\s\S]*Not sent to .*Playground/,
  };
  for (const [code, text] of Object.entries(want)) {
    await setNextAnswer(code);
    const out = await share(app, 'Book the room', [MAIN]);
    assert.equal(await out.getAttribute('data-code'), code);
    assert.equal(await out.getAttribute('data-tone'), 'error');
    assert.match(await out.innerText(), text, `errCode ${code}`);
    if (code === '-8') await shot(page, 'wa-05-error-8-named-chat');
    // The forced answer is used once: the control goes back.
    await page.waitForFunction(() => document.querySelector('#wa-next').value === '0', null, { timeout: STEP });
  }
  assert.deepEqual(pageErrors, [], 'the playground page threw');
});

test('the web app at 390 and 1600 px, in both languages, and when it cannot work', async () => {
  const url = `${pg.base}as/${ALICE}/app/`;
  const p = await chrome.browser.newPage();
  const errors = [];
  p.on('pageerror', (err) => errors.push(err.message));
  try {
    for (const width of [360, 390, 1600]) {
      await p.setViewportSize({ width, height: width < 500 ? 844 : 1000 });
      await p.goto(url);
      await p.locator('li.item', { hasText: 'Book the room' }).waitFor({ timeout: STEP });
      await p.locator('[data-filter="state"][data-value=""]').click();
      await p.locator('li.item', { hasText: 'Buy milk' }).waitFor({ timeout: STEP });
      await share(p, 'Book the room', []);
      assert.deepEqual(await overflow(p), [], `${width} px: something sticks out`);
      if (width !== 360) await shot(p, `wa-10-list-${width}`);
    }

    // Opened from Launch team's "+" menu: the card goes to that chat, no picker.
    const { url: fromChat } = await p.evaluate(() => fetch('/api/client/trigger', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ member: 'ou_alice', chat: 'oc_launch' }),
    }).then((r) => r.json()));
    await p.goto(new URL(fromChat, pg.base).href);
    await p.locator('#share-hint', { hasText: 'the chat you opened this page from' }).waitFor({ timeout: STEP });
    const here = p.locator('li.item', { hasText: 'Book the room' });
    await here.getByRole('button', { name: 'Share to this chat' }).click();
    await here.locator('.outcome[data-tone="success"]').waitFor({ timeout: STEP });
    assert.equal(await p.locator('[data-clientsim="picker"]').count(), 0, 'the picker opened for a + menu share');

    // The client's language is Chinese: every string follows.
    await p.setViewportSize({ width: 390, height: 844 });
    await p.evaluate(() => fetch('/api/client/settings', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ member: 'ou_alice', language: 'zh_CN', next_answer: -8 }),
    }));
    await p.goto(url);
    await p.locator('h1', { hasText: '我的待办和提醒' }).waitFor({ timeout: STEP });
    const out = await share(p, 'Book the room', [MAIN]);
    assert.match(await out.innerText(), /有会话无效/);
    assert.match(await out.innerText(), /未发送到/);
    assert.deepEqual(await overflow(p), [], '390 px, zh: something sticks out');
    await shot(p, 'wa-11-list-390-zh-error-8');
    await p.evaluate(() => fetch('/api/client/settings', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ member: 'ou_alice', language: 'en_US', next_answer: 0 }),
    }));

    // A client before 6.9 has no requestAccess: the page logs in with
    // requestAuthCode. (A fresh member, so a login is needed.)
    const bobURL = `${pg.base}as/${BOB}/app/`;
    await p.evaluate(() => fetch('/api/client/settings', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ member: 'ou_bob', language: 'en_US', next_answer: 0, old_client: true }),
    }));
    await p.goto(bobURL);
    await p.locator('#who', { hasText: 'Bob' }).waitFor({ timeout: STEP });
    await p.locator('[data-filter="state"][data-value=""]').click();
    await p.locator('li.item', { hasText: 'Buy milk' }).waitFor({ timeout: STEP }); // Bob is its assignee
    assert.match(await p.locator('li.item', { hasText: 'Buy milk' }).innerText(), /are the assignee/);

    // A wrong signature: the client refuses the config, the page says so
    // and keeps working, sharing off.
    await p.route('**/api/jssdk?*', async (route) => {
      const resp = await route.fetch();
      const sig = await resp.json();
      sig.signature = '0'.repeat(40);
      await route.fulfill({ response: resp, json: sig });
    });
    await p.goto(url);
    await p.locator('.banner', { hasText: 'The client refused this page' }).waitFor({ timeout: STEP });
    await p.locator('li.item', { hasText: 'Book the room' }).locator('button[data-action="share"]').click();
    await p.locator('li.item', { hasText: 'Book the room' }).locator('.outcome', { hasText: 'authorise' }).waitFor({ timeout: STEP });
    await shot(p, 'wa-12-config-refused-390');
    await p.unroute('**/api/jssdk?*');

    // An ordinary browser (no client): the page says where to open it,
    // and fetches nothing from elsewhere.
    const outside = [];
    p.on('request', (r) => { if (!r.url().startsWith(pg.base)) outside.push(r.url()); });
    await p.route(url, async (route) => {
      const resp = await route.fetch();
      const html = (await resp.text()).replace(/<script src="\/static\/clientsim\.js"[^>]*><\/script>/, '');
      await route.fulfill({ response: resp, body: html });
    });
    await p.goto(url);
    await p.locator('#fatal h2', { hasText: 'Open this page inside Feishu/Lark' }).waitFor({ timeout: STEP });
    await p.locator('#fatal h2', { hasText: '请在飞书/Lark 客户端中打开此页面' }).waitFor({ timeout: STEP });
    assert.doesNotMatch(await p.locator('#fatal').innerText(), /null|undefined/);
    assert.equal(await p.locator('#refresh').isVisible(), false, 'a Refresh button with nothing to refresh');
    assert.deepEqual(outside, [], 'the page fetched from another site');
    await shot(p, 'wa-13-not-in-client-390');
    assert.deepEqual(errors, [], 'the web app threw');
  } finally {
    await p.close();
  }
});
