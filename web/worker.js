// The analysis runs here, off the page's thread. The library asks for byte ranges and this
// worker serves them synchronously from the File with Blob.slice + FileReaderSync, so a model
// of any size is never read whole and nothing leaves the machine.
import init, { Session } from "./pkg/kerascope_wasm.js";

// Small files are read whole, once, as the library reads small local files: one read
// instead of a few dozen.
const WHOLE_BELOW = 64 * 1024;
let blob = null;
let whole = null;
let bytesRead = 0;
let panicMessage = null;
let session = null;
const reader = new FileReaderSync();

// Called by the WebAssembly module (kerascope_wasm: read_range) for each range it needs.
self.kerascopeReadRange = (offset, buffer) => {
  if (whole) {
    buffer.set(whole.subarray(offset, offset + buffer.length));
    return;
  }
  let bytes;
  try {
    bytes = reader.readAsArrayBuffer(blob.slice(offset, offset + buffer.length));
  } catch (error) {
    // The module takes a thrown string as the I/O error's message.
    throw `the browser could not read the file: ${error && error.message ? error.message : error}`;
  }
  if (bytes.byteLength !== buffer.length) {
    throw `read ${bytes.byteLength} of ${buffer.length} bytes at ${offset}`;
  }
  buffer.set(new Uint8Array(bytes));
  bytesRead += buffer.length;
};

// A panic's message arrives here just before the module traps.
self.kerascopePanic = (message) => {
  panicMessage = message;
};

// An uncaught error in a worker never reaches the page's handlers: forward it.
function fail(message) {
  self.postMessage({ type: "error", message: String(message) });
}
self.addEventListener("error", (event) => fail(event.message || event));
self.addEventListener("unhandledrejection", (event) => fail(event.reason));

function analyze(id, file, name) {
  blob = file;
  bytesRead = 0;
  whole = null;
  if (file.size <= WHOLE_BELOW) {
    try {
      whole = new Uint8Array(reader.readAsArrayBuffer(file));
      bytesRead = whole.length;
    } catch {
      // Left to the ranged reads, whose failure the library reports for this file.
      whole = null;
    }
  }
  panicMessage = null;
  const started = performance.now();
  let view;
  try {
    view = JSON.parse(session.analyze(name, file.size));
  } catch (error) {
    // A trap leaves the module unusable: the page starts a new worker.
    const message = panicMessage || (error && error.message) || String(error);
    self.postMessage({ type: "crash", id, name, message: `kerascope failed on this file: ${message}` });
    return false;
  } finally {
    blob = null;
    whole = null;
  }
  view.bytes_read = bytesRead;
  view.ms = performance.now() - started;
  self.postMessage({ type: "file", id, view });
  return true;
}

self.onmessage = ({ data }) => {
  try {
    if (data.type === "analyze") {
      session.clear();
      for (const { file, name } of data.files) {
        if (!analyze(data.id, file, name)) return;
      }
      self.postMessage({
        type: "done",
        id: data.id,
        totals: JSON.parse(session.totals()),
        report: session.report(),
      });
    }
  } catch (error) {
    fail(error && error.message ? error.message : error);
  }
};

init({ module_or_path: new URL("./pkg/kerascope_wasm_bg.wasm", import.meta.url) })
  .then(() => {
    session = new Session();
    self.postMessage({ type: "ready" });
  })
  .catch((error) => fail(`the WebAssembly module did not load: ${error}`));
