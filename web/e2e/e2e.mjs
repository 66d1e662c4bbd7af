// The web build, end to end, in headless Chromium: load the page from a local server,
// wait for the first frame, start a game and make two choices by keyboard, reload the
// page, choose Continue, and check the game resumed where it was. Then, on the saves
// screen, export the autosave (a download) and import it back (the file picker) into
// slot 1. Then the same page in a browser that refuses storage, and in one whose
// storage is full: the game plays on and says why nothing is kept. Writes
// screenshots and prints the time to the first frame.
//
//   node e2e.mjs URL OUT_DIR
//
// The page tells where the game is through `window.epistleStatus` (JSON), and when
// its first screen is drawn through `window.epistleReadyMs`.
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";

const [url = "http://127.0.0.1:8080/", out = "web-e2e"] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const say = (m) => console.log(`web-e2e: ${m}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    // WebGL2 through the software renderer: headless has no GPU.
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--ignore-gpu-blocklist",
  ],
});
let failed = false;
const check = (ok, what) => {
  say(`${ok ? "ok" : "FAILED"}: ${what}`);
  if (!ok) failed = true;
};

try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  page.on("pageerror", (e) => {
    if (!String(e).includes("Using exceptions for control flow")) problems.push(String(e));
  });
  const status = async () => JSON.parse((await page.evaluate(() => window.epistleStatus)) || "{}");

  async function load(what) {
    await page.waitForFunction(() => window.epistleReadyMs || window.epistleFailed, null, { timeout: 120_000 });
    const failure = await page.evaluate(() => window.epistleFailed);
    if (failure) throw new Error(`the page says: ${failure}`);
    const ms = await page.evaluate(() => window.epistleReadyMs);
    say(`${what}: first frame after ${Math.round(ms)} ms`);
    // The canvas has the keyboard focus; let the title settle before pressing keys.
    await page.waitForFunction(() => (JSON.parse(window.epistleStatus || "{}").screen || "") === "Title", null, { timeout: 30_000 });
    await page.waitForTimeout(500);
    return ms;
  }

  // Takes the first choice on screen: skip the typewriter, press 1, until a turn passes.
  async function choose(n) {
    const before = (await status()).turn;
    for (let tries = 0; tries < 40; tries++) {
      await page.keyboard.press("Space");
      await page.waitForTimeout(150);
      await page.keyboard.press(String(n));
      try {
        await page.waitForFunction((t) => JSON.parse(window.epistleStatus || "{}").turn > t, before, { timeout: 700 });
        return await status();
      } catch {}
    }
    throw new Error(`choice ${n} could not be made at ${JSON.stringify(await status())}`);
  }

  await page.goto(url);
  const firstMs = await load("first load");
  await page.screenshot({ path: `${out}/title.png` });
  check(await page.evaluate(() => document.getElementById("cover").classList.contains("gone")), "the loading cover is gone");

  // The canvas follows the window.
  await page.setViewportSize({ width: 900, height: 640 });
  await page.waitForTimeout(600);
  const size = await page.evaluate(() => [document.getElementById("epistle").clientWidth, document.getElementById("epistle").clientHeight]);
  check(size[0] === 900 && size[1] === 640, `the canvas follows a resized window (${size.join("x")})`);
  await page.screenshot({ path: `${out}/title-resized.png` });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForTimeout(600);

  await page.keyboard.press("Enter"); // New game has the focus on a first visit.
  await page.waitForFunction(() => JSON.parse(window.epistleStatus || "{}").screen === "Playing", null, { timeout: 10_000 });
  await choose(1);
  const played = await choose(2);
  say(`after two choices: ${JSON.stringify(played)}`);
  check(played.turn === 2, "two choices were made");
  await page.waitForTimeout(600);
  await page.screenshot({ path: `${out}/played.png` });

  await page.reload();
  await load("reload");
  await page.keyboard.press("Enter"); // Continue has the focus when there is an autosave.
  await page.waitForFunction(() => JSON.parse(window.epistleStatus || "{}").screen === "Playing", null, { timeout: 10_000 });
  const resumed = await status();
  say(`after Continue: ${JSON.stringify(resumed)}`);
  check(resumed.node === played.node && resumed.turn === played.turn, "Continue resumed where the game was");
  await page.waitForTimeout(1500);
  await page.screenshot({ path: `${out}/resumed.png` });

  const saved = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("epistle/")).sort());
  say(`browser storage: ${saved.join(", ")}`);
  check(saved.some((k) => k.endsWith("/autosave.ron")), "the autosave is in the browser's storage");

  // Saves screen (S): Back has the focus; Tab reaches Import, then the autosave's Export.
  await page.keyboard.press("s");
  await page.waitForFunction(() => JSON.parse(window.epistleStatus || "{}").screen === "Saves", null, { timeout: 10_000 });
  await page.waitForTimeout(400);
  await page.screenshot({ path: `${out}/saves.png` });
  for (const key of ["Tab", "Tab"]) {
    await page.keyboard.press(key);
    await page.waitForTimeout(300);
  }
  const [download] = await Promise.all([page.waitForEvent("download", { timeout: 10_000 }), page.keyboard.press("Enter")]);
  const exported = readFileSync(await download.path(), "utf8");
  say(`exported ${download.suggestedFilename()} (${exported.length} bytes)`);
  check(download.suggestedFilename() === "dear_someone-autosave.ron", "the export is named after the story and slot");
  const autosave = await page.evaluate(() => localStorage.getItem("epistle/dear_someone/autosave.ron"));
  check(exported === autosave, "the exported file is the autosave");
  const file = `${out}/exported.ron`;
  writeFileSync(file, exported);
  // Back to the page and into the saves screen again: Back has the focus, Tab
  // reaches Import.
  for (const key of ["Escape", "s", "Tab"]) {
    await page.waitForTimeout(500);
    await page.keyboard.press(key);
  }
  await page.waitForTimeout(300);
  const [chooser] = await Promise.all([page.waitForEvent("filechooser", { timeout: 10_000 }), page.keyboard.press("Enter")]);
  await chooser.setFiles(file);
  await page.waitForFunction(() => localStorage.getItem("epistle/dear_someone/slot-1.ron"), null, { timeout: 10_000 });
  const imported = await page.evaluate(() => localStorage.getItem("epistle/dear_someone/slot-1.ron"));
  check(imported === exported, "the imported file went into slot 1");
  await page.waitForTimeout(800);
  await page.screenshot({ path: `${out}/imported.png` });
  check(problems.length === 0, `no errors in the console${problems.length ? `: ${problems.join(" | ")}` : ""}`);
  say(`time to first interactive frame: ${Math.round(firstMs)} ms`);

  // A browser without WebGL2: a readable message, not a blank page.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(() => {
      const get = HTMLCanvasElement.prototype.getContext;
      HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
        return kind === "webgl2" ? null : get.call(this, kind, ...rest);
      };
    });
    const p = await context.newPage();
    await p.goto(url);
    await p.waitForFunction(() => window.epistleFailed, null, { timeout: 10_000 });
    const shown = await p.evaluate(() => document.getElementById("status").textContent);
    await p.screenshot({ path: `${out}/no-webgl2.png` });
    check(shown.includes("needs WebGL2"), `without WebGL2 the page says so: "${shown.slice(0, 60)}…"`);
    await context.close();
  }

  // A browser that refuses storage, then one whose storage is full.
  for (const [what, script, expect] of [
    [
      "storage refused",
      () => Object.defineProperty(window, "localStorage", { get() { throw new DOMException("The operation is insecure.", "SecurityError"); } }),
      "browser storage is unavailable",
    ],
    [
      "storage full",
      () => {
        const set = Storage.prototype.setItem;
        Storage.prototype.setItem = function (k, v) {
          if (k.startsWith("epistle/") && k !== "epistle/.probe") throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
          return set.call(this, k, v);
        };
      },
      "storage for this site is full",
    ],
  ]) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(script);
    const p = await context.newPage();
    const logged = [];
    p.on("console", (m) => logged.push(m.text()));
    p.on("pageerror", (e) => {
      if (!String(e).includes("Using exceptions for control flow")) logged.push(`PAGE ERROR ${e}`);
    });
    await p.goto(url);
    await p.waitForFunction(() => window.epistleReadyMs || window.epistleFailed, null, { timeout: 120_000 });
    await p.waitForTimeout(500);
    await p.keyboard.press("Enter");
    await p.waitForFunction(() => JSON.parse(window.epistleStatus || "{}").screen === "Playing", null, { timeout: 10_000 });
    await p.waitForTimeout(500);
    await p.screenshot({ path: `${out}/${what.replace(" ", "-")}.png` });
    check(logged.some((l) => l.includes(expect)), `${what}: the game plays and says "${expect}"`);
    check(!logged.some((l) => l.startsWith("PAGE ERROR")), `${what}: no crash`);
    await context.close();
  }
} catch (e) {
  say(`FAILED: ${e.message}`);
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
