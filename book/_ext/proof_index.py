"""The index of definitions and theorems (``prf-prf.html``) lists results by their titles.

sphinx-proof's index lists each result under its label ("def-wright-fisher"), a name meant
for cross-references, not for readers. This extension records each result's title as the
page is read and lists results grouped by kind ("Definitions", "Theorems", ...), each as
its title with its chapter, in reading order.
"""

from __future__ import annotations

from docutils import nodes


def record_titles(app, doctree) -> None:
    """Store the title of every sphinx-proof result of this page in ``env.proof_list``."""
    proofs = getattr(app.env, "proof_list", {})
    for node in doctree.findall(nodes.Element):
        label = node.get("label") if "realtype" in node.attributes else None
        if not label or label not in proofs:
            continue
        title = node.next_node(nodes.title)
        text = title.astext().strip() if title is not None else ""
        if text.startswith("(") and text.endswith(")"):  # sphinx-proof's " (%t)" title format
            text = text[1:-1].strip()
        proofs[label]["title"] = text


def generate(self, docnames=None):
    """Entries grouped by kind, each the result's title and chapter, in the book's order."""
    env = self.domain.env
    proofs = getattr(env, "proof_list", {})
    order = {name: i for i, name in enumerate(_reading_order(env))}
    groups: dict[str, list] = {}
    for anchor, values in sorted(proofs.items(), key=lambda item: (order.get(item[1]["docname"], 1e9), item[0])):
        docname = values["docname"]
        chapter = env.titles[docname].astext() if docname in env.titles else docname
        kind = values["realtype"].capitalize()
        title = values.get("title") or anchor
        # (name, subtype, docname, anchor, extra, qualifier, description)
        groups.setdefault(f"{kind}s", []).append((title, 0, docname, anchor, chapter, "", kind.lower()))
    return sorted(groups.items()), False


def _reading_order(env) -> list[str]:
    """Documents in the order of the table of contents (the root's toctree, depth first)."""
    seen: list[str] = []

    def visit(docname: str) -> None:
        if docname in seen:
            return
        seen.append(docname)
        for child in env.toctree_includes.get(docname, []):
            visit(child)

    visit(env.config.root_doc)
    return seen


def setup(app):
    from sphinx_proof.domain import ProofIndex

    ProofIndex.localname = "Index of definitions and theorems"
    ProofIndex.generate = generate
    app.connect("doctree-read", record_titles)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
