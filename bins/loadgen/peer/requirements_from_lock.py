"""Prints the template backend's runtime requirements pinned at its uv.lock
versions (`name==version`, one per line), for pip.

The closure starts at the workspace member `app` with the extras it asks
for (fastapi[standard], psycopg[binary], ...), leaves out dev groups, and
drops dependencies whose markers name another platform.

    python requirements_from_lock.py path/to/uv.lock
"""

import re
import sys
import tomllib

OTHER_PLATFORMS = re.compile(
    r"==\s*'(win32|darwin|Windows|Darwin|emscripten|cygwin|PyPy|pypy)'"
)


def applies(dependency):
    marker = dependency.get("marker", "")
    return not OTHER_PLATFORMS.search(marker)


def main(path):
    with open(path, "rb") as lock_file:
        lock = tomllib.load(lock_file)
    packages = {}
    for package in lock["package"]:
        # Several versions of one name differ by Python version: keep the
        # first, the lock's order puts the oldest Python's first.
        packages.setdefault(package["name"], package)
    wanted = {}
    queue = [("app", tuple())]
    seen = set()
    while queue:
        name, extras = queue.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        package = packages[name]
        if package["source"].get("registry"):
            wanted[name] = package["version"]
        for dependency in package.get("dependencies", []):
            if applies(dependency):
                queue.append((dependency["name"], tuple(dependency.get("extra", []))))
        for extra in extras:
            for dependency in package.get("optional-dependencies", {}).get(extra, []):
                if applies(dependency):
                    queue.append((dependency["name"], tuple(dependency.get("extra", []))))
    for name in sorted(wanted):
        print(f"{name}=={wanted[name]}")


if __name__ == "__main__":
    main(sys.argv[1])
