// Starts Swagger UI at /docs with the settings FastAPI would give it, read from the page rather than from an
// inline script (the CSP allows this origin's scripts only). No validator badge: it would ask a server elsewhere.
"use strict";
(function () {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
  });
})();
