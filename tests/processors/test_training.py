"""Training data, hypotheses, metrics and a few-step training smoke run (the only training in tests)."""

from __future__ import annotations

import json
import os
import random
import re
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest

from core.vocabulary import Topic, VocabularyError, load_vocabulary
from processors.hypotheses import free_hypothesis, hypothesis, premise
from processors.lexicon import load_lexicon
from processors.training import contrast, data, synthetic
from processors.training.metrics import ece, macro_f1
from processors.training.phrasebook import ALIASES, QUOTES, TOPICS


def load_topic_phrases(path: Path | None = None) -> dict[str, Topic]:
    return {t.id: t for t in load_vocabulary(topics_file=path).topics}


def test_hypothesis_uses_country_name_and_topic_phrase() -> None:
    topics = load_topic_phrases()
    assert hypothesis("RU", topics["sanctions"], "support") == (
        "Russia favours imposing, keeping or tightening sanctions on North Korea."
    )
    assert hypothesis("US", topics["thaad"], "oppose").startswith("The United States opposes the THAAD")
    with pytest.raises(ValueError, match="unknown country"):
        hypothesis("XX", topics["thaad"], "support")
    with pytest.raises(ValueError, match="side"):
        hypothesis("US", topics["thaad"], "neutral")


def test_topic_file_errors_are_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(VocabularyError, match=r"missing\.yaml: no such file"):
        load_topic_phrases(tmp_path / "missing.yaml")
    bad = tmp_path / "t.yaml"
    bad.write_text("topics:\n  x:\n    description: d\n    support: s\n", encoding="utf-8")
    with pytest.raises(VocabularyError, match=r"t.yaml: topics.x: lacks oppose: add it"):
        load_topic_phrases(bad)


def test_premise_puts_context_first() -> None:
    assert premise("It  agreed.", "Tokyo spoke.") == "Tokyo spoke. It agreed."
    assert premise("It agreed.") == "It agreed."
    assert free_hypothesis("gun control", "oppose") == "The author opposes gun control."


def test_synthetic_is_deterministic_and_covers_every_country_topic_and_stance() -> None:
    a = synthetic.generate(3000, seed=5)
    assert a == synthetic.generate(3000, seed=5)
    assert a != synthetic.generate(3000, seed=6)
    assert {e.stance for e in a} == set(synthetic.STANCES)
    stated = {(e.country, e.topic) for e in a if e.stance in ("support", "oppose")}
    for country in synthetic.COUNTRIES:
        for topic in TOPICS:
            if (country, topic) != ("KP", "support_for_dprk"):
                assert (country, topic) in stated, (country, topic)


def test_held_out_phrases_never_appear_in_training_sentences() -> None:
    lists = [lst for spec in TOPICS.values() for key, lst in spec.items() if key != "noun"]
    lists += [lst for spec in QUOTES.values() for lst in spec.values()]
    held = [re.compile(re.escape(lst[-1]).replace(re.escape("{kp}"), ".+?")) for lst in lists]
    train_text = "\n".join(e.sentence for e in synthetic.generate(2000, seed=1))
    held_text = "\n".join(e.sentence for e in synthetic.generate(300, seed=2, held_out=True))
    assert not [h.pattern for h in held if h.search(train_text)]
    assert sum(bool(h.search(held_text)) for h in held) > 10


def test_stance_pairs_label_both_hypotheses_and_mark_the_asked_country() -> None:
    lexicon = load_lexicon()
    ex = synthetic.StanceExample(
        "Moscow backed it, unlike Tokyo.", "Russia spoke.", "RU", "sanctions", "oppose"
    )
    sup, opp = data.stance_pairs([ex], lexicon)
    assert (sup.label, opp.label) == ("contradiction", "entailment")
    assert sup.hypothesis.startswith("Russia favours") and opp.hypothesis.startswith("Russia opposes")
    assert sup.premise == "[Russia] spoke. [Moscow] backed it, unlike Tokyo."
    none = data.stance_pairs([ex.__class__("x", "", "JP", "thaad", "none")], lexicon)
    assert [p.label for p in none] == ["neutral", "neutral"]


def test_metrics() -> None:
    assert ece([0.9] * 10, [True] * 9 + [False]) == pytest.approx(0.0)
    assert ece([1.0, 1.0], [False, False]) == pytest.approx(1.0)
    assert macro_f1(["a", "b", "a"], ["a", "b", "b"], ("a", "b")) == pytest.approx((2 / 3 + 2 / 3) / 2)


def test_loaders_read_shared_data(shared_dir: Path) -> None:
    root = shared_dir / "data"
    train, held = data.load_mnli(root, "train"), data.load_mnli(root, "heldout")
    assert len(train) + len(held) == 10071 and 800 < len(held) < 1300
    assert not {p.premise + p.hypothesis for p in train} & {p.premise + p.hypothesis for p in held}
    test = data.load_vast(root, "test")
    assert len(test) == 3006 and sum(r.zero_shot for r in test) == 1460
    assert {r.stance for r in test} == {"support", "oppose", "neutral"}
    persp = data.load_perspectrum(root, "dev", 300, seed=1)
    assert {p.label for p in persp} == {"entailment", "contradiction", "neutral"}
    assert len(data.load_newsmtsc(root, 50, seed=1)) == 50


def test_missing_data_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(data.DataError, match="training data file not found"):
        data.load_mnli(tmp_path, "train")


def tiny_recipe(**changes: Any) -> Any:
    """A recipe of a few small batches over a few items of every source (seconds, not minutes)."""
    from processors.training.run import TrainConfig

    small = dict(
        steps=2,
        batch_size=4,
        synthetic_sentences=20,
        mnli_limit=8,
        vast_limit=4,
        perspectrum_limit=4,
        newsmtsc_limit=4,
        calibration_sentences=12,
        evaluation_sentences=8,
        vast_dev_rows=8,
        vast_test_limit=6,
        mnli_heldout_limit=8,
        news_style_repeats=1,
        version="smoke",
    )
    return TrainConfig(**{**small, **changes})


@pytest.mark.model
def test_few_step_training_smoke_run(shared_dir: Path, tmp_path: Path) -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    from processors.model import StanceModel, StanceQuery
    from processors.training.run import train

    cfg = tiny_recipe(news_style_files=None)  # every news-style file, which the card's command must say
    out = tmp_path / "smoke"
    metrics = train(cfg, shared_dir / "data", out)
    assert metrics["steps"] == 2
    from processors.training import news_style

    every_item = news_style.item_count()
    assert metrics["news_style_items"] == every_item > news_style.item_count(news_style.TRAINED_FILES)
    assert metrics["mix"]["korea-news-style"] > 300  # type: ignore[index]
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "news_style*.jsonl" in card and "[Russia]" in card
    # the card's command reproduces the run: a second stage from the committed recipe's first
    options = f"--news-style-repeats 1 --every-news-style-file --init-from {cfg.init_from} --learning-rate"
    assert options in card
    assert "--version smoke --out DIR" in card
    size = sum(f.stat().st_size for f in out.iterdir())
    assert size < 25 * 1024 * 1024  # the limit for the committed artifact
    assert {"adapter_model.safetensors", "adapter_config.json", "stance_head.json", "MODEL_CARD.md"} <= {
        f.name for f in out.iterdir()
    }
    loaded = StanceModel.load(str(out))
    scores = loaded.predict([StanceQuery("Seoul backed the drills.", "", "KR", "military_exercises")])
    assert sum(scores[0].as_tuple()) == pytest.approx(1.0)


class Interrupted(Exception):
    pass


@pytest.mark.model
def test_an_interrupted_run_resumes_from_its_checkpoint(shared_dir: Path, tmp_path: Path) -> None:
    from processors.training.data import DataError
    from processors.training.run import CHECKPOINT, train

    cfg = tiny_recipe(steps=4, batch_size=2, checkpoint_every=2, news_style_repeats=0, version="resume")
    out = tmp_path / "resume"

    def stop_at_three(step: int, total: int, loss: float) -> None:
        if step == 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        train(cfg, shared_dir / "data", out, stop_at_three)
    assert (out / CHECKPOINT).is_file()  # written at step 2
    with pytest.raises(DataError, match=r"checkpoint .* is of another recipe"):
        train(replace(cfg, seed=cfg.seed + 1), shared_dir / "data", out, resume=True)
    seen: list[int] = []
    more_time = replace(cfg, max_minutes=cfg.max_minutes + 60)  # a budget change is no other recipe
    metrics = train(
        more_time, shared_dir / "data", out, lambda step, total, loss: seen.append(step), resume=True
    )
    assert seen == [3, 4]  # went on after the checkpointed step 2
    assert metrics["steps"] == 4
    assert not (out / CHECKPOINT).exists()


@pytest.mark.model
def test_a_warm_start_begins_from_the_committed_adapter() -> None:
    """`train --init-from` continues a committed model: the trainer's network is that model's, not a
    fresh LoRA init with a random classifier."""
    from processors.model import DEFAULT_VERSION, LoraSettings, LoraTrainer, StanceModel, model_dir

    pairs = [("Moscow rejects new sanctions on Pyongyang.", "Russia supports sanctions against North Korea.")]
    served = StanceModel.load(None, precision="fp32").encoder.logits(pairs)[0]
    fresh = LoraTrainer(LoraSettings(), total_steps=1, seed=0)
    fresh.model.eval()
    assert fresh.encoder.logits(pairs)[0] != pytest.approx(served, abs=1e-3)
    fresh.warm_start(model_dir(DEFAULT_VERSION))
    fresh.model.eval()
    assert fresh.encoder.logits(pairs)[0] == pytest.approx(served, abs=1e-3)


@pytest.mark.model
def test_a_warm_start_refuses_an_adapter_of_another_base_or_shape(tmp_path: Path) -> None:
    from processors.model import DEFAULT_VERSION, LoraSettings, LoraTrainer, ModelError, model_dir

    trainer = LoraTrainer(LoraSettings(), total_steps=1, seed=0)
    committed = model_dir(DEFAULT_VERSION)
    config = json.loads((committed / "adapter_config.json").read_text(encoding="utf-8"))
    for name, change, reason in (
        ("other-base", {"base_model_name_or_path": "sentence-transformers/all-MiniLM-L6-v2"}, "another base"),
        ("other-rank", {"r": 8}, "rank, alpha or targets differ"),
    ):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "adapter_config.json").write_text(json.dumps({**config, **change}), encoding="utf-8")
        (folder / "adapter_model.safetensors").symlink_to(committed / "adapter_model.safetensors")
        with pytest.raises(ModelError, match=reason):
            trainer.warm_start(folder)
    with pytest.raises(ModelError, match="cannot start from"):
        trainer.warm_start(tmp_path / "missing")


def test_train_refuses_an_init_from_that_is_no_adapter(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from stancewatch.cli import app

    result = CliRunner().invoke(app, ["train", "--init-from", str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert f"--init-from {tmp_path}: no adapter there" in result.output
    assert not (tmp_path / "o").exists()


def test_minimal_pairs_differ_only_in_the_wording_of_the_side() -> None:
    rng = random.Random(3)
    for _ in range(200):
        topic, written = contrast.minimal_pair(rng, held_out=False)
        (c1, s1, t1, _), (c2, s2, t2, _) = written
        assert {s1, s2} == {"support", "oppose"} and c1 == c2
        assert t1 != t2 and t1.split()[0] == t2.split()[0]  # same frame and subject, another wording
        assert topic in TOPICS and not (c1 == "KP" and topic not in contrast.KP_SUBJECT_TOPICS)


def test_held_out_contrast_wordings_never_appear_in_training_pairs() -> None:
    rng = random.Random(4)
    train = "\n".join(t for _ in range(1500) for _, _, t, _ in contrast.minimal_pair(rng, held_out=False)[1])
    held = [lst[-1] for lst in contrast.STANCE_NOUNS.values()]
    held += [w for pair in (pairs[-1] for pairs in contrast.VERB_PAIRS.values()) for w in pair]
    patterns = [re.compile(re.escape(h).replace(re.escape("{kp}"), ".+?")) for h in held]
    assert not [p.pattern for p in patterns if p.search(train)]
    held_text = "\n".join(
        t for _ in range(300) for _, _, t, _ in contrast.minimal_pair(rng, held_out=True)[1]
    )
    assert sum(bool(p.search(held_text)) for p in patterns) > 10


def test_generate_draws_minimal_pairs_at_the_contrast_rate() -> None:
    none = synthetic.generate(500, seed=7, contrast_rate=0.0)
    some = synthetic.generate(500, seed=7, contrast_rate=0.5)
    noun_forms = re.compile("|".join(re.escape(v) for vs in contrast.STANCE_NOUNS.values() for v in vs))
    assert not any(noun_forms.search(e.sentence) for e in none)
    assert sum(bool(noun_forms.search(e.sentence)) for e in some) > 100


@pytest.mark.model
def test_the_default_recipe_is_the_committed_models() -> None:
    """`stancewatch train` with no options must reproduce the committed artifact, so its recipe is the
    one the committed model records."""
    from processors.model import DEFAULT_VERSION, MODELS_DIR
    from processors.training.run import BUDGET_FIELDS, TrainConfig

    committed = json.loads((MODELS_DIR / DEFAULT_VERSION / "train_config.json").read_text(encoding="utf-8"))
    as_json = json.loads(json.dumps(asdict(TrainConfig())))  # tuples compare as the lists JSON holds
    recipe = {k: v for k, v in as_json.items() if k not in BUDGET_FIELDS}
    assert recipe == {k: v for k, v in committed.items() if k not in BUDGET_FIELDS}  # the budget is no recipe


@pytest.mark.model
def test_train_options_override_only_what_is_given() -> None:
    from processors.model_commands import recipe
    from processors.training.run import TrainConfig

    base = TrainConfig()
    assert recipe(base, None, None, None) == base
    changed = recipe(base, 5, 0, 0)
    assert (changed.seed, changed.steps, changed.news_style_repeats) == (5, None, 0)
    assert changed.lora == base.lora and changed.batch_size == base.batch_size
    assert recipe(base, None, 120, None).steps == 120
    small = recipe(base, None, None, None, "minilm")
    assert small.lora.base == "minilm" and small.lora.rank == base.lora.rank and small.seed == base.seed
    stage = recipe(base, 22, None, None, None, "mpnet-nli-v1", 4e-4, "mpnet-nli-v9")
    assert (stage.init_from, stage.lora.learning_rate) == ("mpnet-nli-v1", 4e-4)
    assert stage.version == "mpnet-nli-v9"
    assert stage.lora.rank == base.lora.rank and stage.batch_size == base.batch_size


def test_generators_take_codes_and_names_from_the_one_vocabulary() -> None:
    shipped = load_vocabulary()
    assert shipped.country_codes == synthetic.COUNTRIES
    assert {code: subjects[0] for code, subjects in ALIASES.items()} == dict(shipped.country_names)
