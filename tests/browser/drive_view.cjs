// Drives headless Chromium through tests/browser/host.html and reports what a person would see.
// Run by tests/test_apps_view.py with Node 24:
//   node drive_view.cjs BASE_URL OUT_DIR
// env: PLAYWRIGHT_CORE (path of the playwright-core package), CHROMIUM (executable).
// Prints one JSON object on stdout; the pytest test makes the assertions.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require(process.env.PLAYWRIGHT_CORE);

const [baseUrl, outDir] = process.argv.slice(2);
const FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run",
];

async function openView(page, tool, args, theme) {
  await page.goto(baseUrl + "/host.html");
  const info = await page.evaluate((opts) => window.startView(opts), { tool, args, theme });
  const frame = await (await page.$("#view")).contentFrame();
  return { info, frame };
}

// What one card shows.
async function readCards(frame) {
  return frame.$$eval("#cards > li.card", (cards) => cards.map((card) => {
    const text = card.querySelector(":scope > .text");
    return {
      speaker: card.querySelector(".speaker").textContent,
      role: card.querySelector(".role").textContent,
      chip: card.querySelector(".chip").textContent,
      chipHref: card.querySelector(".chip").getAttribute("href"),
      lang: text.lang,
      text: text.textContent,
      marks: [...text.querySelectorAll("mark")].map((m) => m.textContent),
      langButtons: [...card.querySelectorAll(".langs button")].map((b) => ({ lang: b.dataset.lang, pressed: b.getAttribute("aria-pressed"), label: b.textContent })),
      badges: [...card.querySelectorAll(":scope > .card-foot .badge")].map((b) => b.textContent),
      focal: card.getAttribute("aria-current") === "true",
      tabIndex: card.tabIndex,
    };
  }));
}

async function readContext(frame, index) {
  return frame.$eval(`#cards > li.card:nth-child(${index + 1})`, (card) => {
    const region = card.querySelector(".context");
    const button = card.querySelector("button.open");
    return {
      hidden: region.hidden,
      expanded: button.getAttribute("aria-expanded"),
      turns: [...region.querySelectorAll("li")].map((li) => ({
        speaker: li.querySelector(".speaker").textContent,
        timestamp: li.querySelector(".chip").textContent,
        lang: li.querySelector(".text").lang,
        text: li.querySelector(".text").textContent,
        current: li.getAttribute("aria-current") === "true",
      })),
    };
  });
}

async function waitContext(frame, index) {
  await frame.waitForFunction((i) => {
    const card = document.querySelector(`#cards > li.card:nth-child(${i + 1})`);
    const region = card && card.querySelector(".context");
    return region && !region.hidden && region.querySelectorAll("li").length > 0;
  }, index, { timeout: 15000 });
}

async function pageLooks(frame) {
  return frame.evaluate(() => {
    const style = getComputedStyle(document.body);
    const mark = document.querySelector("mark");
    return {
      background: style.backgroundColor,
      color: style.color,
      markBackground: mark ? getComputedStyle(mark).backgroundColor : null,
      markColor: mark ? getComputedStyle(mark).color : null,
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
      theme: document.documentElement.dataset.theme || null,
      status: document.getElementById("status").textContent,
      statusLive: document.getElementById("status").getAttribute("aria-live"),
      summary: document.getElementById("summary").textContent,
      title: document.getElementById("title").textContent,
      more: { hidden: document.getElementById("more").hidden, text: document.getElementById("more").textContent },
    };
  });
}

// A full-length picture. The view is an out-of-process frame, which Chromium's fullPage capture
// leaves blank below the first viewport: grow the viewport to the page instead, then capture.
async function shoot(page, file) {
  const size = page.viewportSize();
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: size.width, height: Math.max(size.height, height) });
  await page.waitForTimeout(300);
  await page.screenshot({ path: file });
  await page.setViewportSize(size);
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "apps-view-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: FLAGS,
    viewport: { width: 820, height: 900 },
  });
  const report = { requests: [], consoleErrors: [], scenarios: {} };
  context.on("request", (request) => report.requests.push(request.url()));
  context.on("page", (page) => {
    page.on("console", (m) => { if (m.type() === "error") report.consoleErrors.push(m.text()); });
    page.on("pageerror", (e) => report.consoleErrors.push(String(e)));
  });
  try {
    // 1. Search, light theme, desktop width: cards, highlight, language toggle, context, more.
    {
      const page = context.pages()[0] || await context.newPage();
      page.on("console", (m) => { if (m.type() === "error") report.consoleErrors.push(m.text()); });
      page.on("pageerror", (e) => report.consoleErrors.push(String(e)));
      const args = { query: "agent kit", limit: 3 };
      const { info, frame } = await openView(page, "search_transcript", args, "light");
      const s = { args, info };
      await frame.waitForSelector("#cards > li.card");
      // Roles arrive from list_speakers, called by the view through the host.
      await frame.waitForFunction(() => document.querySelector("#cards .role").textContent !== "", null, { timeout: 15000 });
      s.cards = await readCards(frame);
      s.looks = await pageLooks(frame);

      const first = frame.locator("#cards > li.card").first();
      await first.locator('.langs button[data-lang="ko"]').click();
      s.afterKorean = (await readCards(frame))[0];
      await first.locator('.langs button[data-lang="en"]').click();
      s.afterEnglish = (await readCards(frame))[0];

      await first.locator(".chip").click();
      await frame.locator("#more").click();
      await frame.waitForFunction((n) => document.querySelectorAll("#cards > li.card").length > n, s.cards.length, { timeout: 15000 });
      s.afterMore = await readCards(frame);
      s.looksAfterMore = await pageLooks(frame);
      s.focusedAfterMore = await frame.evaluate(() => document.activeElement && document.activeElement.dataset.turn);

      await first.locator(":scope > .text").click();   // a click on the card itself
      await waitContext(frame, 0);
      s.context = await readContext(frame, 0);
      s.statusAfterContext = (await pageLooks(frame)).status;

      await frame.locator("#cards > li.card").nth(1).focus();
      await page.keyboard.press("Enter");                // the keyboard way
      await waitContext(frame, 1);
      s.keyboardContext = await readContext(frame, 1);

      await frame.locator("#cards > li.card").first().locator("button.open").click();   // close again
      s.closed = await readContext(frame, 0);
      await frame.locator("#cards > li.card").first().locator("button.open").click();   // and reopen for the picture
      await waitContext(frame, 0);

      s.host = await page.evaluate(() => window.hostLog);
      s.frameHeight = await page.evaluate(() => document.getElementById("view").getBoundingClientRect().height);
      s.contentHeight = await frame.evaluate(() => document.documentElement.getBoundingClientRect().height);
      s.screenshot = path.join(outDir, "apps-view-search-light.png");
      await shoot(page, s.screenshot);
      report.scenarios.searchLight = s;
      await page.close();
    }
    // 2. Search, dark host theme, phone width.
    {
      const page = await context.newPage();
      await page.setViewportSize({ width: 390, height: 844 });
      const args = { query: "codex", limit: 4 };
      const { info, frame } = await openView(page, "search_transcript", args, "dark");
      await frame.waitForSelector("#cards > li.card");
      await frame.locator("#cards > li.card").first().click();
      await waitContext(frame, 0);
      const s = { args, info, cards: await readCards(frame), looks: await pageLooks(frame) };
      await page.screenshot({ path: path.join(outDir, "apps-view-search-dark-phone-first-screen.png") });
      s.screenshot = path.join(outDir, "apps-view-search-dark-phone.png");
      await shoot(page, s.screenshot);
      report.scenarios.searchDarkPhone = s;
      await page.close();
    }
    // 3. A speaker's turns: no host theme, the system prefers dark.
    {
      const page = await context.newPage();
      await page.emulateMedia({ colorScheme: "dark" });
      const args = { speaker: "christina", limit: 3 };
      const { info, frame } = await openView(page, "get_speaker_turns", args, null);
      await frame.waitForSelector("#cards > li.card");
      await frame.locator("#more").click();
      await frame.waitForFunction(() => document.querySelectorAll("#cards > li.card").length > 3, null, { timeout: 15000 });
      report.scenarios.speakerTurns = { args, info, cards: await readCards(frame), looks: await pageLooks(frame),
        host: await page.evaluate(() => window.hostLog) };
      await page.close();
    }
    // 4. A passage (get_turn): cards with the asked-for turn marked.
    {
      const page = await context.newPage();
      await page.emulateMedia({ colorScheme: "light" });
      const args = { turn_id: "latent-space-devday-2025:27", before: 1, after: 1, language: "ko" };
      const { info, frame } = await openView(page, "get_turn", args, null);
      await frame.waitForSelector("#cards > li.card");
      // Names and roles of the turns' speakers come from list_speakers, through the host.
      await frame.waitForFunction(() => document.querySelector("#cards .role").textContent !== "", null, { timeout: 15000 });
      const s = { args, info, cards: await readCards(frame), looks: await pageLooks(frame) };
      s.screenshot = path.join(outDir, "apps-view-passage.png");
      await shoot(page, s.screenshot);
      report.scenarios.passage = s;
      await page.close();
    }
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify(report));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack || err) + "\n");
  process.exit(1);
});
