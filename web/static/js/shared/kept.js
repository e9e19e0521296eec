// Work typed and not yet sent or saved (a reply, a note, an article being edited), kept for this
// browser tab in sessionStorage, so a reload or a sign-in that ended under the page loses none of
// it. It is its writer's: when someone else signs in on the tab, it goes (keptFor). It goes when
// the tab closes too, and stays in this browser: nothing is sent anywhere. A browser that
// refuses storage keeps the work only as long as the page.
const PREFIX = "cascade-kept:";
const OWNER = "cascade-kept-owner";
let signedOut = false; // keeps nothing more once its user signed out (the page is going)

// Called as someone signs in (shared/session.js): who they are (their email address, or what
// their token speaks for). Work kept for anyone else is forgotten first.
export function keptFor(who) {
  try {
    if (sessionStorage.getItem(OWNER) !== who) wipe();
    sessionStorage.setItem(OWNER, who);
  } catch (_) {
    /* storage refused: nothing was kept */
  }
}

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
  wipe();
}

function wipe() {
  try {
    for (const key of Object.keys(sessionStorage)) if (key.startsWith(PREFIX)) sessionStorage.removeItem(key);
  } catch (_) {
    /* storage refused: nothing was kept */
  }
}
