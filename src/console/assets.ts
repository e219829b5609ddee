/** The console's stylesheet: served from the API itself, nothing from a CDN. */
export const CONSOLE_CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d232b; background: #f6f7f9; }
header { background: #1d232b; color: #fff; padding: 8px 20px; display: flex; gap: 18px; align-items: baseline; }
header a { color: #cfe3ff; text-decoration: none; } header strong { margin-right: 12px; }
main { padding: 16px 20px; max-width: 1200px; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e3e6ea; vertical-align: top; }
th { background: #eef0f3; font-weight: 600; }
section { background: #fff; border: 1px solid #e3e6ea; border-radius: 6px; padding: 10px 16px; margin: 12px 0; }
h1 { font-size: 20px; margin: 8px 0; } h2 { font-size: 16px; margin: 6px 0 8px; }
form.filters { display: flex; gap: 10px; flex-wrap: wrap; align-items: end; margin: 8px 0 12px; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: #555; }
.verdict { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; color: #fff; background: #888; }
.verdict.confirmed { background: #1f8a4c; } .verdict.likely { background: #c98a00; } .verdict.inconclusive { background: #7a7f87; }
.muted { color: #6b7280; } .error { color: #b42318; } .notice { padding: 8px 12px; border-radius: 4px; background: #fff4e5; }
header form.signout { margin-left: auto; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; } dl.facts dt { color: #6b7280; }
pre { white-space: pre-wrap; background: #f3f4f6; padding: 8px; border-radius: 4px; }
button { padding: 5px 12px; cursor: pointer; }
svg text { font: 11px system-ui, sans-serif; fill: #374151; } svg text.tick { fill: #6b7280; }
svg circle.event { fill: #fff; stroke: #2563eb; stroke-width: 2; } svg circle.change { fill: #2563eb; }
svg line.burst { stroke: #f59e0b; stroke-linecap: round; } svg line.burst.error { stroke: #dc2626; }
svg polyline.spark { fill: none; stroke: #0f766e; stroke-width: 1.5; }
svg line.alert { stroke: #dc2626; stroke-width: 2; stroke-dasharray: 4 3; } svg text.alert { fill: #dc2626; font-weight: 600; }
svg rect.map-node { stroke-width: 1.5; } svg rect.map-node.firing { fill: #fde8e8; stroke: #dc2626; }
svg rect.map-node.recovered { fill: #e7f6ec; stroke: #1f8a4c; } svg rect.map-node.first { stroke-width: 3; }
svg line.map-edge { stroke: #9ca3af; stroke-width: 1.5; }
`;

/**
 * The console's only script: posts feedback, re-runs and event retries to the API. It sends the console's
 * header, which the API requires beside the session cookie (a page on another site cannot).
 */
export const CONSOLE_JS = `
document.addEventListener('submit', async function (event) {
  var form = event.target;
  if (!form.dataset.api) return;
  event.preventDefault();
  var status = form.querySelector('[role=status]');
  var body = {};
  new FormData(form).forEach(function (value, key) { if (value !== '') body[key] = value; });
  if (event.submitter && event.submitter.name) body[event.submitter.name] = event.submitter.value;
  status.textContent = 'Sending…';
  try {
    var res = await fetch(form.dataset.api, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-rayne-console': '1' },
      body: JSON.stringify(body),
    });
    var answer = await res.json().catch(function () { return {}; });
    if (!res.ok) { status.textContent = 'Failed (' + res.status + '): ' + ((answer.error && answer.error.message) || res.statusText); return; }
    // Feedback answers with its verdict; a re-run with the new RCA's id; a retry with the event's new status.
    if (answer.verdict) {
      status.textContent = 'Feedback stored: ' + answer.verdict + '.';
    } else if (answer.rca_id) {
      status.textContent = 'Re-run started: ';
      var link = document.createElement('a');
      link.href = 'rca/' + encodeURIComponent(answer.rca_id);
      link.textContent = answer.rca_id;
      status.appendChild(link);
    } else {
      status.textContent = 'Retried: the event is ' + answer.status + '.';
    }
  } catch (err) {
    status.textContent = 'Failed: ' + err.message;
  }
});
`;
