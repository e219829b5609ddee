import fs from 'node:fs';
import path from 'node:path';
import { Hono } from 'hono';
import { ApiError } from './errors';

// Swagger UI from node_modules: the page works offline and loads nothing from a CDN.
const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const SWAGGER_UI_VERSION = String(
  (JSON.parse(fs.readFileSync(path.join(SWAGGER_UI_DIR, 'package.json'), 'utf8')) as { version: unknown }).version,
);
// The only files served from there, with their content types.
const ASSETS = new Map([
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
  ['favicon-32x32.png', 'image/png'],
  ['favicon-16x16.png', 'image/png'],
  // Asked for by browser devtools only; served so they find them.
  ['swagger-ui.css.map', 'application/json'],
  ['swagger-ui-bundle.js.map', 'application/json'],
]);

// Relative URLs: /docs loads docs/… and openapi.json beside it, so the page also works under a path prefix.
const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Rayne API</title>
  <link rel="stylesheet" href="docs/swagger-ui.css?v=${SWAGGER_UI_VERSION}">
  <link rel="icon" type="image/png" href="docs/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="docs/favicon-16x16.png" sizes="16x16">
  <style>body { margin: 0; background: #fafafa; }</style>
</head>
<body>
  <div id="swagger-ui" data-url="openapi.json"></div>
  <script src="docs/swagger-ui-bundle.js?v=${SWAGGER_UI_VERSION}"></script>
  <script src="docs/init.js?v=${SWAGGER_UI_VERSION}"></script>
</body>
</html>
`;

// validatorUrl: null, or Swagger UI sends the spec to validator.swagger.io for a badge.
const INIT = `window.addEventListener('load', function () {
  var root = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({
    url: root.dataset.url, domNode: root, deepLinking: true, validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout',
  });
});
`;

/**
 * GET /openapi.json (the document `spec` builds, built once) and the Swagger UI page at GET /docs
 * with its assets under /docs/. Public, like the route list in the README: the spec holds no secrets.
 */
export const docsRoutes = (spec: () => unknown) => {
  let document: unknown;
  return new Hono()
    .get('/openapi.json', (c) => c.json((document ??= spec()) as object))
    .get('/docs', (c) => c.html(PAGE))
    .get('/docs/', (c) => c.redirect('../docs', 301))
    .get('/docs/init.js', (c) => {
      c.header('content-type', 'text/javascript; charset=utf-8');
      return c.body(INIT);
    })
    .get('/docs/:file', async (c) => {
      const file = c.req.param('file');
      const type = ASSETS.get(file);
      if (!type) throw new ApiError('NOT_FOUND', `no docs asset ${file}`);
      c.header('content-type', type);
      c.header('cache-control', 'public, max-age=86400');
      return c.body(await fs.promises.readFile(path.join(SWAGGER_UI_DIR, file)));
    });
};
