"""The formats an alt-text placeholder accepts (``book/_ext/glued_alt_text.py``)."""

from __future__ import annotations

import importlib.util

import pytest

from tools.book_files import ROOT

spec = importlib.util.spec_from_file_location("glued_alt_text", ROOT / "book" / "_ext" / "glued_alt_text.py")
glued_alt_text = importlib.util.module_from_spec(spec)
spec.loader.exec_module(glued_alt_text)


@pytest.mark.parametrize("text, spec, expected", [
    ("0.6321", ".2f", "0.63"), ("1833", ",.0f", "1,833"), ("42.7", None, "42.7"),
    # significant figures in plain notation, where .2g would write 2.8e+02
    ("280.4", "2sig", "280"), ("1251.3", "2sig", "1,300"), ("6.43", "2sig", "6.4"),
    ("0.00293", "2sig", "0.0029"), ("99.6", "2sig", "100"), ("2564.0", "3sig", "2,560"),
])
def test_format_value(text, spec, expected):
    assert glued_alt_text.format_value(text, spec) == expected
