// Starts Swagger UI on /docs (server/web/docs.py): a file, not an inline script, so the CSP can forbid those.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
