// Renders the API reference from the service's own OpenAPI document. Lives in
// a file, not inline, because the page's Content-Security-Policy allows
// scripts from this origin only.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // The default sends the document to a validator on the internet.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    tagsSorter: "alpha",
  });
});
