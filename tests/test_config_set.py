"""`mesolog config set/unset`: known keys validated, the rest of the file kept as typed."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest
from conftest import snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesolog.store import settings as config_settings

HAND_WRITTEN = """\
# Clinic settings, written by hand
practitioner = "Dr. A"   # the boss
technique = "gun"

# the practice's own words
areas = [
  "inner knees",   # popular
  "ankles",
]

[substances]
"meso-hair cocktail" = "multivitamin"

[aftercare]
# per indication
alopecia = \"\"\"
Old advice
over two lines\"\"\"
cellulite = "Walk every day."   # keep
"""


def test_set_on_no_file_creates_a_private_file_that_the_summary_uses(
    run, patient: Path, config_file: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    config_file.unlink(missing_ok=True)
    assert "clinic_name set in" in run("config", "set", "clinic_name", "Clinique des Lilas").stdout
    run("config", "set", "clinic_address", "12 rue des Lilas\n75011 Paris")
    run("config", "set", "practitioner", "Dr. L. Moreau")
    run("config", "set", "technique", "hand")
    run("config", "set", "anaesthetic", "topical cream")
    run("config", "set", "aftercare.hair loss", "No hair wash until tomorrow.")
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    assert [p.name for p in config_file.parent.iterdir()] == ["config.toml"]  # no temporary left
    data = tomllib.loads(config_file.read_text())
    assert data == {
        "clinic_name": "Clinique des Lilas",
        "clinic_address": "12 rue des Lilas\n75011 Paris",
        "practitioner": "Dr. L. Moreau",
        "technique": "hand",
        "anaesthetic": "topical cream",
        "aftercare": {"hair loss": "No hair wash until tomorrow."},
    }
    shown = run("config", "show").stdout
    assert "clinic_address: 12 rue des Lilas, 75011 Paris" in shown
    assert "aftercare.hair loss: set" in shown
    run("summary", "P-0042", "-o", str(tmp_path / "s.html"))
    page = (tmp_path / "s.html").read_text()
    assert "Clinique des Lilas" in page and "No hair wash until tomorrow." in page


def test_set_and_unset_change_only_their_own_lines(run, config_file: Path) -> None:  # type: ignore[no-untyped-def]
    config_file.write_text(HAND_WRITTEN)
    run("config", "set", "practitioner", 'Dr. "B" \\ Moreau')
    lines = config_file.read_text().splitlines()
    assert lines[1] == 'practitioner = "Dr. \\"B\\" \\\\ Moreau"   # the boss'  # comment kept
    assert lines[:1] + lines[2:] == HAND_WRITTEN.splitlines()[:1] + HAND_WRITTEN.splitlines()[2:]
    # an indication matched by meaning keeps the word it has in the file; a multi-line value
    run("config", "set", "aftercare.Hair Loss", "New advice")
    run("config", "unset", "aftercare.cellulite")
    run("config", "set", "clinic_name", "Lilas")
    text = config_file.read_text()
    assert (
        'alopecia = "New advice"\n' in text and "Old advice" not in text and "cellulite" not in text
    )
    assert text.startswith("# Clinic settings, written by hand\n")
    for kept in (
        '  "inner knees",   # popular\n',
        "# the practice's own words\n",
        "# per indication\n",
        '"meso-hair cocktail" = "multivitamin"\n',
    ):
        assert kept in text
    assert tomllib.loads(text)["clinic_name"] == "Lilas"
    assert text.index("clinic_name") < text.index("[substances]")  # a top-level key stays on top
    assert "the default applies" in run("config", "unset", "clinic_name").stdout
    assert "nothing changed" in run("config", "unset", "clinic_name").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("set", "practioner", "X"), "unknown setting 'practioner' (did you mean 'practitioner'?)"),
        (
            ("set", "colour", "red"),
            "unknown setting 'colour'; settings are practitioner, clinic_name",
        ),
        (("unset", "techniqe"), "did you mean 'technique'?"),
        (("unset", "areas"), "name the one to take off, e.g. config unset areas.NAME"),
        (("set", "aftercare", "x"), "aftercare needs the indication it is for"),
        (
            ("set", "technique", "needle"),
            "technique 'needle' is not allowed: use 'gun' (injection gun) or 'hand'",
        ),
        (("set", "practitioner", "  "), "remove it with: config unset practitioner"),
        (("set", "practitioner", "Dr.\x1b[31m X"), "one line of text without control characters"),
        (("set", "clinic_name", "A\nB"), "one line of text without control characters"),
    ],
)
def test_bad_keys_and_values_are_one_sentence_and_change_nothing(
    run, config_file: Path, args: tuple[str, ...], message: str
) -> None:  # type: ignore[no-untyped-def]
    config_file.write_text(HAND_WRITTEN)
    before = snapshot(config_file.parent)
    result = run("config", *args, expect=2)
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert snapshot(config_file.parent) == before


def test_a_layout_that_cannot_be_edited_safely_is_refused(run, config_file: Path) -> None:  # type: ignore[no-untyped-def]
    # A comment inside the value would be lost by any change to it.
    config_file.write_text('[aftercare]\n"hair loss" = [\n    "no wash", # until tomorrow\n]\n')
    before = snapshot(config_file.parent)
    result = run("config", "set", "aftercare.hair loss", "x", expect=1)
    assert "edit the file by hand (nothing was changed)" in result.stderr
    assert snapshot(config_file.parent) == before
    config_file.write_text("practitioner = [broken\n")
    before = snapshot(config_file.parent)
    assert "broken config file" in run("config", "set", "practitioner", "x", expect=1).stderr
    assert snapshot(config_file.parent) == before


text_values = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60
).filter(lambda t: t.strip() == t and t != "")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(practitioner=text_values, advice=text_values)
def test_any_text_round_trips_and_the_rest_stays(
    config_file: Path, practitioner: str, advice: str
) -> None:
    config_file.write_text(HAND_WRITTEN)
    config_settings.set_value(config_file, "practitioner", practitioner)
    config_settings.set_value(config_file, "aftercare.wrinkles", advice)
    data = tomllib.loads(config_file.read_text())
    assert data["practitioner"] == practitioner and data["aftercare"]["wrinkles"] == advice
    original = tomllib.loads(HAND_WRITTEN)
    assert {k: v for k, v in data.items() if k not in ("practitioner", "aftercare")} == {
        k: v for k, v in original.items() if k not in ("practitioner", "aftercare")
    }
    config_settings.unset_value(config_file, "aftercare.wrinkles")
    config_settings.set_value(config_file, "practitioner", "Dr. A")
    assert tomllib.loads(config_file.read_text()) == original


def test_unusual_but_plain_layouts_are_edited_in_place(run, config_file: Path) -> None:  # type: ignore[no-untyped-def]
    """The same in-place editor as for charts (store.editing): a dotted key or an inline table
    has its one value changed, nothing else."""
    config_file.write_text('aftercare."hair loss" = "dotted key"  # kept\npractitioner = "A"\n')
    run("config", "set", "aftercare.hair loss", "x")
    assert config_file.read_text() == 'aftercare."hair loss" = "x"  # kept\npractitioner = "A"\n'
    config_file.write_text('aftercare = { "hair loss" = "inline" }\n')
    run("config", "set", "aftercare.wrinkles", "y")
    assert config_file.read_text() == 'aftercare = { "hair loss" = "inline", wrinkles = "y" }\n'
