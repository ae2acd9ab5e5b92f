// Canned replies: their page (list, add, edit, delete) and the suggestions under the reply box (/ and the shortcut).
import { el, t, $, errorText } from '../js/common.js';
import { session } from './session.js';

let replies = [];
let loaded = null;
let editing = null;

/** The shared list, fetched once and again after every change made here. */
function load(force) {
  if (!loaded || force) loaded = session.call('/api/admin/canned-replies').then((list) => { replies = list; return list; }, (e) => { loaded = null; throw e; });
  return loaded;
}

// ---- The page
async function showPage() {
  $('canned-error').textContent = '';
  try {
    await load(true);
  } catch (e) {
    $('canned-error').textContent = errorText(e);
  }
  renderRows();
}

function renderRows() {
  $('canned-rows').replaceChildren(...replies.map((r) => el('tr', {},
    el('td', { text: `/${r.shortcut}` }), el('td', { text: r.title || '—' }), el('td', { class: 'canned-body', text: r.body }),
    el('td', { class: 'canned-actions' },
      el('button', { type: 'button', class: 'secondary', text: t('admin.canned.edit'), 'aria-label': t('admin.canned.editNamed', { shortcut: r.shortcut }),
        onclick: () => edit(r) }),
      el('button', { type: 'button', class: 'danger', text: t('admin.canned.delete'), 'aria-label': t('admin.canned.deleteNamed', { shortcut: r.shortcut }),
        onclick: () => remove(r) })))));
  $('canned-empty').hidden = replies.length > 0;
}

function edit(r) {
  editing = r;
  $('canned-shortcut').value = r.shortcut;
  $('canned-title').value = r.title;
  $('canned-body').value = r.body;
  $('canned-form-title').textContent = t('admin.canned.editing', { shortcut: r.shortcut });
  $('canned-cancel').hidden = false;
  $('canned-shortcut').focus();
}

function resetForm() {
  editing = null;
  $('canned-form').reset();
  $('canned-form-title').textContent = t('admin.canned.add');
  $('canned-cancel').hidden = true;
}

async function remove(r) {
  if (!confirm(t('admin.canned.confirmDelete', { shortcut: r.shortcut }))) return;
  $('canned-error').textContent = '';
  try {
    await session.call(`/api/admin/canned-replies/${r.id}`, { method: 'DELETE' });
    if (editing?.id === r.id) resetForm();
  } catch (e) {
    $('canned-error').textContent = errorText(e);
  }
  showPage();
}

$('canned-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('canned-error').textContent = '';
  const body = { shortcut: $('canned-shortcut').value.trim().toLowerCase(), title: $('canned-title').value.trim(), body: $('canned-body').value };
  try {
    await session.call(editing ? `/api/admin/canned-replies/${editing.id}` : '/api/admin/canned-replies', { method: editing ? 'PUT' : 'POST', body });
    resetForm();
    await showPage();
    $('canned-shortcut').focus();
  } catch (err) {
    $('canned-error').textContent = err.error === 'conflict' ? t('admin.canned.duplicate') : errorText(err);
  }
});
$('canned-cancel').addEventListener('click', resetForm);

// ---- The suggestions in the reply box: "/" plus letters at the caret opens a listbox; arrows move, Enter or Tab choose.
const picker = { open: false, matches: [], active: 0, start: 0 };
const box = () => $('reply-text');

/** The "/word" being typed just before the caret, if any. */
function typedShortcut() {
  const text = box().value.slice(0, box().selectionStart);
  const found = /(^|\s)\/([a-z0-9_-]{0,32})$/i.exec(text);
  return found ? { start: text.length - found[2].length - 1, query: found[2].toLowerCase() } : null;
}

async function suggest() {
  const typed = typedShortcut();
  if (!typed) return close();
  // A fresh "/" fetches the list again, so replies other admins added meanwhile show up.
  try { await load(!picker.open && typed.query === ''); } catch { return close(); }
  const again = typedShortcut();
  if (!again) return close();
  picker.matches = replies.filter((r) => r.shortcut.startsWith(again.query));
  picker.start = again.start;
  if (!picker.matches.length) return close();
  picker.active = Math.min(picker.active, picker.matches.length - 1);
  picker.open = true;
  render();
}

function render() {
  $('canned-options').replaceChildren(...picker.matches.map((r, i) => el('li', {
    id: `canned-option-${r.id}`, role: 'option', 'aria-selected': String(i === picker.active),
    onmousedown: (e) => { e.preventDefault(); choose(i); },
  }, el('span', { class: 'shortcut', text: `/${r.shortcut}` }), el('span', { class: 'snippet', text: r.title || r.body }))));
  $('canned-options').hidden = false;
  box().setAttribute('aria-activedescendant', `canned-option-${picker.matches[picker.active].id}`);
  $('canned-options').children[picker.active]?.scrollIntoView({ block: 'nearest' });
}

function close() {
  picker.open = false;
  picker.active = 0;
  $('canned-options').hidden = true;
  $('canned-options').replaceChildren();
  box().removeAttribute('aria-activedescendant');
}

function choose(i) {
  const r = picker.matches[i];
  const end = box().selectionStart;
  const value = box().value;
  box().value = value.slice(0, picker.start) + r.body + value.slice(end);
  const caret = picker.start + r.body.length;
  box().setSelectionRange(caret, caret);
  close();
  box().focus();
}

/** Handles a key in the reply box while suggestions are open; true when it was theirs (the caller does nothing more). */
function onKey(e) {
  if (!picker.open) return false;
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    const n = picker.matches.length;
    picker.active = (picker.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
    render();
  } else if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey && !e.isComposing) choose(picker.active);
  else if (e.key === 'Escape') close();
  else return false;
  e.preventDefault();
  return true;
}

box().addEventListener('blur', close);

export const canned = {
  view: { canned: { show: showPage } },
  suggest,
  onKey,
  close,
};
