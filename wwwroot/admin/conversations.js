// The conversation list (unread badges, assignee and tags, infinite scroll) and the live frames of /ws/admin, which
// change it and the open conversation (conversation.js).
import { el, t, $, errorText, formatTime } from '../js/common.js';
import { session } from './session.js';
import { tags } from './tags.js';
import { triage } from './triage.js';
import { chime } from './chime.js';
import { openConversation, visible, nameOf } from './conversation.js';

const list = { items: new Map(), cursor: null, loading: false, generation: 0, renderItem, updateTitle };
const open = openConversation(list);

// ---- The list
async function loadPage(reset) {
  if (reset) {
    list.generation++;
    list.cursor = null;
  } else if (list.loading || !list.cursor) return;
  const generation = list.generation;
  list.loading = true;
  try {
    const query = triage.query(new URLSearchParams({ limit: '30' }));
    if (list.cursor) query.set('cursor', list.cursor);
    const page = await session.call(`/api/admin/conversations?${query}`);
    if (generation !== list.generation) return;
    if (reset) {
      // The open conversation stays known when the filters leave it off the list, so that its thread keeps working.
      const kept = list.items.get(open.id);
      list.items.clear();
      if (kept) { kept.li?.remove(); list.items.set(kept.id, kept); }
      $('conv-list').replaceChildren();
    }
    for (const c of page.conversations) { list.items.set(c.id, c); $('conv-list').append(renderItem(c)); }
    list.cursor = page.nextCursor;
    updateEmpty();
    updateTitle();
  } catch (e) {
    $('conv-empty').hidden = false;
    $('conv-empty-text').textContent = errorText(e);
    $('conv-clear').hidden = true;
  } finally {
    if (generation === list.generation) list.loading = false;
  }
}

function renderItem(c) {
  const li = c.li ?? el('li');
  li.replaceChildren(el('button', { type: 'button', class: 'conv', 'data-id': c.id, 'aria-current': c.id === open.id ? 'true' : null, onclick: () => open.show(c.id) },
    el('span', { class: `dot${c.visitorOnline ? ' online' : ''}` }),
    el('span', { class: 'sr', text: t(c.visitorOnline ? 'admin.online' : 'admin.offline') }),
    el('span', { class: 'name', text: nameOf(c) }),
    el('time', { datetime: c.lastActivityAt, text: formatTime(c.lastMessageAt ?? c.lastActivityAt) }),
    el('span', { class: 'preview', text: c.lastMessagePreview ?? t('admin.conversations.noMessages') }),
    c.unreadCount > 0 ? el('span', { class: 'badge', text: String(c.unreadCount), 'aria-hidden': 'true' }) : null,
    c.unreadCount > 0 ? el('span', { class: 'sr', text: t('admin.unread', { count: c.unreadCount }) }) : null,
    c.assignedAdminId || c.tags?.length ? el('span', { class: 'triage' },
      c.assignedAdminId ? el('span', { class: 'assigned', text: t('admin.assignee.short', { name: c.assignedAdminName ?? '?' }) }) : null,
      tags.chips(c.tags, 'span')) : null));
  c.li = li;
  return li;
}

/** An empty list says why: nothing yet, or nothing that fits the filters (with the button that clears them). */
function updateEmpty() {
  const filtered = triage.active();
  $('conv-empty').hidden = $('conv-list').children.length > 0;
  $('conv-empty-text').textContent = t(filtered ? 'admin.conversations.noMatch' : 'admin.conversations.empty');
  $('conv-clear').hidden = !filtered;
}

// The button hides once the list is back; focus stays in the filters rather than falling to the page.
$('conv-clear').addEventListener('click', () => {
  triage.clear();
  document.querySelector('.filters button[data-status=""]').focus();
});

function updateTitle() {
  session.title([...list.items.values()].reduce((n, c) => n + c.unreadCount, 0));
}

function moveToTop(c) {
  renderItem(c);
  $('conv-list').prepend(c.li);
}

// ---- Live frames from /ws/admin
function onFrame(f) {
  const c = list.items.get(f.conversationId);
  switch (f.type) {
    case 'message': {
      if (!c) {
        // Not on the list: a new conversation (its first message), or one the filters or unloaded pages leave out.
        if (f.sender === 'visitor') chime.play(f.seq <= 1 ? 'conversation' : 'message', f.conversationId);
        return loadPage(true);
      }
      Object.assign(c, { lastSeq: Math.max(c.lastSeq, f.seq), lastMessagePreview: f.body.slice(0, 140), lastMessageSender: f.sender,
        lastMessageAt: f.createdAt, lastActivityAt: f.createdAt });
      // A visitor message reopens a closed conversation on the server; show it so.
      if (f.sender === 'visitor' && c.status !== 'open') { c.status = 'open'; if (c.id === open.id) open.details(c); }
      const isOpen = f.conversationId === open.id;
      if (f.sender === 'visitor' && f.seq > c.adminReadSeq && !(isOpen && visible())) {
        c.unreadCount++;
        chime.play('message', c.id);
        session.notify(t('admin.notify.title', { name: nameOf(c) }), f.body.slice(0, 140), () => open.show(c.id));
      }
      if (isOpen) {
        open.live(f);
        if (f.sender === 'visitor') open.markRead();
      }
      if (triage.matches(c)) moveToTop(c); else renderItem(c);
      updateTitle();
      break;
    }
    case 'ack':
      if (f.conversationId === open.id) open.ack(f);
      break;
    case 'read':
      if (!c) return;
      if (f.reader === 'visitor') { c.visitorReadSeq = Math.max(c.visitorReadSeq, f.seq); if (c.id === open.id) open.refresh(); }
      else { c.adminReadSeq = Math.max(c.adminReadSeq, f.seq); if (c.adminReadSeq >= c.lastSeq) c.unreadCount = 0; renderItem(c); updateTitle(); }
      break;
    case 'typing':
      if (f.sender === 'visitor' && f.conversationId === open.id) open.typing(t('admin.thread.typing', { name: nameOf(c) }));
      break;
    case 'status':
      if (!c) return loadPage(true);
      c.status = f.status;
      refilter(c);
      break;
    case 'assignment':
      onAssigned(f);
      break;
    case 'tags':
      onTags(f);
      break;
    case 'tags-changed':
      tags.load(true).then(applyCatalog, () => {});
      break;
    case 'presence':
      if (!c) return;
      c.visitorOnline = f.visitorOnline;
      renderItem(c);
      if (c.id === open.id) open.details(c);
      break;
    case 'error':
      if (!open.refused(f)) $('thread-error').textContent = errorText(f);
      break;
  }
}

/** After a live change: the row goes when it no longer fits the filters (unless it is the open conversation), else shows the change. */
function refilter(c) {
  // The open conversation is kept off a list it left; once it fits again it comes back in its place with a reload.
  if (triage.matches(c) && !c.li?.isConnected) { if (c.id === open.id) open.details(c); return loadPage(true); }
  if (!triage.matches(c) && c.id !== open.id) { c.li?.remove(); list.items.delete(c.id); updateEmpty(); } else renderItem(c);
  if (c.id === open.id) open.details(c);
  updateTitle();
}

/** An assignment from this console's answer or another's frame; a conversation that now fits the filters comes in with a reload. */
function onAssigned(f) {
  const c = list.items.get(f.conversationId);
  if (!c) return loadPage(true);
  Object.assign(c, { assignedAdminId: f.adminId, assignedAdminName: f.adminName });
  refilter(c);
}

/** A conversation's whole tag list, from this console's answer or another's frame. */
function onTags(f) {
  const c = list.items.get(f.conversationId);
  if (!c) return loadPage(true);
  c.tags = f.tags;
  refilter(c);
}
/**
 * A tag was created, renamed, recoloured or deleted: chips take the new names and colours and a deleted tag goes. Which
 * tags a conversation has comes only from its frames and the list, never from here: reloading the list instead raced
 * with the "tags" frame of a tag created and put on at once, and could put back the older list.
 */
function applyCatalog(catalog) {
  const byId = new Map(catalog.map((tag) => [tag.id, tag]));
  for (const c of list.items.values()) {
    if (!c.tags?.length) continue;
    c.tags = c.tags.filter((tag) => byId.has(tag.id)).map((tag) => byId.get(tag.id)).sort((x, y) => x.name.localeCompare(y.name));
    refilter(c);
  }
}
triage.onAssigned = onAssigned;
tags.onTags = onTags;
triage.onFilter = () => loadPage(true);

new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) loadPage(false); }).observe($('conv-more'));

export const conversations = {
  show() {
    triage.loadAdmins();
    tags.load(true).catch(() => {});
    loadPage(true);
  },
  openAt: open.showAt,
  onFrame,
  /** After a reconnect: the list again, and the open conversation's missed messages without gap or duplicate. */
  onReconnect() {
    // Tag changes made while this console was away arrived as no frame: the tags are read again with the list.
    tags.load(true).catch(() => {});
    loadPage(true);
    if (open.id) open.resume();
  },
  relabel() {
    triage.relabel();
    tags.relabel();
    for (const c of list.items.values()) renderItem(c);
    if (!$('conv-empty').hidden && !list.loading) updateEmpty();
    open.relabel();
    updateTitle();
  },
};
