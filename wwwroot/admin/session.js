// What the console's views share: the signed-in admin, API calls with the CSRF token, the socket, the tab title.
import { api, t } from '../js/common.js';

export const session = {
  me: null,
  csrf: null,
  socket: null,
  onSignedOut: () => {},

  /** An admin API call; an ended session sends the person back to the login form. */
  async call(path, options = {}) {
    try {
      return await api(path, { ...options, csrf: options.method && options.method !== 'GET' ? session.csrf : undefined });
    } catch (e) {
      if (e.error === 'unauthorized') session.onSignedOut();
      throw e;
    }
  },

  /** The tab title carries the number of unread visitor messages. */
  title(unread) {
    document.title = unread > 0 ? `(${unread}) ${t('admin.brand')}` : t('admin.brand');
  },

  /** A desktop notification, when the admin allowed them. */
  notify(title, body, onClick) {
    if (!('Notification' in window) || Notification.permission !== 'granted') return;
    const n = new Notification(title, { body, tag: 'supportchat' });
    n.onclick = () => { focus(); onClick(); n.close(); };
  },
};
