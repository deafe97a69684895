/**
 * The `/status` page: one self-contained HTML document (inline CSS and JS, nothing fetched but
 * `status.json` and `status/history.json` from the same origin) that shows a table per cluster
 * and the open transactions, polling `status.json` every second, so it updates without a reload,
 * says when it last did, and says plainly when the gateway stops answering; and charts of the last
 * 15 minutes (calls and failed calls per second, p50 and p99 latency by RPC, pool connections in
 * use and callers waiting by backend, replication lag, open transactions), drawn as inline SVG
 * from `status/history.json` every 5 seconds; and the top statements by total time (the query
 * digests `status.json` carries), sortable by any figure.
 *
 * The document is a constant: no data is ever put into the HTML. Everything shown comes in as
 * JSON and goes into the page with `textContent` (backend names and error messages come from
 * configuration and from servers). The Content-Security-Policy enforces that: only this
 * script and this style (by hash) run, requests go to 'self' only, and Trusted Types are required
 * so that an `innerHTML = string` anywhere would throw instead of parsing markup.
 *
 * The script is plain ES2017 in a string (this project compiles for Node, without DOM types);
 * test/integration/status-page.test.ts runs it in a real browser.
 */
import { createHash } from 'node:crypto';

const STYLE = `
:root { color-scheme: light; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; background: #f6f8fa; }
body { margin: 0 auto; padding: 16px 24px 32px; max-width: 1600px; }
h1 { font-size: 20px; margin: 0 0 8px; }
h2 { font-size: 17px; margin: 24px 0 8px; display: flex; gap: 10px; align-items: center; }
.summary { display: flex; flex-wrap: wrap; gap: 6px 24px; margin: 0; }
.summary div { display: flex; gap: 6px; }
.summary dt { color: #59636e; }
.summary dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
.conn { margin: 10px 0; padding: 8px 12px; border-radius: 6px; border: 1px solid; font-weight: 600; }
.conn-wait { background: #eaeef2; border-color: #d1d9e0; }
.conn-ok { background: #dafbe1; border-color: #4ac26b; color: #116329; }
.conn-lost { background: #cf222e; border-color: #a40e26; color: #fff; }
.stale main { opacity: 0.55; }
.scroll { overflow-x: auto; background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 6px 8px; text-align: left; vertical-align: top; border-bottom: 1px solid #eaeef2; white-space: nowrap; }
th { background: #f6f8fa; font-weight: 600; font-size: 13px; color: #424a53; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.name { font-weight: 600; }
td.error { white-space: normal; overflow-wrap: break-word; min-width: 16em; color: #a40e26; }
td.none { color: #818b98; }
tr.row-down td { background: #fff0f0; }
tr.row-lagging td { background: #fffbe6; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 700; border: 1px solid; }
.badge::before { margin-right: 4px; }
.state-healthy { background: #dafbe1; border-color: #4ac26b; color: #116329; }
.state-healthy::before { content: "\\25CF"; }
.state-lagging { background: #fff8c5; border-color: #d4a72c; color: #7d4e00; }
.state-lagging::before { content: "\\25B2"; }
.state-down { background: #cf222e; border-color: #a40e26; color: #fff; }
.state-down::before { content: "\\2716"; }
.state-unknown { background: #eaeef2; border-color: #d1d9e0; color: #424a53; }
.state-unknown::before { content: "?"; }
.serving { font-size: 13px; }
.empty { color: #59636e; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 12px; }
td.digest { white-space: normal; overflow-wrap: anywhere; min-width: 24em; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
th.sortable { cursor: pointer; text-decoration: underline dotted; }
.chart { margin: 0; padding: 8px 10px; background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; }
.chart figcaption { font-weight: 600; font-size: 13px; color: #424a53; display: flex; justify-content: space-between; }
.chart svg { display: block; width: 100%; height: 120px; }
.chart .grid { stroke: #eaeef2; stroke-width: 1; }
.chart .axis { fill: #59636e; font-size: 10px; }
.chart polyline { fill: none; stroke-width: 1.5; }
.legend { display: flex; flex-wrap: wrap; gap: 2px 12px; margin: 4px 0 0; padding: 0; list-style: none; font-size: 12px; }
.legend li { display: flex; gap: 4px; align-items: center; }
.legend .swatch { width: 10px; height: 3px; display: inline-block; }
.legend .value { font-weight: 600; font-variant-numeric: tabular-nums; }
.c0 { stroke: #0969da; background: #0969da; } .c1 { stroke: #cf222e; background: #cf222e; }
.c2 { stroke: #1a7f37; background: #1a7f37; } .c3 { stroke: #8250df; background: #8250df; }
.c4 { stroke: #bc4c00; background: #bc4c00; } .c5 { stroke: #0550ae; background: #0550ae; }
.c6 { stroke: #bf3989; background: #bf3989; } .c7 { stroke: #57606a; background: #57606a; }
`;

const SCRIPT = `
'use strict';
(function () {
  var POLL_MS = 1000;
  var TIMEOUT_MS = 3000;
  var STATE_CLASSES = { healthy: 1, lagging: 1, down: 1 };
  var NONE = '\\u2014';
  var clustersEl = document.getElementById('clusters');
  var connEl = document.getElementById('conn');
  var updatedEl = document.getElementById('updated');
  var uptimeEl = document.getElementById('uptime');
  var transactionsEl = document.getElementById('transactions');
  var chartsEl = document.getElementById('charts');
  var openTxEl = document.getElementById('open-transactions');
  var digestsEl = document.getElementById('digests');
  var HISTORY_MS = 5000;
  var SVG = 'http://www.w3.org/2000/svg';
  var W = 360;
  var H = 120;
  var lastUpdate = null;
  var lostSince = null;

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function known(v, format) {
    return v === null || v === undefined ? NONE : format(v);
  }
  function time(d) {
    return d.toLocaleTimeString();
  }
  function duration(ms) {
    var s = Math.floor(ms / 1000);
    var parts = [];
    if (s >= 86400) parts.push(Math.floor(s / 86400) + 'd');
    if (s >= 3600) parts.push(Math.floor((s % 86400) / 3600) + 'h');
    if (s >= 60) parts.push(Math.floor((s % 3600) / 60) + 'm');
    parts.push((s % 60) + 's');
    return parts.join(' ');
  }
  function millis(ms) {
    return ms < 1000 ? ms + ' ms' : (ms / 1000).toFixed(1) + ' s';
  }

  // Most telling first: what a backend is, its state and why, then its pool.
  var COLUMNS = [
    ['Backend', 'name', function (b) { return b.name; }],
    ['Role', '', function (b) { return b.role; }],
    ['State', 'state', null],
    ['Last error', 'error', function (b) { return known(b.last_error, String); }],
    ['Lag', 'num', function (b) { return known(b.lag_ms, function (v) { return v / 1000 + ' s'; }); }],
    ['Ping', 'num', function (b) { return known(b.ping_us, function (v) { return (v / 1000).toFixed(2) + ' ms'; }); }],
    ['Read only', '', function (b) { return known(b.read_only, function (v) { return v ? 'yes' : 'no'; }); }],
    ['Pool used / total / max', 'num', function (b) { return b.pool.used + ' / ' + b.pool.total + ' / ' + b.pool.max; }],
    ['Waiting', 'num', function (b) { return b.pool.waiting; }],
    ['Longest wait', 'num', function (b) { return millis(b.pool.longest_wait_ms); }],
    ['In flight', 'num', function (b) { return b.in_flight; }],
    ['Idle', 'num', function (b) { return b.pool.idle; }],
    ['Opening', 'num', function (b) { return b.pool.pending; }],
    ['Opened / closed', 'num', function (b) { return b.pool.created + ' / ' + b.pool.closed; }],
    ['Pool errors / timeouts', 'num', function (b) { return b.pool.errors + ' / ' + b.pool.acquire_timeouts; }],
    ['Weight', 'num', function (b) { return b.weight; }]
  ];

  function stateOf(b) {
    return STATE_CLASSES[b.state] === 1 ? b.state : 'unknown';
  }

  function backendRow(b) {
    var state = stateOf(b);
    var tr = el('tr', 'row-' + state);
    COLUMNS.forEach(function (col) {
      var td = el('td', col[1]);
      if (col[2] === null) td.appendChild(el('span', 'badge state-' + state, b.state));
      else td.textContent = String(col[2](b));
      if (td.textContent === NONE) td.classList.add('none');
      tr.appendChild(td);
    });
    return tr;
  }

  function clusterSection(c, i) {
    var section = el('section');
    var h2 = el('h2');
    var title = h2.appendChild(el('span', '', 'Cluster ' + c.name));
    title.id = 'cluster-' + i;
    h2.appendChild(
      el('span', 'badge serving ' + (c.serving ? 'state-healthy' : 'state-down'),
        c.serving ? 'serving' : 'not serving: primary down'),
    );
    section.appendChild(h2);
    var table = el('table');
    table.setAttribute('aria-labelledby', title.id);
    var head = el('tr');
    COLUMNS.forEach(function (col) {
      var th = el('th', '', col[0]);
      th.scope = 'col';
      head.appendChild(th);
    });
    table.appendChild(el('thead')).appendChild(head);
    var body = table.appendChild(el('tbody'));
    c.backends.forEach(function (b) { body.appendChild(backendRow(b)); });
    section.appendChild(el('div', 'scroll')).appendChild(table);
    return section;
  }

  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }

  // One line per series over the window's samples; the legend says each series' latest value.
  function chart(id, title, unit, samples, pick) {
    var names = {};
    samples.forEach(function (smp) { Object.keys(pick(smp) || {}).forEach(function (n) { names[n] = 1; }); });
    var series = Object.keys(names).sort();
    var t0 = samples.length ? samples[0].t : 0;
    var t1 = samples.length ? samples[samples.length - 1].t : 1;
    var max = 0;
    samples.forEach(function (smp) {
      var v = pick(smp) || {};
      series.forEach(function (n) { if (typeof v[n] === 'number' && v[n] > max) max = v[n]; });
    });
    var top = max > 0 ? max * 1.1 : 1;
    var fig = el('figure', 'chart');
    fig.dataset.chart = id;
    var cap = fig.appendChild(el('figcaption'));
    cap.appendChild(el('span', '', title));
    cap.appendChild(el('span', 'axis-max', 'max ' + fmt(max) + ' ' + unit));
    var box = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none', role: 'img' });
    box.setAttribute('aria-label', title);
    [0.25, 0.5, 0.75].forEach(function (f) {
      box.appendChild(svg('line', { x1: 0, x2: W, y1: H * f, y2: H * f, class: 'grid' }));
    });
    var legend = el('ul', 'legend');
    series.forEach(function (n, i) {
      var pts = [];
      var last = null;
      samples.forEach(function (smp) {
        var v = (pick(smp) || {})[n];
        if (typeof v !== 'number') return;
        var x = t1 > t0 ? ((smp.t - t0) / (t1 - t0)) * W : W;
        pts.push(x.toFixed(1) + ',' + (H - (v / top) * H).toFixed(1));
        last = v;
      });
      var color = 'c' + (i % 8);
      box.appendChild(svg('polyline', { points: pts.join(' '), class: color }));
      var li = legend.appendChild(el('li'));
      li.dataset.series = n;
      li.appendChild(el('span', 'swatch ' + color));
      li.appendChild(el('span', '', n));
      li.appendChild(el('span', 'value', last === null ? NONE : fmt(last)));
    });
    if (!series.length) legend.appendChild(el('li', 'empty', 'nothing yet'));
    fig.appendChild(box);
    fig.appendChild(legend);
    return fig;
  }
  function fmt(v) {
    return v >= 100 || v === Math.round(v) ? String(Math.round(v)) : v.toFixed(2);
  }
  function perRpc(field, scale) {
    return function (smp) {
      var out = {};
      Object.keys(smp.rpc || {}).forEach(function (m) {
        var v = smp.rpc[m][field];
        if (typeof v === 'number') out[m] = v * scale;
      });
      return out;
    };
  }
  function perBackend(field) {
    return function (smp) {
      var out = {};
      Object.keys(smp.backends || {}).forEach(function (b) {
        var v = smp.backends[b][field];
        if (typeof v === 'number') out[b] = v;
      });
      return out;
    };
  }

  function renderHistory(h) {
    var samples = Array.isArray(h.samples) ? h.samples : [];
    var perSecond = 1000 / (h.interval_ms || 1000);
    chartsEl.replaceChildren(
      chart('calls', 'Calls per second, by RPC', '/s', samples, perRpc('calls', perSecond)),
      chart('errors', 'Failed calls per second, by RPC', '/s', samples, perRpc('errors', perSecond)),
      chart('p50', 'p50 latency, by RPC', 'ms', samples, perRpc('p50_us', 0.001)),
      chart('p99', 'p99 latency, by RPC', 'ms', samples, perRpc('p99_us', 0.001)),
      chart('used', 'Pool connections in use, by backend', '', samples, perBackend('used')),
      chart('waiting', 'Callers waiting for a connection, by backend', '', samples, perBackend('waiting')),
      chart('lag', 'Replication lag, by replica', 'ms', samples, perBackend('lag_ms')),
      chart('transactions', 'Open transactions', '', samples, function (smp) {
        return { open: smp.active_transactions };
      }),
    );
  }

  var TX_COLUMNS = [
    ['Principal', '', function (t) { return t.principal || NONE; }],
    ['Open for', 'num', function (t) { return millis(t.age_ms); }],
    ['Cluster', '', function (t) { return t.cluster || NONE; }],
    ['Backend', '', function (t) { return t.backend || NONE; }],
    ['Connection', 'num', function (t) { return t.connection_id || NONE; }],
    ['State', '', function (t) { return t.state; }],
    ['Tag', '', function (t) { return t.request_tag || NONE; }]
  ];

  // Query digests: sortable by any numeric column (click its header); total time first.
  var DIGEST_COLUMNS = [
    ['Digest', 'digest', null, function (d) { return d.digest_text; }],
    ['Cluster', '', null, function (d) { return d.cluster || NONE; }],
    ['Role', '', null, function (d) { return d.backend_role || NONE; }],
    ['Principal', '', null, function (d) { return d.principal || NONE; }],
    ['Tag', '', null, function (d) { return d.request_tag || NONE; }],
    ['Calls', 'num', 'calls', function (d) { return d.calls; }],
    ['Errors', 'num', 'errors', function (d) { return d.errors; }],
    ['Rows', 'num', 'rows', function (d) { return d.rows; }],
    ['Total', 'num', 'total_us', function (d) { return micros(d.total_us); }],
    ['p50', 'num', 'p50_us', function (d) { return micros(d.p50_us); }],
    ['p95', 'num', 'p95_us', function (d) { return micros(d.p95_us); }],
    ['p99', 'num', 'p99_us', function (d) { return micros(d.p99_us); }],
    ['Max', 'num', 'max_us', function (d) { return micros(d.max_us); }]
  ];
  var digestSort = 'total_us';
  var lastDigests = null;
  function micros(us) {
    return us < 1000 ? us + ' \u00b5s' : us < 1e6 ? (us / 1000).toFixed(1) + ' ms' : (us / 1e6).toFixed(2) + ' s';
  }

  function renderDigests(list) {
    lastDigests = list;
    if (list === null) {
      digestsEl.replaceChildren(el('p', 'empty', 'Query digests are off (telemetry.queryDigests.enabled).'));
      return;
    }
    if (!list.length) {
      digestsEl.replaceChildren(el('p', 'empty', 'No statements yet.'));
      return;
    }
    var sorted = list.slice().sort(function (a, b) { return b[digestSort] - a[digestSort]; });
    var table = el('table');
    table.setAttribute('aria-label', 'Query digests');
    var head = el('tr');
    DIGEST_COLUMNS.forEach(function (col) {
      var th = el('th', col[2] ? 'sortable' : '', col[0] + (col[2] === digestSort ? ' \u25BE' : ''));
      if (col[2]) {
        th.dataset.sort = col[2];
        th.setAttribute('aria-sort', col[2] === digestSort ? 'descending' : 'none');
        th.tabIndex = 0;
        var key = col[2];
        var sortBy = function () {
          digestSort = key;
          renderDigests(lastDigests);
        };
        th.addEventListener('click', sortBy);
        th.addEventListener('keydown', function (e) { if (e.key === 'Enter') sortBy(); });
      }
      head.appendChild(th);
    });
    table.appendChild(el('thead')).appendChild(head);
    var body = table.appendChild(el('tbody'));
    sorted.forEach(function (d) {
      var tr = body.appendChild(el('tr'));
      DIGEST_COLUMNS.forEach(function (col) { tr.appendChild(el('td', col[1], col[3](d))); });
    });
    digestsEl.replaceChildren(el('div', 'scroll'));
    digestsEl.firstChild.appendChild(table);
  }

  function renderTransactions(list) {
    if (!list.length) {
      openTxEl.replaceChildren(el('p', 'empty', 'No open transactions.'));
      return;
    }
    var table = el('table');
    table.setAttribute('aria-label', 'Open transactions');
    var head = el('tr');
    TX_COLUMNS.forEach(function (col) { head.appendChild(el('th', '', col[0])); });
    table.appendChild(el('thead')).appendChild(head);
    var body = table.appendChild(el('tbody'));
    list.forEach(function (t) {
      var tr = body.appendChild(el('tr'));
      TX_COLUMNS.forEach(function (col) { tr.appendChild(el('td', col[1], col[2](t))); });
    });
    openTxEl.replaceChildren(el('div', 'scroll'));
    openTxEl.firstChild.appendChild(table);
  }

  function render(status) {
    var clusters = Array.isArray(status.clusters) ? status.clusters : [];
    var troubled = 0;
    clusters.forEach(function (c) {
      c.backends.forEach(function (b) { if (b.state !== 'healthy') troubled++; });
    });
    clustersEl.replaceChildren.apply(
      clustersEl,
      clusters.length ? clusters.map(clusterSection) : [el('p', 'empty', 'No clusters are configured.')],
    );
    uptimeEl.textContent = duration(status.uptime_ms);
    transactionsEl.textContent = String(status.active_transactions);
    renderTransactions(Array.isArray(status.open_transactions) ? status.open_transactions : []);
    renderDigests(Array.isArray(status.query_digests) ? status.query_digests : null);
    document.title = (troubled ? troubled + ' not healthy \\u00b7 ' : '') + 'Gateway status';
  }

  function connected() {
    lastUpdate = new Date();
    lostSince = null;
    document.body.classList.remove('stale');
    connEl.className = 'conn conn-ok';
    connEl.textContent = 'Live: refreshed every second.';
    updatedEl.textContent = time(lastUpdate);
  }

  function lost(err) {
    if (lostSince === null) lostSince = new Date();
    document.body.classList.add('stale');
    connEl.className = 'conn conn-lost';
    connEl.textContent =
      'Connection lost: the gateway has not answered since ' + time(lostSince) +
      ' (' + (err && err.name === 'AbortError' ? 'timed out' : String(err && err.message || err)) + '). ' +
      (lastUpdate ? 'The figures below are from ' + time(lastUpdate) + '. ' : '') + 'Retrying every second.';
    document.title = 'Connection lost \\u00b7 Gateway status';
  }

  function poll() {
    var abort = new AbortController();
    var timer = setTimeout(function () { abort.abort(); }, TIMEOUT_MS);
    fetch('status.json', { cache: 'no-store', signal: abort.signal, headers: { accept: 'application/json' } })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (status) {
        render(status);
        connected();
      })
      .catch(lost)
      .then(function () {
        clearTimeout(timer);
        setTimeout(poll, POLL_MS);
      });
  }

  function pollHistory() {
    fetch('status/history.json', { cache: 'no-store', headers: { accept: 'application/json' } })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(renderHistory, function () { /* the status poll reports a lost connection */ })
      .then(function () { setTimeout(pollHistory, HISTORY_MS); });
  }

  poll();
  pollHistory();
})();
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The page (UTF-8). */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Gateway status</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>mysql-grpc-gateway status</h1>
<dl class="summary">
<div><dt>Uptime</dt><dd id="uptime">\u2014</dd></div>
<div><dt>Open transactions</dt><dd id="transactions">\u2014</dd></div>
<div><dt>Last updated</dt><dd id="updated">never</dd></div>
</dl>
<p id="conn" class="conn conn-wait" role="status" aria-live="polite">Connecting\u2026</p>
</header>
<main>
<h2>Last 15 minutes</h2>
<div id="charts" class="charts"></div>
<h2>Top statements by total time</h2>
<div id="digests"><p class="empty">\u2014</p></div>
<h2>Open transactions</h2>
<div id="open-transactions"><p class="empty">—</p></div>
<div id="clusters"></div>
</main>
<noscript><p>This page needs JavaScript. The same data is at <a href="status.json">status.json</a>.</p></noscript>
<script>${SCRIPT}</script>
</body>
</html>
`;

/**
 * The page's Content-Security-Policy: nothing loads or runs but the page's own script and style
 * (by hash) and requests to its own origin; no framing, no forms, no `<base>`; Trusted Types
 * required, so no markup can be parsed from strings.
 */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');
