"""Read a whole index version into a directory and load it from there (the refresh side, tests)."""

from __future__ import annotations

from pathlib import Path

from thoth.shared.errors import IndexFormatError
from thoth.shared.index.expect import MANIFEST, check_model, check_names, read_manifest
from thoth.shared.index.fetch import download_checked, local_reader, write_atomic
from thoth.shared.index.format import FILES, INDEX_FILE, TEXTS_FILE, Manifest, version_prefix
from thoth.shared.index.loaded import LoadedIndex, parse_index
from thoth.shared.index.table import check_table
from thoth.shared.storage import ObjectStore


def download_version(store: ObjectStore, source: str, version: str, cache_dir: Path) -> Path:
    """`cache_dir/<source>/<version>/` with every file, each sha256-verified; manifest last."""
    final = Path(cache_dir) / source / version
    if all((final / name).is_file() for name in (*FILES, MANIFEST)):
        return final
    prefix = version_prefix(source, version)
    manifest, manifest_bytes = read_manifest(store, source, version)
    check_names(manifest, source, version)
    final.mkdir(parents=True, exist_ok=True)
    (final / MANIFEST).unlink(missing_ok=True)
    for name in FILES:
        download_checked(store, prefix, name, manifest.files[name], final / name)
    write_atomic(final / MANIFEST, manifest_bytes)
    return final


def load_version(directory: Path, expected_fingerprint: str | None = None) -> LoadedIndex:
    """Load a downloaded version; IndexFormatError if it is inconsistent or built by another model."""
    directory = Path(directory)
    try:
        manifest = Manifest.from_bytes((directory / MANIFEST).read_bytes())
    except FileNotFoundError:
        raise IndexFormatError(f"{directory} holds no {MANIFEST}") from None
    check_model(manifest, expected_fingerprint)
    check_table(manifest, None)  # shapes and the inflation ratio, before index.bin is read
    for name in FILES:
        path = directory / name
        if not path.is_file() or path.stat().st_size != manifest.files[name]["bytes"]:
            raise IndexFormatError(f"{directory} has no complete {name}; download the version again")
    return parse_index(
        manifest, (directory / INDEX_FILE).read_bytes(), local_reader(directory / TEXTS_FILE), directory
    )
