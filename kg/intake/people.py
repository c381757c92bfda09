"""People and their roles as an article writes them beside a quotation: the name's shape, and the role and
organisation in the clauses around it ("X founder and CEO Name said", "said Name, CSO of X", "lead
investigator, Name, Institute, said").
"""

import re

from . import patterns as P

PERSON = re.compile(r"\b((?:[A-Z][a-z]+\.?\s+){0,2}[A-Z][a-zA-Z’']+(?:-[A-Z][a-z]+)?"
                     r"(?:\s+[A-Z][a-zA-Z’']+(?:-[A-Z][a-z]+)?){1,2})\b")


def ends_organisation(word: str) -> bool:
    return word.lower().strip(".’'") in {e.strip(".") for e in P.COMPANY_ENDINGS + P.AUTHORITY_ENDINGS} | {
        "university", "college", "hospital", "school", "foundation", "society", "health", "cancer"}


def find_role(text: str, start: int, end: int) -> tuple[str | None, str | None]:
    """The role (and organisation) written next to a person's name: before it in the same clause ("X founder and
    CEO Name"), after it ("Name, CSO of X"), or in the clause before it ("lead investigator, Name, X")."""
    chunks = [(m.start(), m.end(), m.group()) for m in re.finditer(r"[^,:“”\"]+", text)]
    index = next((i for i, c in enumerate(chunks) if c[0] <= start < c[1] or c[0] <= start - 1 < c[1]), None)
    if index is None:
        return None, None
    pre = text[chunks[index][0]:start].strip()
    pre = re.sub(r"^(?:according to|said|says|stated|added)\s+", "", pre, flags=re.IGNORECASE).strip()
    pre = _strip_honorifics(pre)
    i = index
    while _has_role(pre) and i > 0 and _has_role(chunks[i - 1][2]) and not re.search(r"[“”\"]", text[chunks[i - 1][1]:
                                                                                                         chunks[i][0]]):
        i -= 1
        pre = text[chunks[i][0]:start].strip()
    if _has_role(pre):
        words = pre.split()
        at = next(j for j, w in enumerate(words) if is_role_word(w))
        organisation = " ".join(words[:at]).strip() or None
        return " ".join(words[at:]).strip(" ,"), organisation
    after = text[end:]
    if after.startswith(","):
        roles, organisation = [], None
        for c_start, _c_end, chunk in chunks[index + 1:]:
            if c_start < end:
                continue
            chunk = chunk.strip()
            if re.match(r"^(?:said|says|stated|added)\b", chunk, re.IGNORECASE):
                break
            if _has_role(chunk):
                roles.append(chunk)
                continue
            if chunk and chunk[0].isupper() and len(chunk.split()) <= 8:
                organisation = chunk.rstrip(".")
            break
        if roles:
            role = ", ".join(roles)
            role = re.sub(r"^the\s+", "", role, flags=re.IGNORECASE)
            m = re.search(r"\s+(?:of|at)\s+([A-Z].*)$", role)
            if m and organisation is None:
                organisation, role = m.group(1).rstrip("."), role[:m.start()]
            first = role.split()[0] if role.split() else ""
            if organisation is None and first.isupper() and len(first) > 1 and not is_role_word(first):
                organisation, role = first, role[len(first):].strip()
            return role.strip(" ,"), organisation
    if index > 0 and _has_role(chunks[index - 1][2]) and not pre:
        role = chunks[index - 1][2].strip()
        nxt = chunks[index + 1][2].strip() if index + 1 < len(chunks) else ""
        organisation = nxt.rstrip(".") if nxt and nxt[0].isupper() and len(nxt.split()) <= 8 else None
        return role, organisation
    return None, None


def _strip_honorifics(text: str) -> str:
    words = text.split()
    while words and words[-1].lower() in P.HONORIFICS:
        words = words[:-1]
    return " ".join(words)


def is_role_word(word: str) -> bool:
    return word.lower().strip(",.") in P.ROLE_WORDS


def _has_role(text: str) -> bool:
    return any(is_role_word(w) for w in text.split())
