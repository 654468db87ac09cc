// The self-report page: pictures are opened and hashed on this device; only the hashes are sent.
// Photos: PDQ with its quality (pdq.js), MD5 (md5.js) and SHA-256 (WebCrypto). Videos: MD5 and SHA-256.
// Previews are drawn tiny on a canvas and blurred; no picture, name or size leaves the page.
import { md5 } from "./md5.js";
import { pdq } from "./pdq.js";

const MAX_BYTES = 1024 ** 3;
const PREVIEW = 24; // preview canvas width in pixels: enough to recognise one's own picture, no more

const form = document.getElementById("self-report");
const fields = document.getElementById("self-report-fields");
const input = form.querySelector("input[name=photos]");
const consent = form.querySelector("input[name=consent]");
const previews = document.getElementById("previews");
const progress = document.getElementById("progress");
const formError = document.getElementById("form-error");
const result = document.getElementById("result");
const text = JSON.parse(form.dataset.text);
const csrf = document.querySelector("meta[name=csrf-token]").content;

let pending = Promise.resolve([]);

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha256(bytes) {
  if (!globalThis.crypto?.subtle) return null; // not a secure context: PDQ and MD5 still go
  return hex(await crypto.subtle.digest("SHA-256", bytes));
}

async function decode(file) {
  return createImageBitmap(file, { imageOrientation: "from-image", colorSpaceConversion: "none",
                                   premultiplyAlpha: "none" });
}

function pixels(bitmap) {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  return context.getImageData(0, 0, bitmap.width, bitmap.height).data;
}

function figure(file, note) {
  const item = document.createElement("figure");
  const canvas = document.createElement("canvas");
  canvas.width = PREVIEW;
  canvas.height = PREVIEW;
  canvas.setAttribute("aria-hidden", "true");
  item.append(canvas);
  if (note) {
    const caption = document.createElement("figcaption");
    caption.className = "file-note";
    caption.textContent = note;
    item.append(caption);
  }
  previews.append(item);
  return { item, canvas };
}

function drawPreview(canvas, bitmap) {
  const scale = Math.max(PREVIEW / bitmap.width, PREVIEW / bitmap.height);
  const w = bitmap.width * scale;
  const h = bitmap.height * scale;
  const context = canvas.getContext("2d");
  context.filter = "blur(2px)";
  context.drawImage(bitmap, (PREVIEW - w) / 2, (PREVIEW - h) / 2, w, h);
}

/** One file -> {kind, md5, sha256, pdq, pdq_quality}, or null when it is skipped. */
async function hashFile(file) {
  const started = performance.now();
  if (file.size > MAX_BYTES) {
    figure(file, text.too_big);
    return null;
  }
  const isVideo = file.type.startsWith("video/");
  const view = figure(file, isVideo ? text.video : "");
  const bytes = new Uint8Array(await file.arrayBuffer());
  const item = { kind: isVideo ? "video" : "photo", md5: md5(bytes), sha256: await sha256(bytes) };
  view.item.dataset.digestMs = String(Math.round(performance.now() - started));
  if (!isVideo) {
    try {
      const decodeStart = performance.now();
      const bitmap = await decode(file);
      const rgba = pixels(bitmap);
      const pdqStart = performance.now();
      const { hash, quality } = pdq(rgba, bitmap.width, bitmap.height, 4);
      view.item.dataset.decodeMs = String(Math.round(pdqStart - decodeStart));
      view.item.dataset.pdqMs = String(Math.round(performance.now() - pdqStart));
      drawPreview(view.canvas, bitmap);
      view.item.dataset.pixels = String(bitmap.width * bitmap.height);
      bitmap.close();
      item.pdq = hash;
      item.pdq_quality = quality;
    } catch (error) {
      console.warn("self-report: cannot decode a photo here; sending its digests only", error);
      const note = document.createElement("figcaption");
      note.className = "file-note";
      note.textContent = text.unreadable;
      view.item.append(note);
    }
  }
  view.item.dataset.hashMs = String(Math.round(performance.now() - started));
  return item;
}

async function hashAll(files) {
  const items = [];
  for (const [n, file] of files.entries()) {
    progress.textContent = `${text.hashing} ${n + 1} / ${files.length}`;
    const item = await hashFile(file);
    if (item) items.push(item);
    await new Promise((resolve) => setTimeout(resolve, 0)); // let the page repaint between files
  }
  progress.textContent = `${text.ready}: ${items.length} / ${files.length}`;
  progress.dataset.state = "ready";
  return items;
}

function showError(message) {
  formError.textContent = message;
  formError.hidden = !message;
}

function showResult(answer) {
  result.replaceChildren();
  const done = document.createElement("p");
  done.className = "notice";
  done.textContent = text.done;
  const facts = document.createElement("dl");
  facts.className = "facts";
  for (const [label, value, attribute] of [[text.number, answer.case_number, "data-case-number"],
                                           [text.pin, answer.pin, "data-pin"]]) {
    const term = document.createElement("dt");
    term.textContent = label;
    const detail = document.createElement("dd");
    detail.className = "secret";
    detail.textContent = value;
    detail.setAttribute(attribute, value);
    facts.append(term, detail);
  }
  result.append(done, facts);
  result.hidden = false;
  form.hidden = true;
  previews.replaceChildren(); // the pictures are dropped from the page as well
  input.value = "";
}

input.addEventListener("change", () => {
  previews.replaceChildren();
  showError("");
  delete progress.dataset.state;
  pending = hashAll(Array.from(input.files));
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  showError("");
  if (!input.files.length) return showError(text.need_files);
  if (!consent.checked) return showError(text.need_consent);
  fields.disabled = true;
  try {
    const items = await pending;
    if (!items.length) return showError(text.need_files);
    progress.textContent = text.sending;
    const response = await fetch("/self-report", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ consent: true, items }),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) return showError(`${text.failed}: ${answer.message ?? response.status}`);
    showResult(answer);
  } catch (error) {
    showError(`${text.failed}: ${error.message}`);
  } finally {
    fields.disabled = false;
  }
});

fields.disabled = false; // the form works only with this script, so nothing is ever sent without hashing
