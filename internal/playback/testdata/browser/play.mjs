// Test driver: opens each page of a run in headless Chromium and reports
// what the page published in window.playbackResult, as JSON on stdout.
// Input (stdin, JSON): {"chromium": path, "timeoutMs": n, "pages": [{"name", "url"}]}.
import puppeteer from 'puppeteer-core';

const input = JSON.parse(await new Promise((resolve) => {
  let s = '';
  process.stdin.on('data', (d) => { s += d; });
  process.stdin.on('end', () => resolve(s));
}));

const browser = await puppeteer.launch({
  executablePath: input.chromium,
  headless: true,
  args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--disable-gpu',
    '--disable-dev-shm-usage', '--no-first-run', '--mute-audio'],
});
const out = [];
try {
  for (const p of input.pages) {
    const page = await browser.newPage();
    const log = [];
    page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => log.push(`requestfailed: ${r.url().replace(/token=[^&]*/, 'token=…')} ${r.failure() && r.failure().errorText}`));
    const start = Date.now();
    let result;
    try {
      await page.goto(p.url, { waitUntil: 'load' });
      await page.waitForFunction('window.playbackResult', { timeout: input.timeoutMs, polling: 100 });
      result = await page.evaluate('window.playbackResult');
    } catch (e) {
      result = { outcome: 'timeout', error: { data: String(e.message) },
        currentTime: await page.evaluate('document.getElementById("video").currentTime').catch(() => -1) };
    }
    out.push({ name: p.name, wallMs: Date.now() - start, ...result, log });
    await page.close();
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(out) + '\n');
