// The reply box of the open conversation: a reply to the visitor, a private note only admins see, or a file for the
// visitor (with its upload progress); typing notices and canned replies.
import { t, $, newClientMsgId } from '../js/common.js';
import { sendFile } from '../js/upload.js';
import { session } from './session.js';
import { canned } from './canned.js';

/** thread: the open conversation (its id and mode, and the message thread that shows what is sent). */
export function compose(thread) {
  function setMode(mode) {
    thread.mode = mode;
    for (const b of document.querySelectorAll('.reply-mode button')) b.setAttribute('aria-pressed', String(b.dataset.mode === mode));
    $('reply').classList.toggle('note-mode', mode === 'note');
    $('reply-text').placeholder = t(mode === 'note' ? 'admin.thread.noteHint' : 'admin.thread.replyHint');
    $('reply-send').textContent = t(mode === 'note' ? 'admin.thread.sendNote' : 'admin.thread.send');
    // Files go to the visitor; notes carry none.
    $('attach').hidden = mode === 'note';
  }
  for (const b of document.querySelectorAll('.reply-mode button')) b.addEventListener('click', () => { setMode(b.dataset.mode); $('reply-text').focus(); });

  $('reply').addEventListener('submit', (e) => {
    e.preventDefault();
    const body = $('reply-text').value.trim();
    if (!body || !thread.id) return;
    const note = thread.mode === 'note';
    const m = { sender: note ? 'note' : 'admin', senderName: session.me.displayName, body, clientMsgId: newClientMsgId(), createdAt: new Date().toISOString() };
    thread.sending(m);
    $('reply-text').value = '';
    $('thread-error').textContent = '';
    canned.close();
    session.socket.send({ type: 'send', conversationId: thread.id, clientMsgId: m.clientMsgId, body, note: note || undefined });
  });

  /** A file for the visitor, over HTTP with its progress shown as the message's state; it then arrives like any message. */
  function attach(file) {
    const id = thread.id;
    if (!file || !id || thread.mode === 'note') return;
    const m = { sender: 'admin', senderName: session.me.displayName, body: file.name, clientMsgId: newClientMsgId(), createdAt: new Date().toISOString(),
      attachment: { name: file.name, size: file.size }, progress: 0 };
    thread.sending(m);
    $('thread-error').textContent = '';
    sendFile(thread, m, `/api/admin/conversations/${id}/attachments`, file, { 'X-CSRF-Token': session.csrf });
  }
  $('attach').addEventListener('click', () => $('attach-file').click());
  $('attach-file').addEventListener('change', () => { attach($('attach-file').files[0]); $('attach-file').value = ''; });
  $('reply').addEventListener('dragover', (e) => e.preventDefault());
  $('reply').addEventListener('drop', (e) => { e.preventDefault(); attach(e.dataTransfer.files[0]); });

  $('reply-text').addEventListener('keydown', (e) => {
    if (canned.onKey(e)) return;
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); $('reply').requestSubmit(); }
  });
  $('reply-text').addEventListener('input', () => {
    canned.suggest();
    // Writing a note is not "typing" for the visitor to see.
    if (thread.mode === 'reply' && thread.id) thread.typed(session.socket, { type: 'typing', conversationId: thread.id });
  });

  return { setMode };
}
