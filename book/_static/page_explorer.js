// Draw every static-page explorer (collapse_lib.page_explorer): its Vega-Lite specification is
// the JSON inside the placeholder; vegaEmbed comes from vega-bundle.js (offline, no CDN).
document.addEventListener("DOMContentLoaded", () => {
  for (const holder of document.querySelectorAll("div.page-explorer")) {
    const spec = JSON.parse(holder.querySelector("script[type='application/json']").textContent);
    const target = document.createElement("div");
    holder.appendChild(target);
    vegaEmbed(target, spec, { renderer: "svg", actions: false })
      .then(() => holder.classList.add("page-explorer-ready"))
      .catch((error) => { console.error("page explorer:", error); });
  }
});
