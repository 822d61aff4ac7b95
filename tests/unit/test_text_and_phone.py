from __future__ import annotations

import pytest

from models.actions.accounts import check_password, normalize_phone
from models.errors import Invalid
from models.rules.text import clean, fold


def test_fold_ignores_diacritics_case_and_d_stroke():
    assert fold("Đường Lê Lợi") == "duong le loi"
    assert fold("  Vệ   sinh\nMÔI TRƯỜNG ") == "ve sinh moi truong"
    assert fold("Huế") == fold("HUE") == "hue"
    # Composed and decomposed forms fold alike.
    assert fold("Thủy") == fold("Thu\u0309y")


def test_clean_trims_and_checks_length_and_control_characters():
    assert clean("  Lê Lợi  ", field="title", max_length=10) == "Lê Lợi"
    with pytest.raises(Invalid) as e:
        clean("", field="title", max_length=10)
    assert e.value.field == "title"
    with pytest.raises(Invalid, match="at most"):
        clean("x" * 11, field="title", max_length=10)
    with pytest.raises(Invalid, match="control"):
        clean("a\x00b", field="title", max_length=10)
    with pytest.raises(Invalid, match="control"):
        clean("a\nb", field="title", max_length=10)
    assert clean("a\nb", field="text", max_length=10, multiline=True) == "a\nb"
    assert clean(None, field="title", max_length=10, required=False) is None
    with pytest.raises(Invalid, match="at most"):
        clean("x" * 1_000_000, field="description", max_length=5000)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("0905123456", "+84905123456"), ("0905 123 456", "+84905123456"),
     ("+84 905-123-456", "+84905123456"), ("84905123456", "+84905123456"),
     ("(036) 212.3456", "+84362123456"), ("+84 (0) 905 123 456", "+84905123456"),
     ("84 (0)905 123 456", "+84905123456")],
)
def test_vietnamese_mobile_numbers_are_normalised(raw: str, normal: str):
    assert normalize_phone(raw) == normal


@pytest.mark.parametrize("raw", ["", "12345", "0205123456", "+1 415 555 0100", "09051234567",
                                 "090512345a", "0" * 40, "+84 105 123 456",
                                 "+84 (0) 105 123 456", "+84 (00) 905 123 456"])
def test_other_numbers_are_refused(raw: str):
    with pytest.raises(Invalid) as e:
        normalize_phone(raw)
    assert e.value.field == "phone"


@pytest.mark.parametrize("password", ["short", "12345678", "aaaaaaaaaa", "0905123456",
                                      "x" * 129])
def test_weak_passwords_are_refused(password: str):
    with pytest.raises(Invalid) as e:
        check_password(password, "+84905123456")
    assert e.value.field == "password"


def test_reasonable_password_passes():
    check_password("mưa Huế tháng mười", "+84905123456")
