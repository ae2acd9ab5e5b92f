// Tags: the shared list (fetched once, again whenever any console changes it), their page, chips that show them,
// and the open conversation's tags (add an existing one or a new one by name, remove one).
import { el, t, $, errorText } from '../js/common.js';
import { session } from './session.js';

let all = [];
let loaded = null;
let requests = 0;
let editing = null;
const watchers = [];
const editor = { conversation: null, onTags: () => {} };

/** The shared list; watchers hear of every new copy. An answer that arrives after a newer one is dropped. */
function load(force) {
  if (!loaded || force) {
    const request = ++requests;
    loaded = session.call('/api/admin/tags').then((list) => {
      if (request === requests) {
        all = list;
        for (const watch of watchers) watch(all);
      }
      return all;
    }, (e) => { loaded = null; throw e; });
  }
  return loaded;
}

/** A tag as a chip: a swatch of its colour beside its name, so that the name reads the same on any colour. */
function chip(tag, onRemove, tagName = 'li') {
  const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
  // Set through the CSSOM: the strict CSP allows that, unlike a style attribute.
  swatch.style.backgroundColor = tag.color;
  return el(tagName, { class: 'chip', 'data-tag-id': tag.id }, swatch, el('span', { class: 'chip-name', text: tag.name }),
    onRemove ? el('button', { type: 'button', class: 'chip-remove', text: '×', 'aria-label': t('admin.tags.removeNamed', { name: tag.name }), onclick: onRemove }) : null);
}

/** A conversation's tags, read-only: a list, or spans inside a list row's button (which may hold no list). */
function chips(tags, tagName = 'li') {
  if (!tags?.length) return null;
  const items = tags.map((tag) => chip(tag, null, tagName));
  return tagName === 'li' ? el('ul', { class: 'chips', 'aria-label': t('admin.tags.label') }, ...items)
    : el('span', { class: 'chips' }, el('span', { class: 'sr', text: `${t('admin.tags.label')}: ` }), ...items);
}

// ---- The page: create, rename, recolour, delete
async function showPage() {
  $('tags-error').textContent = '';
  try {
    await load(true);
  } catch (e) {
    $('tags-error').textContent = errorText(e);
  }
}

function renderRows() {
  $('tag-rows').replaceChildren(...all.map((tag) => el('tr', {},
    el('td', {}, chips([tag])), el('td', { text: tag.color }),
    el('td', { class: 'canned-actions' },
      el('button', { type: 'button', class: 'secondary', text: t('admin.tags.edit'), 'aria-label': t('admin.tags.editNamed', { name: tag.name }), onclick: () => edit(tag) }),
      el('button', { type: 'button', class: 'danger', text: t('admin.tags.delete'), 'aria-label': t('admin.tags.deleteNamed', { name: tag.name }), onclick: () => remove(tag) })))));
  $('tags-empty').hidden = all.length > 0;
}

function edit(tag) {
  editing = tag;
  $('tag-name').value = tag.name;
  $('tag-color').value = tag.color;
  $('tag-form-title').textContent = t('admin.tags.editing', { name: tag.name });
  $('tag-cancel').hidden = false;
  $('tag-name').focus();
}

function resetForm() {
  editing = null;
  $('tag-form').reset();
  $('tag-form-title').textContent = t('admin.tags.add');
  $('tag-cancel').hidden = true;
}

async function remove(tag) {
  if (!confirm(t('admin.tags.confirmDelete', { name: tag.name }))) return;
  $('tags-error').textContent = '';
  try {
    await session.call(`/api/admin/tags/${tag.id}`, { method: 'DELETE' });
    if (editing?.id === tag.id) resetForm();
  } catch (e) {
    $('tags-error').textContent = errorText(e);
  }
  showPage();
}

$('tag-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('tags-error').textContent = '';
  const body = { name: $('tag-name').value.trim(), color: $('tag-color').value };
  try {
    await session.call(editing ? `/api/admin/tags/${editing.id}` : '/api/admin/tags', { method: editing ? 'PATCH' : 'POST', body });
    resetForm();
    await showPage();
    $('tag-name').focus();
  } catch (err) {
    $('tags-error').textContent = err.error === 'conflict' ? t('admin.tags.duplicate') : errorText(err);
  }
});
$('tag-cancel').addEventListener('click', resetForm);

// ---- The open conversation's tags
function renderEditor() {
  const c = editor.conversation;
  if (!c) return;
  const tags = c.tags ?? [];
  $('thread-tags').replaceChildren(...tags.map((tag) => chip(tag, () => change(c, tag, 'DELETE'))));
  $('thread-tags').hidden = tags.length === 0;
  $('tag-options').replaceChildren(...all.filter((tag) => !tags.some((x) => x.id === tag.id)).map((tag) => el('option', { value: tag.name })));
}

/** Puts a tag on or takes it off; the answer (the conversation's tags) is handled like the "tags" frame other consoles get. */
async function change(c, tag, method) {
  $('thread-error').textContent = '';
  try {
    editor.onTags(await session.call(`/api/admin/conversations/${c.id}/tags/${tag.id}`, { method }));
    // The removed chip's button is gone: keep the keyboard in the tag tools.
    if (method === 'DELETE') $('tag-add-name').focus();
  } catch (e) {
    $('thread-error').textContent = errorText(e);
  }
}

$('tag-add').addEventListener('submit', async (e) => {
  e.preventDefault();
  const c = editor.conversation;
  const name = $('tag-add-name').value.trim();
  if (!c || !name) return;
  $('thread-error').textContent = '';
  let tag = all.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!tag) {
    try {
      tag = await session.call('/api/admin/tags', { method: 'POST', body: { name } });
      await load(true);
    } catch (err) {
      $('thread-error').textContent = errorText(err);
      return;
    }
  }
  $('tag-add-name').value = '';
  await change(c, tag, 'PUT');
});

watchers.push(renderRows, renderEditor);

export const tags = {
  view: { tags: { show: showPage } },
  load,
  all: () => all,
  chips,
  watch: (fn) => watchers.push(fn),
  /** The open conversation whose tags the thread header shows and edits. */
  showFor(c) { editor.conversation = c; renderEditor(); load().catch(() => {}); },
  set onTags(fn) { editor.onTags = fn; },
  relabel() { renderRows(); renderEditor(); },
};
