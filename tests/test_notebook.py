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
    "setup": (
        "from mailroute_dyn import Client\nfrom mailroute_dyn.fake import FakeMailRoute\n"
        "fake = FakeMailRoute(login='demo', api_key='demo-key')\n"
        "client = Client.demo(transport=fake)"
    ),
    "queryset": "client.email_account.filter(domain__name='acme-001.com')",
    "object": "client.domain.first()",
    "class": "client.domain",
    "pandas": (
        "client.preload(); fake.requests.clear()\n"
        "df = client.notification_account_task.to_pandas(\n"
        "    'id', 'enabled', 'email_account', 'email_account__localpart')\n"
        "print(dict(df.dtypes.astype(str)), len(fake.requests))\n"
        "df"
    ),
}


def _run(cells: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Execute the cells in a fresh kernel; the outputs of each, by name."""
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(source) for source in cells.values()]
    nbclient.NotebookClient(book, timeout=60, kernel_name="python3").execute()
    return {name: cell.outputs for name, cell in zip(cells, book.cells, strict=True)}


def _html(outputs: list[dict[str, Any]]) -> str:
    shown = [
        o["data"]["text/html"]
        for o in outputs
        if o.get("output_type") == "execute_result" and "text/html" in o.get("data", {})
    ]
    assert shown, outputs
    return str(shown[0])


def test_a_notebook_shows_querysets_objects_and_classes_as_html_tables():
    outputs = _run(CELLS)
    assert "shown of" in _html(outputs["queryset"]) and "<td>info</td>" in _html(
        outputs["queryset"]
    )
    assert "<th>field</th><th>type</th><th>value</th>" in _html(outputs["object"])
    assert "<th>field</th><th>type</th><th>flags</th>" in _html(outputs["class"])


def test_a_notebook_gets_typed_columns_and_a_followed_relation_in_two_requests():
    pytest.importorskip("pandas")
    outputs = _run({"setup": CELLS["setup"], "pandas": CELLS["pandas"]})["pandas"]
    printed = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert (
        "{'id': 'Int64', 'enabled': 'boolean', 'email_account': 'Int64', 'email_account__localpart'"
    ) in printed
    assert printed.rstrip().endswith("} 2")  # one list page, one id__in read
    assert "<td>info</td>" in _html(outputs)
