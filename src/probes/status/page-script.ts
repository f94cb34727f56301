// The status page's script, inlined into the page (no build step, no external asset). It polls
// the JSON endpoint and builds the page with DOM calls and textContent only, never innerHTML,
// so target names, labels and failure messages (user input) always show as text.
// Plain ES2017 in a string: written without backticks or ${...} so the TypeScript template
// cannot splice anything into it.
export const STATUS_SCRIPT = String.raw`
(function () {
  'use strict';
  var app = document.getElementById('app');
  var base = app.getAttribute('data-base');
  var one = app.getAttribute('data-name');
  var STATES = { up: 'Up', down: 'Down', unknown: 'Pending', paused: 'Paused' };
  var ORDER = { down: 0, unknown: 1, paused: 2, up: 3 };
  var SVGNS = 'http://www.w3.org/2000/svg';
  var skew = 0;
  var refresh = 5;
  var inflight = false;
  var last = null;
  var failingSince = null;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    return e;
  }
  function now() { return Date.now() / 1000 + skew; }
  function pct(r) {
    if (r === null || r === undefined) return '\u2013';
    if (r >= 1) return '100%';
    // Floored: 99.996% must not read as 100%.
    return (Math.floor(r * 10000) / 100).toFixed(2) + '%';
  }
  function latency(ms) {
    if (ms === null || ms === undefined) return '\u2013';
    if (ms < 10) return ms.toFixed(1) + ' ms';
    if (ms < 1000) return Math.round(ms) + ' ms';
    return (ms / 1000).toFixed(2) + ' s';
  }
  // A failed check's duration is the timeout or a refusal, not a latency: shown as none.
  function latencyNow(t) {
    return latency(t.last_success && t.latency_seconds !== null ? t.latency_seconds * 1000 : null);
  }
  function dur(d) {
    d = Math.max(0, d);
    if (d < 60) return Math.round(d) + ' s';
    if (d < 3600) return Math.floor(d / 60) + ' min';
    if (d < 86400) return Math.floor(d / 3600) + ' h ' + Math.floor((d % 3600) / 60) + ' min';
    return Math.floor(d / 86400) + ' d ' + Math.floor((d % 86400) / 3600) + ' h';
  }
  function clock(s) {
    var d = new Date(s * 1000);
    return d.toDateString() === new Date(now() * 1000).toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
  }
  function stateText(t) {
    if (t.state === 'paused') return 'Paused: not checked';
    if (t.last_check === null) return 'Not checked yet';
    if (t.last_state_change === null) return 'No state yet: waiting for ' + t.failure_threshold + ' failed or ' + t.success_threshold + ' successful checks in a row';
    return STATES[t.state] + ' for ' + dur(now() - t.last_state_change) + ' (since ' + clock(t.last_state_change) + ')';
  }
  function maintenanceText(t) {
    var m = t.maintenance;
    return 'In maintenance' + (m.window ? ' (' + m.window + ')' : '') + ' until ' + clock(m.until) + ': no alerts';
  }
  function heldText(t) {
    return 'Offline at ' + clock(t.held.at) + ': a failed check (' + t.held.reason_text + ') was not counted';
  }
  function failureText(t) {
    var f = t.last_failure;
    if (!f) return t.since === null ? '' : 'No failure since ' + clock(t.since);
    return 'Last failure ' + dur(now() - f.at) + ' ago: ' + f.reason_text + (f.message ? ' \u2014 ' + f.message : '');
  }
  function badge(state) {
    var b = el('span', 'badge ' + state, STATES[state] || state);
    return b;
  }
  function spark(m, w, h, big) {
    var vals = m.latency_ms;
    var n = vals.length || 60;
    var max = 0;
    vals.forEach(function (v) { if (v !== null && v > max) max = v; });
    var s = svg('svg', { viewBox: '0 0 ' + w + ' ' + h, class: big ? 'spark big' : 'spark', role: 'img', preserveAspectRatio: 'none' });
    if (!big) { s.setAttribute('width', w); s.setAttribute('height', h); }
    var title = svg('title', {});
    title.textContent = 'Mean latency of successful checks a minute over the last hour (highest ' + latency(max) + '); red: minutes with failed checks';
    s.appendChild(title);
    var step = w / n;
    (m.failures || []).forEach(function (f, i) {
      if (f > 0) s.appendChild(svg('rect', { x: (i * step).toFixed(1), y: 0, width: Math.max(step, 1.5).toFixed(1), height: h, class: 'fail' }));
    });
    var pts = [];
    function flush() {
      if (pts.length === 1) {
        var p = pts[0].split(',');
        s.appendChild(svg('circle', { cx: p[0], cy: p[1], r: 1.5, class: 'dot' }));
      } else if (pts.length > 1) {
        s.appendChild(svg('polyline', { points: pts.join(' '), class: 'line', 'vector-effect': 'non-scaling-stroke' }));
      }
      pts = [];
    }
    vals.forEach(function (v, i) {
      if (v === null) return flush();
      // A quarter of headroom: a steady latency sits below the top edge, its wiggles visible.
      var y = max > 0 ? h - 2 - (v / (max * 1.25)) * (h - 4) : h - 2;
      pts.push((i * step + step / 2).toFixed(1) + ',' + y.toFixed(1));
    });
    flush();
    return s;
  }
  function cell(cls, label, value) {
    var c = el('div', 'cell ' + cls);
    c.appendChild(el('small', null, label));
    c.appendChild(el('span', 'v', value));
    return c;
  }
  function labelText(t) {
    return Object.keys(t.labels).map(function (k) { return k + '=' + t.labels[k]; }).join(' ');
  }

  // ---- the list page ----
  var q = document.getElementById('q');
  var stateSel = document.getElementById('state');
  var envSel = document.getElementById('env');

  function filter() {
    return { q: q.value.trim().toLowerCase(), state: stateSel.value, env: envSel.value };
  }
  function matches(t, f) {
    if (f.state && t.state !== f.state) return false;
    if (f.env !== '*' && t.environment !== f.env) return false;
    if (!f.q) return true;
    var hay = [t.name, t.address, t.type, t.environment, STATES[t.state], labelText(t)].join(' ').toLowerCase();
    return f.q.split(/\s+/).every(function (w) { return hay.indexOf(w) >= 0; });
  }
  function envName(env) { return env === '' ? 'No environment' : env; }
  function envOrder(a, b) { return a === b ? 0 : a === '' ? 1 : b === '' ? -1 : a.localeCompare(b); }
  function syncEnvOptions(targets) {
    var envs = {};
    targets.forEach(function (t) { envs[t.environment] = true; });
    var keys = Object.keys(envs).sort(envOrder);
    var chosen = envSel.value;
    var have = Array.prototype.map.call(envSel.options, function (o) { return o.value; }).slice(1);
    if (have.join('\n') === keys.join('\n')) return;
    var all = envSel.options[0];
    envSel.replaceChildren(all);
    keys.forEach(function (k) {
      var o = el('option', null, envName(k));
      o.value = k;
      envSel.appendChild(o);
    });
    envSel.value = chosen;
    if (envSel.value !== chosen) envSel.value = '*';
  }
  function row(t) {
    var r = el('article', 'row ' + t.state);
    r.setAttribute('data-target', t.name);
    r.setAttribute('data-state', t.state);
    var name = el('div', 'name');
    var a = el('a', null, t.name);
    a.href = base + 'status/' + encodeURIComponent(t.name);
    name.appendChild(a);
    name.appendChild(el('div', 'meta', [t.type, t.address, labelText(t)].filter(Boolean).join(' \u00b7 ')));
    r.appendChild(name);
    var st = el('div', 'st');
    st.appendChild(badge(t.state));
    r.appendChild(st);
    r.appendChild(cell('lat', 'Latency', latencyNow(t)));
    var sp = el('div', 'sp');
    sp.appendChild(spark(t.minutes, 120, 28, false));
    r.appendChild(sp);
    r.appendChild(cell('u24', 'Uptime 24 h', pct(t.uptime_24h)));
    r.appendChild(cell('u7', 'Uptime 7 d', pct(t.uptime_7d)));
    var info = el('div', 'info');
    if (t.maintenance) info.appendChild(el('span', 'maint', maintenanceText(t)));
    if (t.held) info.appendChild(el('span', 'maint held', heldText(t)));
    info.appendChild(el('span', 'change', stateText(t)));
    var ft = failureText(t);
    if (ft) info.appendChild(el('span', t.last_failure ? 'failure' : 'ok', ft));
    r.appendChild(info);
    return r;
  }
  function renderList(data) {
    syncEnvOptions(data.targets);
    var counts = { up: 0, down: 0, unknown: 0, paused: 0 };
    data.targets.forEach(function (t) { counts[t.state] = (counts[t.state] || 0) + 1; });
    var parts = [data.targets.length + (data.targets.length === 1 ? ' target' : ' targets')];
    ['down', 'up', 'unknown', 'paused'].forEach(function (s) { if (counts[s]) parts.push(counts[s] + ' ' + STATES[s].toLowerCase()); });
    document.getElementById('counts').textContent = parts.join(' \u00b7 ');
    document.title = (counts.down ? '(' + counts.down + ' down) ' : '') + 'Tocsin status';
    var f = filter();
    var groups = {};
    data.targets.forEach(function (t) {
      if (matches(t, f)) (groups[t.environment] = groups[t.environment] || []).push(t);
    });
    var envs = Object.keys(groups).sort(envOrder);
    var frag = document.createDocumentFragment();
    envs.forEach(function (env) {
      var items = groups[env].sort(function (a, b) { return ORDER[a.state] - ORDER[b.state] || a.name.localeCompare(b.name); });
      var sec = el('section', 'group');
      sec.setAttribute('data-environment', env);
      var h = el('h2', null, envName(env));
      var down = items.filter(function (t) { return t.state === 'down'; }).length;
      h.appendChild(el('span', 'count', items.length + (down ? ', ' + down + ' down' : '')));
      sec.appendChild(h);
      items.forEach(function (t) { sec.appendChild(row(t)); });
      frag.appendChild(sec);
    });
    if (envs.length === 0) {
      frag.appendChild(el('p', 'empty', data.targets.length ? 'No target matches the filter.' : 'No targets yet: declare them under exporter.probes.targets or add them through /api/v1/targets.'));
    }
    document.getElementById('list').replaceChildren(frag);
  }

  // ---- the page of one target ----
  function renderOne(data) {
    var t = data.target;
    document.title = t.name + ' \u00b7 ' + STATES[t.state] + ' \u00b7 Tocsin status';
    var out = document.createDocumentFragment();
    var head = el('div', 'head row ' + t.state);
    head.setAttribute('data-target', t.name);
    head.setAttribute('data-state', t.state);
    head.appendChild(badge(t.state));
    head.appendChild(el('span', 'change', stateText(t)));
    if (t.maintenance) head.appendChild(el('span', 'maint', maintenanceText(t)));
    if (t.held) head.appendChild(el('span', 'maint held', heldText(t)));
    out.appendChild(head);
    var figures = el('div', 'figures');
    figures.appendChild(cell('lat', 'Latency now', latencyNow(t)));
    figures.appendChild(cell('u24', 'Uptime 24 h', pct(t.uptime_24h)));
    figures.appendChild(cell('u7', 'Uptime 7 d', pct(t.uptime_7d)));
    figures.appendChild(cell('n', 'Checks in 7 d', String(t.checks_7d)));
    out.appendChild(figures);
    out.appendChild(el('p', t.last_failure ? 'failure' : 'ok', failureText(t) || 'No check yet.'));
    out.appendChild(el('h2', null, 'Latency, last hour'));
    out.appendChild(spark(t.minutes, 600, 80, true));
    var highest = Math.max.apply(null, t.minutes.latency_ms.map(function (v) { return v === null ? 0 : v; }).concat([0]));
    out.appendChild(el('p', 'caption', 'Mean latency of the successful checks of each minute, from 0 to ' + latency(highest * 1.25) + ' (highest minute: ' + latency(highest) + '); red: minutes with failed checks.'));
    out.appendChild(el('h2', null, 'Recent checks'));
    if (data.recent.length === 0) out.appendChild(el('p', 'empty', 'No check yet.'));
    else {
      // The same graph, a point a check: finer than a minute for the last few minutes.
      var checks = { latency_ms: data.recent.map(function (c) { return c.success ? c.latency_ms : null; }), failures: data.recent.map(function (c) { return c.success ? 0 : 1; }) };
      out.appendChild(spark(checks, 600, 60, true));
      out.appendChild(el('p', 'caption', 'The last ' + data.recent.length + ' checks, oldest on the left; red: failed checks.'));
      var table = el('table', 'recent');
      var hr = el('tr');
      ['Time', 'Result', 'Latency', 'Reason'].forEach(function (x) { hr.appendChild(el('th', null, x)); });
      var thead = el('thead');
      thead.appendChild(hr);
      table.appendChild(thead);
      var tbody = el('tbody');
      data.recent.slice().reverse().forEach(function (c) {
        var tr = el('tr', c.success ? 'ok' : 'failed');
        tr.appendChild(el('td', null, clock(c.at)));
        tr.appendChild(el('td', null, c.success ? 'OK' : 'Failed'));
        tr.appendChild(el('td', null, latency(c.latency_ms)));
        tr.appendChild(el('td', null, c.success ? '' : c.reason_text));
        tbody.appendChild(tr);
      });
      table.appendChild(tbody);
      out.appendChild(table);
    }
    out.appendChild(el('h2', null, 'Settings'));
    var dl = el('dl');
    [
      ['Type', t.type], ['Address', t.address || '\u2013'], ['Environment', t.environment || '\u2013'],
      ['Interval', t.interval + ' s'], ['Timeout', t.timeout + ' s'],
      ['Down after', t.failure_threshold + ' failed checks in a row'], ['Up after', t.success_threshold + ' successful checks in a row'],
      ['Notifications', t.notify ? 'on' : 'off'], ['Labels', labelText(t) || '\u2013'],
      ['Declared in', t.source === 'config' ? 'the config file' : t.source === 'api' ? 'the targets API' : 'discovery source ' + t.discovery_source],
      ['Counting since', t.since === null ? '\u2013' : clock(t.since)],
    ].forEach(function (p) { dl.appendChild(el('dt', null, p[0])); dl.appendChild(el('dd', null, p[1])); });
    out.appendChild(dl);
    document.getElementById('list').replaceChildren(out);
  }

  function stale(message) {
    var s = document.getElementById('stale');
    if (message === null) { failingSince = null; s.hidden = true; return; }
    if (failingSince === null) failingSince = Date.now();
    s.hidden = false;
    s.textContent = 'Cannot reach the exporter (' + message + ')' + (last ? '; the figures below are from ' + clock(last.now) : '') + '. Retrying every ' + refresh + ' s.';
  }
  function render() {
    if (!last) return;
    var started = performance.now();
    if (one === null) renderList(last); else renderOne(last);
    document.getElementById('updated').textContent = 'Updated ' + clock(last.now);
    // For tests and the bench: when the data is from, and what the last poll cost.
    document.body.setAttribute('data-render-ms', String(Math.round(performance.now() - started)));
    document.body.setAttribute('data-updated', String(last.now));
  }
  var url = base + 'api/v1/status' + (one === null ? '' : '/' + encodeURIComponent(one));
  function poll() {
    if (inflight) return;
    inflight = true;
    var asked = performance.now();
    fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' })
      .then(function (res) {
        if (res.status === 404 && one !== null) {
          // Not an outage: the target is gone (or never was). Said in the page, polled again in case it comes.
          last = null;
          stale(null);
          document.getElementById('list').replaceChildren(el('p', 'empty', 'There is no target named ' + one + '.'));
          document.getElementById('updated').textContent = '';
          return null;
        }
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (data) {
        if (data === null) return;
        document.body.setAttribute('data-fetch-ms', String(Math.round(performance.now() - asked)));
        skew = data.now - Date.now() / 1000;
        refresh = data.refresh_seconds;
        last = data;
        stale(null);
        render();
      })
      .catch(function (err) { stale(err && err.message ? err.message : 'network error'); })
      .then(function () {
        inflight = false;
        setTimeout(poll, refresh * 1000);
      });
  }

  if (one === null) {
    var params = new URLSearchParams(location.search);
    q.value = params.get('q') || '';
    stateSel.value = params.get('state') || '';
    var wantedEnv = params.get('env');
    if (wantedEnv !== null) {
      var o = el('option', null, envName(wantedEnv));
      o.value = wantedEnv;
      envSel.appendChild(o);
      envSel.value = wantedEnv;
    }
    var onFilter = function () {
      var f = filter();
      var p = new URLSearchParams();
      if (f.q) p.set('q', q.value.trim());
      if (f.state) p.set('state', f.state);
      if (f.env !== '*') p.set('env', f.env);
      var s = p.toString();
      history.replaceState(null, '', location.pathname + (s ? '?' + s : ''));
      render();
    };
    q.addEventListener('input', onFilter);
    stateSel.addEventListener('change', onFilter);
    envSel.addEventListener('change', onFilter);
  }
  poll();
})();
`;
