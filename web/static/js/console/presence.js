// The console's heartbeat: while the page is open it tells the server the agent is here, as
// often as the server's answer asks (`every_s`, a third of its presence timeout). Plain HTTP, so
// it keeps going when the socket falls back to polling. An online agent whose console falls
// silent (closed, asleep, off the network) is set away by the server, their offers and chats
// passed on; a console that comes back hears it here (or over the socket, "agent_status"), shows
// the agent away, and the status switch takes them online again.

import { refreshChats } from "./chats.js";
import { refreshOffers, renderOffers } from "./offers.js";
import { AWAY_WHY, call, state, toast, ui } from "./state.js";

const RETRY_MS = 5000; // after a heartbeat that failed (the network is down, the server away)

export function startHeartbeat() {
  if (!state.agent) return;
  const beat = async () => {
    let next = RETRY_MS;
    const changes = state.statusChanges;
    try {
      const answer = await call(`/api/agents/${state.agent.id}/heartbeat`, { method: "POST" });
      next = Math.max(answer.every_s * 1000, 1000);
      // The agent changed their status while it was on its way: its answer is older news.
      if (changes === state.statusChanges) statusHeard(answer.status, answer.away_reason);
    } catch (_) {
      // Tried again soon; the server's timeout decides whether the agent is still here.
    }
    state.heartbeatTimer = setTimeout(beat, next);
  };
  beat();
}

const AWAY_SHOWN_MS = 20000;

// The server says the agent's status is `status`: follow it (the switch, the offers), and say so
// when the server set the agent away, for missed offers or a silent console (`reason`; none:
// the agent chose it, in another window).
export function statusHeard(status, reason) {
  if (!state.agent || !status || status === state.agent.status) return;
  const was = state.agent.status;
  state.agent = { ...state.agent, status, away_reason: status === "away" ? reason || null : null };
  ui.status.value = status;
  renderOffers();
  refreshOffers();
  if (was !== "online" || !AWAY_WHY[state.agent.away_reason]) return;
  if (reason === "no_heartbeat") refreshChats(); // the chats went back to the queue: each shows it, closed
  toast(AWAY_WHY[reason], "error", AWAY_SHOWN_MS);
}

// A console opened while the server has its agent away says why, as one open at the time did.
export function sayWhyAway() {
  const why = state.agent && state.agent.status === "away" && AWAY_WHY[state.agent.away_reason];
  if (why) toast(why, "error", AWAY_SHOWN_MS);
}
