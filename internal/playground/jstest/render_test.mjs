// Tests of the card renderer (web/render.js), one per supported element,
// run by node's built-in runner: node --test internal/playground/jstest/
// The renderer is pure, so the tests compare HTML strings; no DOM needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderCard, renderElement, markdown, plain, pickLocale, SUPPORTED } from '../web/render.js';

const members = [
  { open_id: 'ou_alice', name: 'Alice' },
  { open_id: 'ou_bob', name: 'Bob' },
  { open_id: 'ou_carol', name: 'Carol' },
];
const ctx = (extra = {}) => ({ locale: 'en_us', members, idPrefix: 't', seq: 0, ...extra });
const el = (e, extra) => renderElement(e, ctx(extra));
const v2 = (elements, header) => ({ schema: '2.0', ...(header ? { header } : {}), body: { elements } });
const count = (s, sub) => s.split(sub).length - 1;

test('header: title, subtitle and template colour', () => {
  const h = renderCard(v2([], {
    title: { tag: 'plain_text', content: 'New <todo>' },
    subtitle: { tag: 'plain_text', content: 'sub' },
    template: 'red',
  }), ctx());
  assert.match(h, /class="card-header tpl-red"/);
  assert.match(h, /New &lt;todo&gt;/);
  assert.match(h, /class="card-subtitle">sub</);
});

test('header: unknown template falls back to default', () => {
  const h = renderCard(v2([], { title: { tag: 'plain_text', content: 'x' }, template: 'chartreuse' }), ctx());
  assert.match(h, /tpl-default/);
});

test('header: text tags', () => {
  const h = renderCard(v2([], { title: { tag: 'plain_text', content: 'x' }, text_tag_list: [{ tag: 'text_tag', text: { tag: 'plain_text', content: 'todo' }, color: 'blue' }] }), ctx());
  assert.match(h, /class="text-tag tag-blue">todo</);
});

test('markdown: bold, italic, strike, code, link', () => {
  const h = markdown('**b** *i* ~~s~~ `c*d` [l](https://x.test/a?b=1&c=2)', ctx());
  assert.match(h, /<strong>b<\/strong>/);
  assert.match(h, /<em>i<\/em>/);
  assert.match(h, /<del>s<\/del>/);
  assert.match(h, /<code>c\*d<\/code>/);
  assert.match(h, /<a href="https:\/\/x.test\/a\?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">l<\/a>/);
});

test('markdown: line breaks', () => {
  assert.equal(markdown('a\nb', ctx()), 'a<br>b');
});

test('markdown: <at id=…></at> shows @Name, @all, and unknown ids', () => {
  const h = markdown('<at id=ou_bob></at> <at id="ou_alice"></at> <at id=all></at> <at id=ou_zed></at>', ctx());
  assert.match(h, /<span class="mention" data-id="ou_bob">@Bob<\/span>/);
  assert.match(h, /@Alice/);
  assert.match(h, /@all/);
  assert.match(h, /@ou_zed/);
});

test("markdown: <font color='red'>", () => {
  const h = markdown("<font color='red'>Title is required</font>", ctx());
  assert.equal(h, '<span class="md-font c-red">Title is required</span>');
});

test('markdown: any other HTML is text', () => {
  const h = markdown('<script>alert(1)</script><img src=x onerror=y>', ctx());
  assert.doesNotMatch(h, /<script|<img/);
  assert.match(h, /&lt;script&gt;/);
});

test('markdown element: content, i18n_content and notation size', () => {
  const h = el({ tag: 'markdown', content: 'x', i18n_content: { zh_cn: '中文', en_us: 'English' }, text_size: 'notation' }, { locale: 'zh_cn' });
  assert.match(h, /class="md size-notation">中文</);
});

test('plain_text element and div text stay literal', () => {
  assert.equal(el({ tag: 'plain_text', content: '**no** <at id=all></at>' }), '<div class="plain">**no** &lt;at id=all&gt;&lt;/at&gt;</div>');
  const d = el({ tag: 'div', text: { tag: 'plain_text', content: 'a\n<b>' } });
  assert.match(d, /<div class="div-text">a<br>&lt;b&gt;<\/div>/);
});

test('div: lark_md text and 1.0 fields', () => {
  const d = el({ tag: 'div', text: { tag: 'lark_md', content: '**x**' }, fields: [
    { is_short: true, text: { tag: 'lark_md', content: '**Due**' } },
    { is_short: false, text: { tag: 'plain_text', content: 'long' } },
  ] });
  assert.match(d, /<strong>x<\/strong>/);
  assert.match(d, /class="div-field short"><strong>Due<\/strong>/);
  assert.match(d, /class="div-field">long/);
});

test('hr and divider', () => {
  assert.equal(el({ tag: 'hr' }), '<hr class="card-hr">');
  assert.equal(el({ tag: 'divider' }), '<hr class="card-hr">');
});

test('column_set and column with weights', () => {
  const h = el({ tag: 'column_set', columns: [
    { tag: 'column', width: 'weighted', weight: 2, elements: [{ tag: 'markdown', content: 'L' }] },
    { tag: 'column', width: 'auto', elements: [{ tag: 'markdown', content: 'R' }] },
  ] });
  assert.match(h, /^<div class="column-set"><div class="column" style="flex:2 1 0"><div class="md">L<\/div><\/div><div class="column" style="flex:0 0 auto">/);
});

test('form: a <form> named after the container', () => {
  const h = el({ tag: 'form', name: 'todo_form', elements: [{ tag: 'markdown', content: 'x' }] });
  assert.match(h, /^<form class="card-form" data-form="todo_form" novalidate><div class="md">x<\/div><\/form>$/);
});

test('input: single line with label, default value, required, max length', () => {
  const h = el({ tag: 'input', name: 'title', required: true, label: { tag: 'plain_text', content: 'Title' },
    placeholder: { tag: 'plain_text', content: 'What?' }, default_value: 'Buy "milk"', max_length: 200 });
  assert.match(h, /<label class="field-label" for="t-f1">Title<span class="req"/);
  assert.match(h, /<input id="t-f1" name="title" data-field="" data-tag="input" required type="text" value="Buy &quot;milk&quot;" maxlength="200" placeholder="What\?">/);
});

test('input: multiline is a textarea with rows; no label gives an aria-label', () => {
  const h = el({ tag: 'input', name: 'notes', input_type: 'multiline_text', rows: 3, default_value: 'a<b',
    placeholder: { tag: 'plain_text', content: 'Details' } });
  assert.match(h, /<textarea id="t-f1" name="notes" data-field="" data-tag="input" aria-label="Details" rows="3" placeholder="Details">a&lt;b<\/textarea>/);
});

test('input: i18n_default_value', () => {
  const h = el({ tag: 'input', name: 'n', default_value: 'x', i18n_default_value: { zh_cn: '默认' } }, { locale: 'zh_cn' });
  assert.match(h, /value="默认"/);
});

test('date_picker', () => {
  const h = el({ tag: 'date_picker', name: 'due_date', initial_date: '2024-11-15', placeholder: { tag: 'plain_text', content: 'Due' } });
  // A date input shows no placeholder: it becomes the label.
  assert.match(h, /<label class="field-label hint" for="t-f1">Due<\/label><input id="t-f1" name="due_date" data-field="" data-tag="date_picker" type="date" value="2024-11-15">/);
});

test('picker_time', () => {
  assert.match(el({ tag: 'picker_time', name: 't', initial_time: '19:09' }), /type="time" value="19:09"/);
});

test('picker_datetime', () => {
  assert.match(el({ tag: 'picker_datetime', name: 'dt', initial_datetime: '2024-04-29 07:07' }), /type="datetime-local" value="2024-04-29T07:07"/);
});

test('select_static: options, placeholder, initial_option and initial_index', () => {
  const options = [{ text: { tag: 'plain_text', content: 'Low' }, value: '1' }, { text: { tag: 'plain_text', content: 'High' }, value: '2' }];
  const h = el({ tag: 'select_static', name: 'p', options, initial_option: '2', placeholder: { tag: 'plain_text', content: 'Pick' } });
  assert.match(h, /<option value="">Pick<\/option><option value="1">Low<\/option><option value="2" selected>High<\/option>/);
  assert.match(el({ tag: 'select_static', name: 'p', options, initial_index: 1 }), /<option value="1" selected>Low/);
});

test('multi_select_static: multiple with selected_values', () => {
  const h = el({ tag: 'multi_select_static', name: 'l', selected_values: ['b'],
    options: [{ text: { tag: 'plain_text', content: 'A' }, value: 'a' }, { text: { tag: 'plain_text', content: 'B' }, value: 'b' }] });
  assert.match(h, /<select [^>]*data-tag="multi_select_static"[^>]* multiple>/);
  assert.match(h, /<option value="a">A<\/option><option value="b" selected>B<\/option>/);
});

test('select_person: empty options offer every member of the chat', () => {
  const h = el({ tag: 'select_person', name: 'assignee', options: [] });
  assert.equal(count(h, '<option value="ou_'), 3);
  assert.match(h, /<option value="ou_bob">Bob<\/option>/);
});

test('select_person: given options restrict the choice; initial_option selects', () => {
  const h = el({ tag: 'select_person', name: 'a', options: [{ value: 'ou_carol' }], initial_option: 'ou_carol' });
  assert.equal(count(h, '<option value="ou_'), 1);
  assert.match(h, /<option value="ou_carol" selected>Carol/);
});

test('multi_select_person', () => {
  const h = el({ tag: 'multi_select_person', name: 'w', options: [], selected_values: ['ou_alice'] });
  assert.match(h, / multiple>/);
  assert.match(h, /<option value="ou_alice" selected>Alice/);
});

test('button: type, callback behavior, name', () => {
  const h = el({ tag: 'button', name: 'close_btn', type: 'default', text: { tag: 'plain_text', content: 'Close' },
    behaviors: [{ type: 'callback', value: { action: 'cancel' } }] });
  assert.equal(h, '<button type="button" class="btn btn-default" name="close_btn" data-button="close_btn" data-action="callback">Close</button>');
});

test('button: form_action_type submit and reset, 1.0 action_type', () => {
  assert.match(el({ tag: 'button', name: 's', type: 'primary', form_action_type: 'submit', text: { tag: 'plain_text', content: 'Go' } }), /class="btn btn-primary"[^>]*data-action="submit"/);
  assert.match(el({ tag: 'button', name: 'r', form_action_type: 'reset', text: { tag: 'plain_text', content: 'R' } }), /data-action="reset"/);
  assert.match(el({ tag: 'button', name: 's1', action_type: 'form_submit', text: { tag: 'plain_text', content: 'Go' } }), /data-action="submit"/);
});

test('button: 1.0 value, open_url, danger type, disabled', () => {
  assert.match(el({ tag: 'button', type: 'danger', value: { k: 'v' }, text: { tag: 'plain_text', content: 'x' } }), /btn-danger"[^>]*data-action="callback"/);
  assert.match(el({ tag: 'button', behaviors: [{ type: 'open_url', default_url: 'https://x.test' }], text: { tag: 'plain_text', content: 'x' } }), /data-action="link" data-url="https:\/\/x.test"/);
  assert.match(el({ tag: 'button', disabled: true, text: { tag: 'plain_text', content: 'x' } }), / disabled>/);
});

test('checker', () => {
  assert.match(el({ tag: 'checker', name: 'c', checked: true, text: { tag: 'plain_text', content: 'Done' } }), /type="checkbox" name="c" data-field="" data-tag="checker" checked><label for="t-f1">Done/);
});

test('1.0: elements, action module, note, img placeholder', () => {
  const h = renderCard({
    header: { title: { tag: 'plain_text', content: 'Old' }, template: 'blue' },
    elements: [
      { tag: 'action', actions: [{ tag: 'button', text: { tag: 'plain_text', content: 'Done' }, type: 'primary', value: { k: 'v' } }] },
      { tag: 'note', elements: [{ tag: 'plain_text', content: 'by Bob' }, { tag: 'img', img_key: 'k' }] },
      { tag: 'img', img_key: 'img_v2_x', alt: { tag: 'plain_text', content: 'milk' } },
    ],
  }, ctx());
  assert.match(h, /data-schema="1.0"/);
  assert.match(h, /<div class="actions"><button type="button" class="btn btn-primary" data-button="" data-action="callback">Done<\/button><\/div>/);
  assert.match(h, /<div class="note"><span>by Bob<\/span> <span class="note-img"/);
  assert.match(h, /<div class="img-ph" role="img" aria-label="milk">/);
});

test('1.0 global i18n: i18n_elements and header title i18n follow the language switch', () => {
  const card = {
    header: { title: { tag: 'plain_text', content: 'Todo', i18n: { zh_cn: '待办', en_us: 'Todo' } } },
    i18n_elements: { en_us: [{ tag: 'div', text: { tag: 'plain_text', content: 'Hello' } }], zh_cn: [{ tag: 'div', text: { tag: 'plain_text', content: '你好' } }] },
  };
  const zh = renderCard(card, ctx({ locale: 'zh_cn' }));
  assert.match(zh, /待办/);
  assert.match(zh, /你好/);
  assert.doesNotMatch(zh, /Hello/);
  assert.match(renderCard(card, ctx({ locale: 'en_us' })), /Todo[\s\S]*Hello/);
});

test('2.0 local i18n: i18n_content on the header title', () => {
  const h = renderCard(v2([], { title: { tag: 'plain_text', content: 'Reminder', i18n_content: { zh_cn: '提醒' } } }), ctx({ locale: 'zh_cn' }));
  assert.match(h, /提醒/);
});

test('pickLocale falls back to English, then Chinese, then the first', () => {
  assert.equal(pickLocale({ ja_jp: 'ja', en_us: 'en' }, 'de_de'), 'en');
  assert.equal(pickLocale({ ja_jp: 'ja', zh_cn: 'zh' }, 'de_de'), 'zh');
  assert.equal(pickLocale({ ja_jp: 'ja' }, 'de_de'), 'ja');
});

test('unknown tags render a visible unsupported box', () => {
  assert.equal(el({ tag: 'chart' }), '<div class="unsupported" role="note">unsupported: chart</div>');
  assert.match(renderCard(v2([{ tag: 'table' }]), ctx()), /unsupported: table/);
  assert.match(renderCard([], ctx()), /unsupported: card: not a JSON object/);
});

test('plain escapes and keeps line breaks', () => {
  assert.equal(plain('<a>\n&'), '&lt;a&gt;<br>&amp;');
});

test('every supported tag renders without an unsupported box', () => {
  for (const tag of SUPPORTED) {
    assert.doesNotMatch(el({ tag, name: 'n' }), /unsupported/, tag);
  }
});

test('time pickers name the member zone; date pickers and other fields do not', () => {
  const time = el({ tag: 'picker_time', name: 't', placeholder: { tag: 'plain_text', content: 'Time' } }, { zone: 'GMT+8' });
  assert.match(time, /Time <span class="zone">\(GMT\+8\)<\/span>/);
  const date = el({ tag: 'date_picker', name: 'd', placeholder: { tag: 'plain_text', content: 'Date' } }, { zone: 'GMT+8' });
  assert.doesNotMatch(date, /GMT/);
  assert.doesNotMatch(el({ tag: 'picker_time', name: 't', placeholder: { tag: 'plain_text', content: 'Time' } }), /zone/);
});
