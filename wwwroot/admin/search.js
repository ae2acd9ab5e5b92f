// Search over messages and visitors: the box above the conversation list, its results, and opening a result at its message.
import { el, t, $, errorText, formatDateTime } from '../js/common.js';
import { session } from './session.js';
import { conversations } from './conversations.js';

const search = { q: '', cursor: null, count: 0, generation: 0, timer: 0 };

/** The API marks matches between U+E000 and U+E001; they become <mark> elements holding text, never parsed HTML. */
export function markedText(snippet) {
  let inside = false;
  const nodes = [];
  for (const part of snippet.split(/([\uE000\uE001])/)) {
    if (part === '\uE000') inside = true;
    else if (part === '\uE001') inside = false;
    else if (part) nodes.push(inside ? el('mark', { text: part }) : document.createTextNode(part));
  }
  return nodes;
}

function renderResult(r) {
  return el('li', {}, el('button', {
    type: 'button', class: `result ${r.kind}`, 'data-conversation': r.conversationId, 'data-seq': r.seq ?? '',
    onclick: () => conversations.openAt(r.conversationId, r.seq),
  },
  el('span', { class: 'name', text: r.visitorDisplayName }),
  r.kind === 'visitor' ? el('span', { class: 'kind', text: t('admin.search.visitor') }) : el('time', { datetime: r.createdAt, text: formatDateTime(r.createdAt) }),
  el('p', { class: 'snippet' }, ...markedText(r.snippet))));
}

async function run(reset) {
  if (reset) { search.generation++; search.cursor = null; search.count = 0; }
  const generation = search.generation;
  if (!search.q) { $('search-pane').hidden = true; $('search-results').replaceChildren(); return; }
  const query = new URLSearchParams({ q: search.q, limit: '20' });
  if (search.cursor) query.set('before', search.cursor);
  try {
    const page = await session.call(`/api/admin/search?${query}`);
    if (generation !== search.generation) return;
    if (reset) $('search-results').replaceChildren();
    $('search-results').append(...page.results.map(renderResult));
    search.count += page.results.length;
    search.cursor = page.nextCursor;
    $('search-more').hidden = !search.cursor;
    $('search-status').textContent = search.count ? t('admin.search.count', { count: search.count }) : t('admin.search.none');
  } catch (e) {
    if (generation === search.generation) $('search-status').textContent = errorText(e);
  }
  $('search-pane').hidden = false;
}

function start() {
  clearTimeout(search.timer);
  search.q = $('search-q').value.trim();
  run(true);
}

$('search').addEventListener('submit', (e) => { e.preventDefault(); start(); });
// Results follow typing after a short pause; Enter searches at once; Escape (which empties a search field) hides them.
$('search-q').addEventListener('input', () => {
  clearTimeout(search.timer);
  search.timer = setTimeout(start, 300);
});
$('search-more').addEventListener('click', () => run(false));
