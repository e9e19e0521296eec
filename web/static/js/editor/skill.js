// An article's skill: the skills agents hold are offered as the field is typed in, and a skill
// no agent holds is pointed out (a typo, "crads", would send its hand-overs to a skill nobody
// has: they wait until the skill wait widens them to anyone).
import { clear, el } from "../shared/dom.js";
import { $, call } from "./state.js";

const GENERAL = "general"; // any agent takes a general chat
let held = null; // skill -> how many agents hold it; null until loaded (or if it failed)

// Said once the field is left or a skill picked, not at each keystroke ("c", "ca", "car"); a
// warning shown goes as soon as the skill is one agents hold.
export function renderSkillNote({ typing = false } = {}) {
  const skill = $("f-skill").value.trim();
  const note = $("f-skill-note");
  const unknown = held !== null && skill && skill !== GENERAL && !held.has(skill);
  if (typing && unknown && note.hidden) return;
  note.hidden = !unknown;
  note.textContent = unknown
    ? `No agent has the skill “${skill}”: hand-overs from this article will wait for anyone free. Check the spelling, or add the skill to an agent.`
    : "";
}

export async function wireSkill() {
  $("f-skill").addEventListener("input", () => renderSkillNote({ typing: true }));
  $("f-skill").addEventListener("change", () => renderSkillNote());
  try {
    const skills = await call("/api/agents/skills");
    held = new Map(skills.map((s) => [s.skill, s.agents]));
  } catch (_) {
    return; // the field still takes any skill; only the hint is missing
  }
  clear($("skill-options")).append(
    el("option", { value: GENERAL }, "any agent"),
    ...[...held].map(([skill, agents]) => el("option", { value: skill }, agents === 1 ? "1 agent" : agents + " agents")),
  );
  renderSkillNote();
}
