// Work typed and not yet sent or saved (a reply, a note, an article being edited), kept for this
// browser tab in sessionStorage, so a reload or a sign-in that ended under the page loses none of
// it. It goes when the tab closes, and stays in this browser: nothing is sent anywhere. A browser
// that refuses storage keeps the work only as long as the page.
const PREFIX = "cascade-kept:";
let signedOut = false; // keeps nothing more once its user signed out (the page is going)

export function kept(key) {
  try {
    const text = sessionStorage.getItem(PREFIX + key);
    return text === null ? null : JSON.parse(text);
  } catch (_) {
    return null; // storage refused, or not ours to read
  }
}

// Whether it is kept now (false when the browser refused it).
export function keep(key, value) {
  if (signedOut) return false;
  try {
    sessionStorage.setItem(PREFIX + key, JSON.stringify(value));
    return true;
  } catch (_) {
    return false;
  }
}

export function forget(key) {
  try {
    sessionStorage.removeItem(PREFIX + key);
  } catch (_) {
    /* storage refused: nothing was kept */
  }
}

// Signing out leaves nothing behind for whoever uses the tab next.
export function forgetAll() {
  signedOut = true;
  try {
    for (const key of Object.keys(sessionStorage)) if (key.startsWith(PREFIX)) sessionStorage.removeItem(key);
  } catch (_) {
    /* storage refused: nothing was kept */
  }
}
