// Starts Swagger UI on the API's own OpenAPI document. Kept out of index.html so that the
// page needs no inline script (a strict Content-Security-Policy can forbid them).
"use strict";
window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis],
  // Nothing leaves this server: no validator badge calling validator.swagger.io.
  validatorUrl: null,
  tryItOutEnabled: false,
  displayRequestDuration: true,
});
