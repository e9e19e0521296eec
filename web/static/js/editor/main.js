// The knowledge editor: articles with search and status filters, an editor with a Markdown
// preview, versions with diffs and rollback, content gaps, per-article figures, a box to try
// a question the way the bot searches, what the calibration expects, and test runs of past
// questions. Text from data only ever enters the page as text nodes,
// the Markdown preview included (shared/markdown.js, the widget's own renderer).
//
// The page's entry point: each concept lives in its own module beside this one, and none imports
// a module that imports it back (a part that asks to open an article sends an event, state.js).
import { signIn } from "../shared/session.js";
import { $, state } from "./state.js";
import { wireViews } from "./views.js";
import { loadList, wireList } from "./list.js";
import { restoreKept, wireForm } from "./form.js";
import { wireSkill } from "./skill.js";
import { wireTitle } from "./title.js";
import { refreshGapCount, wireGaps } from "./gaps.js";
import { wireTry } from "./try-question.js";
import { wireTransfer } from "./transfer.js";
import { wireQuality } from "./quality.js";
import { wireTestRun } from "./test-run.js";

async function start() {
  const session = await signIn({ role: "editor", root: $("signin"), title: "Knowledge editor" });
  state.token = session.token;
  $("who").textContent = session.me.subject ? "Signed in as " + session.me.subject : "Signed in";
  $("sign-out").hidden = false;
  $("sign-out").addEventListener("click", session.signOut);
  $("workspace").hidden = false;
  wireViews();
  wireList();
  wireForm();
  wireGaps();
  wireTry();
  wireTransfer();
  wireQuality();
  wireTitle();
  wireTestRun();
  await Promise.all([restoreKept(), loadList(), refreshGapCount(), wireSkill()]);
}

start();
