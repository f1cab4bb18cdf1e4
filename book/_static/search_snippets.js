// Search results show a snippet of each page's text. Sphinx takes it from the page's HTML, where
// math is still TeX source for MathJax ("\(\sigma_n^2\)"), so snippets showed raw TeX. This
// wraps Sphinx's htmlToText: inline math becomes plain text (Greek letters as Unicode, commands
// and braces dropped), display math and code input are left out.
(function () {
  const GREEK = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε", zeta: "ζ",
    eta: "η", theta: "θ", kappa: "κ", lambda: "λ", mu: "μ", nu: "ν", xi: "ξ", pi: "π",
    rho: "ρ", sigma: "σ", tau: "τ", phi: "φ", varphi: "φ", chi: "χ", psi: "ψ", omega: "ω",
    Gamma: "Γ", Delta: "Δ", Theta: "Θ", Lambda: "Λ", Pi: "Π", Sigma: "Σ", Phi: "Φ", Omega: "Ω",
    infty: "∞", le: "≤", leq: "≤", ge: "≥", geq: "≥", ne: "≠", neq: "≠", approx: "≈",
    to: "→", in: "∈", times: "×", cdot: "·", sim: "∼", ldots: "…", dots: "…", sum: "Σ",
  };

  function texToText(tex) {
    return tex
      .replace(/^\\\(|\\\)$/g, "")
      .replace(/\\(?:mathbb|mathrm|mathbf|mathcal|operatorname|text|textrm)\s*\{([^{}]*)\}/g, "$1")
      .replace(/\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, "($1)/($2)")
      .replace(/\\([A-Za-z]+)/g, (match, name) => (name in GREEK ? GREEK[name] : ""))
      .replace(/\\[,;:! ]/g, " ")
      .replace(/[{}]/g, "")
      .replace(/\s+/g, " ")
      .trim();
  }

  function install() {
    if (typeof Search === "undefined" || !Search.htmlToText) return;
    const original = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => {
      const doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll("div.math, .cell_input").forEach((el) => el.remove());
      doc.querySelectorAll("span.math").forEach((el) => {
        el.replaceWith(doc.createTextNode(texToText(el.textContent)));
      });
      return original(doc.documentElement.outerHTML, anchor);
    };
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", install);
  } else {
    install();
  }
})();
