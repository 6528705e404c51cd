// End-to-end test of the web build in headless Chromium with WebGPU (SwiftShader):
// serves dist/, follows the first-visit guide (AdamW beside AdmIRE; checks the lambda_max ratio
// it promises), checks that a paused page draws no frames, opens the page with test settings in the URL hash, starts training with the
// keyboard (Space), switches IRE on (I) after some steps, and checks from the page's status
// element that the loss went down and the switch was recorded. Then trains a ResNet (its data
// set is fetched on demand). Serves gzip like a web server would and reports the bytes each
// load transferred: the first load must stay under 5 MB, and a reload must take the data sets
// from Cache Storage. Kept runs survive a reload and continue bit-identically. Exports a run to PyTorch (a ZIP download)
// and to Hugging Face (a ZIP whose files, picked again, start new runs from its weights); opens logs through the file picker and by dropping one on the page. Also
// checks that a browser without WebGPU gets a clear explanation.
// Usage: node e2e.mjs DIST_DIR OUT_DIR
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { serveDist } from '../../serve-dist.mjs';

const dist = path.resolve(process.argv[2] ?? '../../dist');
const outDir = path.resolve(process.argv[3] ?? '.');
const MIN_STEPS = 36;
const IRE_AT = 16;
const TIMEOUT_MS = 15 * 60 * 1000;
const FIRST_LOAD_LIMIT = 5 * 1000 * 1000;
// Where a click focuses the canvas without pressing anything: the toolbar's empty right end
// (the notices bar at the bottom may hold a button, e.g. "Continue them (C)").
const FOCUS = { x: 1240, y: 44 };

// Bytes sent per path since the last reset (after gzip, as transferred).
let sent = new Map();
function takeSent() {
  const s = sent;
  sent = new Map();
  return s;
}
const total = (m) => [...m.values()].reduce((a, b) => a + b, 0);
const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;

function serve() {
  return serveDist(dist, 0, (p, n) => sent.set(p, (sent.get(p) ?? 0) + n));
}

const baseFlags = ['--no-sandbox', '--disable-gpu-sandbox', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
const webgpuFlags = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader',
  '--use-angle=swiftshader'];

async function launch(flags) {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true, args: [...baseFlags, ...flags] });
}

// The app's settings format (see src/app/settings.rs): small and fast for SwiftShader.
const settings = {
  preset: 'tiny', compare: false,
  train: { schedule: 'cosine', steps: 400, batch: 4, warmup: 5, min_lr: 3e-4, seed: 1, eval_every: 20, eval_batches: 1,
    probe_every: 10, sharpness: { power_iters: 2, hutchinson_samples: 1 },
    optimizer: { kind: 'adamw', lr: 3e-3 }, ire: { enabled: false, kappa: 2.0, gamma: 0.9, mask_every: 5 } },
  analysis: { slice: { kind: 'slice2d', grid: 5, span: 0.5 }, spectrum: { lanczos_steps: 4, vectors: 1, top_k: 3 } },
};

async function status(page) {
  const text = await page.locator('#ire-status').textContent();
  return text ? JSON.parse(text) : null;
}

async function waitFor(page, what, pred) {
  const start = Date.now();
  for (;;) {
    const s = await status(page);
    if (s && s.runs.some((r) => r.error)) throw new Error(`run failed: ${JSON.stringify(s)}`);
    if (s && pred(s)) return s;
    if (Date.now() - start > TIMEOUT_MS) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s)}`);
    await page.waitForTimeout(500);
  }
}

function check(cond, message) {
  if (!cond) throw new Error(message);
  console.log(`ok: ${message}`);
}

const server = await serve();
const origin = `http://127.0.0.1:${server.address().port}`;
let failed = false;
try {
  // 1. No WebGPU: the page must say so.
  {
    const browser = await launch([]);
    const page = await browser.newPage();
    await page.goto(`${origin}/index.html`);
    const problem = page.locator('#problem');
    await problem.waitFor({ state: 'visible', timeout: 120000 });
    const text = await problem.textContent();
    check(/WebGPU/.test(text) && /Chrome|Edge/.test(text), `without WebGPU the page explains: "${text.slice(0, 90)}…"`);
    await page.screenshot({ path: path.join(outDir, 'browser-no-webgpu.png') });
    await browser.close();
  }
  // 1b. A first visit follows the guide: Run, IRE armed until step 30 and acting after, and from
  // about step 60 AdmIRE's lambda_max below AdamW's at every probe, at a quarter to four fifths of
  // it (the numbers the guide promises).
  {
    const browser = await launch(webgpuFlags);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${origin}/index.html`);
    await page.locator('#ire_canvas').waitFor({ state: 'visible' });
    const start = await waitFor(page, 'the first experiment', (s) => s.runs.length === 2);
    check(start.guide && start.runs[0].label === 'AdamW' && start.runs[1].label === 'AdmIRE',
      'a first visit opens AdamW beside AdmIRE with the guide');
    await page.locator('#ire_canvas').click({ position: FOCUS });
    await page.keyboard.press('Space'); // guide step 1
    const armed = await waitFor(page, 'the first steps', (s) => s.runs[1].steps >= 2);
    check(armed.ire_state.state === 'armed' && armed.ire_state.from === 30 || armed.runs[1].steps >= 30,
      `guide step 2: IRE ${JSON.stringify(armed.ire_state)} at step ${armed.runs[1].steps}`);
    const probed = (s) => s.runs.every((r) => r.lambda_max.some(([step]) => step >= 80));
    const s = await waitFor(page, 'probes up to step 80 in both runs', probed);
    await page.screenshot({ path: path.join(outDir, 'browser-first-visit.png') });
    const [base, ire] = s.runs;
    const at = new Map(base.lambda_max.map(([step, v]) => [step, v]));
    const pairs = ire.lambda_max.filter(([step]) => step >= 60 && at.has(step)).map(([step, v]) => [step, v / at.get(step)]);
    check(s.ire_state.state === 'acting', 'IRE acts after step 30');
    check(pairs.length >= 2 && pairs.every(([, q]) => q >= 0.2 && q <= 0.85),
      `guide step 3: AdmIRE/AdamW lambda_max ${pairs.map(([st, q]) => `${q.toFixed(2)}@${st}`).join(', ')}`);
    // The same page on a phone (390 x 844): the settings fold into a drawer and the plots get
    // the width.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.mouse.move(200, 400);
    const phone = await waitFor(page, 'the phone layout', (s) => s.layout.width < 400);
    await page.waitForTimeout(1000);
    await page.screenshot({ path: path.join(outDir, 'browser-phone.png') });
    const l = phone.layout;
    check(l.settings_drawer && !l.settings_shown && l.plots_width >= 0.9 * l.width,
      `phone: settings in a drawer, plots ${l.plots_width.toFixed(0)} of ${l.width.toFixed(0)} points wide`);
    await browser.close();
  }

  // 1c. Kept runs survive a reload: a compare run saved while training (every 10 s) trains on,
  // its page is hidden (as when the user switches tabs: no frames are drawn, and the page may be
  // closed without another word), then reloaded; the page offers the runs at the step they had
  // reached when hidden (saved by a timer, not at the last 10-s save), C continues them, and
  // they end exactly where an uninterrupted run of the same settings ends (losses, validation
  // loss, sharpness, events).
  {
    const browser = await launch(webgpuFlags);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Headless pages are never hidden: a switch makes this one report hidden and draw no frames.
    await page.addInitScript(() => {
      window.__ireHidden = false;
      for (const [key, hiddenValue] of [['hidden', true], ['visibilityState', 'hidden']]) {
        const real = Object.getOwnPropertyDescriptor(Document.prototype, key).get;
        Object.defineProperty(Document.prototype, key, {
          configurable: true,
          get() { return window.__ireHidden ? hiddenValue : real.call(this); },
        });
      }
      const raf = Window.prototype.requestAnimationFrame;
      Window.prototype.requestAnimationFrame = function (callback) {
        return window.__ireHidden ? 0 : raf.call(this, callback);
      };
    });
    const kept = { preset: 'tiny', compare: true,
      train: { steps: 200, batch: 4, warmup: 2, eval_every: 20, eval_batches: 1, probe_every: 20,
        sharpness: { power_iters: 2, hutchinson_samples: 1 }, ire: { mask_every: 5 } } };
    const keptHash = encodeURIComponent(JSON.stringify(kept));
    const open = async () => {
      await page.goto(`${origin}/index.html#${keptHash}`);
      await page.reload();
      await waitFor(page, 'the kept-runs page', (s) => s.runs.length === 2 && s.kept);
      await page.locator('#ire_canvas').click({ position: FOCUS });
    };
    const finished = (s) => s.mode === 'Paused' && s.runs.every((r) => r.steps === 200);
    await open();
    await page.keyboard.press('Space');
    const before = await waitFor(page, 'a save while training', (s) =>
      s.kept.saved_step >= 10 && s.mode === 'Running');
    check(before.kept.saved_step < 200, `saved at step ${before.kept.saved_step} while training, in ${before.kept.location}`);
    const onward = await waitFor(page, 'training past the save', (s) =>
      Math.min(...s.runs.map((r) => r.steps)) >= before.kept.saved_step + 8 && s.mode === 'Running');
    const reached = Math.min(...onward.runs.map((r) => r.steps));
    await page.evaluate(() => { window.__ireHidden = true; document.dispatchEvent(new Event('visibilitychange')); });
    await page.waitForTimeout(6000);
    await page.reload();
    const offered = await waitFor(page, 'the offer after the reload', (s) =>
      s.notices.some((n) => n.text.startsWith('Runs you trained before were kept')));
    await page.screenshot({ path: path.join(outDir, 'browser-kept-offer.png') });
    check(offered.runs.every((r) => r.steps === 0), 'after the reload the page offers the kept runs');
    await page.locator('#ire_canvas').click({ position: FOCUS });
    await page.keyboard.press('KeyC');
    const back = await waitFor(page, 'the kept runs back', (s) => s.runs.length === 2 && s.runs.every((r) => r.steps > 0));
    const from = Math.min(...back.runs.map((r) => r.steps));
    check(from >= reached, `the hidden page saved what it had trained: continued from step ${from} ` +
      `(step ${reached} when hidden; the last save while visible was at ${before.kept.saved_step})`);
    await page.keyboard.press('Space');
    const continued = await waitFor(page, 'the continued runs to end', finished);
    await page.screenshot({ path: path.join(outDir, 'browser-kept-continued.png') });
    await open();
    await page.keyboard.press('Space');
    const straight = await waitFor(page, 'the uninterrupted runs to end', finished);
    for (const [c, s] of continued.runs.map((r, i) => [r, straight.runs[i]])) {
      for (const key of ['last_loss', 'last_val_loss', 'lambda_max', 'events']) {
        if (JSON.stringify(c[key]) !== JSON.stringify(s[key])) {
          throw new Error(`${c.label}: ${key} ${JSON.stringify(c[key])} after the reload, ${JSON.stringify(s[key])} without`);
        }
      }
    }
    check(true, `reloaded mid-run, continued from step ${from} to 200: AdamW ${continued.runs[0].last_loss.toFixed(4)}, ` +
      `AdmIRE ${continued.runs[1].last_loss.toFixed(4)}, the same losses and sharpness as without the reload`);
    await browser.close();
  }

  // 1d. Branch from here (B): a new run from the paused run's state with IRE switched on,
  // beside it; both train on, the branch with its IRE switch recorded at the branch step.
  {
    const browser = await launch(webgpuFlags);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const single = { preset: 'tiny', train: { steps: 100, batch: 4, warmup: 2, eval_every: 0, eval_batches: 1, probe_every: 0 } };
    await page.goto(`${origin}/index.html#${encodeURIComponent(JSON.stringify(single))}`);
    await waitFor(page, 'the single run', (s) => s.runs.length === 1);
    await page.locator('#ire_canvas').click({ position: FOCUS });
    await page.keyboard.press('Space');
    await waitFor(page, '6 steps', (s) => s.runs[0].steps >= 6);
    await page.keyboard.press('Space');
    await page.keyboard.press('KeyB');
    const branched = await waitFor(page, 'the branch', (s) => s.runs.length === 2);
    const at = branched.runs[1].steps;
    await page.keyboard.press('Space');
    const both = await waitFor(page, 'both runs past the branch', (s) => s.runs.every((r) => r.steps >= at + 4));
    await page.screenshot({ path: path.join(outDir, 'browser-branch.png') });
    check(both.runs[1].label.endsWith(`from step ${at}: IRE on, kappa 2, K 10`) && both.runs[1].events.includes(`ire_on@${at}`)
      && both.runs[0].events.length === 0,
      `branched in the browser: "${both.runs[1].label}" trains beside ${both.runs[0].label} (events ${both.runs[1].events})`);
    await browser.close();
  }

  // 2. WebGPU: train, switch IRE, check.
  const browser = await launch(webgpuFlags);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.log(`[page ${m.type()}] ${m.text()}`); });
  page.on('pageerror', (e) => console.log(`[page error] ${e}`));
  const hash = encodeURIComponent(JSON.stringify(settings));
  takeSent();
  await page.goto(`${origin}/index.html#${hash}`);
  await page.locator('#ire_canvas').waitFor({ state: 'visible' });
  await waitFor(page, 'the app to start', (s) => s.runs.length === 1 && s.mode === 'Paused');
  const first = takeSent();
  console.log(`first load: ${mb(total(first))} transferred: ${[...first].map(([p, n]) => `${p} ${mb(n)}`).join(', ')}`);
  check(total(first) < FIRST_LOAD_LIMIT, `first load under ${mb(FIRST_LOAD_LIMIT)} (${mb(total(first))})`);
  check(![...first.keys()].some((p) => p.includes('fashion')), 'the image data set is not part of the first load');
  check((await status(page)).guide === true, 'a first visit shows the three-step guide');
  await page.locator('#ire_canvas').click({ position: FOCUS });
  await page.keyboard.press('Space');
  await waitFor(page, `${IRE_AT} steps`, (s) => s.runs[0].steps >= IRE_AT);
  await page.keyboard.press('KeyI');
  const s = await waitFor(page, `${MIN_STEPS} steps with IRE on`, (s) => s.runs[0].steps >= MIN_STEPS && s.ire_on);
  await page.waitForTimeout(1500); // a few more frames so the plots show the latest points
  await page.screenshot({ path: path.join(outDir, 'browser.png') });
  console.log(JSON.stringify(s));
  const run = s.runs[0];
  check(run.steps >= 30, `trained ${run.steps} steps in the browser`);
  check(run.last_loss < run.first_loss, `loss went down: ${run.first_loss.toFixed(3)} -> ${run.last_loss.toFixed(3)}`);
  check(run.events.some((e) => e.startsWith('ire_on@')), `IRE switch recorded: ${run.events.join(', ')}`);
  check(run.probes > 0, `probes ran (${run.probes})`);
  check(/toggle_at%22:%5B[0-9]/.test(new URL(page.url()).hash), 'the URL hash records the IRE switch');
  const f = s.frames;
  check(f && f.frames > 0 && f.steps_per_s > 0,
    `frame timing published: ${f.steps_per_s.toFixed(1)} steps/s, update ${f.work_ms_mean.toFixed(1)} ms mean ` +
    `(max ${f.work_ms_max.toFixed(1)}), frame interval median ${f.interval_ms_median.toFixed(1)} ms, ` +
    `95th percentile ${f.interval_ms_p95.toFixed(1)} ms, mean ${f.interval_ms_mean.toFixed(1)} ms (SwiftShader, ${s.adapter})`);

  // 2a'. Loss-landscape slice (L) and Hessian spectrum (H) of the live run, from the browser.
  await page.keyboard.press('Space'); // pause: the analyses see one step
  await page.keyboard.press('KeyL');
  await page.keyboard.press('KeyH');
  const analysed = await waitFor(page, 'a slice and a spectrum', (s) => {
    const a = s.runs[0].analysis;
    return a && a.landscape && a.spectrum && !a.running && a.queued === 0;
  });
  await page.waitForTimeout(1000);
  await page.screenshot({ path: path.join(outDir, 'browser-landscape.png') });
  const a = analysed.runs[0].analysis;
  check(a.landscape.points === 25 && a.landscape.min_loss <= a.landscape.center_loss && a.spectrum.top.length === 3 && a.spectrum.top[0] >= a.spectrum.top[2],
    `slice (5 x 5, centre ${a.landscape.center_loss.toFixed(3)}) and spectrum (top ${a.spectrum.top.map((v) => v.toFixed(2)).join(', ')}) computed in the browser at step ${a.landscape.step}`);
  check(a.landscape.step === a.spectrum.step, 'both at the same step');

  // 2a''. A paused page with nothing in flight draws no frames (and samples nothing) until
  // input: count the frames over three quiet seconds plus one mouse move that wakes it.
  const quiet = (await status(page)).frames.frames_total;
  await page.waitForTimeout(3000);
  await page.mouse.move(640, 12);
  await page.waitForTimeout(700);
  const woken = (await status(page)).frames.frames_total;
  check(woken - quiet <= 4, `a paused page is idle: ${woken - quiet} frames in 3.7 s, the mouse move's included`);

  // 2a. Export to PyTorch (the E key): a ZIP download with train.py, the run's state and its data.
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120000 }), page.keyboard.press('KeyE')]);
  const zipPath = path.join(outDir, download.suggestedFilename());
  await download.saveAs(zipPath);
  const zip = fs.readFileSync(zipPath);
  const has = (name) => zip.includes(Buffer.from(`ire-playground-export/${name}`));
  check(/pytorch\.zip$/.test(zipPath) && ['train.py', 'checkpoint.safetensors', 'data/corpus.txt.zlib', 'playground/ire.py'].every(has),
    `exported to PyTorch from the browser: ${download.suggestedFilename()} (${mb(zip.length)})`);
  // 2a'. Export to Hugging Face (the F key): a ZIP with a transformers model folder.
  const [hfDownload] = await Promise.all([page.waitForEvent('download', { timeout: 120000 }), page.keyboard.press('KeyF')]);
  const hfPath = path.join(outDir, hfDownload.suggestedFilename());
  await hfDownload.saveAs(hfPath);
  const hf = fs.readFileSync(hfPath);
  const hfHas = (name) => hf.includes(Buffer.from(`/${name}`));
  check(/-hf\.zip$/.test(hfPath) && ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'README.md'].every(hfHas),
    `exported to Hugging Face from the browser: ${hfDownload.suggestedFilename()} (${mb(hf.length)})`);
  // 2a''. Open a Hugging Face model: the exported folder's three files, picked together on the
  // reloaded page (its runs have not trained, so nothing is asked): new runs start from its
  // weights, far below a fresh model's first loss (about ln 65 = 4.2).
  const unzip = (buf) => {
    const out = {};
    for (let p = 0; buf.readUInt32LE(p) === 0x04034b50;) {
      const size = buf.readUInt32LE(p + 18);
      const nameLen = buf.readUInt16LE(p + 26);
      const start = p + 30 + nameLen + buf.readUInt16LE(p + 28);
      out[buf.toString('utf8', p + 30, p + 30 + nameLen)] = buf.subarray(start, start + size);
      p = start + size;
    }
    return out;
  };
  const inZip = unzip(hf);
  const picks = ['config.json', 'tokenizer.json', 'model.safetensors'].map((name) => ({
    name, mimeType: 'application/octet-stream',
    buffer: inZip[Object.keys(inZip).find((k) => k.endsWith(`/${name}`))],
  }));
  await page.reload();
  await waitFor(page, 'the reloaded page', (s) => s.runs.length >= 1 && s.runs.every((r) => r.steps === 0));
  await page.setInputFiles('#ire-log-input', picks);
  await waitFor(page, 'runs from the model', (s) =>
    s.notices.some((n) => n.text.includes("start from the Hugging Face model's weights")));
  await page.locator('#ire_canvas').click({ position: FOCUS });
  await page.keyboard.press('Space');
  const fromModel = await waitFor(page, '10 steps from the model', (s) => s.runs.every((r) => r.steps >= 10));
  await page.keyboard.press('Space');
  check(fromModel.runs.every((r) => r.first_loss < 3.8),
    `opened the exported Hugging Face files in the browser: new runs start at loss ${fromModel.runs.map((r) => r.first_loss.toFixed(3)).join(', ')}`);

  // 2b. Logs from elsewhere (the CLI, an exported train.py) open through the file picker and by
  // dropping them on the page, and show next to the live run.
  const logText = (steps) => Array.from({ length: steps }, (_, i) =>
    JSON.stringify({ step: i + 1, loss: 4 - i / steps, lr: 0.003, ms: 5, grad_norm: 1, ire_kappa: i >= 20 ? 2 : 0 }))
    .concat([JSON.stringify({ step: 20, event: 'ire_on' }), JSON.stringify({ step: steps, val_loss: 3.1 })])
    .join('\n') + '\n';
  await page.setInputFiles('#ire-log-input', { name: 'picked.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(logText(40)) });
  await page.evaluate((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'dropped.jsonl', { type: 'application/x-ndjson' }));
    document.getElementById('ire_canvas').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, logText(3000));
  const logs = await waitFor(page, 'two opened logs', (s) => s.logs && s.logs.length === 2);
  await page.waitForTimeout(1000);
  await page.screenshot({ path: path.join(outDir, 'browser-logs.png') });
  const picked = logs.logs.find((l) => l.label.startsWith('picked.jsonl'));
  const dropped = logs.logs.find((l) => l.label.startsWith('dropped.jsonl'));
  check(picked && picked.steps === 40 && picked.events.includes('ire_on@20') && picked.last_val_loss != null,
    `a log opened with the file picker: ${JSON.stringify(picked)}`);
  check(dropped && dropped.steps === 3000, `a 3000-step log dropped on the page: ${dropped && dropped.steps} steps`);
  check(logs.runs.length === 1, 'the live run is still there next to the logs');

  // 2c. The user's own text, dropped on the page: the transformer trains on it.
  const ownText = Array.from({ length: 600 }, (_, i) => `${i}: the quick brown fox jumps over the lazy dog\n`).join('');
  await page.evaluate((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'own-text.txt', { type: 'text/plain' }));
    document.getElementById('ire_canvas').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, ownText);
  await waitFor(page, 'the app to take the dropped text', (s) => s.text && s.text.startsWith('own-text.txt ('));
  await page.keyboard.press('Space');
  const onText = await waitFor(page, '3 steps on the dropped text', (s) => s.text && s.runs.length > 0 && s.runs[0].steps >= 3);
  check(onText.runs[0].steps >= 3, `trained ${onText.runs[0].steps} steps on a dropped text: ${onText.text}`);
  await page.keyboard.press('Space');

  // 2d. An image set of the user's: four IDX files picked together; a ResNet trains on them.
  const idx = (dims, data) => {
    const header = Buffer.alloc(4 + 4 * dims.length);
    header.writeUInt32BE(0x0800 + dims.length, 0);
    dims.forEach((n, i) => header.writeUInt32BE(n, 4 + 4 * i));
    return Buffer.concat([header, Buffer.from(data)]);
  };
  const idxFiles = [['train', 64], ['t10k', 16]].flatMap(([split, n]) => {
    const labels = Array.from({ length: n }, (_, i) => i % 10);
    const pixels = labels.flatMap((l) => Array.from({ length: 28 * 28 }, (_, p) => (Math.floor(p / 56) === l + 2 ? 255 : 0)));
    return [
      { name: `${split}-images-idx3-ubyte`, mimeType: 'application/octet-stream', buffer: idx([n, 28, 28], pixels) },
      { name: `${split}-labels-idx1-ubyte`, mimeType: 'application/octet-stream', buffer: idx([n], labels) },
    ];
  });
  await page.setInputFiles('#ire-log-input', idxFiles);
  const onImages = await waitFor(page, 'a ResNet on the picked IDX files', (s) => s.images && s.runs.length === 1);
  check(onImages.images.includes('64 training, 16 test images'), `picked IDX files became the image set: ${onImages.images}`);
  await page.locator('#ire_canvas').click({ position: FOCUS });
  await page.keyboard.press('Space');
  const trainedImages = await waitFor(page, '2 ResNet steps on the picked images', (s) => s.runs[0].steps >= 2);
  check(!trainedImages.runs[0].error, `the ResNet trained ${trainedImages.runs[0].steps} steps on the user's images`);
  await page.keyboard.press('Space');

  // 2e. The Llama-style preset trains in the browser too, with Lion as its optimizer.
  const llama = { ...settings, preset: 'llama-tiny', analysis: undefined,
    train: { ...settings.train, optimizer: { kind: 'lion', lr: 1e-3, weight_decay: 0.3 } } };
  await page.goto(`${origin}/index.html#${encodeURIComponent(JSON.stringify(llama))}`);
  await page.reload();
  await waitFor(page, 'llama-tiny to start', (s) => s.runs.length === 1 && s.mode === 'Paused');
  await page.locator('#ire_canvas').click({ position: FOCUS });
  await page.keyboard.press('Space');
  const onLlama = await waitFor(page, '4 llama-tiny steps', (s) => s.runs[0].steps >= 4);
  check(onLlama.runs[0].steps >= 4 && !onLlama.runs[0].error, `llama-tiny trained ${onLlama.runs[0].steps} steps in the browser with Lion`);
  await page.keyboard.press('Space');

  // 2f. A generated task from a link (the link names it; nothing is uploaded), trained by Muon:
  // the model reads one example at a time and reports accuracy beside the loss.
  const task = { ...settings, analysis: undefined, text: 'puzzle: modadd p=23 train=0.5',
    train: { ...settings.train, eval_every: 2, probe_every: 0, optimizer: { kind: 'muon', lr: 0.02 } } };
  await page.goto(`${origin}/index.html#${encodeURIComponent(JSON.stringify(task))}`);
  await page.reload();
  const onTask = await waitFor(page, 'the task to load', (s) => s.runs.length === 1 && s.mode === 'Paused');
  check(onTask.text === 'puzzle: modadd p=23 train=0.5', `the link's task was generated: ${onTask.text}`);
  await page.locator('#ire_canvas').click({ position: FOCUS });
  await page.keyboard.press('Space');
  const taught = await waitFor(page, '4 Muon steps on the task with accuracy',
    (s) => s.runs[0].steps >= 4 && s.runs[0].last_val_acc != null && s.runs[0].last_train_acc != null);
  await page.screenshot({ path: path.join(outDir, 'browser-task.png') });
  check(!taught.runs[0].error, `Muon trained ${taught.runs[0].steps} steps on modular addition: train accuracy ` +
    `${taught.runs[0].last_train_acc.toFixed(1)}%, validation ${taught.runs[0].last_val_acc.toFixed(1)}%`);
  await page.keyboard.press('Space');

  // 3. A ResNet: its data set arrives on demand; it trains and reports test accuracy.
  const resnet = {
    preset: 'resnet-tiny', compare: false,
    train: { schedule: 'constant', steps: 200, batch: 4, warmup: 1, seed: 1, eval_every: 2, eval_batches: 1,
      probe_every: 0, optimizer: { kind: 'sgd', lr: 0.05 }, ire: { enabled: false, kappa: 2.0, gamma: 0.9, mask_every: 5 } },
  };
  takeSent();
  await page.goto(`${origin}/index.html#${encodeURIComponent(JSON.stringify(resnet))}`);
  await page.reload();
  await waitFor(page, 'the ResNet to start', (s) => s.runs.length === 1 && s.mode === 'Paused');
  const second = takeSent();
  console.log(`ResNet load: ${mb(total(second))} transferred: ${[...second].map(([p, n]) => `${p} ${mb(n)}`).join(', ')}`);
  check(![...second.keys()].some((p) => p.includes('shakespeare')), 'a reload takes the corpus from Cache Storage');
  check([...second.keys()].some((p) => p.includes('fashion')), 'the image data set was fetched when a ResNet was chosen');
  await page.locator('#ire_canvas').click({ position: FOCUS });
  await page.keyboard.press('Space');
  const r = await waitFor(page, '4 ResNet steps with a test accuracy', (s) => s.runs[0].steps >= 4 && s.runs[0].last_val_acc != null);
  await page.screenshot({ path: path.join(outDir, 'browser-resnet.png') });
  check(r.runs[0].last_val_acc >= 0, `ResNet trained ${r.runs[0].steps} steps in the browser, test accuracy ${r.runs[0].last_val_acc.toFixed(1)}%`);

  // 4. A finding of docs/RESULTS.md as a link: the comparison it names, ready to run.
  await page.goto(`${origin}/index.html#finding=untuned-lr`);
  await page.reload();
  const found = await waitFor(page, 'the finding to start', (s) => s.runs.length === 3 && s.mode === 'Paused');
  check(found.runs.map((r) => r.label).join(' vs ') === 'AdamW vs AdmIRE vs AdamW lr 0.008 (tuned)',
    `#finding=untuned-lr opens ${found.runs.map((r) => r.label).join(' vs ')}: the untuned pair beside the tuned base`);
  await page.locator('#ire_canvas').click({ position: FOCUS });
  await page.keyboard.press('Space');
  await waitFor(page, 'both runs of the finding to step', (s) => s.runs.every((r) => r.steps >= 2));
  const findingHash = decodeURIComponent(new URL(page.url()).hash);
  check(/"compare":true/.test(findingHash) && /"lr":0\.001\b/.test(findingHash),
    'the URL hash now holds the finding\'s full settings (compare mode, lr 0.001)');

  // 5. "Tune both": each arm at three learning rates, then the best of each continues.
  const tune = { preset: 'tiny', compare: true, tune: true,
    train: { steps: 60, batch: 4, warmup: 2, eval_every: 0, eval_batches: 1, probe_every: 0 } };
  await page.goto(`${origin}/index.html#${encodeURIComponent(JSON.stringify(tune))}`);
  await page.reload();
  await waitFor(page, 'six tuning runs', (s) => s.runs.length === 6 && s.tuning && !s.tuning.decided);
  await page.locator('#ire_canvas').click({ position: FOCUS });
  await page.keyboard.press('Space');
  const tuned = await waitFor(page, 'the best of each arm', (s) => s.tuning && s.tuning.decided && s.runs.length === 2 && s.runs[1].steps >= 8);
  check(tuned.runs.every((r) => r.label.endsWith('(tuned)')),
    `tune both kept ${tuned.runs.map((r) => r.label).join(' and ')}; speed-up ${JSON.stringify(tuned.speed_up)}`);
  await browser.close();
} catch (e) {
  console.error(`FAILED: ${e.message ?? e}`);
  failed = true;
} finally {
  server.close();
}
process.exit(failed ? 1 : 0);
