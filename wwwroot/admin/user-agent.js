// A visitor's User-Agent as people say it ("Chrome 131 on Linux"); a string it does not know is shown as it is, cut short.
import { t } from '../js/common.js';

// Order matters: Edge, Opera and Samsung Internet also say Chrome, and every Chromium and iOS browser also says Safari.
const BROWSERS = [
  ['Samsung Internet', /SamsungBrowser\/(\d+)/],
  ['Opera', /(?:OPR|OPiOS)\/(\d+)/],
  ['Edge', /Edg(?:e|A|iOS)?\/(\d+)/],
  ['Firefox', /(?:Firefox|FxiOS)\/(\d+)/],
  ['Chrome', /(?:HeadlessChrome|Chrome|CriOS)\/(\d+)/],
  ['Safari', /Version\/(\d+)[\d.]* (?:Mobile\/\S+ )?Safari\//],
];
// Android and iOS before Linux and macOS: their strings also say "Linux" and "like Mac OS X".
const SYSTEMS = [
  ['Android', /Android (\d+)/],
  ['iOS', /(?:iPhone|iPad|iPod).* OS (\d+)/],
  ['Windows', /Windows/],
  ['ChromeOS', /CrOS/],
  ['macOS', /Mac OS X|Macintosh/],
  ['Linux', /Linux|X11/],
];
const LONGEST = 80;

const find = (table, ua) => {
  for (const [name, pattern] of table) {
    const m = ua.match(pattern);
    if (m) return m[1] ? `${name} ${m[1]}` : name;
  }
  return null;
};

/** "Firefox 128 on Windows"; an unknown string as it is, at most 80 characters. */
export function browserName(ua) {
  const text = String(ua ?? '').trim();
  const browser = find(BROWSERS, text);
  const system = find(SYSTEMS, text);
  if (browser && system) return t('admin.details.browserOn', { browser, system });
  if (browser) return browser;
  return text.length > LONGEST ? `${text.slice(0, LONGEST - 1)}…` : text;
}
