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
// Screenshots are evidence for a person, not checks: one that the browser cannot take
// (a compositor not ready, in a context without WebGL2) is retried once, then noted.
const shot = async (page, path) => {
  // Two frames first: egui uploads newly drawn glyphs one frame after it first uses
  // them, so a page caught on its first frame can miss letters.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())))).catch(() => {});
  for (let tries = 0; tries < 2; tries++) {
    try {
      await page.screenshot({ path });
      return;
    } catch (e) {
      if (tries === 1) say(`note: no screenshot ${path}: ${e.message.split("\n")[0]}`);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r()))).catch(() => {});
    }
  }
};
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
  // Every step waits for the state it needs (`window.epistleStatus`: the screen, the
  // place in the story, the focused widget's label, whether the text is revealed),
  // never for a length of time, so a slow frame cannot send a key to the wrong place.
  const status = async () => JSON.parse((await page.evaluate(() => window.epistleStatus)) || "{}");
  const until = async (what, pred, arg, timeout = 30_000) => {
    try {
      await page.waitForFunction(
        ([src, a]) => new Function("s", "a", `return (${src})(s, a)`)(JSON.parse(window.epistleStatus || "{}"), a),
        [pred.toString(), arg],
        { timeout },
      );
    } catch {
      throw new Error(`waited for ${what}; the game is at ${JSON.stringify(await status())}`);
    }
    return status();
  };
  // Presses Tab until the widget with this label has the focus.
  async function focusOn(label) {
    for (let tries = 0; tries < 12; tries++) {
      const s = await status();
      if (s.focus === label) return s;
      await page.keyboard.press("Tab");
      await until(`the focus to move from "${s.focus}"`, (st, was) => st.focus !== was, s.focus ?? null, 5_000);
    }
    throw new Error(`"${label}" never took the focus; it is on "${(await status()).focus}"`);
  }

  async function load(what) {
    await page.waitForFunction(() => window.epistleReadyMs || window.epistleFailed, null, { timeout: 120_000 });
    const failure = await page.evaluate(() => window.epistleFailed);
    if (failure) throw new Error(`the page says: ${failure}`);
    const ms = await page.evaluate(() => window.epistleReadyMs);
    say(`${what}: first frame after ${Math.round(ms)} ms`);
    // The title is up and a button has the keyboard focus.
    const s = await until("the title with a focused button", (st) => st.screen === "Title" && !!st.focus);
    say(`${what}: "${s.focus}" has the focus`);
    return ms;
  }

  // Takes choice n: skip the typewriter until the choices show, press n, wait a turn.
  async function choose(n) {
    let s = await until("the play screen", (st) => st.screen === "Playing");
    while (!s.revealed) {
      await page.keyboard.press("Space");
      s = await until("the text to be revealed", (st) => st.revealed, null, 5_000).catch(() => status());
    }
    const before = s.turn;
    await page.keyboard.press(String(n));
    return until(`choice ${n} to be taken`, (st, t) => st.turn > t, before, 10_000);
  }

  await page.goto(url);
  const firstMs = await load("first load");
  await shot(page, `${out}/title.png`);
  check(await page.evaluate(() => document.getElementById("cover").classList.contains("gone")), "the loading cover is gone");

  // The canvas follows the window.
  const canvasIs = (w, h) =>
    page.waitForFunction(([w, h]) => {
      const c = document.getElementById("epistle");
      return c.clientWidth === w && c.clientHeight === h;
    }, [w, h], { timeout: 10_000 }).then(() => true, () => false);
  await page.setViewportSize({ width: 900, height: 640 });
  const followed = await canvasIs(900, 640);
  const size = await page.evaluate(() => [document.getElementById("epistle").clientWidth, document.getElementById("epistle").clientHeight]);
  check(followed, `the canvas follows a resized window (${size.join("x")})`);
  await shot(page, `${out}/title-resized.png`);
  await page.setViewportSize({ width: 1280, height: 800 });
  await canvasIs(1280, 800);

  await focusOn("New game"); // It has the focus on a first visit.
  await page.keyboard.press("Enter");
  await until("a new game", (st) => st.screen === "Playing");
  await choose(1);
  const played = await choose(2);
  say(`after two choices: ${JSON.stringify(played)}`);
  check(played.turn === 2, "two choices were made");
  // The page as a reader sees it once the typewriter is done.
  await page.keyboard.press("Space");
  await until("the text to be revealed", (st) => st.revealed, null, 10_000).catch(() => {});
  await shot(page, `${out}/played.png`);

  await page.reload();
  await load("reload");
  await focusOn("Continue"); // It has the focus when there is an autosave.
  await page.keyboard.press("Enter");
  const resumed = await until("the game to resume", (st) => st.screen === "Playing");
  say(`after Continue: ${JSON.stringify(resumed)}`);
  check(resumed.node === played.node && resumed.turn === played.turn, "Continue resumed where the game was");
  await shot(page, `${out}/resumed.png`);

  const saved = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("epistle/")).sort());
  say(`browser storage: ${saved.join(", ")}`);
  check(saved.some((k) => k.endsWith("/autosave.ron")), "the autosave is in the browser's storage");

  // Saves screen (S): Back has the focus; Tab reaches Import, then the autosave's Export.
  await page.keyboard.press("s");
  await until("the saves screen with Back focused", (st) => st.screen === "Saves" && st.focus === "Back (Esc)");
  await shot(page, `${out}/saves.png`);
  await focusOn("Export");
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
  await page.keyboard.press("Escape");
  await until("the play screen again", (st) => st.screen === "Playing");
  await page.keyboard.press("s");
  await until("the saves screen with Back focused", (st) => st.screen === "Saves" && st.focus === "Back (Esc)");
  await focusOn("Import a save file…");
  const [chooser] = await Promise.all([page.waitForEvent("filechooser", { timeout: 10_000 }), page.keyboard.press("Enter")]);
  await chooser.setFiles(file);
  await page.waitForFunction(() => localStorage.getItem("epistle/dear_someone/slot-1.ron"), null, { timeout: 10_000 });
  const imported = await page.evaluate(() => localStorage.getItem("epistle/dear_someone/slot-1.ron"));
  check(imported === exported, "the imported file went into slot 1");
  await shot(page, `${out}/imported.png`);
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
    await shot(p, `${out}/no-webgl2.png`);
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
    await p.waitForFunction(() => JSON.parse(window.epistleStatus || "{}").focus === "New game", null, { timeout: 30_000 });
    await p.keyboard.press("Enter");
    await p.waitForFunction(() => JSON.parse(window.epistleStatus || "{}").screen === "Playing", null, { timeout: 10_000 });
    await shot(p, `${out}/${what.replace(" ", "-")}.png`);
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
