"""Long synthetic documents for the diff tests and bench/diff.py: random words in paragraphs of
40 to `longest` words, and a copy with a share of its words replaced."""

from __future__ import annotations

import random


def long_document(words: int, *, seed: int, vocabulary: int, longest: int) -> list[str]:
    rnd = random.Random(seed)
    vocab = [f"w{n}" for n in range(vocabulary)]
    paras = []
    while words > 0:
        n = min(words, rnd.randint(40, longest))
        paras.append(" ".join(rnd.choice(vocab) for _ in range(n)) + ".")
        words -= n
    return paras


def edit_words(paras: list[str], share: float, *, seed: int, token: str) -> list[str]:
    """`paras` with `share` of its words replaced by `token` plus a random number."""
    rnd = random.Random(seed)
    out = [p.split(" ") for p in paras]
    total = sum(map(len, out))
    for _ in range(int(total * share)):
        p = rnd.choice(out)
        p[rnd.randrange(len(p))] = f"{token}{rnd.randrange(10**6)}"
    return [" ".join(p) for p in out]


# Real words of four scripts, for long generated documents in each (bench/diff.py): Thai and
# Chinese are written without spaces between words, Hindi and Russian with them. Words are
# listed with spaces between them (Chinese: characters).
SCRIPT_WORDS = {
    "th": (
        "รัฐบาล ประกาศ ว่า สะพาน ใหม่ จะ เปิด ให้ รถ วิ่ง ได้ ใน ฤดู ฝน ปี หน้า ช้า กว่า ที่ วาง แผน "
        "ไว้ หลังจาก วิศวกร พบ รอย ร้าว ประชาชน ใน จังหวัด เชียงใหม่ บอก ว่า การ เดินทาง ลำบาก มาก "
        "นายก รัฐมนตรี กล่าว กับ ผู้สื่อข่าว เมื่อ วัน อังคาร"
    ),
    "hi": (
        "सरकार ने मंगलवार को कहा कि नदी पर नया पुल अगले साल वसंत में यातायात के लिए खुलेगा जो "
        "पहले की योजना से दो साल देर है इंजीनियरों को दरारें मिलीं शहर के लोग कहते हैं कि यात्रा "
        "बहुत कठिन हो गई है प्रधानमंत्री ने पत्रकारों से बात की और बताया काम जारी रहेगा"
    ),
    "ru": (
        "правительство заявило во вторник что новый мост через реку откроется для движения "
        "весной следующего года на два года позже чем планировалось после того как инженеры "
        "нашли трещины жители города говорят что поездки стали очень трудными премьер-министр "
        "сказал журналистам работы продолжатся корабле невидимке"
    ),
    "zh": " ".join(
        "政府周二宣布新的大桥将于明年春天通车比原计划晚两年工程师发现裂缝市民说出行非常困难总理对记者表示工程将继续"
    ),
}
_SENTENCE_END = {"th": " ", "hi": "।", "ru": ".", "zh": "。"}
_JOIN = {"th": "", "hi": " ", "ru": " ", "zh": ""}


def script_sentence(lang: str, rnd: random.Random) -> str:
    vocabulary = SCRIPT_WORDS[lang].split()
    words = [rnd.choice(vocabulary) for _ in range(rnd.randint(6, 16))]
    return _JOIN[lang].join(words) + _SENTENCE_END[lang]


def script_document(lang: str, words: int, *, seed: int) -> list[str]:
    """Paragraphs of 2 to 6 generated sentences in one script, about `words` words in all."""
    rnd = random.Random(seed)
    paras: list[str] = []
    while words > 0:
        sentences = [script_sentence(lang, rnd) for _ in range(rnd.randint(2, 6))]
        paras.append((" " if _JOIN[lang] else "").join(sentences).strip())
        words -= sum(len(s.split()) if _JOIN[lang] else len(s) // 3 for s in sentences)
    return paras
