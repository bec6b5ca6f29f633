// Browser test of the playground (run by run.sh): the real botd binary in
// -playground mode on a free loopback port, Debian's chromium driven by
// playwright-core, headless. Every step is screenshotted into $SCREENSHOTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BOTD = process.env.BOTD_BIN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.SCREENSHOTS || join(process.cwd(), 'screenshots');
const STEP = 15_000; // ms to wait for any one thing

const ALICE = 'ou_alice';
const BOB = 'ou_bob';
const CAROL = 'ou_carol';

let botd;
let botdLog = '';
let browser;
let page;
let base;
let profile;
const pageErrors = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// startBotd runs `botd -playground` and resolves with the URL it prints.
function startBotd(port) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, BOTD_ADDR: `127.0.0.1:${port}`, BOTD_LOG_FORMAT: 'json', BOTD_LOG_LEVEL: 'info' };
    botd = spawn(BOTD, ['-playground'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => reject(new Error(`botd -playground printed no URL:\n${botdLog}`)), STEP);
    botd.stdout.on('data', (d) => {
      botdLog += d;
      const m = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(botdLog);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    botd.stderr.on('data', (d) => { botdLog += d; });
    botd.on('exit', (code) => reject(new Error(`botd exited (${code}):\n${botdLog}`)));
  });
}

const column = (member) => page.locator(`section.member[data-member="${member}"]`);
const shot = (name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });

async function type(member, text) {
  const input = column(member).locator('.composer input');
  await input.fill(text);
  await input.press('Enter');
}

// watchEphemerals records, from now on, every ephemeral card that appears
// in each column, so "never saw it" covers the whole test, not one moment.
async function watchEphemerals() {
  await page.evaluate(() => {
    window.seenEphemeral = {};
    for (const col of document.querySelectorAll('section.member')) {
      const seen = new Set();
      window.seenEphemeral[col.dataset.member] = seen;
      const note = () => col.querySelectorAll('li.ephemeral').forEach((li) => seen.add(li.dataset.messageId));
      note();
      new MutationObserver(note).observe(col.querySelector('.timeline'), { childList: true, subtree: true });
    }
  });
}

const seenEphemerals = (member) => page.evaluate((m) => [...window.seenEphemeral[m]], member);

async function helpListsRemind() {
  await type(CAROL, '/help');
  const help = column(CAROL).locator('li.ephemeral', { hasText: '/help' }).last();
  await help.waitFor({ timeout: STEP });
  const text = await help.innerText();
  await help.getByRole('button', { name: /close|关闭/i }).click();
  await help.waitFor({ state: 'detached', timeout: STEP });
  return text.includes('/remind');
}

before(async () => {
  assert.ok(BOTD, 'BOTD_BIN names the botd binary (run.sh builds it)');
  mkdirSync(SHOTS, { recursive: true });
  base = await startBotd(await freePort());
  profile = mkdtempSync(join(tmpdir(), 'botd-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1680, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = browser.pages()[0] || await browser.newPage();
  page.on('pageerror', (err) => { pageErrors.push(err.message); });
  await page.goto(base);
  await page.locator('body[data-live="true"]').waitFor({ timeout: STEP });
});

after(async () => {
  await browser?.close();
  if (botd && botd.exitCode === null) {
    const exited = new Promise((r) => botd.once('exit', r));
    botd.kill('SIGINT'); // Ctrl-C: the playground stops cleanly
    await exited;
  }
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('/todo: only the sender sees the form; everyone sees the final card', async () => {
  // The empty chat starts with a welcome whose example commands (the
  // flows' own) fill in the message box when clicked.
  for (const m of [ALICE, BOB, CAROL]) {
    const hello = column(m).locator('li.welcome');
    await hello.waitFor({ timeout: STEP });
    const examples = await hello.locator('button.example').allInnerTexts();
    for (const want of [/^\/todo /, /^\/remind /, /^\/help$/]) {
      assert.ok(examples.some((e) => want.test(e)), `${m}'s welcome has no example matching ${want}: ${examples}`);
    }
  }
  await column(ALICE).locator('li.welcome button.example', { hasText: '/todo' }).click();
  assert.match(await column(ALICE).locator('.composer input').inputValue(), /^\/todo /);
  assert.ok(await page.evaluate(() => !!document.querySelector('link[rel="icon"]')), 'the page has no favicon');
  assert.equal((await page.request.get(`${base}static/favicon.svg`)).status(), 200);
  await shot('01-empty-chat');
  await watchEphemerals();

  await type(ALICE, '/todo Buy milk');
  const form = column(ALICE).locator('li.ephemeral[data-kind="card"]');
  await form.waitFor({ timeout: STEP });
  await assert.doesNotReject(form.getByText('Only visible to you').waitFor({ timeout: STEP }));
  for (const m of [BOB, CAROL]) {
    await column(m).locator('li[data-kind="text"]', { hasText: '/todo Buy milk' }).waitFor({ timeout: STEP });
  }
  await shot('02-todo-form-alice-only');

  // Fill the form: the title is prefilled from the command.
  assert.equal(await form.getByLabel('Title').inputValue(), 'Buy milk');
  await form.locator('select[name="assignee"]').selectOption(BOB);
  const due = new Date(Date.now() + 3 * 86400_000).toISOString().slice(0, 10);
  await form.locator('input[name="due_date"]').fill(due);
  await form.getByLabel('Notes').fill('Semi-skimmed, 2 litres');
  await shot('03-todo-form-filled');

  await form.getByRole('button', { name: 'Create todo' }).click();
  await column(ALICE).locator('.toast', { hasText: 'Todo created' }).waitFor({ timeout: STEP });
  await shot('04-submitted-toast');

  for (const m of [ALICE, BOB, CAROL]) {
    const card = column(m).locator('li.msg[data-kind="card"]:not(.ephemeral)', { hasText: 'Buy milk' });
    await card.waitFor({ timeout: STEP });
    assert.match(await card.innerText(), /@Bob/);
    assert.match(await card.innerText(), /Semi-skimmed, 2 litres/);
  }
  await form.waitFor({ state: 'detached', timeout: STEP });
  for (const m of [BOB, CAROL]) {
    assert.deepEqual(await seenEphemerals(m), [], `${m} saw an ephemeral card`);
  }
  assert.equal((await seenEphemerals(ALICE)).length, 1);

  // The protocol is visible: open the ephemeral send in the call log.
  const send = page.locator('li.call', { hasText: '/ephemeral/v1/send' }).first();
  await send.locator('summary').click();
  await page.locator('li.call', { hasText: '/im/v1/messages' }).first().waitFor({ timeout: STEP });
  await shot('05-final-card-everyone');
  assert.deepEqual(pageErrors, [], 'the page threw');
});

test('card preview: renders the flows cards and lists what the simulator rejects', async () => {
  const preview = await browser.newPage();
  try {
    await preview.goto(`${base}preview`);
    await preview.locator('body[data-validated="true"]').waitFor({ timeout: STEP });
    await preview.locator('#sample').selectOption('todo_form_errors_en_us');
    await preview.locator('#rendered .md-font.c-red').first().waitFor({ timeout: STEP });
    await preview.locator('#problems li').first().waitFor({ timeout: STEP });
    assert.equal(await preview.locator('#problems .surface-ephemeral').count(), 0, 'the todo form is refused as an ephemeral card');
    await preview.screenshot({ path: join(SHOTS, '06-preview-form-with-errors.png') });

    await preview.locator('#json').fill(JSON.stringify({
      schema: '2.0',
      header: { title: { tag: 'plain_text', content: 'Broken' }, template: 'red' },
      body: { elements: [{ tag: 'action', actions: [] }, { tag: 'chart' }] },
    }, null, 2));
    await preview.locator('#problems li:not(.ok)').first().waitFor({ timeout: STEP });
    await preview.locator('#rendered .unsupported').first().waitFor({ timeout: STEP });
    // Each problem is listed once, with every surface that refuses it.
    const problems = await preview.locator('#problems li').allInnerTexts();
    assert.equal(new Set(problems).size, problems.length, `a problem is listed twice: ${problems}`);
    assert.ok(problems.some((p) => p.includes('group card') && p.includes('ephemeral card')), `no problem names both surfaces: ${problems}`);
    await preview.screenshot({ path: join(SHOTS, '07-preview-rejected-card.png') });

    await preview.locator('#json').fill('{\n  "schema": "2.0",\n  "body": {]\n}');
    await preview.locator('#syntax', { hasText: 'line 3, column 12' }).waitFor({ timeout: STEP });
    assert.equal(await preview.locator('#problems li.ok').count(), 0, 'text that is not JSON is called acceptable');
    await preview.locator('#syntax .goto').click();
    assert.equal(await preview.locator('#json').evaluate((el) => el.selectionStart), 32, 'the error spot is not selected');
    await preview.screenshot({ path: join(SHOTS, '07b-preview-json-syntax-error.png') });

    await preview.locator('#sample').selectOption('showcase_json2-every-component');
    await preview.locator('#rendered .column-set').first().waitFor({ timeout: STEP });
    await preview.screenshot({ path: join(SHOTS, '08-preview-every-component.png'), fullPage: true });

    await preview.locator('#lang').selectOption('zh_cn');
    await preview.locator('#sample').selectOption('showcase_json1-basics-global-i18n');
    await preview.locator('#rendered', { hasText: '买牛奶' }).waitFor({ timeout: STEP });
    await preview.screenshot({ path: join(SHOTS, '09-preview-1_0-i18n-zh.png') });
  } finally {
    await preview.close();
  }
});

test('/remind: set a reminder, fast-forward, see it fire', async (t) => {
  if (!(await helpListsRemind())) {
    t.skip('/help does not list /remind yet: the reminder flow lands in a parallel change');
    return;
  }
  await watchEphemerals();
  await type(BOB, '/remind tomorrow 9:00 Stand-up');
  const form = column(BOB).locator('li.ephemeral[data-kind="card"]').last();
  await form.waitFor({ timeout: STEP });
  await shot('10-remind-form-bob-only');
  await form.locator('button[data-action="submit"]').click();
  for (const m of [ALICE, BOB, CAROL]) {
    await column(m).locator('li.msg[data-kind="card"]:not(.ephemeral)', { hasText: 'Stand-up' }).first()
      .waitFor({ timeout: STEP });
  }
  await form.waitFor({ state: 'detached', timeout: STEP });
  await shot('11-reminder-set');
  const before = await column(ALICE).locator('li.msg:not(.ephemeral)', { hasText: 'Stand-up' }).count();

  // "Next due" lands the clock on the reminder's due time (Bob's tomorrow
  // 9:00 in Asia/Shanghai), so it fires on time, not "Sent late".
  const next = page.getByRole('button', { name: 'Next due' });
  await next.waitFor({ state: 'visible', timeout: STEP });
  await next.click();
  for (const m of [ALICE, BOB, CAROL]) {
    await page.waitForFunction(([member, n]) => [...document.querySelectorAll(
      `section.member[data-member="${member}"] li.msg:not(.ephemeral)`,
    )].filter((li) => li.innerText.includes('Stand-up')).length > n, [m, before], { timeout: 30_000 })
      .catch(async (err) => {
        await shot('12-reminder-did-not-fire');
        throw new Error(`the reminder did not fire in ${m}'s column after Next due `
          + `(is the scheduler wired into botd's NewApp, on AppOptions.Now?): ${err.message}`);
      });
  }
  const firedCard = column(BOB).locator('li.msg:not(.ephemeral)', { hasText: /Snooze/ }).last();
  assert.doesNotMatch(await firedCard.innerText(), /Sent late/, 'the reminder fired late after "Next due"');
  for (const m of [ALICE, CAROL]) {
    assert.deepEqual(await seenEphemerals(m), [], `${m} saw an ephemeral card`);
  }
  await shot('12-reminder-fired');
  // The fired reminder PATCHes the card it was set with: every column shows the update.
  for (const m of [ALICE, BOB, CAROL]) {
    await page.waitForFunction((member) => ![...document.querySelectorAll(`section.member[data-member="${member}"] li.msg button`)]
      .some((b) => /Cancel reminder/.test(b.textContent)), m, { timeout: STEP })
      .catch(() => { throw new Error(`${m} still sees the reminder card before its update`); });
  }
  assert.deepEqual(pageErrors, [], 'the page threw');
});

// cutElements lists what is cut off in the columns shown: a button or form
// field whose box reaches outside its card, a card wider than its column,
// or a form field too narrow to show a date ("11/2") or a label ("负责.").
function cutElements() {
  return page.evaluate(() => {
    const out = [];
    const shown = [...document.querySelectorAll('section.member')].filter((c) => c.offsetParent !== null);
    for (const col of shown) {
      const line = col.querySelector('.timeline').getBoundingClientRect();
      for (const card of col.querySelectorAll('.card')) {
        const c = card.getBoundingClientRect();
        const what = `${col.dataset.member}: "${(card.querySelector('.card-title')?.textContent || '').trim()}"`;
        if (c.right > line.right + 1 || c.left < line.left - 1) out.push(`${what} card is wider than its column`);
        for (const el of card.querySelectorAll('button, input, select, textarea')) {
          const b = el.getBoundingClientRect();
          const name = `${el.tagName.toLowerCase()} "${(el.textContent || el.name || '').trim().slice(0, 30)}"`;
          if (b.left < c.left - 1 || b.right > c.right + 1) out.push(`${what}: ${name} is cut at the card's edge`);
          if (el.scrollWidth > el.clientWidth + 1 && el.tagName === 'BUTTON') out.push(`${what}: ${name} text overflows`);
          if (el.matches('input:not([type=checkbox]), select') && b.width < 150) out.push(`${what}: ${name} is ${Math.round(b.width)} px wide`);
        }
      }
    }
    // The top bar's controls (clock, fast-forward, language) stay inside
    // the window: they wrap rather than run off its right edge.
    for (const el of document.querySelectorAll('.topbar button, .topbar input, .topbar select, .topbar a, .topbar time')) {
      if (el.offsetParent === null) continue;
      const b = el.getBoundingClientRect();
      if (b.right > window.innerWidth + 1 || b.left < -1) {
        out.push(`top bar: ${el.tagName.toLowerCase()} "${(el.textContent || el.id).trim().slice(0, 30)}" is outside the window`);
      }
    }
    return out;
  });
}

// cutPlaceholders lists the shown composers and form fields whose
// placeholder text is wider than the box it is shown in.
function cutPlaceholders() {
  return page.evaluate(() => {
    const measure = document.createElement('canvas').getContext('2d');
    const out = [];
    for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
      if (el.offsetParent === null || !el.placeholder || el.value) continue; // a value hides it
      const st = getComputedStyle(el);
      measure.font = `${st.fontStyle} ${st.fontWeight} ${st.fontSize} ${st.fontFamily}`;
      const room = el.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight);
      if (measure.measureText(el.placeholder).width > room + 1) out.push(`"${el.placeholder}" in ${Math.round(room)} px`);
    }
    return out;
  });
}

// localTimeProblems checks that each shown column's header shows the
// simulated time in that member's zone (hour:minute, as botd's clock has it).
async function localTimeProblems(nowISO) {
  const zones = { [ALICE]: 'Asia/Shanghai', [BOB]: 'Asia/Shanghai', [CAROL]: 'Europe/Berlin' };
  const out = [];
  for (const [member, tz] of Object.entries(zones)) {
    if (!(await column(member).isVisible())) continue; // another tab is shown
    const el = column(member).locator('.member-head .local-time');
    if (!(await el.isVisible())) {
      out.push(`${member}'s column shows no local time`);
      continue;
    }
    const text = await el.innerText();
    // The page's clock ticks once a second, so across a minute boundary it
    // may show the minute before the server's now, or (reading late) after.
    const ok = [-1, 0, 1, 2].some((k) => text.includes(new Intl.DateTimeFormat('en-GB', {
      hour: '2-digit', minute: '2-digit', timeZone: tz,
    }).format(new Date(Date.parse(nowISO) + k * 60_000))));
    if (!ok) out.push(`${member} (${tz}) shows "${text}" for ${nowISO}`);
  }
  return out;
}

test('layout: a fired reminder and open forms read whole at 1600, 1280, 900 and 390 px', async (t) => {
  const fired = column(BOB).locator('li.msg:not(.ephemeral)', { hasText: /Snooze/ });
  if (!(await fired.count())) {
    t.skip('no fired reminder: the /remind test skipped');
    return;
  }
  await type(BOB, '/remind tomorrow 18:30 Water the plants');
  const form = column(BOB).locator('li.ephemeral[data-kind="card"]').last();
  await form.waitFor({ timeout: STEP });
  // Labels, not the selects' own placeholder options: a prefilled select
  // hides its placeholder.
  const labels = (await form.locator('.md').allInnerTexts()).join('\n');
  for (const label of ['Repeat', 'Who is reminded', 'People to remind']) {
    assert.ok(labels.includes(label), `the reminder form has no visible "${label}" label`);
  }
  assert.match(await form.locator('label', { hasText: 'Time' }).innerText(), /GMT\+8/, "the time field does not name Bob's zone");
  await type(ALICE, '/todo Book the room @Bob');
  const todo = column(ALICE).locator('li.ephemeral[data-kind="card"]', { hasText: 'New todo' }).last();
  await todo.waitFor({ timeout: STEP });
  assert.equal(await todo.getByLabel('Title').inputValue(), 'Book the room');
  assert.match(await todo.innerText(), /Assignee: @Bob/);
  assert.doesNotMatch(await todo.innerText(), /pick someone else/, 'the todo form contradicts its empty picker');

  // A toast shows over the card whose button was pressed, and a new one
  // replaces the one still showing.
  await todo.getByLabel('Title').fill('');
  const submit = todo.getByRole('button', { name: 'Create todo' });
  await submit.click();
  await submit.click();
  const toasts = column(ALICE).locator('.toast');
  await toasts.first().waitFor({ timeout: STEP });
  assert.equal(await toasts.count(), 1, 'a stale toast stayed');
  const [tb, cb] = [await toasts.first().boundingBox(), await todo.boundingBox()];
  const visible = await column(ALICE).locator('.timeline').boundingBox();
  const mid = tb.y + tb.height / 2;
  assert.ok(mid >= Math.max(cb.y, visible.y) && mid <= Math.min(cb.y + cb.height, visible.y + visible.height),
    `the toast (y ${Math.round(mid)}) is not over its card (y ${Math.round(cb.y)}..${Math.round(cb.y + cb.height)})`);
  await shot('19-toast-over-its-card');
  await todo.getByLabel('Title').fill('Book the room');

  for (const width of [1600, 1280, 900, 390]) {
    await page.setViewportSize({ width, height: width < 500 ? 844 : 1000 });
    const narrow = await page.locator('#member-tabs').isVisible();
    if (narrow) await page.locator(`#member-tabs [data-member="${BOB}"]`).click();
    await column(BOB).waitFor({ state: 'visible', timeout: STEP });
    assert.equal(await column(ALICE).isVisible(), !narrow, `${width} px: only the chosen tab's column shows`);
    await fired.last().scrollIntoViewIfNeeded();
    await shot(`20-layout-${width}-fired-reminder`);
    await form.scrollIntoViewIfNeeded();
    await shot(`21-layout-${width}-open-form`);
    assert.deepEqual(await cutElements(), [], `${width} px: something is cut off`);
    assert.deepEqual(await cutPlaceholders(), [], `${width} px: a placeholder is cut off`);
    if (width >= 1440) {
      // Wide windows fit the page: the columns scroll, not the page.
      const [scroll, view] = await page.evaluate(() => [document.documentElement.scrollHeight, window.innerHeight]);
      assert.ok(scroll <= view + 1, `${width} px: the page is ${scroll} px tall in a ${view} px window`);
    }
    const { now } = await page.evaluate(() => fetch('/api/clock').then((r) => r.json()));
    assert.deepEqual(await localTimeProblems(now), [], `${width} px: a column does not show its member's local time`);
    if (narrow) {
      await page.locator(`#member-tabs [data-member="${ALICE}"]`).click();
      await todo.scrollIntoViewIfNeeded();
      assert.deepEqual(await cutElements(), [], `${width} px: something is cut off in Alice's todo form`);
      await shot(`22-layout-${width}-todo-form`);
    }
  }
  await page.setViewportSize({ width: 1680, height: 1000 });
  assert.deepEqual(pageErrors, [], 'the page threw');
});

test('chats: every kind, with tabs; a topic group sends its forms to the direct chat', async () => {
  await page.setViewportSize({ width: 1600, height: 1000 });
  const tab = (chat) => page.locator(`#chat-tabs [data-chat="${chat}"]`);
  for (const chat of ['oc_playground', 'oc_launch', 'oc_topics', 'p2p']) await tab(chat).waitFor({ timeout: STEP });

  // The second group: Carol is not in it, and what is said there stays there.
  await tab('oc_launch').click();
  assert.equal(await column(CAROL).locator('.composer input').isDisabled(), true, 'Carol can type in a chat she is not in');
  await column(CAROL).locator('.outside-note').waitFor({ timeout: STEP });
  await type(ALICE, 'Launch moves to Friday');
  await column(BOB).locator('li[data-kind="text"]', { hasText: 'Launch moves to Friday' }).waitFor({ timeout: STEP });
  await tab('oc_playground').click();
  assert.equal(await column(BOB).locator('li[data-kind="text"]', { hasText: 'Launch moves to Friday' }).count(), 0);

  // The topic group: no ephemeral form; botd sends it to Bob's one-to-one
  // chat with the bot, as the product does, and the tab says so.
  await tab('oc_topics').click();
  await column(BOB).locator('li.welcome', { hasText: 'topic group' }).waitFor({ timeout: STEP });
  await type(BOB, '/todo Ship the release');
  await tab('p2p').locator('.unread:not([hidden])').waitFor({ timeout: STEP });
  assert.equal(await column(BOB).locator('li.ephemeral').count(), 0, 'an ephemeral card in a topic group');
  await shot('30-topic-group-command');
  await tab('p2p').click();
  const form = column(BOB).locator('li.msg[data-kind="card"]', { hasText: 'New todo' });
  await form.waitFor({ timeout: STEP });
  assert.equal(await form.getByLabel('Title').inputValue(), 'Ship the release');
  assert.doesNotMatch(await form.innerText(), /Only visible to you/, 'the direct-chat form is marked ephemeral');
  assert.equal(await column(ALICE).locator('li.msg[data-kind="card"]', { hasText: 'New todo' }).count(), 0, "Alice sees Bob's direct chat");
  await shot('31-direct-chat-form');
  await form.locator('button[data-action="submit"]').click();
  await column(BOB).locator('.toast', { hasText: 'Todo created' }).waitFor({ timeout: STEP });
  await tab('oc_topics').click();
  for (const m of [ALICE, BOB, CAROL]) {
    await column(m).locator('li.msg[data-kind="card"]', { hasText: 'Ship the release' }).waitFor({ timeout: STEP });
  }
  await shot('32-topic-group-final-card');
  await tab('oc_playground').click();
  await page.setViewportSize({ width: 1680, height: 1000 });
  assert.deepEqual(pageErrors, [], 'the page threw');
});
