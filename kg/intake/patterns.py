"""The extraction rules, as data: spaCy `Matcher` token patterns for the words that announce a regulatory
event, and the word lists that qualify them. Each rule describes language (a verb, a noun, the shape of a
phrase), never one product, company or article; `docs/intake.md` says how to add one.

A trigger's label is the kind of fact it announces. `extract` reads, around each trigger, the names and the
date that belong to it.
"""

# Verbs and nouns of a decision, by kind of fact. A pattern is a list of token specifications (spaCy Matcher).
def _words(*words: str) -> dict:
    return {"LOWER": {"IN": list(words)}}


_ANY = {"OP": "?", "IS_PUNCT": False}

TRIGGERS: dict[str, list[list[dict]]] = {
    "approval": [
        [_words("approves", "approved", "approve", "authorised", "authorized", "authorises", "authorizes")],
        [_words("approval", "approvals", "authorisation", "authorization", "authorisations", "authorizations")],
        [_words("positive"), _words("decision")],
        [_words("notice"), _words("of"), _words("compliance")],
        [_words("renewed")],
    ],
    "under_review": [
        [_words("under"), _ANY, _words("review", "evaluation", "assessment")],
        [_words("review", "reviews"), _words("ongoing", "underway", "pending")],
        [_words("ongoing", "pending"), _words("review", "reviews")],
        [_words("accepted", "accepts", "validated", "validates"), _ANY, _ANY, _ANY, _ANY, _ANY,
         _words("application", "applications", "submission", "filing", "dossier", "bla", "sbla", "nda", "snda",
                "maa", "variation")],
        [_words("submitted", "submits", "filed", "files", "filing"), _ANY, _ANY, _ANY, _ANY, _ANY, _ANY,
         _words("application", "variation", "bla", "maa", "nda", "dossier")],
        [_words("submission", "submissions")],
        [_words("recommendation", "recommended", "recommends")],
        [_words("positive"), _words("opinion")],
        [_words("bla", "nda", "maa", "application"), _words("review")],
    ],
    "rejection": [
        [_words("complete"), _words("response"), _words("letter", "letters")],
        [_words("crl")],
        [_words("refused", "refuses", "refusal", "rejected", "rejects", "rejection")],
        [_words("negative"), _words("opinion")],
        [_words("declined", "declines"), _words("to"), _words("approve", "authorise", "authorize")],
    ],
    "withdrawal": [
        [_words("withdrew", "withdrawn", "withdraws", "withdrawal", "revoked", "revokes", "revocation")],
    ],
    "gmp_inspection": [
        [{"LOWER": "gmp"}, _ANY, _ANY, _words("recognition", "certificate", "certification", "licence", "license",
                                               "inspection", "approval", "compliance")],
        [_words("inspection", "inspections", "inspected")],
        [_words("manufacturing"), _words("licence", "license", "authorisation", "authorization")],
    ],
    "pics_membership": [
        [_words("member", "members", "membership", "participating")],
        [_words("joins", "joined", "join", "accession", "acceded", "accedes")],
        [_words("includes", "include", "including")],
    ],
}

# Words that undo a trigger when they come just before it (within `NEGATION_WINDOW` tokens): an approval
# sought, hoped for or needed is no decision, and no decision is one that is denied ("did not approve", "has not
# yet approved") or only possible ("could approve", "will approve").
NEGATION_WINDOW = 3
DENIED_OR_POSSIBLE = {"not", "never", "yet", "no", "could", "may", "might", "would", "will", "should", "can",
                      "cannot", "didn't", "hasn't", "haven't", "hadn't", "won't", "wouldn't", "couldn't",
                      "can't", "shouldn't", "didn’t", "hasn’t", "haven’t", "hadn’t", "won’t", "wouldn’t",
                      "couldn’t", "can’t", "shouldn’t"}
# Modal words that are also names when capitalised ("In May the agency approved ..."): read as modal only in
# lower case.
MODAL_ONLY_IN_LOWER_CASE = {"may", "will"}
NEGATIONS: dict[str, set[str]] = {
    "approval": {"seeking", "seek", "seeks", "sought", "support", "supporting", "towards", "toward", "if",
                 "for", "pending", "awaiting", "await", "expected", "potential", "possible", "recommended",
                 "withdrew", "withdrawn"} | DENIED_OR_POSSIBLE,
    "under_review": {"re", "after"} | DENIED_OR_POSSIBLE,
    "rejection": set(DENIED_OR_POSSIBLE),
    "withdrawal": set(DENIED_OR_POSSIBLE),
}
# Words that undo a trigger when they follow it: an authorisation's holder is no decision, nor is a trial
# authorisation.
FOLLOWERS_UNDO: dict[str, set[str]] = {
    "approval": {"holder", "holders", "application", "applications", "process", "pathway", "procedure"},
    "rejection": set(),
}
# Words just after a decision word that make it one still to come ("approval is expected in 2025").
FUTURE_WINDOW = 3
FUTURE = {"expected", "anticipated", "planned", "sought", "pending", "hoped"}
# A decision the sentence makes into a claim ("the first ... approved in X") is read as a claim only.
CLAIM_WORDS = ("the first", "first-ever", "the only", "first and only")
# Within this many characters after an approval word, these words make it an approval of trials, not of the
# product: not a marketing decision.
TRIAL_APPROVAL = ("clinical trial", "clinical trials", "clinical stud", "trial application", "ind ")
# A PIC/S trigger counts only in a sentence that names the scheme.
PICS_NAMES = ("pic/s", "pharmaceutical inspection co-operation scheme", "pharmaceutical inspection convention")
# A GMP licence or inspection is one only in a sentence that speaks of GMP or manufacturing.
GMP_CONTEXT = ("gmp", "manufactur", "good manufacturing practice")

# Dates after these words are not the date of the decision the sentence reports.
NOT_DECISION_DATES = ("effective", "valid until", "expire", "target action date", "pdufa date", "action date of",
                      "goal date", "expected by", "deadline", "said", "says", "told", "stated")
# A date of the announcement, not of the decision.
ANNOUNCEMENT_WORDS = ("announced", "announcement", "announces")

# Pathways named in the words of a sentence with a decision: recorded in the note, as "Pathway: ...".
PATHWAYS = ("priority review", "accelerated approval", "conditional marketing authorisation",
            "conditional marketing authorization", "conditional approval", "breakthrough therapy",
            "fast track", "prime", "orphan", "mechanism", "pathway", "reliance route", "expedited review")
# Reliance: a decision that "reviewed", "relied on" or was "based on" an earlier approval.
RELIANCE = ("relied on", "relies on", "reliance on", "reviewed previous", "reviewed the previous",
            "recognition of", "based on the previous", "referencing")

# Application types as articles write them.
APPLICATION_TYPES = {
    "bla": "BLA", "biologics licence application": "BLA", "biologics license application": "BLA",
    "nda": "NDA", "new drug application": "NDA", "maa": "MAA", "marketing authorisation application": "MAA",
    "marketing authorization application": "MAA", "type ii variation": "Type II variation",
    "new drug marketing application": "new drug marketing application", "renewal": "renewal",
}

# Words that end a company's name; a capitalised phrase ending in one is a company.
COMPANY_ENDINGS = ("therapeutics", "biotherapeutics", "biotechnology", "biotech", "bio", "pharma",
                   "pharmaceuticals", "pharmaceutical", "biosciences", "bioscience", "biologics", "biopharma",
                   "sciences", "therapies", "oncology", "medicines", "ltd", "ltd.", "limited", "inc", "inc.",
                   "corp", "corp.", "corporation", "gmbh", "ag", "sa", "nv", "plc", "co.", "k.k.", "llc",
                   "group", "holdings", "laboratories", "labs", "cells", "cell")
# Words that end an authority's name.
AUTHORITY_ENDINGS = ("agency", "administration", "authority", "ministry", "commission", "bureau", "board",
                     "department", "office", "institute", "committee", "council", "directorate", "inspectorate",
                     "centre", "center", "service")
AUTHORITY_STARTS = ("ministry", "department", "committee", "center", "centre", "office")

# Role words: a phrase with one of them, next to a person's name, is the person's role.
ROLE_WORDS = ("ceo", "cso", "cfo", "cmo", "coo", "cto", "founder", "co-founder", "chairperson", "chairman",
              "chairwoman", "chair", "president", "director", "manager", "investigator", "officer", "head",
              "lead", "chief", "vice", "professor", "commissioner", "secretary", "minister", "partner",
              "principal", "scientist", "physician", "executive")
HONORIFICS = ("associate", "assistant", "professor", "prof", "prof.", "dr", "dr.", "mr", "mr.", "ms", "ms.",
              "mrs", "mrs.", "sir", "dame", "adjunct", "clinical")
SPEECH = ("said", "says", "stated", "states", "added", "adds", "commented", "explained", "noted", "according to")

# Words before "trial" or "study" that describe it, recorded as its design.
STUDY_DESIGN = ("registrational", "pivotal", "open-label", "single-arm", "randomised", "randomized",
                "multicenter", "multicentre", "multi-center", "global", "confirmatory", "phase")
# Capitalised words that are not names of a study.
NOT_STUDY_NAMES = ("car-t", "car", "the", "this", "a", "an", "its", "our", "clinical", "phase", "bla", "nda",
                   "maa", "us", "uk", "eu", "fda", "ema", "gmp", "atmp", "ind", "cta")

# Lines that are navigation, adverts or sponsor notices, never facts: a line that starts with one of these
# phrases, or a short line (at most `BOILERPLATE_MAX_WORDS` words) that contains one. A paragraph of prose
# that happens to contain one ("... read more in the label") is kept.
BOILERPLATE = ("is supported by", "sponsored by", "advertis", "subscribe", "sign up", "newsletter", "cookie",
               "tagged with", "latest news", "more features", "read more", "related articles", "share this",
               "click here", "credit:", "all rights reserved")
BOILERPLATE_MAX_WORDS = 12

# An INN for a cell therapy, by the WHO stems: "-leucel" (white blood cells), "-temcel" (stem cells), or another
# "-cel" after a stem of at least six letters, with a short suffix ("-L"); or two words, the first in "-gene"
# and the second in "-leucel" or "-temcel" ("...cabtagene autoleucel"). A single word is matched in lower case
# only: a capitalised word ending in "cel" is a brand or a person ("Marcel"), a product only when the graph
# has it. Shorter words ending in "cel" ("cancel", "parcel") are English.
INN = (r"(?<![\w-])(?:[A-Za-z][a-z]{3,}gene\s+[A-Za-z][a-z]*(?:leucel|temcel)|[a-z]{3,}(?:leucel|temcel)"
       r"|[a-z]{6,}cel)(?:-[a-zA-Z]{1,4})?(?![\w-])")
