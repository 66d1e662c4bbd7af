// Time to the first frame of the web build, as a benchmark (not a test): loads the
// page N times in fresh browser contexts (nothing cached: the first visit) and N
// times by reloading (the browser's cache revalidated: a returning player), and
// prints the median, least and most of each, in milliseconds.
//
//   bash web/serve.sh dist 8080 &   # the documented server, precompressed files
//   node web/e2e/bench-load.mjs http://127.0.0.1:8080/ [N]
//
// "First frame" is the page's own mark: the game's first screen is drawn
// (`window.epistleReadyMs`, from navigation start).
import { chromium } from "playwright-core";

const [url = "http://127.0.0.1:8080/", n = "7"] = process.argv.slice(2);
const runs = Math.max(1, Number(n) || 7);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--no-first-run", "--disable-background-networking", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"],
});
const ready = async (page) => {
  await page.waitForFunction(() => window.epistleReadyMs || window.epistleFailed, null, { timeout: 120_000 });
  const failed = await page.evaluate(() => window.epistleFailed);
  if (failed) throw new Error(failed);
  return page.evaluate(() => window.epistleReadyMs);
};
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: Math.round(s[Math.floor(s.length / 2)]), min: Math.round(s[0]), max: Math.round(s[s.length - 1]) };
};
const first = [];
const again = [];
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(url);
    first.push(await ready(page));
    await page.reload();
    again.push(await ready(page));
    await context.close();
  }
} finally {
  await browser.close();
}
const f = stats(first);
const a = stats(again);
console.log(`first visit: median ${f.median} ms (least ${f.min}, most ${f.max}) over ${runs} loads`);
console.log(`reload:      median ${a.median} ms (least ${a.min}, most ${a.max}) over ${runs} loads`);
console.log(JSON.stringify({ runs, first_visit_ms: f, reload_ms: a }));
