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

function problemsHTML(list) {
  if (!list.length) return '<li class="ok">No problems: the simulator accepts it.</li>';
  return list.map((p) => `<li><code>${esc(p.path || '(card)')}</code> ${esc(p.message)}${p.code ? ` <span class="code">[${esc(p.code)}]</span>` : ''}</li>`).join('');
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
    } catch (err) {
      $('#rendered').innerHTML = `<div class="unsupported" role="note">not JSON: ${esc(err.message)}</div>`;
    }
    const v = await getJSON('/api/validate', { card: text });
    $('#problems-group').innerHTML = problemsHTML(v.group);
    $('#problems-ephemeral').innerHTML = problemsHTML(v.ephemeral);
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
