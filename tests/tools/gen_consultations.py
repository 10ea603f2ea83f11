#!/usr/bin/env python3
"""gen_consultations.py: invented consultations for hamroh's tests and bench.

    gen_consultations.py N [--seed S] [--format jsonl|csv] [--all-fields]
    gen_consultations.py N [--seed S] --edits M [--side a|b]

The first form prints N records of the `consultations` collection (JSON Lines,
one object a line as json.dumps writes it, or CSV with a header line).  Each
has an "id" (32 hex digits) and center, opened_at, channel, client_sex,
client_age, destination, topic, language, summary, status, lawyer and, for
closed cases, outcome and closed_on: the fields a new consultation needs
(store/schema.c, the record rules) and the bench's raw table mirrors
column for column, so only these by default.  --all-fields adds the rest
of the schema: client_name, client_phone, migration_stage and assistance
(referred_to is left out: it would name a directory record that no file
here holds).

The second form prints M edit operations {"id", "field", "value"} on the
records of the same N and S, for two offices working at once: side a sets
`status`, side b rewrites `summary`, except that every fifth operation of
both sides touches the same record (the same one at the same position on
either side), and every other one of those is a `status` set by both sides
to different values, a true concurrent conflict.

No person here is real.  The proportions (mostly men, mostly Russia, patents
and registration first) follow what migration services publish, so that the
figures the bench prints are for data of a realistic shape.

Every value is drawn from SHAKE-256 of the seed and the record's number, not
from Python's `random`, whose choice() and randrange() may change between
Python versions: the output depends on N, S and the options alone, record i
is the same whatever N is (gen 500 is the head of gen 10000), and a record
is the same with or without --all-fields, less the added fields.
"""
import argparse
import csv
import datetime
import hashlib
import json
import sys

TAG = "hamroh-gen/1"

# ---- What a record is made of. ---------------------------------------------

# A legal-aid center in each region of Tajikistan, and some of the towns
# from which most people leave.
CENTERS = [("Dushanbe", 24), ("Khujand", 14), ("Bokhtar", 12), ("Kulob", 11),
           ("Khorog", 4), ("Istaravshan", 6), ("Panjakent", 6), ("Rasht", 5),
           ("Isfara", 5), ("Murghob", 1), ("Vahdat", 6), ("Hisor", 6)]

# Where people work: Russia by far, then Kazakhstan and the rest.
DESTINATIONS = [("RU", 880), ("KZ", 35), ("TR", 15), ("KR", 14), ("AE", 10),
                ("UZ", 10), ("BY", 6), ("DE", 6), ("PL", 5), ("LT", 5),
                ("US", 4), ("KG", 4)]

TOPICS = [("patent", 18), ("registration", 14), ("entry_ban", 12),
          ("work_permit", 9), ("wage_arrears", 9), ("documents_lost", 7),
          ("labor_contract", 6), ("pre_departure", 5), ("family", 4),
          ("citizenship", 3), ("return_reintegration", 3), ("consular", 3),
          ("health_care", 3), ("remittances", 2), ("detention", 2),
          ("trafficking_risk", 2), ("social_protection", 2), ("other", 2)]

STATUSES = ["open", "referred", "closed"]
STATUS_W = [("open", 45), ("referred", 20), ("closed", 35)]
SEXES = [("M", 850), ("F", 148), ("X", 2)]
LANGUAGES = [("tg", 64), ("ru", 31), ("uz", 5)]
CHANNELS = [("walk_in", 50), ("hotline", 30), ("outreach", 12),
            ("online", 8)]
STAGES = [("abroad", 45), ("returned", 28), ("prospective", 17),
          ("family", 10)]
ASSISTANCE = [("information", 34), ("counsel", 34), ("document_drafting", 16),
              ("representation", 7), ("mediation", 6), ("accompaniment", 3)]

FIRST_DAY = datetime.date(2022, 1, 1).toordinal()
NDAYS = datetime.date(2026, 1, 1).toordinal() - FIRST_DAY
DATES = [datetime.date.fromordinal(FIRST_DAY + d).isoformat()
         for d in range(NDAYS + 120)]

# Phrases of a case note in each language the centers write in.  A note is
# a run of these (no digits, tabs or newlines: edits travel as TSV in tests).
PHRASES = {
    "tg": [p.strip() for p in """
        муҳоҷир, корфармо, шартномаи меҳнатӣ, музди меҳнат, патент,
        бақайдгирӣ, ҳуҷҷатҳо, шиноснома, манъи вуруд, консулгарӣ, бозгашт,
        оила, ҳуқуқи муҳоҷир, маслиҳат дода шуд, ариза навишт, суд,
        мӯҳлати патент гузашт, пардохт накард, дар сохтмон кор мекард,
        дар бозор, дар Москва, дар Екатеринбург, дар Новосибирск,
        шиноснома гум шуд, патент дода нашуд, корфармо маош надод,
        ёрдам талаб кард, суғуртаи тиббӣ, ҷарима, шаҳодатномаи таваллуд,
        модараш муроҷиат кард, зану фарзанд, кор намекунад, се моҳ,
        шикоят ба прокуратура, ба вакил фиристода шуд, телефон намеҷавобад,
        бояд тамдид карда шавад, бо ҳамроҳи бародараш, аз вуруд манъ шуд
        """.split(",")],
    "ru": [p.strip() for p in """
        мигрант, работодатель, трудовой договор, задержка зарплаты, патент,
        регистрация по месту пребывания, паспорт, запрет на въезд,
        консульство, адвокат, жалоба, суд, депортация, миграционная карта,
        штраф, в Москве, в Санкт-Петербурге, в Екатеринбурге,
        в Новосибирске, в Казани, на стройке, на складе, на рынке,
        доверенность, продление патента, срок истёк, обратился сам,
        просит помочь, не выплатили за три месяца, документы изъяты,
        заявление в прокуратуру, семья в Душанбе, возвращение домой,
        медицинская страховка, отказ в продлении, звонила жена,
        работает без договора, нужен перевод документов
        """.split(",")],
    "uz": [p.strip() for p in """
        migrant, ish beruvchi, mehnat shartnomasi, maosh, patent,
        ro'yxatdan o'tish, pasport, kirish taqiqi, konsullik, qaytish,
        oila, yordam so'radi, hujjatlar, sudga ariza, muddati o'tgan,
        jarima, Moskvada, Yekaterinburgda, qurilishda, bozorda,
        uch oy to'lanmadi, shikoyat, advokatga yuborildi
        """.split(",")],
}

OUTCOMES = {
    "tg": ["Патент дароз карда шуд.", "Маош пурра пардохт шуд.",
           "Манъи вуруд бекор карда шуд.", "Ҳуҷҷатҳо барқарор карда шуданд.",
           "Ба консулгарӣ фиристода шуд.", "Маслиҳат дода шуд, кор пӯшида."],
    "ru": ["Патент продлён.", "Задолженность по зарплате выплачена.",
           "Запрет на въезд снят судом.", "Паспорт восстановлен.",
           "Передано в консульство.", "Консультация дана, дело закрыто."],
    "uz": ["Patent uzaytirildi.", "Maosh to'landi.",
           "Kirish taqiqi bekor qilindi.", "Hujjatlar tiklandi."],
}

# People.  Given names and the stems of family names in Tajik spelling; the
# Russian spelling and the Latin of passports are derived from them, as the
# same person is written all three ways in real files.
MEN = ("Рустам Фаррух Дилшод Ҷамшед Фирдавс Баҳтиёр Сунатулло Умед Хуршед "
       "Анвар Беҳруз Шаҳриёр Манучеҳр Абдулло Давлат Парвиз Суҳроб Некруз "
       "Зафар Илҳом Ғайрат Қурбон Меҳрубон Шоҳрух Исмоил").split()
WOMEN = ("Зарина Нигина Мадина Гулнора Фарзона Меҳрангез Шаҳло Дилноза "
         "Таҳмина Ситора Муниса Парвина Фируза Малика Нилуфар Ҷамила "
         "Гулчеҳра Мавҷуда Саодат Зулайхо").split()
STEMS = ("Раҳим Назар Карим Шариф Сафар Бобо Саттор Одина Мирзо Қодир Исмоил "
         "Ҳасан Давлат Саид Хол Раҷаб Собир Ашур Юсуф Ҷӯра Ғаффор Ҳаким "
         "Амин Нур Шукур Қурбон").split()
# Russians living in Tajikistan, and spouses: a few of the clients.
RU_MEN = ["Иван Петров", "Сергей Кузнецов", "Андрей Смирнов",
          "Дмитрий Волков", "Александр Морозов"]
RU_WOMEN = ["Ольга Смирнова", "Наталья Иванова", "Елена Попова",
            "Татьяна Орлова", "Светлана Козлова"]

TG_TO_RU = str.maketrans({"ҳ": "х", "Ҳ": "Х", "қ": "к", "Қ": "К",
                          "ҷ": "дж", "Ҷ": "Дж", "ғ": "г", "Ғ": "Г",
                          "ӣ": "и", "ӯ": "у", "Ӯ": "У"})
LATIN = {"а": "a", "б": "b", "в": "v", "г": "g", "ғ": "gh", "д": "d",
         "е": "e", "ё": "yo", "ж": "zh", "з": "z", "и": "i", "ӣ": "i",
         "й": "y", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n",
         "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
         "ӯ": "u", "ф": "f", "х": "kh", "ҳ": "h", "ч": "ch", "ҷ": "j",
         "ш": "sh", "ъ": "", "э": "e", "ю": "yu", "я": "ya", "ы": "y",
         "ь": "", "щ": "shch", "ц": "ts"}


def latin(s):
    out = []
    for ch in s:
        t = LATIN.get(ch.lower(), ch)
        out.append(t.capitalize() if ch.isupper() else t)
    return "".join(out)


def family(stem, woman, kind):
    """A family name from ${stem}: -ов/-ова, -зода or -ӣ, as ${kind} says."""
    if kind == 0:
        return stem + "зода"
    if kind == 1 and not woman:
        return stem + "ӣ"
    tail = "ев" if stem[-1] in "аоуиӯӣ" else "ов"
    return stem + tail + ("а" if woman else "")


# ---- Drawing. --------------------------------------------------------------

def table(pairs):
    """A weighted choice as a list to index: value i repeated w_i times."""
    out = []
    for v, w in pairs:
        out.extend([v] * w)
    return out


T_CENTER = table(CENTERS)
T_DEST = table(DESTINATIONS)
T_TOPIC = table(TOPICS)
T_STATUS = table(STATUS_W)
T_SEX = table(SEXES)
T_LANG = table(LANGUAGES)
T_CHANNEL = table(CHANNELS)
T_STAGE = table(STAGES)
T_ASSIST = table(ASSISTANCE)


def stream(*parts, n=64):
    """${n} bytes determined by ${parts} and nothing else."""
    key = "\0".join([TAG] + [str(p) for p in parts]).encode()
    return hashlib.shake_256(key).digest(n)


def u16(b, i):
    return b[i] << 8 | b[i + 1]


def pick(t, b, i):
    """An element of ${t}, by the 16 bits at ${b}[i] (bias < 1/64 for the
    tables here; no figure depends on it)."""
    return t[u16(b, i) % len(t)]


def note(phrases, b, off, lo, hi):
    """A case note of ${lo}..${hi} ${phrases}, from ${b}[off:]: sentences
    of one to four phrases."""
    k = lo + b[off] % (hi - lo + 1)
    np = len(phrases)
    out = []
    for j in range(off + 1, off + 1 + k):
        x = b[j]
        p = phrases[(x >> 2) % np]
        if not out or out[-1][-1] == ".":
            p = p[:1].upper() + p[1:]
        out.append(p + ("." if x & 3 == 0 or j == off + k else ","))
    return " ".join(out)


# Bytes of a record's stream: 0..15 id, 16..39 fields, 40.. the note.
REC_BYTES = 40 + 1 + 26


def rec_id(seed, i):
    return stream("rec", seed, i, n=16).hex()


def record(seed, i, full):
    b = stream("rec", seed, i, n=REC_BYTES)
    lang = pick(T_LANG, b, 16)
    day = u16(b, 18) % NDAYS
    sex = pick(T_SEX, b, 20)
    dest = pick(T_DEST, b, 22)
    status = pick(T_STATUS, b, 24)
    # Age: the sum of two draws, most people between 25 and 45.
    age = 18 + b[26] % 24 + b[27] % 23
    center = pick(T_CENTER, b, 28)
    r = {
        "id": b[:16].hex(),
        "center": center,
        "opened_at": DATES[day],
        "client_sex": sex,
        "client_age": age,
        "destination": dest,
        "topic": pick(T_TOPIC, b, 30),
        "language": lang,
        "summary": note(PHRASES[lang], b, 40, 6, 26),
        "status": status,
        "lawyer": LAWYERS[center][b[32] % 8],
    }
    m = stream("more", seed, i, n=32)
    # What the forms need: drawn where --all-fields always drew them.
    r["channel"] = pick(T_CHANNEL, m, 0)
    if status == "closed":
        r["outcome"] = OUTCOMES[lang][m[26] % len(OUTCOMES[lang])]
        r["closed_on"] = DATES[day + m[27] % 120]
    if full:
        more(r, m, day, sex, dest, lang)
    return r


def staff(center, k):
    """Lawyer ${k} of ${center}: an initial and a family name."""
    b = stream("lawyer", center, k, n=4)
    woman = b[0] % 3 == 0
    names = WOMEN if woman else MEN
    given = names[b[1] % len(names)]
    return "%s. %s" % (given[0], family(STEMS[b[2] % len(STEMS)], woman,
                                        b[3] % 3))


# Eight lawyers a center.
LAWYERS = {c: [staff(c, k) for k in range(8)] for c, _ in CENTERS}


def more(r, b, day, sex, dest, lang):
    """The fields of --all-fields, into ${r}."""
    woman = sex == "F" or (sex == "X" and b[2] & 1)
    if b[3] < 10:
        names = RU_WOMEN if woman else RU_MEN
        name = names[b[4] % len(names)]
    else:
        names = WOMEN if woman else MEN
        given = names[u16(b, 4) % len(names)]
        fam = family(STEMS[u16(b, 6) % len(STEMS)], woman, b[8] % 3)
        name = "%s %s" % (given, fam)
        # As the name was written down: Tajik, Russian or passport Latin.
        if b[9] % 10 >= 8:
            name = latin(name)
        elif b[9] % 10 >= 5:
            name = name.translate(TG_TO_RU)
    r["client_name"] = name
    # Most have a phone: a Russian number when working there, else Tajik.
    if b[10] < 220:
        d = "".join(str(x % 10) for x in b[11:20])
        if dest == "RU" and b[20] & 1:
            r["client_phone"] = "+7 9%s %s-%s-%s" % (d[:2], d[2:5], d[5:7],
                                                    d[7:9])
        else:
            op = ["90", "91", "92", "93", "98", "50", "55", "77", "88"]
            r["client_phone"] = "+992 %s %s %s" % (op[b[21] % 9], d[:3],
                                                   d[3:7])
    r["migration_stage"] = pick(T_STAGE, b, 22)
    r["assistance"] = pick(T_ASSIST, b, 24)


# ---- Edits. ----------------------------------------------------------------

def overlap(seed, n, count):
    """${count} distinct record numbers below ${n}, the same for both
    sides: the first steps of a Fisher-Yates shuffle of range(n)."""
    b = stream("overlap", seed, n, n=8 * count)
    idx = list(range(n))
    for j in range(count):
        x = int.from_bytes(b[8 * j:8 * j + 8], "big")
        k = j + x % (n - j)
        idx[j], idx[k] = idx[k], idx[j]
    return idx[:count]


def edits(n, seed, m, side):
    shared = overlap(seed, n, min(n, (m + 4) // 5))
    for k in range(m):
        b = stream("edit", seed, n, side, k, n=48)
        field = "status" if side == "a" else "summary"
        value = None
        j = k // 5
        if k % 5 == 0 and j < len(shared):
            i = shared[j]
            if j % 2 == 0:
                # Both sides set this status, to different values.
                s = stream("both", seed, n, j, n=1)[0]
                field = "status"
                value = STATUSES[(s + (side == "b")) % 3]
        else:
            i = int.from_bytes(b[:4], "big") % n
        if value is None and field == "status":
            value = STATUSES[b[4] % 3]
        elif value is None:
            value = note(PHRASES[pick(T_LANG, b, 5)], b, 7, 6, 24)
        yield {"id": rec_id(seed, i), "field": field, "value": value}


# ---- Output. ---------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(
        description="Invented consultations for hamroh's tests and bench.")
    p.add_argument("n", type=int, help="number of records")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    p.add_argument("--all-fields", action="store_true",
                   help="every consultation field, not the bench's ten")
    p.add_argument("--edits", type=int, default=0, metavar="M",
                   help="print M edit operations instead of records")
    p.add_argument("--side", choices=["a", "b"], default="a")
    a = p.parse_args()
    if a.n < 0 or a.edits < 0 or (a.edits and a.n == 0):
        p.error("N and M must not be negative; edits need records")
    out = sys.stdout
    if a.edits:
        for e in edits(a.n, a.seed, a.edits, a.side):
            out.write(json.dumps(e, ensure_ascii=False) + "\n")
        return
    rows = (record(a.seed, i, a.all_fields) for i in range(a.n))
    if a.format == "jsonl":
        dumps = json.dumps
        out.writelines(dumps(r, ensure_ascii=False) + "\n" for r in rows)
        return
    cols = ["id", "center", "opened_at", "client_sex", "client_age",
            "destination", "topic", "language", "summary", "status", "lawyer",
            "channel", "outcome", "closed_on"]
    if a.all_fields:
        cols += ["client_name", "client_phone", "migration_stage",
                 "assistance"]
    w = csv.DictWriter(out, fieldnames=cols)
    w.writeheader()
    w.writerows(rows)


if __name__ == "__main__":
    main()
