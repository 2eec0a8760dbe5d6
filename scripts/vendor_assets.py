"""Copy the front-end libraries installed by npm into static/vendor.

The file names carry the package version (htmx-4.0.1.min.js) so a new release
never hides behind a browser cache. A manifest maps package name to file so the
templates do not hard-code versions.
"""

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"

# package name -> (file inside the package, stem used in static/vendor)
ASSETS = {
    "htmx.org": ("dist/htmx.min.js", "htmx"),
    "sortablejs": ("Sortable.min.js", "sortable"),
    "axe-core": ("axe.min.js", "axe"),
}


def main() -> int:
    VENDOR.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for package, (source, stem) in ASSETS.items():
        package_dir = MODULES / package
        if not package_dir.is_dir():
            print(f"missing node_modules/{package}: run `npm ci` first", file=sys.stderr)
            return 1
        version = json.loads((package_dir / "package.json").read_text())["version"]
        target_name = f"{stem}-{version}.min.js"
        shutil.copyfile(package_dir / source, VENDOR / target_name)
        manifest[package] = target_name
    (VENDOR / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
