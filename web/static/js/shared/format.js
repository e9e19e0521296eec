// How times and durations read on every page.

export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return s + " s";
  const m = Math.floor(s / 60);
  if (m < 60) return m + " min" + (s % 60 ? " " + (s % 60) + " s" : "");
  const h = Math.floor(m / 60);
  if (h < 24) return h + " h " + (m % 60) + " min";
  // A ticket's resolution clock runs for days: "4 d 13 h", not "109 h 20 min".
  return Math.floor(h / 24) + " d" + (h % 24 ? " " + (h % 24) + " h" : "");
}

// An average wait or handle time: tenths under a minute (a 2.3 s wait and a 2.8 s one differ),
// whole seconds past it, as every other duration reads ("6 min 12 s", not "6 min 11.6 s").
export function seconds(value) {
  if (value === null || value === undefined) return "–";
  return value < 59.95 ? +value.toFixed(1) + " s" : duration(value);
}

export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}
