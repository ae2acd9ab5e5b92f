// How the team sorts conversations: the list's filters (state, assignee, tag, unread) and the open conversation's assignee.
import { el, t, $, errorText } from '../js/common.js';
import { session } from './session.js';
import { tags } from './tags.js';

const filter = { status: '', assignee: '', tag: '', unread: false };
const picker = { conversation: null, entries: [], active: 0, onAssigned: () => {} };
let admins = [];
let onFilter = () => {};

/** Active admins: who can be assigned, and whom the list can be filtered by. */
async function loadAdmins() {
  try {
    admins = (await session.call('/api/admin/admins')).filter((a) => a.status === 'active');
  } catch {
    admins = [];
  }
  renderFilters();
  renderPicker();
}

function options(select, entries, selected) {
  select.replaceChildren(...entries.map(([value, text]) => el('option', { value, text })));
  select.value = entries.some(([value]) => value === selected) ? selected : '';
}

function renderFilters() {
  options($('filter-assignee'), [['', t('admin.filter.anyone')], ['me', t('admin.filter.me')], ['none', t('admin.filter.unassigned')],
    ...admins.filter((a) => a.id !== session.me?.id).map((a) => [String(a.id), a.displayName])], filter.assignee);
  options($('filter-tag'), [['', t('admin.filter.anyTag')], ...tags.all().map((tag) => [String(tag.id), tag.name])], filter.tag);
  // A deleted tag or a removed admin cannot filter any more: the list goes back to showing everyone's, or every tag.
  if (filter.assignee !== $('filter-assignee').value || filter.tag !== $('filter-tag').value) {
    Object.assign(filter, { assignee: $('filter-assignee').value, tag: $('filter-tag').value });
    onFilter();
  }
}

/** The open conversation's assignee: a button showing who, opening a list of the team where a click or Enter assigns. */
function renderPicker() {
  const c = picker.conversation;
  if (!c) return;
  const current = c.assignedAdminId ?? null;
  const entries = [[null, t('admin.assignee.nobody')], ...admins.map((a) => [a.id, a.displayName])];
  // Someone no longer active still shows as the assignee until the conversation is given to another.
  if (current && !admins.some((a) => a.id === current)) entries.push([current, c.assignedAdminName ?? '?']);
  picker.entries = entries;
  $('assignee-name').textContent = (entries.find(([id]) => id === current) ?? entries[0])[1];
  $('assignee-options').replaceChildren(...entries.map(([id, name], i) => el('li', {
    id: `assignee-option-${i}`, role: 'option', 'aria-selected': String(id === current), text: name, onclick: () => choose(i) })));
  if (!$('assignee-options').hidden) highlight(Math.min(picker.active, entries.length - 1));
}

function highlight(i) {
  picker.active = Math.max(0, Math.min(i, picker.entries.length - 1));
  for (const [n, li] of [...$('assignee-options').children].entries()) li.classList.toggle('active', n === picker.active);
  const li = $(`assignee-option-${picker.active}`);
  $('assignee-options').setAttribute('aria-activedescendant', li?.id ?? '');
  li?.scrollIntoView({ block: 'nearest' });
}

function openPicker() {
  if (!picker.conversation) return;
  $('assignee-options').hidden = false;
  $('assignee').setAttribute('aria-expanded', 'true');
  const current = picker.conversation.assignedAdminId ?? null;
  highlight(Math.max(0, picker.entries.findIndex(([id]) => id === current)));
  $('assignee-options').focus();
}

function closePicker(refocus) {
  if ($('assignee-options').hidden) return;
  $('assignee-options').hidden = true;
  $('assignee').setAttribute('aria-expanded', 'false');
  $('assignee-options').removeAttribute('aria-activedescendant');
  if (refocus) $('assignee').focus();
}

/** The one step: choosing a name assigns it (moving through the list with the arrow keys does not). */
async function choose(i) {
  closePicker(true);
  const c = picker.conversation;
  const [adminId] = picker.entries[i] ?? [];
  if (!c || adminId === undefined || adminId === (c.assignedAdminId ?? null)) return;
  $('thread-error').textContent = '';
  try {
    picker.onAssigned(await session.call(`/api/admin/conversations/${c.id}/assignee`, { method: 'POST', body: { adminId } }));
  } catch (e) {
    $('thread-error').textContent = errorText(e);
    renderPicker();
  }
}

/** Whether a conversation belongs on the list as filtered now (a live change can move it off). */
function matches(c) {
  if (filter.status && c.status !== filter.status) return false;
  if (filter.assignee === 'me' && c.assignedAdminId !== session.me?.id) return false;
  if (filter.assignee === 'none' && c.assignedAdminId) return false;
  if (/^\d+$/.test(filter.assignee) && c.assignedAdminId !== Number(filter.assignee)) return false;
  if (filter.tag && !(c.tags ?? []).some((tag) => tag.id === Number(filter.tag))) return false;
  if (filter.unread && !(c.unreadCount > 0)) return false;
  return true;
}

/** Whether any filter narrows the list (an empty list then says so, and offers to clear them). */
const active = () => Boolean(filter.status || filter.assignee || filter.tag || filter.unread);

/** Back to every conversation: the controls show it, and the list reloads. */
function clear() {
  Object.assign(filter, { status: '', assignee: '', tag: '', unread: false });
  for (const b of document.querySelectorAll('.filters button')) b.setAttribute('aria-pressed', String(b.dataset.status === ''));
  $('filter-assignee').value = '';
  $('filter-tag').value = '';
  $('filter-unread').checked = false;
  onFilter();
}

/** The filters as the list API's query string. */
function query(params) {
  for (const key of ['status', 'assignee', 'tag']) if (filter[key]) params.set(key, filter[key]);
  if (filter.unread) params.set('unread', 'true');
  return params;
}

for (const b of document.querySelectorAll('.filters button')) {
  b.addEventListener('click', () => {
    filter.status = b.dataset.status;
    for (const other of document.querySelectorAll('.filters button')) other.setAttribute('aria-pressed', String(other === b));
    onFilter();
  });
}
$('filter-assignee').addEventListener('change', () => { filter.assignee = $('filter-assignee').value; onFilter(); });
$('filter-tag').addEventListener('change', () => { filter.tag = $('filter-tag').value; onFilter(); });
$('filter-unread').addEventListener('change', () => { filter.unread = $('filter-unread').checked; onFilter(); });

$('assignee').addEventListener('click', () => ($('assignee-options').hidden ? openPicker() : closePicker(true)));
$('assignee').addEventListener('keydown', (e) => {
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') { e.preventDefault(); openPicker(); }
});
$('assignee-options').addEventListener('keydown', (e) => {
  const moves = { ArrowDown: picker.active + 1, ArrowUp: picker.active - 1, Home: 0, End: picker.entries.length - 1 };
  if (e.key in moves) { e.preventDefault(); highlight(moves[e.key]); }
  else if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); choose(picker.active); }
  else if (e.key === 'Escape') { e.preventDefault(); closePicker(true); }
  else if (e.key === 'Tab') closePicker(false);
});
// Keeps the focus in the list while a name is clicked; a click anywhere else closes it.
$('assignee-options').addEventListener('mousedown', (e) => e.preventDefault());
$('assignee-options').addEventListener('focusout', (e) => { if (e.relatedTarget !== $('assignee')) closePicker(false); });

tags.watch(renderFilters);

export const triage = {
  filter,
  matches,
  active,
  clear,
  query,
  loadAdmins,
  /** The open conversation whose assignee the thread header shows and changes. */
  showFor(c) {
    const opened = picker.conversation?.id !== c.id;
    if (opened) closePicker(false);
    picker.conversation = c;
    renderPicker();
    // Admins invited since the console loaded can be assigned too: the team is read again when a conversation opens.
    if (opened) loadAdmins();
  },
  set onAssigned(fn) { picker.onAssigned = fn; },
  set onFilter(fn) { onFilter = fn; },
  relabel() { renderFilters(); renderPicker(); },
};
