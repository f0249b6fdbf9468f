#!/usr/bin/env python3
# Keeps the Flatpak manifest at the root honest without the network or a Flatpak runtime: it
# parses, every downloaded source is pinned by url + sha256 (64 hex digits), the only local
# source is the app's own tree, and the app id, command and runtime agree with the desktop file
# and the metainfo. It does not build anything: whether the archives still match their checksums
# and whether the app builds in the GNOME SDK is known only from flatpak-builder.
# Usage: check-flatpak-manifest.py SOURCE_ROOT
# SPDX-License-Identifier: GPL-3.0-or-later
import json
import pathlib
import re
import sys
import xml.etree.ElementTree as ET

SHA256 = re.compile(r"^[0-9a-f]{64}$")


def main(root):
    root = pathlib.Path(root)
    desktops = sorted((root / "data").glob("*.desktop.in"))
    if len(desktops) != 1:
        return [f"expected one data/*.desktop.in, found {len(desktops)}"]
    app_id = desktops[0].name[: -len(".desktop.in")]
    path = root / (app_id + ".json")
    if not path.is_file():
        return [f"no Flatpak manifest {path.name} at the root (named after the desktop file)"]
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        return [f"{path.name}: not JSON: {e}"]

    errors = []
    got_id = manifest.get("app-id", manifest.get("id"))
    if got_id != app_id:
        errors.append(f"app-id {got_id!r} is not the desktop file's {app_id!r}")

    exec_line = next((line for line in desktops[0].read_text(encoding="utf-8").splitlines()
                      if line.startswith("Exec=")), "Exec=")
    exec_cmd = exec_line[len("Exec="):].split(" ")[0]
    if manifest.get("command") != exec_cmd:
        errors.append(f"command {manifest.get('command')!r} is not the desktop file's {exec_cmd!r}")

    metainfo = root / "data" / (app_id + ".metainfo.xml.in")
    if metainfo.is_file():
        mid = ET.parse(metainfo).getroot().findtext("id")
        if mid != app_id:
            errors.append(f"metainfo id {mid!r} is not {app_id!r}")
    else:
        errors.append(f"no data/{metainfo.name}")

    for key in ("runtime", "runtime-version", "sdk"):
        if not isinstance(manifest.get(key), str) or not manifest[key]:
            errors.append(f"no {key}")
    if not isinstance(manifest.get("finish-args"), list):
        errors.append("no finish-args list")

    modules = manifest.get("modules")
    if not isinstance(modules, list) or not modules:
        return errors + ["no modules"]
    n_sources = 0
    for i, module in enumerate(modules):
        if not isinstance(module, dict):
            errors.append(f"module {i} is not inline (a file reference is not checked here)")
            continue
        name = module.get("name", f"#{i}")
        last = i == len(modules) - 1
        sources = module.get("sources")
        if not isinstance(sources, list) or not sources:
            errors.append(f"module {name}: no sources")
            continue
        for source in sources:
            n_sources += 1
            if source.get("type") == "dir":
                if not (last and source.get("path") == "."):
                    errors.append(f"module {name}: a local dir source other than the app's tree")
                continue
            url, sha = source.get("url"), source.get("sha256")
            if not isinstance(url, str) or not url.startswith("https://"):
                errors.append(f"module {name}: source without an https url")
            if not isinstance(sha, str) or not SHA256.match(sha):
                errors.append(f"module {name}: source {url} without a 64-hex sha256")
    if modules and isinstance(modules[-1], dict) and modules[-1].get("buildsystem") != "meson":
        errors.append("the last module (the app) is not built with meson")
    if not errors:
        print(f"{path.name}: {app_id}, {len(modules)} modules, {n_sources} sources pinned or local")
    return errors


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: check-flatpak-manifest.py SOURCE_ROOT")
    problems = main(sys.argv[1])
    for p in problems:
        print(p, file=sys.stderr)
    sys.exit(1 if problems else 0)
