"""Solara's browser files for a machine without the public CDN: ``python -m sim.dashboard.assets``.

The Solara server hands the browser its frontend (the Vuetify app, RequireJS, Font Awesome) from
a local cache, which it fills from a public CDN on first use. Where that CDN is out of reach
(a build machine that reaches only package registries) the page stays blank. This module lists
the npm packages the installed Solara's page template asks for (:func:`needed`) and fills the
cache from the npm registry with the ordinary ``npm pack`` client (:func:`fill`), so the server
never needs the CDN. Nothing here is needed where the CDN is reachable.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

_CDN_PATH = re.compile(r"\{\{\s*cdn\s*\}\}/((?:@[\w.-]+/)?[\w.-]+)@(\d[\w.-]*)/")
_SPEC = re.compile(r"^/?((?:@[\w.-]+/)?[\w.-]+)@(\d[\w.-]*)/")


def cache_dir() -> Path:
    """Where the Solara server looks for its frontend files (its CDN proxy cache)."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def needed() -> list[str]:
    """The npm packages (``name@version``) that the installed Solara's page loads."""
    import solara.server
    from solara.server import settings

    template = Path(solara.server.__file__).parent / "templates" / "solara.html.j2"
    specs = {f"{name}@{version}" for name, version in _CDN_PATH.findall(template.read_text())}
    fontawesome = _SPEC.match(settings.assets.fontawesome_path)
    if settings.assets.fontawesome_enabled and fontawesome:
        specs.add(f"{fontawesome.group(1)}@{fontawesome.group(2)}")
    return sorted(specs)


def missing(cache: Path | None = None) -> list[str]:
    """The packages of :func:`needed` not in the cache yet."""
    cache = cache_dir() if cache is None else cache
    return [spec for spec in needed() if not (cache / spec).is_dir()]


def fill(cache: Path | None = None, npm: str | None = None) -> list[str]:
    """Put every missing package into the cache (``npm pack`` from the npm registry); returns
    the packages added. Raises RuntimeError when npm is not installed or a download fails."""
    cache = cache_dir() if cache is None else cache
    todo = missing(cache)
    if not todo:
        return []
    npm = npm or shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "npm is not installed: it fetches Solara's browser files from the npm registry "
            f"({', '.join(todo)}); install it (Debian: apt-get install npm) or reach the CDN"
        )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for spec in todo:
            out = subprocess.run(
                [npm, "pack", spec, "--silent", "--pack-destination", str(work)],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if out.returncode != 0:
                raise RuntimeError(f"npm pack {spec} failed: {out.stderr.strip()[-500:]}")
            tarball = work / out.stdout.strip().splitlines()[-1]
            unpacked = work / f"unpacked-{tarball.stem}"
            with tarfile.open(tarball) as tar:
                tar.extractall(unpacked, filter="data")
            target = cache / spec
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(unpacked / "package"), str(target))
    return todo


def main() -> int:
    """Fill the cache; print what was added."""
    try:
        added = fill()
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    where = cache_dir()
    print(f"added {', '.join(added)} to {where}" if added else f"up to date: {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
