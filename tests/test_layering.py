"""The library does not depend on the web layer: importing `kg` and every `kg.*` module loads neither the
API nor FastAPI, Starlette or uvicorn (`ctkg serve` imports the API itself, inside the command)."""

import json
import subprocess
import sys

WEB_LAYER = ("api", "fastapi", "starlette", "uvicorn")

IMPORT_EVERY_KG_MODULE = f"""
import importlib, json, pkgutil, sys
import kg
names = sorted(m.name for m in pkgutil.walk_packages(kg.__path__, "kg."))
for name in names:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {WEB_LAYER!r})
print(json.dumps({{"modules": names, "web_layer": loaded}}))
"""


def test_importing_the_library_loads_no_web_layer():
    done = subprocess.run([sys.executable, "-c", IMPORT_EVERY_KG_MODULE], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert "kg.cli" in imported["modules"] and "kg.settings" in imported["modules"]
    assert imported["web_layer"] == [], f"importing kg loaded {imported['web_layer']}"
