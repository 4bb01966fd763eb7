"""Read a pip-compile lock (`name==version` + `--hash` lines + `# via` comments)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tools.build.errors import PackagingError

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s\\;]+)")
_HASH = re.compile(r"--hash=sha256:(?P<digest>[0-9a-f]{64})")


def canonical(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Pin:
    """One locked distribution."""

    name: str
    version: str
    hashes: tuple[str, ...]
    via: tuple[str, ...]

    @property
    def root(self) -> bool:
        """Requested directly by the .in file (not only pulled in by another pin)."""
        return any(parent.startswith("-r ") for parent in self.via)


def read_lock(path: Path) -> dict[str, Pin]:
    """Pins by canonical name; every pin must carry at least one sha256 hash."""
    if not path.is_file():
        raise PackagingError(f"lock {path} does not exist", "run `nox -s lock` and commit the result")
    pins: dict[str, Pin] = {}
    name = version = ""
    hashes: list[str] = []
    via: list[str] = []
    in_via = False

    def flush() -> None:
        if name:
            pins[canonical(name)] = Pin(name, version, tuple(hashes), tuple(via))

    for raw in path.read_text().splitlines():
        line = raw.strip()
        pin = _PIN.match(raw)
        digest = _HASH.search(line)
        if pin:
            flush()
            name, version, hashes, via, in_via = pin["name"], pin["version"], [], [], False
        elif name and digest and line.startswith("--hash="):
            hashes.append(digest["digest"])
        elif name and line.startswith("# via"):
            rest = line[len("# via") :].strip()
            via += [rest] if rest else []
            in_via = not rest
        elif name and in_via and line.startswith("#   "):
            via.append(line[4:].strip())
        elif line and not line.startswith("#") and not line.startswith("--"):
            raise PackagingError(
                f"lock {path} has an unpinned line {line!r}",
                "regenerate it with `nox -s lock`; never edit it by hand",
            )
    flush()
    unhashed = sorted(pin.name for pin in pins.values() if not pin.hashes)
    if unhashed:
        raise PackagingError(
            f"lock {path} pins {', '.join(unhashed)} without --hash", "regenerate it with `nox -s lock`"
        )
    if not pins:
        raise PackagingError(f"lock {path} pins nothing", "regenerate it with `nox -s lock`")
    return pins


def closure_excluded(pins: dict[str, Pin], seeds: set[str]) -> set[str]:
    """The seeds plus every pin that only excluded pins need (a pin the .in asks for is kept)."""
    excluded = {canonical(s) for s in seeds if canonical(s) in pins}
    changed = True
    while changed:
        changed = False
        for key, pin in pins.items():
            if key in excluded or pin.root or not pin.via:
                continue
            if all(canonical(parent) in excluded for parent in pin.via):
                excluded.add(key)
                changed = True
    return excluded


def write_subset(pins: dict[str, Pin], keys: set[str], out: Path) -> Path:
    """A lock with only `keys` (same pins and hashes): pip downloads nothing the layer does not use."""
    lines = []
    for key in sorted(keys):
        pin = pins[key]
        lines.append(
            f"{pin.name}=={pin.version} \\\n" + " \\\n".join(f"    --hash=sha256:{h}" for h in pin.hashes)
        )
    out.write_text("\n".join(lines) + "\n")
    return out
