// Loads every page of the built site in headless Chromium and reports what it saw, as JSON.
//
//   node tests/browser.mjs --base-url http://127.0.0.1:PORT --out DIR [--chromium PATH] page ...
//
// Offline by construction: every request that is not to the local server is aborted and
// recorded. Per page it records console errors, page errors, failed local requests, the
// charts and whether each one painted, Evidence error boxes and empty-data placeholders, and
// the text of every element marked `data-check="name"` (numbers the suite compares with the
// same query run on the DuckDB file). It saves one full-page screenshot per page into DIR
// and exits 0 whatever it found: judging is left to the caller (tests/python/real/test_dashboards.py).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

function parseArgs(argv) {
	const args = { chromium: '/usr/bin/chromium', pages: [], timeoutMs: 120000 };
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (arg === '--base-url') args.baseUrl = argv[++i];
		else if (arg === '--out') args.out = argv[++i];
		else if (arg === '--chromium') args.chromium = argv[++i];
		else if (arg === '--timeout-ms') args.timeoutMs = Number(argv[++i]);
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

// Evidence renders a query's result asynchronously (DuckDB-wasm in the page): the page is
// ready when its title is there, no loading skeleton is left, every chart has drawn a canvas and every checked
// number has text.
async function waitUntilRendered(page, timeoutMs) {
	await page.waitForFunction(
		() => {
			const loading = document.querySelectorAll('[class*="animate-pulse"], .chart-loading');
			const charts = [...document.querySelectorAll('.chart-container .chart')];
			const painted = charts.every((chart) => chart.querySelector('canvas, svg'));
			const checks = [...document.querySelectorAll('[data-check]')];
			const filled = checks.every((element) => !/^(|Loading\.*)$/.test(element.innerText.trim()));
			const titled = document.querySelector('h1') !== null;
			const pending = /loading\.\.\./i.test(document.body.innerText);
			return titled && !pending && loading.length === 0 && painted && filled;
		},
		null,
		{ timeout: timeoutMs, polling: 250 }
	);
	// ECharts animates its first paint; let it settle before reading and screenshotting.
	await page.waitForTimeout(1500);
}

async function inspect(page) {
	return page.evaluate(() => {
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
				title: chart.closest('.chart-container')?.parentElement?.querySelector('h3, .chart-title, p.font-bold')?.innerText ?? '',
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
		const toasts = [...document.querySelectorAll('div.fixed.right-0.bottom-0 > *')]
			.map((toast) => toast.innerText.trim())
			.filter((text) => text !== '');
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
			text: document.body.innerText
		};
	});
}

async function visit(browser, args, pagePath) {
	const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
	const page = await context.newPage();
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
	Object.assign(record, await inspect(page));
	const name = pagePath.replace(/^\/|\/$/g, '').replace(/\//g, '_') || 'index';
	record.screenshot = path.resolve(args.out, `${name}.png`);
	await page.screenshot({ path: record.screenshot, fullPage: true });
	await context.close();
	return record;
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
	for (const pagePath of args.pages) results.push(await visit(browser, args, pagePath));
} finally {
	await browser.close();
}
process.stdout.write(JSON.stringify(results, null, 1));
