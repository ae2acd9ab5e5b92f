// The sound for a new conversation or a visitor message not in view: a two-tone chime made with the Web Audio API
// (no file to fetch), on or off and its volume kept per admin. Each chime is recorded on the sound button's data-chimes
// and in window.__supportchatSounds, which is how a test (or a curious admin) can tell that it played.
import { $ } from '../js/common.js';

const settings = { on: true, volume: 60 };
let storageKey = null;
let audio = null;
window.__supportchatSounds = [];

/** The browser lets an AudioContext start only after a gesture: every click or key press until it runs tries again. */
function wake() {
  try {
    audio ??= new AudioContext();
    if (audio.state === 'suspended') audio.resume().catch(() => {});
  } catch {
    audio = null; // no Web Audio here: the console stays silent, nothing else changes
  }
}
for (const type of ['pointerdown', 'keydown']) document.addEventListener(type, () => { if (audio?.state !== 'running') wake(); }, true);

function tone(frequency, start, length, peak) {
  const oscillator = new OscillatorNode(audio, { type: 'sine', frequency });
  const gain = new GainNode(audio, { gain: 0 });
  gain.gain.setValueAtTime(0, start);
  gain.gain.linearRampToValueAtTime(peak, start + 0.015);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
  oscillator.connect(gain).connect(audio.destination);
  oscillator.start(start);
  oscillator.stop(start + length + 0.02);
}

/** reason: 'conversation' (a new one) or 'message' (a visitor's, in a conversation not in view). */
function play(reason, conversationId) {
  if (!settings.on || settings.volume <= 0) return;
  let played = false;
  try {
    wake();
    if (audio?.state === 'running') {
      const now = audio.currentTime;
      const peak = 0.4 * (settings.volume / 100);
      tone(880, now, 0.18, peak);
      tone(1318.5, now + 0.14, 0.3, peak);
      played = true;
    }
  } catch {
    played = false;
  }
  window.__supportchatSounds.push({ reason, conversationId, played });
  $('sound').dataset.chimes = String(window.__supportchatSounds.length);
}

function render() {
  $('sound').setAttribute('aria-pressed', String(settings.on));
  $('sound-volume').value = String(settings.volume);
}

function save() {
  if (storageKey) localStorage.setItem(storageKey, JSON.stringify(settings));
}

$('sound').addEventListener('click', () => {
  settings.on = !settings.on;
  save();
  render();
});
$('sound-volume').addEventListener('input', () => {
  settings.volume = Number($('sound-volume').value);
  save();
});

export const chime = {
  /** The signed-in admin's own setting (the default: on, at 60%). */
  load(adminId) {
    storageKey = `supportchat:sound:${adminId}`;
    let stored = null;
    try { stored = JSON.parse(localStorage.getItem(storageKey) ?? 'null'); } catch { stored = null; }
    Object.assign(settings, { on: true, volume: 60 });
    if (typeof stored?.on === 'boolean') settings.on = stored.on;
    if (Number.isFinite(stored?.volume)) settings.volume = Math.min(100, Math.max(0, stored.volume));
    render();
  },
  play,
};
