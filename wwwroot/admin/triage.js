// How the team sorts conversations: the list's filters (state, assignee, tag, unread) and the open conversation's assignee.
import { el, t, $, errorText } from '../js/common.js';
import { session } from './session.js';
import { tags } from './tags.js';

const filter = { status: '', assignee: '', tag: '', unread: false };
const picker = { conversation: null, shown: '', onAssigned: () => {} };
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

function renderPicker() {
  const c = picker.conversation;
  if (!c) return;
  const current = c.assignedAdminId ? String(c.assignedAdminId) : '';
  // A live update that leaves the assignee as it was (a tag, a message) keeps a choice not yet applied with the button.
  const chosen = picker.shown === `${c.id}:${current}` ? $('assignee').value : current;
  picker.shown = `${c.id}:${current}`;
  const entries = [['', t('admin.assignee.nobody')], ...admins.map((a) => [String(a.id), a.displayName])];
  // Someone no longer active still shows as the assignee until the conversation is given to another.
  if (c.assignedAdminId && !admins.some((a) => a.id === c.assignedAdminId)) entries.push([String(c.assignedAdminId), c.assignedAdminName ?? '?']);
  options($('assignee'), entries, chosen);
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

// Applied with the button, not on change: arrowing through a closed select fires change at every step.
$('assign').addEventListener('submit', async (e) => {
  e.preventDefault();
  const c = picker.conversation;
  if (!c) return;
  $('thread-error').textContent = '';
  const value = $('assignee').value;
  try {
    picker.onAssigned(await session.call(`/api/admin/conversations/${c.id}/assignee`, { method: 'POST', body: { adminId: value ? Number(value) : null } }));
  } catch (e) {
    $('thread-error').textContent = errorText(e);
    picker.shown = '';
    renderPicker();
  }
});

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
    picker.conversation = c;
    renderPicker();
    // Admins invited since the console loaded can be assigned too: the team is read again when a conversation opens.
    if (opened) loadAdmins();
  },
  set onAssigned(fn) { picker.onAssigned = fn; },
  set onFilter(fn) { onFilter = fn; },
  relabel() { renderFilters(); renderPicker(); },
};
