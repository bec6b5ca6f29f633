// render.js turns Feishu card JSON (2.0, and the basics of 1.0) into an HTML
// string. It is a pure module: no DOM, no fetch, no globals, so node's test
// runner checks it without a browser (render_test.mjs) and the page and the
// preview share it.
//
// What a card cannot show here is never dropped silently: an unknown tag
// renders as a visible "unsupported: <tag>" box.

/** Locales the page offers in its language switch. */
export const LOCALES = ['en_us', 'zh_cn'];

/** Documented header.template colours (§8.2); anything else renders as default. */
export const TEMPLATES = ['blue', 'wathet', 'turquoise', 'green', 'yellow', 'orange', 'red',
  'carmine', 'violet', 'purple', 'indigo', 'grey', 'default'];

const PICKERS = ['date_picker', 'picker_time', 'picker_datetime'];

const BUTTON_TYPES = ['default', 'primary', 'danger', 'text', 'primary_text', 'danger_text',
  'primary_filled', 'danger_filled', 'laser'];

/** esc escapes text for HTML element content and quoted attribute values. */
export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  }[c]));
}

/**
 * pickLocale chooses a per-locale value: the requested locale, else English,
 * else Chinese, else the first one given (a client whose language is missing
 * falls back to one of those provided, §8.4).
 */
export function pickLocale(map, locale) {
  if (!map || typeof map !== 'object' || Array.isArray(map)) return undefined;
  for (const k of [locale, 'en_us', 'zh_cn']) {
    if (map[k] !== undefined && map[k] !== null) return map[k];
  }
  return Object.values(map)[0];
}

/** textOf reads a text object (plain_text, lark_md) in the locale. */
function textOf(t, ctx) {
  if (t === null || t === undefined) return '';
  if (typeof t === 'string') return t;
  return pickLocale(t.i18n_content, ctx.locale) ?? pickLocale(t.i18n, ctx.locale) ?? t.content ?? '';
}

/** memberName resolves an open_id to a display name. */
function memberName(id, ctx) {
  if (id === 'all') return 'all';
  const m = (ctx.members || []).find((x) => x.open_id === id);
  if (m) return m.name;
  if (ctx.botId && id === ctx.botId) return ctx.botName || 'bot';
  return id;
}

const FONT_COLOURS = /^[a-z][a-z_-]{0,30}$/;

/**
 * markdown renders card markdown (§8.2, §8.7): **bold**, *italic*,
 * ~~strike~~, `code`, [links](https://…), line breaks, <at id=…></at>
 * mentions as @Name, and <font color='red'>…</font>. Everything else is
 * text: the source is escaped first and only these forms are recognised.
 */
export function markdown(src, ctx = {}) {
  const keep = [];
  const hold = (html) => `\u0000${keep.push(html) - 1}\u0000`;
  let h = esc(src);
  const q = '(?:&#39;|&quot;)?';
  // Mentions: card syntax <at id=ou_x></at>, and the text-message syntax
  // <at user_id="ou_x">Name</at>.
  h = h.replace(new RegExp(`&lt;at\\s+(id|email|user_id|open_id)=${q}([^\\s&]+?)${q}\\s*&gt;(.*?)&lt;/at&gt;`, 'g'),
    (_, kind, id, inner) => hold(`<span class="mention" data-id="${id}">@${esc(
      kind === 'email' ? id : (inner && id !== 'all' ? unesc(inner) : memberName(unesc(id), ctx)))}</span>`));
  h = h.replace(/`([^`\n]+)`/g, (_, code) => hold(`<code>${code}</code>`));
  h = h.replace(new RegExp(`&lt;font\\s+color=${q}([^\\s&]+?)${q}\\s*&gt;([\\s\\S]*?)&lt;/font&gt;`, 'g'),
    (_, colour, inner) => (FONT_COLOURS.test(colour)
      ? `<span class="md-font c-${colour}">${inner}</span>` : inner));
  h = h.replace(/\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/g,
    (_, text, url) => `<a href="${url}" target="_blank" rel="noopener noreferrer">${text}</a>`);
  h = h.replace(/\*\*([\s\S]+?)\*\*/g, '<strong>$1</strong>');
  h = h.replace(/~~([\s\S]+?)~~/g, '<del>$1</del>');
  h = h.replace(/(^|[^*\w])\*([^*\n]+?)\*(?!\w)/g, '$1<em>$2</em>');
  h = h.replace(/\r?\n/g, '<br>');
  return h.replace(/\u0000(\d+)\u0000/g, (_, i) => keep[Number(i)]);
}

function unesc(s) {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** plain renders plain text: escaped, line breaks kept, no markup at all. */
export function plain(src) {
  return esc(src).replace(/\r?\n/g, '<br>');
}

/** renderText renders a text object by its tag: lark_md/markdown or plain. */
function renderText(t, ctx) {
  const s = textOf(t, ctx);
  return t && (t.tag === 'lark_md' || t.tag === 'markdown') ? markdown(s, ctx) : plain(s);
}

export function unsupported(what) {
  return `<div class="unsupported" role="note">unsupported: ${esc(what)}</div>`;
}

/**
 * renderCard renders a whole card.
 * ctx: { locale: 'en_us', members: [{open_id, name}], botId, botName,
 *        zone: the member's UTC offset label for time pickers (optional),
 *        idPrefix: unique per rendered card, for label/input ids }.
 */
export function renderCard(card, ctx = {}) {
  const c = { locale: 'en_us', members: [], idPrefix: 'c', ...ctx, seq: 0 };
  if (!card || typeof card !== 'object' || Array.isArray(card)) {
    return `<div class="card">${unsupported('card: not a JSON object')}</div>`;
  }
  if (card.type === 'template') {
    return `<div class="card">${unsupported('template card (template_id)')}</div>`;
  }
  const v2 = card.schema === '2.0';
  let elements;
  if (v2) {
    elements = card.body?.elements;
  } else if (card.i18n_elements) {
    // Global i18n wins over local i18n when both are present (§8.4).
    elements = pickLocale(card.i18n_elements, c.locale);
  } else {
    elements = card.elements;
  }
  const header = card.header ? renderHeader(card.header, c) : '';
  const body = Array.isArray(elements) ? renderElements(elements, c) : '';
  const width = ['compact', 'fill'].includes(card.config?.width_mode) ? ` width-${card.config.width_mode}` : '';
  return `<div class="card${width}" data-schema="${v2 ? '2.0' : '1.0'}">${header}<div class="card-body">${body}</div></div>`;
}

export function renderHeader(h, ctx) {
  const tpl = TEMPLATES.includes(h.template) ? h.template : 'default';
  const title = textOf(h.title, ctx);
  const subtitle = textOf(h.subtitle, ctx);
  const tags = pickLocale(h.i18n_text_tag_list, ctx.locale) || h.text_tag_list || [];
  const tagHTML = Array.isArray(tags) ? tags.map((t) => `<span class="text-tag tag-${esc(t.color || 'neutral')}">${esc(textOf(t.text, ctx))}</span>`).join('') : '';
  return `<div class="card-header tpl-${tpl}"><div class="card-title" role="heading" aria-level="3">${plain(title)}${tagHTML}</div>${
    subtitle ? `<div class="card-subtitle">${plain(subtitle)}</div>` : ''}</div>`;
}

export function renderElements(list, ctx) {
  return (list || []).map((e) => renderElement(e, ctx)).join('');
}

/** renderElement renders one component by its tag. */
export function renderElement(e, ctx) {
  if (!e || typeof e !== 'object') return unsupported(typeof e);
  const r = RENDERERS[e.tag];
  return r ? r(e, ctx) : unsupported(e.tag || '(no tag)');
}

function fieldId(ctx) {
  ctx.seq += 1;
  return `${ctx.idPrefix}-f${ctx.seq}`;
}

function attrs(map) {
  return Object.entries(map)
    .filter(([, v]) => v !== undefined && v !== null && v !== false)
    .map(([k, v]) => (v === true ? ` ${k}` : ` ${k}="${esc(v)}"`)).join('');
}

/** field wraps a form control with its label (or an aria-label from the placeholder). */
function field(e, ctx, control) {
  const id = fieldId(ctx);
  const label = textOf(e.label, ctx);
  const placeholder = textOf(e.placeholder, ctx);
  // Date and time inputs cannot show a placeholder, so theirs becomes a
  // muted label; other controls show it inside and get it as aria-label.
  const hint = !label && placeholder && PICKERS.includes(e.tag);
  const req = e.required ? '<span class="req" aria-hidden="true">*</span>' : '';
  // A time is read in the zone of the member's client (ctx.zone, e.g.
  // "GMT+8"): say which, so "09:00" is not taken for the browser's.
  const zone = ctx.zone && (e.tag === 'picker_time' || e.tag === 'picker_datetime')
    ? ` <span class="zone">(${esc(ctx.zone)})</span>` : '';
  let labelHTML = '';
  if (label) labelHTML = `<label class="field-label" for="${id}">${plain(label)}${zone}${req}</label>`;
  else if (hint) labelHTML = `<label class="field-label hint" for="${id}">${plain(placeholder)}${zone}${req}</label>`;
  const common = {
    id, name: e.name, 'data-field': '', 'data-tag': e.tag, required: !!e.required, disabled: !!e.disabled,
    'aria-label': label || hint ? undefined : (placeholder || e.name || e.tag),
  };
  return `<div class="field${e.label_position === 'left' ? ' label-left' : ''}">${labelHTML}${control(common, placeholder)}</div>`;
}

function optionsHTML(options, selected, ctx, placeholder, multiple) {
  const sel = new Set([].concat(selected ?? []).map(String));
  const head = multiple ? '' : `<option value="">${esc(placeholder || '')}</option>`;
  return head + options.map((o) => `<option value="${esc(o.value)}"${sel.has(String(o.value)) ? ' selected' : ''}>${esc(o.label)}</option>`).join('');
}

function staticOptions(e, ctx) {
  return (e.options || []).map((o) => ({ value: o.value, label: textOf(o.text, ctx) || o.value }));
}

/** personOptions: the card's options, or every member of the chat when empty (§8.6). */
function personOptions(e, ctx) {
  const given = (e.options || []).map((o) => o.value).filter(Boolean);
  const ids = given.length ? given : (ctx.members || []).map((m) => m.open_id);
  return ids.map((id) => ({ value: id, label: memberName(id, ctx) }));
}

function initialStatic(e) {
  if (e.initial_option !== undefined) return e.initial_option;
  if (e.initial_index > 0 && e.options?.[e.initial_index - 1]) return e.options[e.initial_index - 1].value;
  return undefined;
}

function button(e, ctx) {
  const type = BUTTON_TYPES.includes(e.type) ? e.type : 'default';
  const formAction = e.form_action_type || { form_submit: 'submit', form_reset: 'reset' }[e.action_type];
  const behaviors = Array.isArray(e.behaviors) ? e.behaviors : [];
  const url = behaviors.find((b) => b.type === 'open_url');
  const callback = behaviors.some((b) => b.type === 'callback') || (e.value && typeof e.value === 'object');
  let action = 'none';
  if (formAction === 'submit' || formAction === 'reset') action = formAction;
  else if (callback) action = 'callback';
  else if (url || e.url || e.multi_url) action = 'link';
  const href = url?.default_url || url?.pc_url || e.url || e.multi_url?.url || '';
  const size = ['tiny', 'small', 'medium', 'large'].includes(e.size) ? ` size-${e.size}` : '';
  const width = e.width === 'fill' ? ' width-fill' : '';
  return `<button type="button" class="btn btn-${type}${size}${width}"${attrs({
    name: e.name, 'data-button': e.name || '', 'data-action': action, 'data-url': href || undefined,
    disabled: !!e.disabled, title: textOf(e.hover_tips, ctx) || undefined,
  })}>${plain(textOf(e.text, ctx))}</button>`;
}

const IMAGE_ICON = '<svg class="icon" aria-hidden="true" viewBox="0 0 24 24" width="20" height="20"><rect x="3" y="5" width="18" height="14" rx="2" fill="none" stroke="currentColor" stroke-width="1.6"/><circle cx="9" cy="10" r="1.8" fill="currentColor"/><path d="M4 18l5-5 4 4 3-3 4 4" fill="none" stroke="currentColor" stroke-width="1.6"/></svg>';

function imagePlaceholder(e, ctx) {
  const alt = textOf(e.alt, ctx) || textOf(e.title, ctx) || 'image';
  return `<div class="img-ph" role="img" aria-label="${esc(alt)}">${IMAGE_ICON}${plain(alt)}<small>${esc(e.img_key || '')}</small></div>`;
}

const RENDERERS = {
  markdown: (e, ctx) => {
    const src = pickLocale(e.i18n_content, ctx.locale) ?? e.content ?? '';
    const align = ['left', 'center', 'right'].includes(e.text_align) ? ` align-${e.text_align}` : '';
    const size = e.text_size ? ` size-${esc(e.text_size)}` : '';
    return `<div class="md${align}${size}">${markdown(src, ctx)}</div>`;
  },
  lark_md: (e, ctx) => `<div class="md">${markdown(textOf(e, ctx), ctx)}</div>`,
  plain_text: (e, ctx) => `<div class="plain">${plain(textOf(e, ctx))}</div>`,
  div: (e, ctx) => {
    const text = e.text ? `<div class="div-text">${renderText(e.text, ctx)}</div>` : '';
    const fields = Array.isArray(e.fields) && e.fields.length
      ? `<div class="div-fields">${e.fields.map((f) => `<div class="div-field${f.is_short ? ' short' : ''}">${renderText(f.text, ctx)}</div>`).join('')}</div>`
      : '';
    const extra = e.extra ? `<div class="div-extra">${renderElement(e.extra, ctx)}</div>` : '';
    return `<div class="div">${text}${fields}${extra}</div>`;
  },
  hr: () => '<hr class="card-hr">',
  divider: () => '<hr class="card-hr">',
  note: (e, ctx) => `<div class="note">${(e.elements || []).map((x) => (x.tag === 'img'
    ? `<span class="note-img">${IMAGE_ICON}</span>`
    : `<span>${renderText(x, ctx)}</span>`)).join(' ')}</div>`,
  img: imagePlaceholder,
  image: imagePlaceholder,
  column_set: (e, ctx) => {
    const cols = (e.columns || []).map((col) => renderElement({ ...col, tag: col.tag || 'column' }, ctx)).join('');
    return `<div class="column-set">${cols}</div>`;
  },
  column: (e, ctx) => {
    const weight = e.width === 'weighted' ? Number(e.weight) || 1 : (e.width === 'auto' ? 0 : 1);
    const style = weight ? `flex:${weight} 1 0` : 'flex:0 0 auto';
    return `<div class="column" style="${style}">${renderElements(e.elements, ctx)}</div>`;
  },
  form: (e, ctx) => `<form class="card-form" data-form="${esc(e.name || '')}" novalidate>${renderElements(e.elements, ctx)}</form>`,
  action: (e, ctx) => `<div class="actions">${renderElements(e.actions, ctx)}</div>`,
  button,
  input: (e, ctx) => field(e, ctx, (a, ph) => {
    const value = pickLocale(e.i18n_default_value, ctx.locale) ?? e.default_value ?? '';
    const max = e.max_length ? Number(e.max_length) : undefined;
    if (e.input_type === 'multiline_text') {
      return `<textarea${attrs({ ...a, rows: e.rows || 5, maxlength: max, placeholder: ph || undefined })}>${esc(value)}</textarea>`;
    }
    const type = e.input_type === 'password' ? 'password' : 'text';
    return `<input${attrs({ ...a, type, value, maxlength: max, placeholder: ph || undefined })}>`;
  }),
  date_picker: (e, ctx) => field(e, ctx, (a) => `<input${attrs({ ...a, type: 'date', value: e.initial_date || '' })}>`),
  picker_time: (e, ctx) => field(e, ctx, (a) => `<input${attrs({ ...a, type: 'time', value: e.initial_time || '' })}>`),
  picker_datetime: (e, ctx) => field(e, ctx, (a) => `<input${attrs({
    ...a, type: 'datetime-local', value: (e.initial_datetime || '').replace(' ', 'T'),
  })}>`),
  select_static: (e, ctx) => field(e, ctx, (a, ph) => `<select${attrs(a)}>${optionsHTML(staticOptions(e, ctx), initialStatic(e), ctx, ph, false)}</select>`),
  multi_select_static: (e, ctx) => field(e, ctx, (a) => `<select${attrs({ ...a, multiple: true })}>${optionsHTML(staticOptions(e, ctx), e.selected_values, ctx, '', true)}</select>`),
  select_person: (e, ctx) => field(e, ctx, (a, ph) => `<select${attrs(a)}>${optionsHTML(personOptions(e, ctx), e.initial_option, ctx, ph, false)}</select>`),
  multi_select_person: (e, ctx) => field(e, ctx, (a) => `<select${attrs({ ...a, multiple: true })}>${optionsHTML(personOptions(e, ctx), e.selected_values, ctx, '', true)}</select>`),
  checker: (e, ctx) => {
    const id = fieldId(ctx);
    return `<div class="field checker"><input${attrs({ id, type: 'checkbox', name: e.name, 'data-field': '', 'data-tag': 'checker', checked: !!e.checked, disabled: !!e.disabled })}><label for="${id}">${renderText(e.text, ctx)}</label></div>`;
  },
};

/** SUPPORTED lists the tags renderElement knows. */
export const SUPPORTED = Object.keys(RENDERERS);
