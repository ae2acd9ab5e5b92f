// The conversation list (unread badges, assignee and tags, live updates, infinite scroll) and the open conversation
// (paging, receipts, files shown); its reply box is compose.js.
import { el, t, errorText, formatTime, formatDateTime, messageItem, placeBySeq, contiguousSeq } from '../js/common.js';
import { session } from './session.js';
import { compose } from './compose.js';
import { tags } from './tags.js';
import { triage } from './triage.js';

const $ = (id) => document.getElementById(id);
const list = { items: new Map(), cursor: null, loading: false, generation: 0 };
const thread = { mode: 'reply', id: null, bySeq: new Map(), pending: new Map(), lowest: Infinity, hasMore: false, loading: false, typingTimer: 0, lastTyping: 0 };

const visible = () => document.visibilityState === 'visible' && !$('view-conversations').hidden;
const nameOf = (c) => c.visitorName || t('admin.visitor', { id: c.visitorId.slice(0, 6) });

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
      const open = list.items.get(thread.id);
      list.items.clear();
      if (open) { open.li?.remove(); list.items.set(open.id, open); }
      $('conv-list').replaceChildren();
    }
    for (const c of page.conversations) { list.items.set(c.id, c); $('conv-list').append(renderItem(c)); }
    list.cursor = page.nextCursor;
    $('conv-empty').hidden = $('conv-list').children.length > 0;
    updateTitle();
  } catch (e) {
    $('conv-empty').hidden = false;
    $('conv-empty').textContent = errorText(e);
  } finally {
    if (generation === list.generation) list.loading = false;
  }
}

function renderItem(c) {
  const li = c.li ?? el('li');
  const open = c.id === thread.id;
  li.replaceChildren(el('button', { type: 'button', class: 'conv', 'data-id': c.id, 'aria-current': open ? 'true' : null, onclick: () => openThread(c.id) },
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

function updateTitle() {
  session.title([...list.items.values()].reduce((n, c) => n + c.unreadCount, 0));
}

function moveToTop(c) {
  renderItem(c);
  $('conv-list').prepend(c.li);
}

// ---- The open conversation
async function openThread(id, seq) {
  const c = list.items.get(id);
  if (!c) return;
  Object.assign(thread, { id, lowest: Infinity, hasMore: false, loading: false });
  thread.bySeq.clear();
  thread.pending.clear();
  for (const other of list.items.values()) renderItem(other);
  $('thread-empty').hidden = true;
  $('thread-body').hidden = false;
  $('messages').replaceChildren();
  $('typing').textContent = '';
  $('thread-error').textContent = '';
  renderDetails(c);
  await loadOlder();
  // From what the page holds on, the socket sends this conversation's messages without a hole (see docs/protocol.md).
  if (thread.id === id) session.socket?.send({ type: 'resume', conversationId: id, lastSeq: contiguousSeq(thread.bySeq.values()) });
  markRead();
  if (seq) await showMessage(id, seq); else $('reply-text').focus();
}

/** Loads older pages until the message with this seq is there (or the conversation has no more), then scrolls to it and marks it. */
async function showMessage(id, seq) {
  while (thread.id === id && !thread.bySeq.has(seq) && thread.hasMore) {
    const lowest = thread.lowest;
    await loadOlder();
    if (thread.lowest === lowest) break;
  }
  const li = thread.id === id ? thread.bySeq.get(seq)?.li : null;
  if (!li) return;
  for (const old of $('messages').querySelectorAll('.found')) old.classList.remove('found');
  li.classList.add('found');
  li.tabIndex = -1;
  li.scrollIntoView({ block: 'center' });
  li.focus({ preventScroll: true });
}

/** Opens a conversation at a message (a search result): fetched first when it is not on the list's loaded pages. */
async function openAt(id, seq) {
  if (!list.items.has(id)) {
    try {
      list.items.set(id, await session.call(`/api/admin/conversations/${id}`));
    } catch (e) {
      $('thread-error').textContent = errorText(e);
      return;
    }
  }
  await openThread(id, seq);
}

function renderDetails(c) {
  $('thread-title').textContent = nameOf(c);
  triage.showFor(c);
  tags.showFor(c);
  $('status-toggle').textContent = t(c.status === 'closed' ? 'admin.thread.reopen' : 'admin.thread.close');
  const row = (key, value) => [el('dt', { text: t(key) }), el('dd', {}, value ?? '—')];
  const page = c.pageUrl ? el('a', { href: c.pageUrl, target: '_blank', rel: 'noopener noreferrer', text: c.pageUrl }) : null;
  $('details').replaceChildren(
    ...row('admin.details.status', `${t(`admin.status.${c.status}`)} · ${t(c.visitorOnline ? 'admin.online' : 'admin.offline')}`),
    ...row('admin.details.email', c.visitorEmail), ...row('admin.details.page', page), ...row('admin.details.browser', c.visitorUserAgent),
    ...row('admin.details.firstSeen', formatDateTime(c.visitorFirstSeenAt)), ...row('admin.details.lastSeen', formatDateTime(c.visitorLastSeenAt)));
}

async function loadOlder() {
  if (thread.loading) return;
  const id = thread.id;
  thread.loading = true;
  try {
    const query = new URLSearchParams({ limit: '50' });
    if (thread.lowest < Infinity) query.set('before', String(thread.lowest));
    const page = await session.call(`/api/admin/conversations/${id}/messages?${query}`);
    if (id !== thread.id) return;
    const box = $('messages');
    const first = thread.lowest === Infinity;
    const height = box.scrollHeight;
    for (const m of page.messages) addMessage(m);
    thread.hasMore = page.hasMore;
    if (first) box.scrollTop = box.scrollHeight; else box.scrollTop += box.scrollHeight - height;
  } catch (e) {
    $('thread-error').textContent = errorText(e);
  } finally {
    thread.loading = false;
  }
}

function stateOf(m) {
  if (m.sender === 'note') return m.failed ?? (m.seq ? null : t('admin.state.sending'));
  if (m.sender !== 'admin') return null;
  if (m.failed) return m.failed;
  if (!m.seq) return m.progress >= 0 ? t('file.uploading', { percent: Math.round(m.progress * 100) }) : t('admin.state.sending');
  return m.seq <= (list.items.get(thread.id)?.visitorReadSeq ?? 0) ? t('admin.state.read') : t('admin.state.sent');
}

function render(m) {
  const byAdmin = m.sender === 'admin' || m.sender === 'note';
  const who = byAdmin ? m.senderName ?? session.me?.displayName ?? '' : nameOf(list.items.get(thread.id));
  m.li = messageItem(m, who, stateOf(m), m.li, fileUrl);
  // A note says so in words, not by its colour alone.
  if (m.sender === 'note') m.li.prepend(el('p', { class: 'note-label', text: t('admin.note.label', { name: who }) }));
  return m.li;
}

// The session cookie goes with these requests, so plain URLs do.
const fileUrl = (a, thumb) => `/api/admin/attachments/${a.id}${thumb ? '/thumbnail' : ''}`;

/**
 * Shows a message of the open conversation once, whether it came from the page, the socket, a replay or an ack.
 * confirmed: it came in a page or a message frame, not only in an ack or an upload's answer (see contiguousSeq).
 */
function addMessage(m, confirmed = true) {
  const known = thread.bySeq.get(m.seq);
  if (known) { known.confirmed ||= confirmed; return; }
  const mine = m.clientMsgId && thread.pending.get(m.clientMsgId);
  if (mine) { thread.pending.delete(m.clientMsgId); m = Object.assign(mine, m); }
  m.confirmed = confirmed;
  thread.bySeq.set(m.seq, m);
  thread.lowest = Math.min(thread.lowest, m.seq);
  placeBySeq($('messages'), render(m), m.seq);
}

function refreshStates() {
  for (const m of thread.bySeq.values()) if (m.sender === 'admin') render(m);
}

function markRead() {
  const c = list.items.get(thread.id);
  if (!c || !visible()) return;
  // Read up to what is shown with nothing missing below it: a message that has not arrived is never marked read.
  const upTo = contiguousSeq(thread.bySeq.values());
  if (upTo > c.adminReadSeq || c.unreadCount > 0) {
    c.adminReadSeq = Math.max(c.adminReadSeq, upTo);
    session.socket?.send({ type: 'read', conversationId: c.id, seq: c.adminReadSeq });
  }
  c.unreadCount = 0;
  renderItem(c);
  updateTitle();
}

// ---- Live frames from /ws/admin
function onFrame(f) {
  const c = list.items.get(f.conversationId);
  switch (f.type) {
    case 'message': {
      if (!c) return loadPage(true);
      Object.assign(c, { lastSeq: Math.max(c.lastSeq, f.seq), lastMessagePreview: f.body.slice(0, 140), lastMessageSender: f.sender,
        lastMessageAt: f.createdAt, lastActivityAt: f.createdAt });
      // A visitor message reopens a closed conversation on the server; show it so.
      if (f.sender === 'visitor' && c.status !== 'open') { c.status = 'open'; if (c.id === thread.id) renderDetails(c); }
      const isOpen = f.conversationId === thread.id;
      if (f.sender === 'visitor' && f.seq > c.adminReadSeq && !(isOpen && visible())) {
        c.unreadCount++;
        session.notify(t('admin.notify.title', { name: nameOf(c) }), f.body.slice(0, 140), () => openThread(c.id));
      }
      if (isOpen) {
        const box = $('messages');
        const stick = box.scrollHeight - box.scrollTop - box.clientHeight < 80 || f.sender !== 'visitor';
        addMessage(f);
        if (stick) box.scrollTop = box.scrollHeight;
        if (f.sender === 'visitor') { $('typing').textContent = ''; markRead(); }
      }
      if (triage.matches(c)) moveToTop(c); else renderItem(c);
      updateTitle();
      break;
    }
    case 'ack': {
      const m = thread.pending.get(f.clientMsgId);
      if (m && f.conversationId === thread.id) addMessage({ ...m, seq: f.seq, id: f.id, createdAt: f.createdAt }, false);
      break;
    }
    case 'read':
      if (!c) return;
      if (f.reader === 'visitor') { c.visitorReadSeq = Math.max(c.visitorReadSeq, f.seq); if (c.id === thread.id) refreshStates(); }
      else { c.adminReadSeq = Math.max(c.adminReadSeq, f.seq); if (c.adminReadSeq >= c.lastSeq) c.unreadCount = 0; renderItem(c); updateTitle(); }
      break;
    case 'typing':
      if (f.sender === 'visitor' && f.conversationId === thread.id) {
        $('typing').textContent = t('admin.thread.typing', { name: nameOf(c) });
        clearTimeout(thread.typingTimer);
        thread.typingTimer = setTimeout(() => { $('typing').textContent = ''; }, 4000);
      }
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
      if (c.id === thread.id) renderDetails(c);
      break;
    case 'error': {
      const m = f.clientMsgId && thread.pending.get(f.clientMsgId);
      if (m) { m.failed = errorText(f); render(m); } else $('thread-error').textContent = errorText(f);
      break;
    }
  }
}

/** After a live change: the row goes when it no longer fits the filters (unless it is the open conversation), else shows the change. */
function refilter(c) {
  if (!triage.matches(c) && c.id !== thread.id) { c.li?.remove(); list.items.delete(c.id); } else renderItem(c);
  if (c.id === thread.id) renderDetails(c);
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

// ---- Close and reopen
$('status-toggle').addEventListener('click', async () => {
  const c = list.items.get(thread.id);
  if (!c) return;
  $('thread-error').textContent = '';
  try {
    const changed = await session.call(`/api/admin/conversations/${c.id}/status`, { method: 'POST', body: { status: c.status === 'closed' ? 'open' : 'closed' } });
    c.status = changed.status;
    renderItem(c);
    renderDetails(c);
  } catch (e) {
    $('thread-error').textContent = errorText(e);
  }
});

// ---- Writing (compose.js): it shows what is sent here as the thread shows everything else.
const writer = compose(thread, { render, addMessage });

$('messages').addEventListener('scroll', () => {
  if ($('messages').scrollTop < 40 && thread.hasMore) loadOlder();
});

new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) loadPage(false); }).observe($('conv-more'));
document.addEventListener('visibilitychange', markRead);

export const conversations = {
  show() {
    triage.loadAdmins();
    tags.load(true).catch(() => {});
    loadPage(true);
  },
  openAt,
  onFrame,
  /** After a reconnect: the list again, and the open conversation's missed messages without gap or duplicate. */
  onReconnect() {
    // Tag changes made while this console was away arrived as no frame: the tags are read again with the list.
    tags.load(true).catch(() => {});
    loadPage(true);
    if (thread.id) session.socket.send({ type: 'resume', conversationId: thread.id, lastSeq: contiguousSeq(thread.bySeq.values()) });
  },
  relabel() {
    writer.setMode(thread.mode);
    triage.relabel();
    tags.relabel();
    for (const c of list.items.values()) renderItem(c);
    const c = list.items.get(thread.id);
    if (c) { renderDetails(c); for (const m of thread.bySeq.values()) render(m); }
    updateTitle();
  },
};
