"""The stance model: the only module that imports torch, transformers and peft.

An NLI cross-encoder (a base from ``processors.bases``, all-mpnet-base-v2 by default, plus the project's
LoRA adapter and classification head, merged at load) scores two hypotheses per query, built from the
topic file: "<Country> <support phrase>." and "<Country> <oppose phrase>." The premise arrives with the
asked country's mentions marked (``processors.markers``). A calibrated head
(``processors.head.StanceHead``: temperature on the NLI logits, then a 6->4 multinomial logistic layer
fitted here on held-out data from the training sets) turns the two E/N/C distributions into
support/oppose/neutral/none.

Any other sequence-classification NLI model (a directory or hub name) can stand in; its entailment,
neutral and contradiction outputs are found through ``config.id2label``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch
from peft import PeftModel
from transformers import AutoModelForSequenceClassification, AutoTokenizer
from transformers.utils import logging as hf_logging

from core.settings import load_settings
from core.vocabulary import Topic, load_vocabulary
from processors import bases
from processors.head import (
    HEAD_FILE,
    NLI_ID2LABEL,
    STANCES,
    ModelError,
    StanceHead,
    StanceQuery,
    StanceScores,
    heuristic_weights,
)
from processors.hypotheses import COUNTRY_NAMES, hypothesis, premise

hf_logging.set_verbosity_error()
hf_logging.disable_progress_bar()  # a "Loading weights" bar per start is chatter in a stage's log

DEFAULT_VERSION = "mpnet-nli-v2.1"
# The committed model directories, shipped as package data (read through importlib.resources, so an
# installed wheel finds them next to the package; pyproject.toml lists them).
MODELS_DIR = Path(str(resources.files("processors") / "models"))
MAX_LENGTH = 128
_MISSING = -1.0e4


def load_base(base: bases.Base, cache_dir: Path | None = None) -> tuple[Any, Any]:
    """The verified base encoder with a fresh 3-way NLI head, and its tokenizer (offline only)."""
    try:
        directory = bases.locate(base, cache_dir or load_settings().cache_dir)
        bases.verify(directory, base)
    except bases.BaseError as exc:
        raise ModelError(str(exc)) from None
    model = AutoModelForSequenceClassification.from_pretrained(
        str(directory),
        num_labels=3,
        id2label=NLI_ID2LABEL,
        label2id={v: k for k, v in NLI_ID2LABEL.items()},
        local_files_only=True,
    )
    tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
    return model, tokenizer


def model_dir(name: str) -> Path:
    """A committed model's directory by name (``mpnet-nli-v2.1``), or ``name`` itself as a path."""
    committed = MODELS_DIR / name
    return committed if "/" not in name and committed.is_dir() else Path(name).expanduser()


def adapter_base(directory: Path) -> bases.Base:
    """The base a committed adapter was trained on (``base_model_name_or_path`` in its config)."""
    try:
        config = json.loads((directory / "adapter_config.json").read_text(encoding="utf-8"))
        return bases.base_of_adapter(str(config.get("base_model_name_or_path", "")))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read adapter config in {directory}: {exc}") from None
    except bases.BaseError as exc:
        raise ModelError(str(exc)) from None


PRECISIONS = ("auto", "fp32", "bf16")


def resolve_precision(precision: str) -> str:
    """``auto``: bf16 where the CPU computes it natively (oneDNN: AVX-512 BF16 or AMX), else fp32. On
    the development machine bf16 classifies korea-news-dev 3.4x faster at the same F1 (make
    bench-classify); emulated bf16 would be slower than fp32."""
    if precision not in PRECISIONS:
        raise ModelError(f"unknown precision {precision!r} (known: {', '.join(PRECISIONS)})")
    if precision == "auto":
        return "bf16" if torch.ops.mkldnn._is_mkldnn_bf16_supported() else "fp32"
    return precision


def with_precision(model: Any, precision: str) -> Any:
    """The merged model for CPU serving at a resolved ``precision``: fp32 as trained, or bf16 weights and
    activations. (Dynamic int8 quantization was measured too: it broke the model, F1 0.0.)"""
    return model.to(torch.bfloat16) if precision == "bf16" else model


def nli_indices(id2label: dict[int, str]) -> tuple[int, int, int]:
    """Output indices of entailment, neutral and contradiction (-1 when a model lacks one)."""
    found = {"entailment": -1, "neutral": -1, "contradiction": -1}
    for idx, name in id2label.items():
        low = str(name).lower()
        for key in found:
            if low.startswith(key[:6]) and found[key] < 0:
                found[key] = int(idx)
        if low in ("not_entailment", "non_entailment") and found["neutral"] < 0:
            found["neutral"] = int(idx)
    if found["entailment"] < 0:
        raise ModelError(f"model has no entailment label in config.id2label={id2label}")
    return found["entailment"], found["neutral"], found["contradiction"]


class NLIEncoder:
    """Batched, length-sorted, dynamically padded NLI scoring; returns (E, N, C) logits per pair."""

    def __init__(self, model: Any, tokenizer: Any, max_length: int = MAX_LENGTH) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.index = nli_indices(dict(model.config.id2label))

    def batch(self, pairs: Sequence[tuple[str, str]]) -> dict[str, torch.Tensor]:
        return self.tokenizer(
            [p for p, _ in pairs],
            [h for _, h in pairs],
            truncation="only_first",
            max_length=self.max_length,
            padding=True,
            return_tensors="pt",
        )

    def logits(
        self, pairs: Sequence[tuple[str, str]], batch_size: int = 32
    ) -> list[tuple[float, float, float]]:
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        out: list[tuple[float, float, float]] = [(0.0, 0.0, 0.0)] * len(pairs)
        was_training = self.model.training
        self.model.eval()
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                rows = self.model(**self.batch([pairs[i] for i in idx])).logits.float().tolist()
                for i, row in zip(idx, rows, strict=True):
                    e, n, c = (row[j] if j >= 0 else _MISSING for j in self.index)
                    out[i] = (e, n, c)
        self.model.train(was_training)
        return out


class StanceModel:
    """Scores (sentence, country, topic) queries; load once, call ``predict`` with batches."""

    def __init__(
        self,
        encoder: NLIEncoder,
        head: StanceHead,
        version: str,
        topics: Mapping[str, Topic],
        country_names: Mapping[str, str] = COUNTRY_NAMES,
    ) -> None:
        self.encoder = encoder
        self.head = head
        self.version = version
        self.topics = topics
        self.country_names = country_names

    @classmethod
    def load(
        cls,
        path: str | None = None,
        topics_file: Path | None = None,
        cache_dir: Path | None = None,
        precision: str = "auto",
        countries_file: Path | None = None,
    ) -> StanceModel:
        """None/"" = the committed default; a directory with ``adapter_config.json`` = a LoRA adapter over
        the base it names (fetched into ``cache_dir``); anything else = a seq-classification NLI model
        directory or hub name. ``precision``: see ``with_precision`` (the version names any but fp32).
        Hypotheses use the vocabulary of ``countries_file`` and ``topics_file`` (``core.vocabulary``), so
        an added country or topic is asked about by name."""
        vocabulary = load_vocabulary(countries_file, topics_file)
        topics = {t.id: t for t in vocabulary.topics}
        names = vocabulary.country_names
        target = Path(path) if path else MODELS_DIR / DEFAULT_VERSION
        if (target / "adapter_config.json").is_file():
            base, tokenizer = load_base(adapter_base(target), cache_dir)
            merged = PeftModel.from_pretrained(base, str(target)).merge_and_unload().eval()
            head_file = target / HEAD_FILE
            head = StanceHead.from_file(head_file) if head_file.is_file() else StanceHead()
            precision = resolve_precision(precision)
            merged = with_precision(merged, precision)
            version = target.name if precision == "fp32" else f"{target.name}+{precision}"
            return cls(NLIEncoder(merged, tokenizer), head, version, topics, names)
        if not path:
            raise ModelError(f"committed model missing at {target}; run 'stancewatch train'")
        if path.startswith((".", "/", "~")) and not target.is_dir():
            raise ModelError(f"cannot load model {path!r}: no such directory")
        try:
            model = AutoModelForSequenceClassification.from_pretrained(path)
            tokenizer = AutoTokenizer.from_pretrained(path)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load model {path!r}: {str(exc).splitlines()[0]}") from None
        head_file = Path(path) / HEAD_FILE
        head = StanceHead.from_file(head_file) if head_file.is_file() else StanceHead()
        version = head.version if head_file.is_file() else f"external:{path}"
        return cls(NLIEncoder(model.eval(), tokenizer), head, version, topics, names)

    def hypotheses(self, country: str, topic: str) -> tuple[str, str]:
        phrases = self.topics.get(topic)
        if phrases is None:
            raise ValueError(f"unknown topic {topic!r} (known: {', '.join(self.topics)})")
        names = self.country_names
        return hypothesis(country, phrases, "support", names), hypothesis(country, phrases, "oppose", names)

    def predict(self, queries: Sequence[StanceQuery], batch_size: int = 32) -> list[StanceScores]:
        items = []
        for q in queries:
            sup, opp = self.hypotheses(q.country, q.topic)
            items.append((premise(q.sentence, q.context), sup, opp))
        return self.predict_hypotheses(items, batch_size)

    def predict_hypotheses(
        self, items: Sequence[tuple[str, str, str]], batch_size: int = 32
    ) -> list[StanceScores]:
        """Scores for (premise, support hypothesis, oppose hypothesis) triples."""
        return [self.head.scores(s, o) for s, o in self.raw_logits(items, batch_size)]

    def raw_logits(
        self, items: Sequence[tuple[str, str, str]], batch_size: int = 32
    ) -> list[tuple[tuple[float, float, float], tuple[float, float, float]]]:
        unique: dict[tuple[str, str], int] = {}
        for prem, sup, opp in items:
            unique.setdefault((prem, sup), len(unique))
            unique.setdefault((prem, opp), len(unique))
        logits = self.encoder.logits(list(unique), batch_size)
        return [(logits[unique[(p, s)]], logits[unique[(p, o)]]) for p, s, o in items]

    def export(self, out_dir: Path) -> None:
        """Write a standard transformers seq-classification directory (merged weights, tokenizer,
        id2label entailment/neutral/contradiction) plus the calibrated ``stance_head.json``."""
        out_dir.mkdir(parents=True, exist_ok=True)
        model = self.encoder.model
        if self.encoder.index != (0, 1, 2):
            raise ModelError("export supports models whose outputs are entailment, neutral, contradiction")
        model.config.id2label = dict(NLI_ID2LABEL)
        model.config.label2id = {v: k for k, v in NLI_ID2LABEL.items()}
        model.save_pretrained(str(out_dir), safe_serialization=True)
        self.encoder.tokenizer.save_pretrained(str(out_dir))
        (out_dir / HEAD_FILE).write_text(self.head.to_json(), encoding="utf-8")


# --- training primitives (driven by processors.training.run; torch stays in this module) -------------


@dataclass(frozen=True)
class LoraSettings:
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.05
    learning_rate: float = 8e-4
    weight_decay: float = 0.01
    warmup_fraction: float = 0.06
    max_length: int = MAX_LENGTH
    base: str = bases.DEFAULT_BASE


class LoraTrainer:
    """LoRA fine-tuning of the packaged base as a 3-way NLI classifier, one ``step`` per batch."""

    def __init__(self, settings: LoraSettings, total_steps: int, seed: int) -> None:
        from peft import LoraConfig, get_peft_model

        torch.manual_seed(seed)
        self.settings = settings
        self.base = bases.base_named(settings.base)
        base, tokenizer = load_base(self.base)
        config = LoraConfig(
            r=settings.rank,
            lora_alpha=settings.alpha,
            lora_dropout=settings.dropout,
            target_modules=list(self.base.lora_targets),
            modules_to_save=list(self.base.modules_to_save),
        )
        self.model = get_peft_model(base, config)
        self.model.train()
        self.encoder = NLIEncoder(self.model, tokenizer, settings.max_length)
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(
            params, lr=settings.learning_rate, weight_decay=settings.weight_decay
        )
        self.total_steps = total_steps  # may be lowered mid-run (time budget); the decay follows it
        warmup = max(1, int(total_steps * settings.warmup_fraction))
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer,
            lambda s: min(
                (s + 1) / warmup, max(0.0, (self.total_steps - s) / max(1, self.total_steps - warmup))
            ),
        )
        self.label_ids = {v: k for k, v in NLI_ID2LABEL.items()}

    def warm_start(self, adapter_dir: Path) -> None:
        """Start from a committed adapter's weights (LoRA and classifier) instead of a fresh LoRA init; the
        adapter must be of this trainer's base and LoRA shape. The optimizer and schedule start fresh."""
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        weights, config = adapter_dir / "adapter_model.safetensors", adapter_dir / "adapter_config.json"
        try:
            saved = json.loads(config.read_text(encoding="utf-8"))
            state = load_file(str(weights))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot start from {adapter_dir}: {str(exc).splitlines()[0]}") from None
        if self.base.weights_sha256 not in str(saved.get("base_model_name_or_path", "")):
            raise ModelError(f"cannot start from {adapter_dir}: its adapter is of another base")
        shape = (saved.get("r"), saved.get("lora_alpha"), set(saved.get("target_modules") or ()))
        if shape != (self.settings.rank, self.settings.alpha, set(self.base.lora_targets)):
            raise ModelError(f"cannot start from {adapter_dir}: its LoRA rank, alpha or targets differ")
        result = set_peft_model_state_dict(self.model, state)
        unexpected = list(getattr(result, "unexpected_keys", ()))
        if unexpected:
            extra = ", ".join(unexpected[:3])
            raise ModelError(f"cannot start from {adapter_dir}: weights this base lacks ({extra})")

    def trainable_parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters() if p.requires_grad)

    def step(self, pairs: Sequence[tuple[str, str]], labels: Sequence[str]) -> float:
        batch = self.encoder.batch(pairs)
        target = torch.tensor([self.label_ids[lab] for lab in labels], dtype=torch.long)
        loss = self.model(**batch, labels=target).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in self.model.parameters() if p.requires_grad], 1.0)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return float(loss.detach())

    def checkpoint(self, path: Path, state: dict[str, Any]) -> None:
        """Write the trainable weights, optimizer, schedule, torch RNG and ``state`` to ``path``
        atomically (a crash mid-write leaves the previous checkpoint)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        trainable = {k: v for k, v in self.model.state_dict().items() if _trainable_key(self.model, k)}
        payload = {
            "weights": trainable,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "state": state,
        }
        tmp = path.with_suffix(".tmp")
        torch.save(payload, tmp)
        tmp.replace(path)

    def restore(self, path: Path) -> dict[str, Any]:
        """Load a checkpoint written by ``checkpoint``; return its ``state``."""
        try:
            payload = torch.load(path, weights_only=False)
            self.model.load_state_dict(payload["weights"], strict=False)
            self.optimizer.load_state_dict(payload["optimizer"])
            self.scheduler.load_state_dict(payload["scheduler"])
            torch.set_rng_state(payload["torch_rng"])
        except (OSError, RuntimeError, KeyError, ValueError) as exc:
            raise ModelError(f"cannot resume from {path}: {str(exc).splitlines()[0]}") from None
        return dict(payload["state"])

    def save(self, out_dir: Path, head: StanceHead) -> None:
        """Write the adapter (LoRA weights + head, safetensors) and the calibrated stance head."""
        out_dir.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(str(out_dir), safe_serialization=True)
        (out_dir / "README.md").unlink(missing_ok=True)  # peft's boilerplate card; MODEL_CARD.md is ours
        cfg_path = out_dir / "adapter_config.json"
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
        cfg["base_model_name_or_path"] = (
            f"{self.base.origin} (model.safetensors sha256 {self.base.weights_sha256})"
        )
        cfg_path.write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        (out_dir / HEAD_FILE).write_text(head.to_json() + "\n", encoding="utf-8")

    def stance_model(self, head: StanceHead, version: str, topics_file: Path | None = None) -> StanceModel:
        topics = {t.id: t for t in load_vocabulary(topics_file=topics_file).topics}
        return StanceModel(self.encoder, head, version, topics)


def _trainable_key(model: Any, key: str) -> bool:
    return "lora_" in key or "modules_to_save" in key


def fit_temperature(logits: Sequence[Sequence[float]], labels: Sequence[str]) -> float:
    """Temperature minimising the NLL of held-out NLI logits (E, N, C order)."""
    x = torch.tensor(logits, dtype=torch.float64)
    y = torch.tensor([{v: k for k, v in NLI_ID2LABEL.items()}[lab] for lab in labels])
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x / log_t.exp(), y)
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.detach().exp().clamp(0.05, 20.0))


def fit_head(
    head: StanceHead,
    raw: Sequence[tuple[Sequence[float], Sequence[float]]],
    gold: Sequence[str],
    l2: float = 1e-3,
    version: str = "calibrated",
) -> StanceHead:
    """Multinomial logistic layer (Platt scaling generalised to 4 classes) over the two hypotheses'
    temperature-scaled log-probs, started from the heuristic mapping, fitted on held-out queries."""
    feats = torch.tensor([head.features(s, o) for s, o in raw], dtype=torch.float64)
    y = torch.tensor([STANCES.index(g) for g in gold])
    init = torch.tensor(heuristic_weights(), dtype=torch.float64)
    w = init.clone().requires_grad_(True)
    opt = torch.optim.LBFGS([w], lr=0.5, max_iter=300)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(feats @ w.T, y) + l2 * ((w - init) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    weights = tuple(tuple(float(v) for v in row) for row in w.detach().tolist())
    return StanceHead(head.temperature, weights, version)


def get_threads() -> int:
    return int(torch.get_num_threads())


def set_threads(threads: int) -> None:
    """Torch CPU threads; on a busy machine one thread beats oversubscribed ones."""
    torch.set_num_threads(max(1, threads))
