#!/usr/bin/env python3
"""Check the UI's catalogs (agent/ui/lang/README.md) against each other,
the operations' messages and the schema.  Prints one line per problem and
exits 1 if there is any; tests/cli/t_i18n.sh runs it on the real files
and on broken copies.

  i18n_check.py --src DIR --built DIR --catalog catalog.def
                --schema schema.c --users users.c

--src: agent/ui/lang (en.json: ui.* keys only; tg.json, ru.json: all keys)
--built: what the build made of it ($(B)/ui/lang: en.json merged by
mken.awk with catalog.def's English, tg.json and ru.json copied).
"""
import argparse
import ast
import json
import re
import sys

LANGS = ("en", "tg", "ru")
# The plural categories each language's rule (i18n.js pluralCategory) yields.
PLURALS = {"en": {"one", "other"}, "tg": {"other"},
           "ru": {"one", "few", "many", "other"}}
CATEGORIES = {"one", "few", "many", "other"}
# Values that are rightly the same as the English: the brand, the names of
# the languages in themselves, command-line options shown as they are.
SAME_AS_EN = {"ui.app.name", "ui.lang.tg", "ui.lang.ru", "ui.lang.en",
              "INIT_NAME", "INIT_CENTER"}
# ui.* values of tg and ru that may lack Cyrillic letters.
NO_CYRILLIC_OK = {"ui.app.name", "ui.lang.en"}
PLACEHOLDER = re.compile(r"\{([1-5])\}")
OPS_KEY = re.compile(r"^[A-Z][A-Z0-9_]*$")
UI_KEY = re.compile(r"^ui(\.[A-Za-z0-9_]+)+$")
CYRILLIC = re.compile("[\u0400-\u04ff]")

problems = []


def bad(msg):
    problems.append(msg)


def load(path):
    """A flat JSON object of strings, or None (the problem reported)."""
    try:
        raw = open(path, "rb").read()
    except OSError as e:
        bad(f"{path}: {e.strerror}")
        return None
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        bad(f"{path}: not valid UTF-8 at byte {e.start}")
        return None

    def pairs(kv):
        seen = {}
        for k, v in kv:
            if k in seen:
                bad(f"{path}: key {k} twice")
            seen[k] = v
        return seen
    try:
        obj = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as e:
        bad(f"{path}: not valid JSON: {e}")
        return None
    if not isinstance(obj, dict):
        bad(f"{path}: not a JSON object")
        return None
    for k, v in obj.items():
        if not isinstance(v, str):
            bad(f"{path}: {k} is not a string")
        elif re.search(r"[\x00-\x1f\x7f]", v):
            bad(f"{path}: {k} holds a control character")
        if not (OPS_KEY.match(k) or UI_KEY.match(k)):
            bad(f"{path}: key {k!r} is neither an operations key "
                "(UPPER_SNAKE) nor a ui.* key")
    return {k: v for k, v in obj.items() if isinstance(v, str)}


def catalog_def(path):
    """catalog.def's keys and English, in order."""
    out = {}
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.startswith("MSG("):
            continue
        m = re.match(r'^MSG\(([A-Z][A-Z0-9_]*), (".*")\)$', line.rstrip("\n"))
        if not m:
            bad(f"{path}:{n}: not MSG(KEY, \"text\") on one line")
            continue
        out[m.group(1)] = ast.literal_eval(m.group(2))
    if not out:
        bad(f"{path}: no MSG lines")
    return out


def schema_needs(schema_path, users_path):
    """The ui.* keys the schema's forms need: a label for every field of
    the collections a user fills in, one for every coded value, every
    assigned country, every user role."""
    src = open(schema_path, encoding="utf-8").read()
    arrays = {name: re.findall(r'"(\w+)"', body) for name, body in
              re.findall(r"static const char \*const (\w+)\[\] = \{(.*?)\};",
                         src, re.S)}
    need = set()
    for coll in ("consultations", "directory", "guides", "members"):
        m = re.search(r"static const struct field_def %s\[\] = \{(.*?)\n\};"
                      % coll, src, re.S)
        if not m:
            bad(f"{schema_path}: no field table {coll}")
            continue
        body = m.group(1)
        fields = re.findall(r'(?:TEXT|ENUM|DATE)\("(\w+)"|\{ "(\w+)", FK_',
                            body)
        # Members are the admin page's: it labels what it shows.
        for a, b in fields if coll != "members" else ():
            need.add(f"ui.field.{coll}.{a or b}")
        for f, arr in re.findall(r'ENUM\("(\w+)", (\w+),', body):
            for code in arrays.get(arr, []):
                need.add(f"ui.value.{f}.{code}")
    # Rules that list values (RULE_ONE_OF): the field's values.
    for f, arr in re.findall(
            r'RULE_ONE_OF, "(\w+)", NULL, NULL, (\w+) \}', src):
        for code in arrays.get(arr, []):
            need.add(f"ui.value.{f}.{code}")
    m = re.search(r"static const char countries\[\] =(.*?);", src, re.S)
    codes = "".join(re.findall(r'"([A-Z]*)"', m.group(1))) if m else ""
    if len(codes) != 2 * 249:
        bad(f"{schema_path}: expected 249 country codes, read "
            f"{len(codes) // 2}")
    countries = {f"ui.country.{codes[i:i + 2]}"
                 for i in range(0, len(codes), 2)}
    users = open(users_path, encoding="utf-8").read()
    for role in re.findall(r'\[USER_\w+\] = "(\w+)"', users):
        if role != "recovery":		# the recovery code, not a person
            need.add(f"ui.value.user_role.{role}")
    return need | countries, countries


# Keys whose last part is a code of the schema ("other" is a topic, a
# kind, a language), never a plural category.
CODES = ("ui.value.", "ui.field.", "ui.country.")


def plural_base(key):
    """"ui.results" for "ui.results.few"; None for a key not a count."""
    head, _, last = key.rpartition(".")
    if last not in CATEGORIES or not head.startswith("ui.") or \
            key.startswith(CODES):
        return None
    return head


def check(args):
    ops = catalog_def(args.catalog)
    src = {l: load(f"{args.src}/{l}.json") for l in LANGS}
    built = {l: load(f"{args.built}/{l}.json") for l in LANGS}
    if None in src.values() or None in built.values() or not ops:
        return

    # en.json holds the ui.* keys only; the build adds catalog.def's.
    for k in src["en"]:
        if not k.startswith("ui."):
            bad(f"{args.src}/en.json: {k}: the operations' English is "
                "catalog.def's; keep only ui.* keys here")
    want = dict(ops)
    want.update(src["en"])
    if built["en"] != want:
        for k in sorted(set(want) ^ set(built["en"])):
            bad(f"{args.built}/en.json: key {k} "
                f"{'missing' if k in want else 'extra'} (mken.awk output)")
        for k in sorted(set(want) & set(built["en"])):
            if want[k] != built["en"][k]:
                bad(f"{args.built}/en.json: {k} is {built['en'][k]!r}, "
                    f"catalog.def or en.json says {want[k]!r}")
    for l in ("tg", "ru"):
        if built[l] != src[l]:
            bad(f"{args.built}/{l}.json differs from {args.src}/{l}.json "
                "(run make)")
    cat = {"en": want, "tg": src["tg"], "ru": src["ru"]}

    # The operations' keys: all of them, and no other, in tg and ru.
    for l in ("tg", "ru"):
        have = {k for k in cat[l] if not k.startswith("ui.")}
        for k in sorted(set(ops) - have):
            bad(f"{l}.json: missing {k} (catalog.def)")
        for k in sorted(have - set(ops)):
            bad(f"{l}.json: {k} is not in catalog.def (left over?)")

    # ui.* keys: the same in all three, but for the plural categories each
    # language has.
    plain = {}
    groups = {}
    for l in LANGS:
        plain[l] = set()
        groups[l] = {}
        for k in cat[l]:
            if not k.startswith("ui."):
                continue
            base = plural_base(k)
            if base:
                groups[l].setdefault(base, set()).add(k.rpartition(".")[2])
            else:
                plain[l].add(k)
    for l in ("tg", "ru"):
        for k in sorted(plain["en"] - plain[l]):
            bad(f"{l}.json: missing {k}")
        for k in sorted(plain[l] - plain["en"]):
            bad(f"{l}.json: {k} is not in en.json")
        for b in sorted(set(groups["en"]) - set(groups[l])):
            bad(f"{l}.json: missing the count {b}.*")
        for b in sorted(set(groups[l]) - set(groups["en"])):
            bad(f"{l}.json: the count {b}.* is not in en.json")
    for l in LANGS:
        for b, cats in sorted(groups[l].items()):
            if cats != PLURALS[l]:
                bad(f"{l}.json: the count {b} has {'/'.join(sorted(cats))}; "
                    f"{l} needs exactly {'/'.join(sorted(PLURALS[l]))}")
        both = plain[l] & set(groups[l])
        for b in sorted(both):
            bad(f"{l}.json: {b} is both a key and a count")

    def english(k):
        if k in cat["en"]:
            return cat["en"][k]
        base = plural_base(k)
        return cat["en"].get(f"{base}.other") if base else None

    # Placeholders, English words left, Cyrillic present.
    for l in LANGS:
        for k, v in cat[l].items():
            if re.search(r"\{(?![1-5]\})", v):
                bad(f"{l}.json: {k}: a '{{' that is not {{1}}..{{5}}: {v!r}")
            if l == "en":
                continue
            en = english(k)
            if en is None:
                continue
            if set(PLACEHOLDER.findall(v)) != set(PLACEHOLDER.findall(en)):
                bad(f"{l}.json: {k}: placeholders "
                    f"{sorted(set(PLACEHOLDER.findall(v)))} but the English "
                    f"has {sorted(set(PLACEHOLDER.findall(en)))}")
            words = re.search(r"[^\W\d_]", PLACEHOLDER.sub("", v))
            if v == en and words and k not in SAME_AS_EN:
                bad(f"{l}.json: {k} is the English text {v!r}")
            if (k.startswith("ui.") and words and not CYRILLIC.search(v)
                    and k not in NO_CYRILLIC_OK):
                bad(f"{l}.json: {k} has no Tajik or Russian word: {v!r}")

    # What the forms show: every field, coded value, country and role.
    need, countries = schema_needs(args.schema, args.users)
    for k in sorted(need - plain["en"]):
        bad(f"en.json: missing {k} (the schema has it)")
    for k in sorted(k for k in plain["en"]
                    if k.startswith("ui.country.") and k not in countries):
        bad(f"en.json: {k} is not an assigned country code")


def main():
    p = argparse.ArgumentParser()
    for a in ("src", "built", "catalog", "schema", "users"):
        p.add_argument("--" + a, required=True)
    args = p.parse_args()
    check(args)
    for m in problems:
        print(m)
    if problems:
        print(f"i18n_check: {len(problems)} problems", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
