"""The README's gallery shows the charts scripts/make_gallery.py makes with the current code."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_script():
    spec = importlib.util.spec_from_file_location(
        "make_gallery", ROOT / "scripts" / "make_gallery.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_gallery_script_makes_every_image_the_readme_shows(tmp_path):
    gallery = load_script()
    written = gallery.make_gallery(tmp_path, months=4, replications=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(gallery.gallery_files())
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"\(docs/gallery/([\w.]+\.png)\)", readme)
    assert sorted(shown) == sorted(gallery.gallery_files())
    committed = sorted(p.name for p in (ROOT / "docs" / "gallery").glob("*.png"))
    assert committed == sorted(gallery.gallery_files())
