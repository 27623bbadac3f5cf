// Loads every page of the built site in headless Chromium and reports what it saw, as JSON.
//
//   node tests/browser.mjs --base-url http://127.0.0.1:PORT --out DIR [--chromium PATH]
//        [--scenarios FILE] page ...
//
// Offline by construction: every request that is not to the local server is aborted and
// recorded. Per page it records console errors, page errors, failed local requests, the
// charts and whether each one painted, Evidence error boxes and empty-data placeholders, and
// the text of every element marked `data-check="name"` (numbers the suite compares with the
// same query run on the DuckDB file); a chart inside an element marked `data-chart="name"`
// carries that name. It saves one full-page screenshot per page into DIR
// and exits 0 whatever it found: judging is left to the caller (tests/python/real/test_dashboards.py).
//
// --scenarios FILE (JSON list) drives the pages' inputs: each scenario opens `path`, applies
// its `actions` in order ({"dropdown": title, "option": label}, {"text": title, "value": ...},
// {"preset": "Last 12 Months"} for the DateRange), waits for the page to settle after each,
// records the same things as a plain visit plus a screenshot `<page>__<name>.png` and, with
// `download` set to a `data-drilldown` name, the CSV that table's download button saves.
//
// --speed (the page-speed benchmark, make bench-dashboards) only times each page until it is
// interactive (rendered as above, minus the settling pause): cold in a fresh browser context,
// then warm (reloaded in the same context, its cache filled), and prints those times as JSON.
// --pdf FILE prints the (single) page given to FILE as Chromium prints it (A4 landscape), after
// visiting it as above, and adds the PDF's page count to its record.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

function parseArgs(argv) {
	const args = { chromium: '/usr/bin/chromium', pages: [], timeoutMs: 120000, scenarios: [] };
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (arg === '--base-url') args.baseUrl = argv[++i];
		else if (arg === '--out') args.out = argv[++i];
		else if (arg === '--chromium') args.chromium = argv[++i];
		else if (arg === '--timeout-ms') args.timeoutMs = Number(argv[++i]);
		else if (arg === '--speed') args.speed = true;
		else if (arg === '--pdf') args.pdf = argv[++i];
		else if (arg === '--scenarios') args.scenarios = JSON.parse(fs.readFileSync(argv[++i], 'utf8'));
		else args.pages.push(arg);
	}
	if (!args.baseUrl || !args.out || args.pages.length === 0) {
		throw new Error('usage: browser.mjs --base-url URL --out DIR [--chromium PATH] page ...');
	}
	return args;
}

function isLocal(url, baseUrl) {
	const { protocol, host } = new URL(url);
	return ['data:', 'blob:'].includes(protocol) || host === new URL(baseUrl).host;
}

// Evidence 39 shows a "Loading..." toast when queries run longer than 3 s and, once shown,
// never dismisses it (its timer handle is not cleared when it fires): the page's own text is
// the body's without the toast area, and that toast is not counted as a warning.
const TOAST_AREA = 'div.fixed.right-0.bottom-0';

function installPageText(page) {
	return page.addInitScript((toastArea) => {
		window.pageText = () => {
			const toasts = document.querySelector(toastArea)?.innerText ?? '';
			return document.body.innerText.replace(toasts, '');
		};
	}, TOAST_AREA);
}

// Evidence renders a query's result asynchronously (DuckDB-wasm in the page): the page is
// ready when its title is there, no loading skeleton is left, every chart has drawn a canvas and every checked
// number has text.
async function waitUntilRendered(page, timeoutMs, settleMs = 1500) {
	await page.waitForFunction(
		() => {
			const loading = document.querySelectorAll('[class*="animate-pulse"], .chart-loading');
			const charts = [...document.querySelectorAll('.chart-container .chart')];
			const painted = charts.every((chart) => chart.querySelector('canvas, svg'));
			const checks = [...document.querySelectorAll('[data-check]')];
			const filled = checks.every((element) => !/^(|Loading\.*)$/.test(element.innerText.trim()));
			const titled = document.querySelector('h1') !== null;
			const pending = /loading\.\.\./i.test(pageText());
			return titled && !pending && loading.length === 0 && painted && filled;
		},
		null,
		{ timeout: timeoutMs, polling: 250 }
	);
	// ECharts animates its first paint; let it settle before reading and screenshotting.
	if (settleMs > 0) await page.waitForTimeout(settleMs);
}

async function inspect(page) {
	return page.evaluate((toastArea) => {
		const inkOf = (canvas) => {
			// Share of pixels that are not transparent/white: an empty chart has axes only.
			const { width, height } = canvas;
			if (!width || !height) return 0;
			const context = canvas.getContext('2d');
			const pixels = context.getImageData(0, 0, width, height).data;
			let inked = 0;
			for (let i = 0; i < pixels.length; i += 4) {
				const [r, g, b, a] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
				if (a > 0 && (r < 235 || g < 235 || b < 235)) inked++;
			}
			return inked / (width * height);
		};
		const charts = [...document.querySelectorAll('.chart-container .chart')].map((chart, index) => {
			const canvas = chart.querySelector('canvas');
			const box = chart.getBoundingClientRect();
			return {
				index,
				// ECharts draws a chart's title on its canvas: a page names the charts a test
				// looks for with a data-chart="name" wrapper.
				name: chart.closest('[data-chart]')?.dataset.chart ?? '',
				width: Math.round(box.width),
				height: Math.round(box.height),
				ink: canvas ? inkOf(canvas) : 0,
				hasCanvas: Boolean(canvas)
			};
		});
		const errorBoxes = [...document.querySelectorAll('div.bg-red-50')].map((box) => box.innerText.trim());
		const emptyPlaceholders = [...document.querySelectorAll('p, span')]
			.filter((element) => element.innerText.trim() === 'No Records')
			.map((element) => element.innerText.trim());
		// Evidence's toasts (bottom right), e.g. a DataTable's "Search Failed".
		const toasts = [...document.querySelectorAll(`${toastArea} > *`)]
			.map((toast) => toast.innerText.trim())
			.filter((text) => text !== '' && text !== 'Loading...');
		const checks = Object.fromEntries(
			// The shown value is the last line (a BigValue puts its title above it).
			[...document.querySelectorAll('[data-check]')].map((element) => [
				element.dataset.check,
				element.innerText.trim().split('\n').filter((line) => line.trim() !== '').at(-1) ?? ''
			])
		);
		const tables = [...document.querySelectorAll('table')].map((table) => table.querySelectorAll('tbody tr').length);
		return {
			title: document.title,
			h1: document.querySelector('h1')?.innerText ?? '',
			charts,
			errorBoxes,
			emptyPlaceholders,
			toasts,
			checks,
			tables,
			text: window.pageText()
		};
	}, TOAST_AREA);
}

async function openPage(browser, args, pagePath) {
	const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true, timezoneId: 'UTC' });
	const page = await context.newPage();
	await installPageText(page);
	const record = {
		path: pagePath,
		consoleErrors: [],
		pageErrors: [],
		outsideRequests: [],
		failedRequests: []
	};
	await page.route('**/*', (route) => {
		const url = route.request().url();
		if (isLocal(url, args.baseUrl)) return route.continue();
		record.outsideRequests.push(url);
		return route.abort();
	});
	page.on('console', (message) => {
		if (message.type() === 'error') record.consoleErrors.push(message.text());
	});
	page.on('pageerror', (error) => record.pageErrors.push(String(error)));
	page.on('requestfailed', (request) => {
		// ERR_ABORTED is the page cancelling its own fetch (Evidence drops superseded query
		// loads; the server still answered 200); any other local failure counts.
		const errorText = request.failure()?.errorText ?? '';
		if (isLocal(request.url(), args.baseUrl) && errorText !== 'net::ERR_ABORTED') {
			record.failedRequests.push(`${request.url()} ${errorText}`);
		}
	});
	page.on('response', (response) => {
		if (response.status() >= 400) record.failedRequests.push(`${response.url()} HTTP ${response.status()}`);
	});
	const started = Date.now();
	try {
		await page.goto(new URL(pagePath, args.baseUrl).href, { waitUntil: 'load', timeout: args.timeoutMs });
		await waitUntilRendered(page, args.timeoutMs);
	} catch (error) {
		record.renderError = String(error);
	}
	record.seconds = (Date.now() - started) / 1000;
	return { context, page, record };
}

function pageName(pagePath) {
	return pagePath.replace(/^\/|\/$/g, '').replace(/\//g, '_') || 'index';
}

async function finish(context, page, record, args, screenshotName) {
	Object.assign(record, await inspect(page));
	record.screenshot = path.resolve(args.out, `${screenshotName}.png`);
	await page.screenshot({ path: record.screenshot, fullPage: true });
	await context.close();
	return record;
}

async function visit(browser, args, pagePath) {
	const { context, page, record } = await openPage(browser, args, pagePath);
	if (args.pdf) {
		await page.pdf({ path: args.pdf, format: 'A4', landscape: true, printBackground: true });
		record.pdfPages = (fs.readFileSync(args.pdf, 'latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
	}
	return finish(context, page, record, args, pageName(pagePath));
}

// One input change. Evidence's Dropdown is a button (role combobox, aria-label = its title)
// opening a searchable list of options; the DateRange's presets are a select beside its calendar.
async function act(page, action) {
	if ('dropdown' in action) {
		await page.getByRole('combobox', { name: action.dropdown, exact: true }).click();
		// Long option lists are virtual: search first (the search box's placeholder is the title).
		await page.getByPlaceholder(action.dropdown, { exact: true }).fill(action.option);
		await page.getByRole('option', { name: action.option, exact: true }).click();
		await page.keyboard.press('Escape');
	} else if ('text' in action) {
		const box = page.locator('div', { has: page.getByText(action.text, { exact: true }) }).locator('input').last();
		await box.fill(action.value);
	} else if ('preset' in action) {
		await page.getByText('Select a Range', { exact: true }).first().click();
		await page.getByRole('option', { name: action.preset, exact: true }).click();
	} else {
		throw new Error(`unknown action ${JSON.stringify(action)}`);
	}
}

// The CSV a DataTable's download button saves (the button shows when the table is hovered).
async function download(page, name) {
	const holder = page.locator(`[data-drilldown="${name}"]`);
	// The DataTable keeps a hidden full-screen copy of itself: use the visible one.
	await holder.locator('table:visible').first().hover();
	const [file] = await Promise.all([
		page.waitForEvent('download', { timeout: 30000 }),
		holder.locator('button:visible', { hasText: /download/i }).first().click()
	]);
	// Evidence writes the CSV with a byte-order mark.
	const text = fs.readFileSync(await file.path(), 'utf8').replace(/^\uFEFF/, '');
	const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
	return { fileName: file.suggestedFilename(), header: lines[0] ?? '', rows: lines.length - 1, firstRow: lines[1] ?? '' };
}

async function runScenario(browser, args, scenario) {
	const { context, page, record } = await openPage(browser, args, scenario.path);
	record.scenario = scenario.name;
	try {
		for (const action of scenario.actions) {
			await act(page, action);
			// Queries rerun in the browser after each change: wait for them, then for the paint.
			await page.waitForTimeout(500);
			await waitUntilRendered(page, args.timeoutMs);
		}
		if (scenario.download) record.download = await download(page, scenario.download);
	} catch (error) {
		record.renderError = String(error);
	}
	return finish(context, page, record, args, `${pageName(scenario.path)}__${scenario.name}`);
}

async function timeToInteractive(page, url, timeoutMs) {
	const started = Date.now();
	await page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
	await waitUntilRendered(page, timeoutMs, 0);
	return (Date.now() - started) / 1000;
}

async function speed(browser, args, pagePath) {
	const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
	const page = await context.newPage();
	await installPageText(page);
	await page.route('**/*', (route) =>
		isLocal(route.request().url(), args.baseUrl) ? route.continue() : route.abort()
	);
	const url = new URL(pagePath, args.baseUrl).href;
	const cold = await timeToInteractive(page, url, args.timeoutMs);
	const warm = await timeToInteractive(page, url, args.timeoutMs);
	await context.close();
	return { path: pagePath, coldSeconds: cold, warmSeconds: warm };
}

const args = parseArgs(process.argv.slice(2));
fs.mkdirSync(args.out, { recursive: true });
const browser = await chromium.launch({
	executablePath: args.chromium,
	headless: true,
	args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage']
});
const results = [];
try {
	if (args.speed) {
		for (const pagePath of args.pages) results.push(await speed(browser, args, pagePath));
	} else {
		for (const pagePath of args.pages) results.push(await visit(browser, args, pagePath));
		for (const scenario of args.scenarios) results.push(await runScenario(browser, args, scenario));
	}
} finally {
	await browser.close();
}
process.stdout.write(JSON.stringify(results, null, 1));
