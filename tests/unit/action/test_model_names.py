"""Output names of several models: one per model, distinct by construction (also when two
paths make the same slug, or differ only in case); ordinary paths keep their plain slug."""

from __future__ import annotations

from hub_convert.names import unique_names


def test_ordinary_paths_keep_their_plain_names() -> None:
    names = unique_names(
        ["models/classifier", "models/v1.2/detector", "a-b", "models/mobilenet_v2"]
    )
    assert names == {
        "models/classifier": "models_classifier",
        "models/v1.2/detector": "models_v1.2_detector",
        "a-b": "a-b",
        "models/mobilenet_v2": "models_mobilenet_v2",
    }


def test_a_name_does_not_depend_on_the_order_of_the_set() -> None:
    texts = ["models/cls", "models_cls", "models/cls.", "models/x"]
    assert unique_names(texts) == unique_names(list(reversed(texts)))


def test_paths_with_the_same_slug_get_distinct_names() -> None:
    texts = ["models/cls", "models/cls.", "models/cls_", "models/cls[1]", "..."]
    names = unique_names(texts)
    assert names["models/cls"] == "models_cls"  # the others' names depend on their own paths
    assert len(set(names.values())) == len(texts)
    assert names["models/cls."].startswith("models_cls-")
    assert all(name and name.strip("._") == name for name in names.values())


def test_plain_paths_that_share_a_name_both_get_a_hash() -> None:
    names = unique_names(["models/cls", "models_cls", "models/x"])
    assert names["models/cls"].startswith("models_cls-")
    assert names["models_cls"].startswith("models_cls-")
    assert names["models/cls"] != names["models_cls"]
    assert names["models/x"] == "models_x"


def test_names_differing_only_in_case_are_distinct_too() -> None:
    names = unique_names(["models/A", "models/a", "models_a-2"], taken={"report.md"})
    lowered = {name.lower() for name in names.values()}
    assert len(lowered) == 3


def test_a_taken_name_is_never_given() -> None:
    names = unique_names(["report.md", "REPORT.md"], taken={"report.md"})
    assert "report.md" not in {n.lower() for n in names.values()}
    assert len({n.lower() for n in names.values()}) == 2


def test_without_stable_names_only_clashes_are_changed() -> None:
    parents = ["out/models_cls", "out/models/cls", "out/models_CLS", "."]
    names = unique_names(parents, empty="report", stable=False)
    assert names == {
        "out/models_cls": "out_models_cls",
        "out/models/cls": "out_models_cls-2",
        "out/models_CLS": "out_models_CLS-3",
        ".": "report",
    }
