// How the editor's shares read: "about 86%" in plain words (a decimal only under 10%, where a
// whole percent would hide the difference between 0.4% and 1%), "86.3%" in a test run's figures.

export function about(share) {
  if (share === null || share === undefined) return "–";
  const whole = Math.round(share * 100);
  return (whole >= 10 ? whole : Math.round(share * 1000) / 10) + "%";
}

export function exact(share) {
  if (share === null || share === undefined) return "–";
  return (Math.round(share * 1000) / 10).toFixed(1) + "%";
}

export function plural(count, one, many) {
  return count + " " + (count === 1 ? one : many);
}
