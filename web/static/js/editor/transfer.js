// Import and export: the whole knowledge base as a Markdown zip or JSON Lines.
import { el } from "../shared/dom.js";
import { $, state, call, reason, tell, announceChange } from "./state.js";
import { loadList } from "./list.js";

async function download(format, name) {
  tell("transfer", "");
  try {
    const response = await call("/api/kb/export?format=" + format, { raw: true });
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    tell("transfer", "Downloaded " + name + ".");
  } catch (err) {
    tell("transfer", "Could not export: " + reason(err), true);
  }
}

async function importFile() {
  const file = $("import-file").files[0];
  if (!file) {
    tell("transfer", "Choose a .zip or .jsonl file first.", true);
    return;
  }
  const zip = /\.zip$/i.test(file.name);
  try {
    const response = await fetch("/api/kb/import", {
      method: "POST",
      headers: {
        Authorization: "Bearer " + state.token,
        "Content-Type": zip ? "application/zip" : "application/x-ndjson",
      },
      body: file,
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const problems = Array.isArray(data.problems) ? data.problems.join("; ") : null;
      throw new Error(problems ? "import rejected, nothing was kept: " + problems : data.detail || response.statusText);
    }
    const count = data.imported === 1 ? "1 article" : data.imported + " articles";
    const drafts = data.no_body || [];
    const held = drafts.length ? " Kept as drafts, with no body to answer with: " + drafts.join(", ") + "." : "";
    tell("transfer", "Imported " + count + " from " + file.name + "." + held + skippedText(data.skipped || []));
    $("import-file").value = "";
    loadList();
    announceChange();
  } catch (err) {
    tell("transfer", reason(err), true);
  }
}

// The files of a zip that were not articles (pictures, notes), the first few by name.
function skippedText(skipped) {
  if (!skipped.length) return "";
  const files = skipped.length === 1 ? "1 file that is not Markdown" : skipped.length + " files that are not Markdown";
  const more = skipped.length > 5 ? " and " + (skipped.length - 5) + " more" : "";
  return " Skipped " + files + ": " + skipped.slice(0, 5).join(", ") + more + ".";
}

export function wireTransfer() {
  $("export-markdown").addEventListener("click", () => download("markdown", "knowledge-base.zip"));
  $("export-jsonl").addEventListener("click", () => download("jsonl", "knowledge-base.jsonl"));
  $("import").addEventListener("click", importFile);
}
