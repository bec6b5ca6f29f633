// preview.js is the card preview: pick a card botd produces or paste card
// JSON, see it rendered, and see what the simulator would reject.
import { renderCard, esc } from './render.js';

const $ = (sel) => document.querySelector(sel);
const samples = new Map();
let world = { members: [] };

async function getJSON(path, body) {
  const res = await fetch(path, body === undefined ? {} : {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

const GROUPS = { flows: 'Cards the flows produce', sent: 'Sent in this session', showcase: 'Renderer showcases' };

async function loadSamples() {
  const { samples: list } = await getJSON('/api/cards');
  const select = $('#sample');
  for (const [group, label] of Object.entries(GROUPS)) {
    const items = list.filter((s) => s.group === group);
    if (!items.length) continue;
    const og = document.createElement('optgroup');
    og.label = label;
    for (const s of items) {
      samples.set(s.id, s);
      const o = document.createElement('option');
      o.value = s.id;
      o.textContent = `${s.title}${s.ephemeral ? ' · ephemeral' : ''}`;
      og.appendChild(o);
    }
    select.appendChild(og);
  }
}

const SURFACES = { group: 'group card', ephemeral: 'ephemeral card' };

function problemsHTML(list) {
  if (!list.length) return '<li class="ok">No problems: the simulator accepts it as a group card and as an ephemeral card.</li>';
  return list.map((p) => `<li><code>${esc(p.path || '(card)')}</code> ${esc(p.message)}${p.code ? ` <span class="code">[${esc(p.code)}]</span>` : ''}${
    (p.surfaces || []).map((x) => ` <span class="surface surface-${esc(x)}">${esc(SURFACES[x] || x)}</span>`).join('')}</li>`).join('');
}

// showSyntax says where the text stops being JSON, and selects that spot
// in the editor on a click.
function showSyntax(syntax) {
  const el = $('#syntax');
  el.hidden = !syntax;
  if (!syntax) return '';
  const where = `line ${syntax.line}, column ${syntax.column}`;
  el.innerHTML = `JSON syntax error at <button type="button" class="goto">${esc(where)}</button>: ${esc(syntax.message)}`;
  $('.goto', el).addEventListener('click', () => {
    const lines = $('#json').value.split('\n');
    let pos = 0;
    for (let i = 0; i < syntax.line - 1 && i < lines.length; i += 1) pos += lines[i].length + 1;
    pos += syntax.column - 1; // close enough for astral characters, which count as two here
    $('#json').focus();
    $('#json').setSelectionRange(pos, pos + 1);
  });
  return where;
}

let timer;
function update() {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    const text = $('#json').value;
    let card;
    try {
      card = JSON.parse(text);
      $('#rendered').innerHTML = renderCard(card, {
        locale: $('#lang').value, members: world.members, botId: world.bot_open_id, botName: world.bot_name, idPrefix: 'pv',
      });
    } catch {
      card = undefined;
    }
    const v = await getJSON('/api/validate', { card: text });
    const where = showSyntax(v.syntax);
    if (card === undefined) {
      $('#rendered').innerHTML = `<div class="unsupported" role="note">not JSON${where ? ` (${esc(where)})` : ''}: ${esc(v.syntax?.message || '')}</div>`;
    }
    $('#problems').innerHTML = v.syntax
      ? '<li>Text that is not JSON is refused everywhere: fix the syntax error first. <span class="surface surface-group">group card</span> <span class="surface surface-ephemeral">ephemeral card</span></li>'
      : problemsHTML(v.problems);
    document.body.dataset.validated = 'true';
  }, 150);
}

async function main() {
  world = await getJSON('/api/world');
  await loadSamples();
  $('#sample').addEventListener('change', (ev) => {
    const s = samples.get(ev.target.value);
    if (!s) return;
    $('#json').value = JSON.stringify(s.card, null, 2);
    update();
  });
  $('#json').addEventListener('input', () => {
    $('#sample').value = ''; // the text is no longer the picked card
    update();
  });
  $('#lang').addEventListener('change', update);
  const first = [...samples.keys()][0];
  if (first) {
    $('#sample').value = first;
    $('#sample').dispatchEvent(new Event('change'));
  }
}

main();
