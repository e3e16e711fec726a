// The built-in liquidation heatmap page: plain ES2017, no framework, no request to any other
// host. It reads four endpoints of the API (relative URLs, so it also works behind a proxy
// under a path prefix), draws the V2 history as a price-by-time colour field with the current
// price, the largest pools, the active zones and the 60-minute liquidation forecast (a bar
// profile per price at the right edge) on top, and refreshes every 5 s.
// Its render status goes into <body data-render data-cells data-zones data-forecast-cells
// data-error>, which the headless-browser test reads.
'use strict';

(function () {
  var REFRESH_MS = 5000;
  var POOLS_PER_SIDE = 5;
  var FORECAST_HORIZON = 60;
  // Width of the forecast profile at the plot's right edge, CSS pixels.
  var FORECAST_W = 84;
  var SYMBOLS = ['BTC', 'ETH', 'SOL'];
  // A viridis-like ramp: [position, [r, g, b]].
  var RAMP = [
    [0.0, [36, 18, 72]],
    [0.25, [59, 82, 139]],
    [0.5, [33, 145, 140]],
    [0.75, [94, 201, 98]],
    [1.0, [253, 231, 37]]
  ];
  var COLORS = {
    background: '#0b0e14',
    grid: 'rgba(139, 148, 158, 0.18)',
    axis: '#8b949e',
    price: '#ffffff',
    poolLong: [63, 185, 80],
    poolShort: [248, 81, 73],
    zoneLong: [86, 211, 100],
    zoneShort: [255, 148, 146]
  };

  var body = document.body;
  var select = document.getElementById('symbol');
  var canvas = document.getElementById('heatmap');
  var message = document.getElementById('message');
  var statusEl = document.getElementById('status');
  var generation = 0;
  var timer = null;
  var last = null;
  var loads = 0;

  function rampColor(t) {
    var x = Math.min(1, Math.max(0, t));
    for (var i = 1; i < RAMP.length; i++) {
      if (x <= RAMP[i][0]) {
        var a = RAMP[i - 1];
        var b = RAMP[i];
        var k = (x - a[0]) / (b[0] - a[0]);
        return [0, 1, 2].map(function (c) {
          return Math.round(a[1][c] + (b[1][c] - a[1][c]) * k);
        });
      }
    }
    return RAMP[RAMP.length - 1][1];
  }

  function rgba(c, alpha) {
    return 'rgba(' + c[0] + ',' + c[1] + ',' + c[2] + ',' + alpha + ')';
  }

  function setStatus(render, fields) {
    body.dataset.render = render;
    Object.keys(fields).forEach(function (k) {
      body.dataset[k] = String(fields[k]);
    });
  }

  function showMessage(text) {
    message.textContent = text;
    message.hidden = !text;
  }

  // GET a JSON body; a non-200 answer throws an Error carrying the API's `detail` and status.
  async function getJson(path) {
    var resp = await fetch(path, { cache: 'no-store' });
    var json = null;
    try {
      json = await resp.json();
    } catch (e) {
      json = null;
    }
    if (!resp.ok) {
      var detail = json && typeof json.detail === 'string' ? json.detail : resp.statusText;
      var err = new Error(detail + ' (HTTP ' + resp.status + ' from ' + path.split('?')[0] + ')');
      err.status = resp.status;
      throw err;
    }
    if (json === null || typeof json !== 'object') {
      throw new Error('no JSON body from ' + path.split('?')[0]);
    }
    return json;
  }

  async function load(symbol) {
    var q = '?symbol=' + encodeURIComponent(symbol);
    var all = await Promise.all([
      getJson('liq_heatmap_v2_history' + q),
      getJson('liq_heatmap_v2' + q),
      // Zones are an overlay: without an engine (503) or a zone manager (404) the heatmap
      // still draws.
      getJson('liq_zones' + q).catch(function (e) {
        return { zones: [], error: e.message };
      }),
      // The forecast is an overlay too: before the first minute close it is 503.
      getJson('liq_forecast' + q + '&horizon=' + FORECAST_HORIZON).catch(function (e) {
        return { error: e.message };
      })
    ]);
    return { symbol: symbol, history: all[0], current: all[1], zones: all[2], forecast: all[3] };
  }

  function niceStep(span, target) {
    var raw = span / target;
    var pow = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = raw / pow;
    var nice = m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10;
    return nice * pow;
  }

  function fmtPrice(p, step) {
    var digits = step >= 1 ? 0 : step >= 0.1 ? 1 : 2;
    return p.toFixed(digits);
  }

  function fmtUsd(v) {
    if (v >= 1e9) return '$' + (v / 1e9).toFixed(2) + 'B';
    if (v >= 1e6) return '$' + (v / 1e6).toFixed(2) + 'M';
    if (v >= 1e3) return '$' + (v / 1e3).toFixed(1) + 'k';
    return '$' + v.toFixed(0);
  }

  function fmtTime(ms) {
    var d = new Date(ms);
    var pad = function (n) {
      return (n < 10 ? '0' : '') + n;
    };
    return pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
  }

  function largest(levels, n) {
    return (Array.isArray(levels) ? levels.slice() : [])
      .sort(function (a, b) {
        return (b.notional_usd || 0) - (a.notional_usd || 0);
      })
      .slice(0, n);
  }

  // The forecast profile over the plot's right edge: per 0.1 % cell of the band, a bar for
  // the long and the short side, length by probability (the largest cell of either side is
  // the full width), and the reach prior as a line. Returns the band cells drawn.
  function drawForecast(ctx, fc, y, lo, hi, x0, w) {
    if (!fc || fc.error || !Array.isArray(fc.price_low) || !fc.long || !fc.short) return 0;
    var lows = fc.price_low;
    var bw = fc.bin_width;
    var n = lows.length;
    var max = 0;
    ['long', 'short'].forEach(function (s) {
      for (var j = 0; j < n; j++) {
        max = Math.max(max, fc[s].prob[j] || 0, fc[s].prior[j] || 0);
      }
    });
    if (!(max > 0) || !(bw > 0)) return 0;
    ctx.fillStyle = 'rgba(11, 14, 20, 0.72)';
    ctx.fillRect(x0, y(hi), w, y(lo) - y(hi));
    var drawn = 0;
    [['short', COLORS.poolShort], ['long', COLORS.poolLong]].forEach(function (sc) {
      var side = fc[sc[0]];
      ctx.fillStyle = rgba(sc[1], 0.55);
      for (var j = 0; j < n; j++) {
        var p = side.prob[j] || 0;
        var a = lows[j];
        var b = a + bw;
        if (p <= 0 || b < lo || a > hi) continue;
        var top = y(Math.min(b, hi));
        var h = Math.max(1, y(Math.max(a, lo)) - top);
        var len = (p / max) * (w - 4);
        ctx.fillRect(x0 + w - len, top, len, h);
        drawn++;
      }
      // The prior: where the price alone says the liquidations would fall.
      ctx.strokeStyle = rgba(sc[1], 1);
      ctx.lineWidth = 1;
      ctx.setLineDash([2, 2]);
      ctx.beginPath();
      var started = false;
      for (var k = 0; k < n; k++) {
        var mid = lows[k] + bw / 2;
        if (mid < lo || mid > hi) continue;
        var px = x0 + w - ((side.prior[k] || 0) / max) * (w - 4);
        if (started) {
          ctx.lineTo(px, y(mid));
        } else {
          ctx.moveTo(px, y(mid));
          started = true;
        }
      }
      ctx.stroke();
      ctx.setLineDash([]);
    });
    ctx.fillStyle = COLORS.axis;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'top';
    ctx.fillText('forecast ' + fc.horizon + 'm', x0 + w - 4, y(hi) + 4);
    return drawn;
  }

  // Draws everything; returns {cells, zonesDrawn, frames, forecastCells}.
  function draw(data) {
    var hist = data.history;
    var cur = data.current;
    var prices = hist.prices || [];
    var times = hist.t || [];
    var P = prices.length;
    var F = times.length;
    var step = typeof hist.step === 'number' ? hist.step : 1;
    var scale = hist.scale || 255;
    if (P === 0) {
      throw new Error('the history has no price grid');
    }

    var dpr = window.devicePixelRatio || 1;
    var cssW = Math.max(320, canvas.clientWidth || 960);
    var cssH = Math.round(cssW * 0.5625);
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
    var ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    var M = { l: 76, r: 92, t: 12, b: 34 };
    var W = cssW - M.l - M.r;
    var H = cssH - M.t - M.b;
    var lo = prices[0] - step / 2;
    var hi = prices[P - 1] + step / 2;
    var y = function (p) {
      return M.t + ((hi - p) / (hi - lo)) * H;
    };

    ctx.fillStyle = COLORS.background;
    ctx.fillRect(0, 0, cssW, cssH);

    // The colour field: one pixel per (frame, price) cell, scaled up without smoothing.
    var cells = 0;
    if (F > 0) {
      var off = document.createElement('canvas');
      off.width = F;
      off.height = P;
      var octx = off.getContext('2d');
      var img = octx.createImageData(F, P);
      var longs = hist.long || [];
      var shorts = hist.short || [];
      for (var f = 0; f < F; f++) {
        for (var p = 0; p < P; p++) {
          var i = f * P + p;
          var v = Math.max(longs[i] || 0, shorts[i] || 0);
          if (v <= 0) continue;
          // Square root: the faint cells stay visible next to the 255 peak.
          var c = rampColor(Math.sqrt(v / scale));
          var px = ((P - 1 - p) * F + f) * 4;
          img.data[px] = c[0];
          img.data[px + 1] = c[1];
          img.data[px + 2] = c[2];
          img.data[px + 3] = 255;
          cells++;
        }
      }
      octx.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(off, M.l, M.t, W, H);
    }

    // Price grid and axis.
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    var tick = niceStep(hi - lo, 8);
    for (var tp = Math.ceil(lo / tick) * tick; tp <= hi; tp += tick) {
      var ty = Math.round(y(tp)) + 0.5;
      ctx.strokeStyle = COLORS.grid;
      ctx.beginPath();
      ctx.moveTo(M.l, ty);
      ctx.lineTo(M.l + W, ty);
      ctx.stroke();
      ctx.fillStyle = COLORS.axis;
      ctx.fillText(fmtPrice(tp, tick), M.l - 6, ty);
    }

    // Time axis: up to 6 labels, UTC.
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    var labels = Math.min(6, F);
    for (var j = 0; j < labels; j++) {
      var k = labels === 1 ? 0 : Math.round((j * (F - 1)) / (labels - 1));
      var tx = M.l + ((k + 0.5) * W) / F;
      ctx.fillStyle = COLORS.axis;
      ctx.fillText(fmtTime(times[k]), tx, M.t + H + 6);
    }
    ctx.fillText('time (UTC), ' + F + (F === 1 ? ' minute' : ' minutes'), M.l + W / 2, M.t + H + 20);
    ctx.textAlign = 'left';
    ctx.fillText('USD', 4, M.t + H + 6);
    ctx.save();
    ctx.beginPath();
    ctx.rect(M.l, M.t, W + M.r, H);
    ctx.clip();

    // The largest pools: a translucent band over the plot, a bar and a label in the margin.
    var pools = largest(cur.long_levels, POOLS_PER_SIDE)
      .map(function (l) { return [l, COLORS.poolLong]; })
      .concat(largest(cur.short_levels, POOLS_PER_SIDE).map(function (l) {
        return [l, COLORS.poolShort];
      }));
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    pools.forEach(function (pc) {
      var l = pc[0];
      var col = pc[1];
      var top = y(l.price_high + step / 2);
      var h = Math.max(2, y(l.price_low - step / 2) - top);
      ctx.fillStyle = rgba(col, 0.12);
      ctx.fillRect(M.l, top, W, h);
      ctx.fillStyle = rgba(col, 0.8);
      ctx.fillRect(M.l + W + 2, top, 6, h);
      ctx.fillText(fmtUsd(l.notional_usd || 0), M.l + W + 12, y(l.price));
    });

    // Active zones: dashed lines, opacity by weight.
    var zones = Array.isArray(data.zones.zones) ? data.zones.zones : [];
    var maxW = zones.reduce(function (m, z) { return Math.max(m, z.weight || 0); }, 0) || 1;
    var zonesDrawn = 0;
    ctx.setLineDash([6, 4]);
    zones.forEach(function (z) {
      if (typeof z.price !== 'number' || z.price < lo || z.price > hi) return;
      var zy = Math.round(y(z.price)) + 0.5;
      var col = z.side === 'long' ? COLORS.zoneLong : COLORS.zoneShort;
      ctx.strokeStyle = rgba(col, 0.35 + 0.65 * ((z.weight || 0) / maxW));
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(M.l, zy);
      ctx.lineTo(M.l + W, zy);
      ctx.stroke();
      zonesDrawn++;
    });
    ctx.setLineDash([]);

    // The forecast profile (under the price line).
    var forecastCells = drawForecast(ctx, data.forecast, y, lo, hi, M.l + W - FORECAST_W, FORECAST_W);

    // The current price.
    var price = typeof cur.price === 'number' ? cur.price : cur.src;
    if (typeof price === 'number' && price >= lo && price <= hi) {
      var py = Math.round(y(price)) + 0.5;
      ctx.strokeStyle = COLORS.price;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(M.l, py);
      ctx.lineTo(M.l + W, py);
      ctx.stroke();
    }
    ctx.restore();
    if (typeof price === 'number') {
      var label = fmtPrice(price, step < 1 ? step : 0.1);
      var ly = Math.min(Math.max(y(price), M.t + 8), M.t + H - 8);
      ctx.fillStyle = COLORS.price;
      ctx.fillRect(0, ly - 8, M.l - 2, 16);
      ctx.fillStyle = COLORS.background;
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      ctx.fillText(label, M.l - 6, ly);
    }

    ctx.strokeStyle = '#30363d';
    ctx.lineWidth = 1;
    ctx.strokeRect(M.l + 0.5, M.t + 0.5, W - 1, H - 1);
    return {
      cells: cells,
      zonesDrawn: zonesDrawn,
      zones: zones.length,
      frames: F,
      forecastCells: forecastCells
    };
  }

  function render(data) {
    var r = draw(data);
    var note = r.frames === 0 ? 'No history frames yet for ' + data.symbol + '.' : '';
    showMessage(note);
    var parts = [data.symbol, r.frames + (r.frames === 1 ? ' frame' : ' frames'),
      data.history.prices.length + ' prices',
      r.zones + ' zones', 'updated ' + new Date().toISOString().slice(11, 19) + ' UTC'];
    if (data.zones.error) parts.push('zones unavailable: ' + data.zones.error);
    if (data.forecast.error) parts.push('forecast unavailable: ' + data.forecast.error);
    statusEl.textContent = parts.join(' \u00b7 ');
    statusEl.className = 'status';
    setStatus('ok', {
      symbol: data.symbol,
      cells: r.cells,
      zones: r.zones,
      zonesDrawn: r.zonesDrawn,
      frames: r.frames,
      forecastCells: r.forecastCells,
      error: ''
    });
  }

  function fail(symbol, err) {
    var text = symbol + ': ' + (err && err.message ? err.message : String(err));
    var ctx = canvas.getContext('2d');
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = COLORS.background;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    showMessage(text);
    statusEl.textContent = 'error \u00b7 retrying every ' + REFRESH_MS / 1000 + ' s';
    statusEl.className = 'status error';
    setStatus('error', {
      symbol: symbol,
      cells: 0,
      zones: 0,
      zonesDrawn: 0,
      frames: 0,
      forecastCells: 0,
      error: text
    });
  }

  async function refresh() {
    var mine = ++generation;
    clearTimeout(timer);
    var symbol = select.value;
    try {
      var data = await load(symbol);
      if (mine !== generation) return;
      last = data;
      loads++;
      body.dataset.loads = String(loads);
      render(data);
    } catch (err) {
      if (mine !== generation) return;
      last = null;
      fail(symbol, err);
    } finally {
      if (mine === generation) timer = setTimeout(refresh, REFRESH_MS);
    }
  }

  var wanted = (new URLSearchParams(window.location.search).get('symbol') || 'BTC').toUpperCase();
  select.value = SYMBOLS.indexOf(wanted) >= 0 ? wanted : 'BTC';
  document.getElementById('ramp').style.background =
    'linear-gradient(to right, ' + RAMP.map(function (s) {
      return rgba(s[1], 1) + ' ' + s[0] * 100 + '%';
    }).join(', ') + ')';
  select.addEventListener('change', function () {
    setStatus('pending', { error: '' });
    window.history.replaceState(null, '', '?symbol=' + select.value);
    refresh();
  });
  window.addEventListener('resize', function () {
    if (!last) return;
    try {
      render(last);
    } catch (err) {
      fail(last.symbol, err);
    }
  });
  refresh();
})();
