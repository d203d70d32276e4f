#!/usr/bin/env python3
"""Checks that no #include in gateway/ or netfilter/ runs from a lower room to a
higher one (docs/architecture.md has the order and the reasons).

Usage: scripts/include_layers.py [--graph]   (from anywhere; exits 1 on an upward include)
  --graph  also prints which room includes which (one line per pair, with a count)
"""
import pathlib
import re
import sys

# Lowest first. A room may include its own files and those of any lower room.
# Rooms on one line are side by side: neither may include the other.
LAYERS = [
    ["basics"],
    ["http", "tls", "icap"],
    ["policy"],
    ["log"],
    ["capture", "metrics", "portal"],
    ["flow"],
    ["netfilter"],
    ["daemon"],
    ["main"],
]
LEVEL = {room: level for level, rooms in enumerate(LAYERS) for room in rooms}

INCLUDE = re.compile(r'^\s*#\s*include\s+"((?:gateway|netfilter)/[^"]+)"', re.M)


def room_of(path: str) -> str:
    """gateway/tls/forge.hpp -> tls; gateway/config.hpp -> basics; gateway/main.cpp -> main."""
    parts = path.split("/")
    if parts[0] == "netfilter":
        return "netfilter"
    if len(parts) == 2:
        return "main" if parts[1] == "main.cpp" else "basics"
    return parts[1]


def main() -> int:
    root = pathlib.Path(__file__).resolve().parent.parent
    files = sorted(p for d in ("gateway", "netfilter") for p in (root / d).rglob("*") if p.suffix in (".hpp", ".cpp"))
    errors = []
    pairs = {}
    for file in files:
        rel = file.relative_to(root).as_posix()
        source = room_of(rel)
        if source not in LEVEL:
            errors.append(f"{rel}: room '{source}' has no place in the layer order (scripts/include_layers.py)")
            continue
        for target_path in INCLUDE.findall(file.read_text()):
            target = room_of(target_path)
            if target == source:
                continue
            pairs[(source, target)] = pairs.get((source, target), 0) + 1
            if target not in LEVEL or LEVEL[target] >= LEVEL[source]:
                errors.append(f"{rel}: includes {target_path} ({source} may not include {target})")
    if "--graph" in sys.argv[1:]:
        for (source, target), count in sorted(pairs.items(), key=lambda kv: (LEVEL[kv[0][0]], kv[0])):
            print(f"{source} -> {target} ({count})")
    for error in errors:
        print(error, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
