"""A place's frames hold one object per distinct text, and stay equal to what was read."""

import pickle

import numpy as np
import pandas as pd

from dashboard.shared_texts import share_texts


def _copies(*values: object) -> list[object]:
    """Each text value as a new object, as a driver hands back every row's text."""
    return ["".join(list(v)) if isinstance(v, str) else v for v in values]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "figure_id": pd.Series(_copies("a1", "a2", "a3", "a4"), dtype="str"),
            "publisher": pd.Series(_copies("OCHA", "OCHA", "IOM DTM", "OCHA"), dtype="str"),
            "origin_pcode": pd.Series(_copies(None, "SY07", np.nan, "SY07"), dtype=object),
            "sex": pd.Series(_copies(None, None, None, None), dtype=object),
            "value": pd.array([1, 2, None, 4], dtype="Int64"),
        }
    )


def test_repeated_texts_become_one_object_and_the_frame_stays_equal():
    frame = _frame()
    assert frame["publisher"].iloc[0] is not frame["publisher"].iloc[1]
    texts: dict[str, str] = {}
    out = share_texts(frame, texts)
    pd.testing.assert_frame_equal(out, frame)
    assert out["publisher"].iloc[0] is out["publisher"].iloc[1] is out["publisher"].iloc[3]
    assert out["origin_pcode"].iloc[1] is out["origin_pcode"].iloc[3]
    # Missing values keep their kind: None stays None, NaN stays NaN.
    assert (
        out["origin_pcode"].iloc[0] is None
        and out["origin_pcode"].iloc[2] != out["origin_pcode"].iloc[2]
    )
    assert set(texts) == {"OCHA", "IOM DTM", "SY07"}
    assert frame["publisher"].iloc[0] is not frame["publisher"].iloc[1]  # the input is left as read


def test_frames_sharing_one_dictionary_share_their_texts_and_pickle_smaller():
    texts: dict[str, str] = {}
    one, other = share_texts(_frame(), texts), share_texts(_frame(), texts)
    assert one["publisher"].iloc[2] is other["publisher"].iloc[2]
    rows = pd.concat([_frame()] * 200, ignore_index=True)
    rows["publisher"] = pd.Series(_copies(*rows["publisher"]), dtype="str")
    shared = share_texts(rows, {})
    assert len(pickle.dumps(shared)) < len(pickle.dumps(rows))
    pd.testing.assert_frame_equal(pickle.loads(pickle.dumps(shared)), rows)
