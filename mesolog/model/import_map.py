"""Import's map: which column of another program's file is which mesolog field, how its dates
and amounts are written, and which of its words are ours. The map file's format is in
``docs/import.md``; this module guesses a first map from a header and its cells and checks a
map the practitioner wrote.

The header words of six languages (English, German, French, Spanish, Italian, Portuguese) are
here, apart from the field table: they are guesses about other programs' files, not mesolog's
own words.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from mesolog.errors import InvalidValue
from mesolog.model import values as parse
from mesolog.model import vocabulary as vocab
from mesolog.model.exchange import (
    MEASURE_PREFIX,
    NUMBERED_SUBSTANCE_COLUMNS,
    PATIENT_COLUMNS,
    SESSION_COLUMNS,
    SUBSTANCE_POSITION,
)
from mesolog.model.folding import fold

# In mesolog's own exports, read and left alone: numbers are given by the chart, the category
# follows from the catalogue, the source is this import's.
IGNORED_FIELDS = ("session", "category", "source")
# The fields a row may give: those of mesolog's own CSV columns, which derive from the field
# table of the session (docs/fields.md), the ones import leaves alone last.
FIELDS = (
    *PATIENT_COLUMNS, *(c for c in SESSION_COLUMNS if c not in IGNORED_FIELDS),
    *NUMBERED_SUBSTANCE_COLUMNS, SUBSTANCE_POSITION, *IGNORED_FIELDS,
)  # fmt: skip
REQUIRED = ("patient", "date", "substance")
NUMBERED = re.compile(r"^(" + "|".join(NUMBERED_SUBSTANCE_COLUMNS) + r")_(\d{1,2})$")
# Fields one cell may hold several of, and how mesolog joins them (areas "a, b"; complications
# "x; y"): a map may name the file's own separator for them ([split]).
LIST_FIELDS = {"areas": ",", "complications": ";"}
# Fields whose source words are worth a [values.FIELD] table in a new map.
VALUE_FIELDS = ("technique", "anaesthetic", "method", "status")

ISO_DATE = "%Y-%m-%d"
# Tried in this order: day first before month first (most clinics outside the US).
DATE_FORMATS = (
    ISO_DATE, "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%d.%m.%y", "%d/%m/%y",
    "%m/%d/%y", "%Y/%m/%d", "%Y.%m.%d",
)  # fmt: skip
# Formats whose day and month can be read the other way round (03/11 is 3 November or 11 March).
SWAPPABLE = {
    "%d/%m/%Y": "%m/%d/%Y", "%m/%d/%Y": "%d/%m/%Y", "%d/%m/%y": "%m/%d/%y",
    "%m/%d/%y": "%d/%m/%y", "%d-%m-%Y": "%m-%d-%Y",
}  # fmt: skip

# Headers practitioners write, normalised (accents off, lower case, '_' for anything else) ->
# our field; in English, German, French, Spanish, Italian and Portuguese.
HEADER_WORDS = {
    "patient": "id patient_id client_id chart file_no record patient_no ref patienten_id "
    "patientennummer patienten_nr pat_nr kunden_nr kundennummer akte id_patient n_patient "
    "no_patient numero_patient dossier paciente id_paciente n_paciente expediente historia "
    "paziente id_paziente cartella prontuario ficha",
    "name": "patient_name client client_name full_name surname nachname patientenname "
    "patientin kunde nom nom_patient nom_complet nombre nombre_paciente apellidos "
    "nombre_completo nome nome_paziente cognome nome_paciente nome_completo cliente",
    "birth_year": "born year_of_birth yob birth geburtsjahr jahrgang annee_de_naissance "
    "annee_naissance ano_de_nacimiento ano_nacimiento anno_di_nascita anno_nascita "
    "ano_de_nascimento ano_nascimento",
    "date": "visit_date session_date treatment_date date_of_visit day visit datum "
    "behandlungsdatum termin date_de_visite date_seance date_de_la_seance fecha fecha_visita "
    "fecha_sesion data data_visita data_seduta data_sessao",
    "areas": "area zone zones body_area site treated_area region bereich zonen korperzone "
    "korperbereich areal behandlungsbereich behandlungszone zone_traitee zona zonas "
    "area_tratada area_trattata regiao",
    "substance": "product drug medication ingredient cocktail solution produkt praparat "
    "wirkstoff substanz medikament produit principe_actif medicament producto sustancia "
    "medicamento farmaco prodotto sostanza produto substancia",
    "amount": "qty quantity dose volume ml menge dosis volumen quantite cantidad quantita "
    "quantidade",
    "unit": "units einheit unite unidad unita unidade",
    "lot": "batch lot_number lot_no batch_no batch_number charge chargennummer charge_nr "
    "chargen_nr ch_b numero_de_lot n_lot no_lot lote numero_de_lote lotto n_lotto",
    "expiry": "exp expiration expiry_date expires best_before verfall verfallsdatum "
    "haltbar_bis ablaufdatum mhd peremption date_de_peremption caducidad "
    "fecha_de_caducidad vencimiento scadenza data_di_scadenza validade data_de_validade",
    "depth_mm": "depth needle_depth depth_in_mm tiefe stichtiefe einstichtiefe profondeur "
    "profundidad profondita profundidade",
    "technique": "tech gun_or_hand gun_hand technik tecnica",
    "method": "methode metodo",
    "anaesthetic": "anesthetic anaesthesia anesthesia numbing anasthesie betaubung "
    "anesthesie anesthesique anestesia anestesico anestetico",
    "notes": "note comments comment remarks observations notiz notizen bemerkung bemerkungen "
    "kommentar remarques commentaire commentaires notas observaciones comentarios "
    "osservazioni commenti observacoes",
    "practitioner": "doctor by performed_by clinician dr injector arzt arztin behandler "
    "behandelnder_arzt therapeut praticien medecin docteur medico doctor profesional "
    "dottore operatore profissional",
    "indication": "reason concern treatment_for goal indikation grund motif indicacion motivo "
    "indicazione indicacao",
    "complications": "complication side_effects adverse_events reaction reactions "
    "komplikation komplikationen nebenwirkungen effets_secondaires complicacion "
    "complicaciones efectos_secundarios complicazione complicazioni effetti_collaterali "
    "complicacao complicacoes efeitos_colaterais",
    "points": "injection_points n_points punkte einstichpunkte injektionspunkte "
    "points_d_injection puntos punti pontos",
    "needle_gauge": "gauge needle nadel nadelstarke aiguille calibre aguja ago calibro agulha",
    "duration_min": "duration minutes dauer duree duracion durata duracao",
    "consent": "einwilligung aufklarung consentement consentimiento consenso consentimento",
}
_HEADER_FIELD = {word: name for name, words in HEADER_WORDS.items() for word in words.split()}
# A unit written in a header, "Menge (ml)" or "Dose [mg]", in the words of each language
# (IE: internationale Einheiten, UI: unités internationales) -> the unit mesolog records.
# Keyed as `fold` leaves a unit: it turns the micro sign (U+00B5) into Greek mu (U+03BC), so
# "μg" stands for both ways of typing micrograms.
HEADER_UNITS = {
    "ml": "ml", "mg": "mg", "mcg": "mcg", "ug": "mcg", "\u03bcg": "mcg", "iu": "IU", "ie": "IU",
    "ui": "IU", "u": "U", "e": "U", "cc": "ml",
}  # fmt: skip
_HEADER_UNIT = re.compile(r"^(?P<name>.*?)\s*[(\[]\s*(?P<unit>[^)\]]+?)\s*[)\]]\s*$")
# The unit a header may name for the other fields that carry one ("Tiefe (mm)", "Dauer (min)").
FIELD_UNITS = {"depth_mm": "mm", "duration_min": "min"}

# Words of other programs for mesolog's own, in the same six languages: a first map proposes
# them in its [values] tables (the practitioner checks each).
VALUE_WORDS = {
    "technique": {
        "gun": "pistole injektionspistole pistolet pistola pistola_de_mesoterapia",
        "hand": "hand manuell handtechnik main manuel manuelle mano manual manuale mao",
    },
    "anaesthetic": {
        "none": "keine ohne kein aucune aucun sans ninguna ninguno sin nessuna nessuno senza "
        "nenhuma nenhum sem",
        "topical cream": "creme salbe anasthesiecreme betaubungscreme emla topisch creme_anesthesiante "
        "crema crema_anestesica topica topico pomada",
        "local injection": "lokal lokalanasthesie infiltration injection_locale anestesia_local "
        "anestesia_locale",
    },
    "areas": {
        "abdomen": "bauch abdomen ventre abdome barriga pancia vientre",
        "flanks": "flanken flanke hufte huften flancs flanc flancos flanco fianchi fianco",
        "thighs": "oberschenkel schenkel cuisses cuisse muslos muslo cosce coscia coxas coxa",
        "buttocks": "gesass po fesses gluteos nalgas glutei natiche nadegas",
        "scalp": "kopfhaut cuir_chevelu cuero_cabelludo cuoio_capelluto couro_cabeludo",
        "face": "gesicht visage cara rostro viso rosto",
        "neck": "hals cou cuello collo pescoco",
        "décolleté": "dekollete decollete escote decote",
        "arms": "arme oberarme bras brazos braccia bracos",
        "legs": "beine jambes piernas gambe pernas",
        "knees": "knie genoux rodillas ginocchia joelhos",
        "back": "rucken dos espalda schiena costas",
        "hands": "hande mains manos mani maos",
        "submental": "doppelkinn double_menton papada doppio_mento",
    },
}
_VALUE_WORD = {
    (target, word): ours
    for target, table in VALUE_WORDS.items()
    for ours, words in table.items()
    for word in words.split()
}
# What may stand between two areas in one cell, tried in this order.
SEPARATORS = (",", ";", "/", "+")


def normal_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", fold(header)).strip("_")


def known_field(name: str) -> bool:
    return (
        name in FIELDS
        or bool(NUMBERED.match(name))
        or (name.startswith(MEASURE_PREFIX) and bool(parse.MEASURE_NAME.match(name)))
    )


def header_unit(header: str) -> str | None:
    """The unit of amounts a header names: ``"Menge (ml)"`` -> ``"ml"``."""
    match = _HEADER_UNIT.match(header.strip())
    return HEADER_UNITS.get(fold(match["unit"])) if match else None


def guess_field(header: str) -> str | None:
    key = normal_header(header)
    if known_field(key):
        return key
    if key in _HEADER_FIELD:
        return _HEADER_FIELD[key]
    match = _HEADER_UNIT.match(header.strip())
    if match is None:
        return None
    found, unit = guess_field(match["name"]), fold(match["unit"])
    if unit in HEADER_UNITS:  # "Menge (ml)": only an amount is given in these
        return found if found == "amount" else None
    return found if found and FIELD_UNITS.get(found) == unit else None


def is_own_format(header: list[str]) -> bool:
    """A mesolog CSV export: every column a field name, with a patient, a date, a substance."""
    names = set(header)
    required = all(f in names or f"{f}_1" in names for f in REQUIRED)
    return required and all(known_field(h) for h in header)


# --- dates -------------------------------------------------------------------------------------


def date_part(text: str) -> str:
    """A date cell without the time some programs write after it (``03.11.2026 14:30``,
    ``2026-11-03T14:30:00``)."""
    text = text.strip()
    for mark in (" ", "T"):
        head, sep, tail = text.partition(mark)
        if sep and tail[:1].isdigit() and ":" in tail:
            return head
    return text


def read_date(text: str, date_format: str, today: date) -> date:
    """``date_format`` or ISO, with or without a time after it; not in the future."""
    day = _day(text, date_format)
    if day is None:
        if _no_such_day(text, date_format):
            raise InvalidValue("date", text, "there is no such day")
        raise InvalidValue("date", text, f"it does not match date_format {date_format!r}")
    if day > today:
        raise InvalidValue("date", text, f"it is in the future (today is {today.isoformat()})")
    return day


@functools.lru_cache(maxsize=4096)
def _day(text: str, date_format: str) -> date | None:
    """A file holds few distinct dates, each on many rows: each is read once."""
    return _read_as(date_part(text), date_format) or _read_as(date_part(text), ISO_DATE)


def _no_such_day(text: str, date_format: str) -> bool:
    """Whether ``text`` has the shape of ``date_format`` or ISO but names no day (2026-02-30):
    strptime then refuses the day, not the shape ("time data ... does not match format")."""
    for form in (date_format, ISO_DATE):
        try:
            datetime.strptime(date_part(text), form)
        except ValueError as error:
            if not str(error).startswith(("time data", "unconverted data")):
                return True
    return False


def _read_as(text: str, form: str) -> date | None:
    try:
        return datetime.strptime(text, form).date()
    except ValueError:
        return None


@dataclass
class DateGuess:
    """Which formats read every date cell seen so far, fed one cell at a time (a file is
    streamed): every format, for a first map; the map's and its swap, for a dry run."""

    fitting: list[str] = field(default_factory=lambda: list(DATE_FORMATS))
    seen: int = 0
    example: str = ""
    example_reads_two_ways: bool = False  # the example is a date like 03/11, not 03/03

    def feed(self, text: str) -> None:
        text = date_part(text)
        if not text:
            return
        self.seen += 1
        self.fitting = [f for f in self.fitting if _read_as(text, f)]
        if self.example_reads_two_ways or SWAPPABLE.get(self.format) not in self.fitting:
            return  # the example is found, or the dates read one way only: none is needed
        # A different day when its day and month are swapped (03/11, not 03/03).
        day = _read_as(text, self.format)
        two_ways = day is not None and day.day <= 12 and day.day != day.month
        if two_ways or not self.example:
            self.example, self.example_reads_two_ways = text, two_ways

    @property
    def format(self) -> str:
        return self.fitting[0] if self.fitting and self.seen else ISO_DATE

    def ambiguity(self) -> str:
        """A sentence when the dates read both day first and month first, else ""."""
        chosen = self.format
        other = SWAPPABLE.get(chosen)
        if other not in self.fitting:
            return ""
        return (
            f"every date reads both day first and month first (e.g. {self.example}); read as "
            f"{chosen!r}: if the file writes the month first, set date_format = {other!r} in the map"
        )


# --- the map -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMap:
    """Source header -> field; the date format; source word -> ours, per field; the separator
    of a list field's cell; the unit of amount cells that give none; the header's row."""

    columns: dict[str, str]
    date_format: str = ISO_DATE
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    split: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    header_row: int = 1
    encoding: str = ""  # the CSV's, when it has no byte-order mark and is not UTF-8


def own_map(header: list[str]) -> ColumnMap:
    return ColumnMap({h: h for h in header})


@dataclass
class MapDraft:
    """A first map, built while the file streams past: the columns guessed from the header,
    the dates and words seen in the cells."""

    header: list[str]
    header_row: int = 1
    encoding: str = ""
    dates: DateGuess = field(default_factory=DateGuess)
    words: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.columns = {h: guess_field(h) or "" for h in self.header}

    def feed(self, cells: list[str]) -> None:
        for h, cell in zip(self.header, cells, strict=False):
            target = self.columns[h]
            if target == "date" and cell:
                self.dates.feed(cell)
            elif cell and (target in VALUE_FIELDS or target == "areas"):
                self.words.setdefault(target, set()).add(cell.strip())

    def _values(self, separator: str) -> dict[str, dict[str, str]]:
        values = {}
        for target, cells in self.words.items():
            words = {
                w.strip()
                for c in cells
                for w in (c.split(separator) if target == "areas" and separator else [c])
            }
            values[target] = {w: _our_word(target, w) for w in sorted(words - {""})}
        return values

    @property
    def unmapped(self) -> list[str]:
        return [h for h, f in self.columns.items() if not f]

    @property
    def header_hint(self) -> str:
        """A sentence when the row read as the header looks like a group row above it (empty
        cells, or hardly a column placed)."""
        placed = sum(1 for f in self.columns.values() if f)
        if "" in self.header or placed < len(REQUIRED):
            return (
                f"Row {self.header_row} does not look like the row that names the columns: if "
                "they are on a later row, run again with --header-row N."
            )
        return ""

    def text(self, file_name: str) -> str:
        """The map file: comments that explain it, then the guesses as TOML."""
        import tomli_w

        units = {f: unit for h, f in self.columns.items() if f and (unit := header_unit(h))}
        areas = self.words.get("areas", set())
        separator = next((s for s in SEPARATORS if any(s in c for c in areas)), "")
        # The settings a map needs only when they are not the default, left out (None) else.
        data: dict[str, Any] = {
            "date_format": self.dates.format,
            "header_row": self.header_row if self.header_row != 1 else None,
            "encoding": self.encoding or None,
            "columns": self.columns,
            "units": {"amount": units["amount"]} if units.get("amount") else None,
            "split": {"areas": separator} if separator else None,
            "values": self._values(separator) or None,
        }
        ambiguity = self.dates.ambiguity()
        return _MAP_HELP.format(
            file_name=file_name,
            fields=", ".join(f for f in FIELDS if f not in IGNORED_FIELDS),
            dates=f"# Dates: {ambiguity}.\n" if ambiguity else "",
        ) + tomli_w.dumps({key: value for key, value in data.items() if value is not None})


_MAP_HELP = """\
# How mesolog reads {file_name}. Check every line, then run the import again.
# Use it for other files too: mesolog import OTHER.csv --map THIS-FILE
# [columns]: source header = mesolog field; "" leaves the column out.
# Fields: {fields}, measure_<name_unit> (e.g. measure_waist_cm).
# One row is one substance given; rows of one patient and date form one session.
# date_format: strftime syntax (%d.%m.%Y = 31.12.2025); ISO dates are always read.
{dates}# header_row: the row that names the columns, when rows above it hold something else.
# encoding: the CSV's (e.g. "cp1252"), when it is not UTF-8 and has no byte-order mark.
# [units]: amount = "ml" when the amount cells hold numbers only.
# [split]: areas = "," when one cell names several areas ("Bauch, Flanken").
# [values.FIELD]: a source word = the word mesolog records ("Bauch" = "abdomen").

"""


def _our_word(target: str, word: str) -> str:
    """The word mesolog records for a source word, as far as it can tell; "" when it cannot
    (the practitioner fills it in, or leaves it and sees the word reported)."""
    ours = _VALUE_WORD.get((target, normal_header(word)))
    if ours:
        return ours
    if target == "areas":
        match = vocab.DEFAULT.area(word)
        return match.value if match.known else ""
    try:
        if target == "technique":
            return parse.technique(word)
        if target == "method":
            return parse.choice(word, "method", vocab.METHODS)
        if target == "status":
            return parse.choice(word, "status", vocab.STATUSES)
    except InvalidValue:
        return ""
    return vocab.DEFAULT.anaesthetic(word) if target == "anaesthetic" else word


def load_map(data: dict[str, Any], where: str) -> ColumnMap:
    """A map file's data, checked: every field it names must be one mesolog knows."""
    columns = _columns(data.get("columns"), where)
    encoding = data.get("encoding", "")
    return ColumnMap(
        columns,
        _date_format(data.get("date_format", ISO_DATE), where),
        _values(data.get("values", {}), where),
        _split(data.get("split", {}), where),
        _units(data.get("units", {}), where),
        _header_row(data.get("header_row", 1), where),
        text_encoding(str(encoding), f"{where} encoding") if encoding != "" else "",
    )


def _columns(columns: object, where: str) -> dict[str, str]:
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise InvalidValue(
            f"{where} [columns]", "", 'write one line per column: "Header" = "field"'
        )
    targets: dict[str, str] = {}
    for header, target in columns.items():
        if not target:
            continue
        if not known_field(target):
            allowed = ", ".join(FIELDS) + ", measure_<name>"
            raise InvalidValue(f"{where} column {header!r}", target, f"use one of {allowed}")
        if target in targets:
            raise InvalidValue(
                f"{where} column {header!r}",
                target,
                f"column {targets[target]!r} maps to it already",
            )
        targets[target] = header
    for needed in REQUIRED:
        if needed not in targets and f"{needed}_1" not in targets:
            raise InvalidValue(f"{where} [columns]", "", f"a column must map to {needed!r}")
    return {h: t for h, t in columns.items() if t}


def _date_format(date_format: object, where: str) -> str:
    if not isinstance(date_format, str) or "%" not in date_format:
        raise InvalidValue(
            f"{where} date_format", str(date_format), "use strftime syntax, e.g. %d/%m/%Y"
        )
    return date_format


def _values(values: object, where: str) -> dict[str, dict[str, str]]:
    if not isinstance(values, dict):
        raise InvalidValue(f"{where} [values]", "", "write tables [values.FIELD]")
    for name, table in values.items():
        if not known_field(name) or not isinstance(table, dict):
            raise InvalidValue(f"{where} [values.{name}]", name, "name a mesolog field")
    return {k: {str(a).strip(): str(b) for a, b in v.items()} for k, v in values.items()}


def _split(split: object, where: str) -> dict[str, str]:
    if not isinstance(split, dict):
        raise InvalidValue(f"{where} [split]", "", 'write one line per field: areas = ","')
    for name, separator in split.items():
        if name not in LIST_FIELDS:
            raise InvalidValue(
                f"{where} [split]", name, f"only {' and '.join(LIST_FIELDS)} hold several values"
            )
        if not isinstance(separator, str) or not separator:
            raise InvalidValue(
                f"{where} [split] {name}", str(separator), 'name the separator, e.g. ","'
            )
    return {str(k): str(v) for k, v in split.items()}


def _units(units: object, where: str) -> dict[str, str]:
    if not isinstance(units, dict) or set(units) - {"amount"}:
        raise InvalidValue(f"{where} [units]", "", 'write amount = "ml" (the unit of amount cells)')
    unit = units.get("amount")
    if unit is None:
        return {}
    try:
        parse.amount(f"1{unit}")
    except InvalidValue:
        raise InvalidValue(
            f"{where} [units] amount", str(unit), "use ml, mg, mcg, IU or U"
        ) from None
    return {"amount": str(unit)}


def text_encoding(name: str, where: str, examples: str = "cp1252") -> str:
    """The standard name of an encoding Python knows (a map's, or ``--encoding``), else a
    refusal naming ``where``."""
    import codecs

    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InvalidValue(where, name, f"name a text encoding, e.g. {examples}") from None


def _header_row(row: object, where: str) -> int:
    if not isinstance(row, int) or isinstance(row, bool) or not 1 <= row <= 1000:
        raise InvalidValue(f"{where} header_row", str(row), "use the row number, 1 to 1000")
    return row


# --- rows through the map -----------------------------------------------------------------------


class MappedColumn(NamedTuple):
    """One column the map reads: its place in the row, its field, its word table."""

    place: int
    target: str
    words: dict[str, str]
    separator: str
    unit: str


def mapped_columns(header: list[str], cmap: ColumnMap) -> list[MappedColumn]:
    found = []
    for i, h in enumerate(header):
        if h in cmap.columns:
            target = cmap.columns[h]
            base = target.rsplit("_", 1)[0] if NUMBERED.match(target) else target
            words = cmap.values.get(target) or cmap.values.get(base) or {}
            # The unit for an amount column (amount, amount_2) whose cells give none.
            unit = cmap.units.get(base, "") if base == "amount" else ""
            found.append(MappedColumn(i, target, words, cmap.split.get(target, ""), unit))
    return found


def mapped_cells(cells: list[str], columns: list[MappedColumn]) -> dict[str, str]:
    """One row (its cells stripped) as field -> text: through the word tables (a cell split on
    the map's separator maps each part), with the map's unit on an amount that gives none."""
    given: dict[str, str] = {}
    for column in columns:
        text = cells[column.place]
        if text[:1] == "'":  # the export's spreadsheet guard: "'=x" was written for "=x"
            text = parse.spreadsheet_unquoted(text)
        if column.separator:
            parts = [p.strip() for p in text.split(column.separator) if p.strip()]
            text = LIST_FIELDS[column.target].join(column.words.get(p, p).strip() for p in parts)
        elif column.words and text in column.words:
            text = column.words[text].strip()
        given[column.target] = text
    for column in (c for c in columns if c.unit):
        unit_key = column.target.replace("amount", "unit", 1)
        if re.fullmatch(r"[\d.,\s]+", given[column.target]) and not given.get(unit_key):
            given[unit_key] = column.unit
    return given
