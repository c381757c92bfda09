"""Write the first version of the curated reference facts (`data/reference/*.yaml`) from the four CSV
files of the shared reference folder.

The YAML files are the curated record, not this script's output to regenerate: the build reads only
them, and curators edit them by hand. This script keeps, in its tables, how each CSV row was read into
the project's facts format (ids, names, which company applied, the README's caveats on dates), so a
curator can see why a fact looks the way it does. It refuses to overwrite a file unless `--force` is
given, and the same CSV files always give the same YAML, byte for byte.

    python3 scripts/reference_to_yaml.py ../shared/reference data/reference

Policy (see data/README.md): rows marked `verified = yes` go into one file per list; rows marked
`unverified` go into a separate file per list, with its own source, and every fact there carries
`confidence: unverified`. An unverified file states only facts that belong to its rows (an
application, a membership, a claim) or things no verified row names (Swissmedic, the countries of the
unverified PIC/S members); it never adds names or values to a resource a verified row states, so
nothing unverified is mixed into a verified resource.
"""

import argparse
import csv
import json
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CSV_FILES = ("cell_therapy_approvals.csv", "pics_members.csv", "pics_applicants.csv", "regulators.csv",
             "cell_therapy_events.csv")
PUBLISHER = "CTKG curators, compiled from public sources"
ACCESSED = "2026-11"
SECTION_ORDER = ("jurisdictions", "authorities", "companies", "organizations", "antigens", "products",
                 "pathways", "applications", "events", "memberships", "accession_steps", "claims")
FIELD_ORDER = ("id", "type", "label", "aliases", "inn", "brand_names", "jurisdiction", "website", "domain",
               "pics_participating_unit", "sponsor",
               "target", "product", "regulator", "opinion_by", "opinion_date", "applicant", "authority", "scheme",
               "status",
               "decision_date", "date_basis", "announcement_date", "accession_date",
               "status_date", "indication", "pathway", "text", "about", "description", "confidence",
               "source_url", "evidence", "note")

# --- names: every resource once, with the seed's ids where the seed article names the same thing -----------

# Labelled by the seed article (data/sources/fucaso-hong-kong-approval.yaml): reference files never restate
# these labels, they only add aliases.
SEED_LABELLED = {
    "jurisdiction": {"hong-kong-sar", "macao-sar", "mainland-china", "saudi-arabia", "singapore", "japan",
                     "united-states"},
    "authority": {"hk-department-of-health", "macao-isaf", "nmpa", "sfda", "hsa", "pmda", "fda"},
    "company": {"iaso-bio"},
    "antigen": {"bcma"},
    "product": {"equecabtagene-autoleucel"},
    "pathway": {"hk-1-plus-mechanism"},
}
SEED_LABELS = {  # for comments only
    "hong-kong-sar": "Hong Kong SAR", "macao-sar": "Macao SAR", "mainland-china": "Mainland China",
    "saudi-arabia": "Saudi Arabia", "singapore": "Singapore", "japan": "Japan", "united-states": "United States",
    "hk-department-of-health": "Department of Health (Hong Kong)",
    "macao-isaf": "Pharmaceutical Administration Bureau (Macao)", "nmpa": "National Medical Products Administration",
    "sfda": "Saudi Food and Drug Authority", "hsa": "Health Sciences Authority",
    "pmda": "Pharmaceuticals and Medical Devices Agency", "fda": "U.S. Food and Drug Administration",
    "iaso-bio": "IASO Biotherapeutics", "bcma": "BCMA", "equecabtagene-autoleucel": "equecabtagene autoleucel",
    "hk-1-plus-mechanism": "“1+” mechanism",
}

# Jurisdiction names in the CSV files -> id; names not listed become their own slug.
JURISDICTION_IDS = {
    "United States": "united-states", "China": "mainland-china", "China (mainland)": "mainland-china",
    "Macao SAR, China": "macao-sar", "Hong Kong SAR, China": "hong-kong-sar", "Türkiye": "turkiye",
}
# Other names of a jurisdiction that the CSV files use (added as aliases by the file that first states it).
JURISDICTION_ALIASES = {
    "mainland-china": ["China (mainland)"],
    "hong-kong-sar": ["Hong Kong SAR, China"],
    "macao-sar": ["Macao SAR, China"],
    "european-union": ["EU"],
}

# id: (label, aliases, jurisdiction id). The label is None where the seed article gives it.
AUTHORITIES = {
    "fda": (None, [], "united-states"),
    "nmpa": (None, [], "mainland-china"),
    "pmda": (None, [], "japan"),
    "sfda": (None, [], "saudi-arabia"),
    "hsa": (None, [], "singapore"),
    "macao-isaf": (None, [], "macao-sar"),
    "hk-department-of-health": (None, ["DH", "Department of Health, Hong Kong SAR"], "hong-kong-sar"),
    "ema": ("European Medicines Agency", ["EMA"], "european-union"),
    "european-commission": ("European Commission", ["EC"], "european-union"),
    "mhlw": ("Ministry of Health, Labour and Welfare", ["MHLW"], "japan"),
    "health-canada": ("Health Canada", [], "canada"),
    "roeb": ("Regulatory Operations and Enforcement Branch", ["ROEB", "Health Canada - Regulatory Operations and "
                                                              "Enforcement Branch"], "canada"),
    "tga": ("Therapeutic Goods Administration", ["TGA"], "australia"),
    "mhra": ("Medicines and Healthcare products Regulatory Agency", ["MHRA"], "united-kingdom"),
    "cdsco": ("Central Drugs Standard Control Organisation", ["CDSCO"], "india"),
    "mfds": ("Ministry of Food and Drug Safety", ["MFDS"], "republic-of-korea"),
    "anvisa": ("National Health Surveillance Agency", ["Agência Nacional de Vigilância Sanitária", "ANVISA"], "brazil"),
    "tfda": ("Taiwan Food and Drug Administration", ["TFDA"], "chinese-taipei"),
    "basg": ("Federal Office for Safety in Health Care", ["Bundesamt für Sicherheit im Gesundheitswesen", "BASG"],
             "austria"),
    "hpra": ("Health Products Regulatory Authority", ["HPRA"], "ireland"),
    "iname": ("National Institute of Drugs", ["Instituto Nacional de Medicamentos", "INAME"], "argentina"),
    "afmps": ("Federal Agency for Medicines and Health Products", ["AFMPS", "FAGG"], "belgium"),
    "bda": ("Bulgarian Drug Agency", ["BDA"], "bulgaria"),
    "halmed": ("Agency for Medicinal Products and Medical Devices of Croatia",
               ["Agencija za lijekove i medicinske proizvode", "HALMED"], "croatia"),
    "cyprus-pharmaceutical-services": ("Pharmaceutical Services (Cyprus)", ["CyPHS"], "cyprus"),
    "sukl": ("State Institute for Drug Control", ["Státní ústav pro kontrolu léčiv", "SÚKL"], "czech-republic"),
    "iscvbm": ("Institute for State Control of Veterinary Biologicals and Medicines",
               ["Ústav pro státní kontrolu veterinárních biopreparátů a léčiv", "ISCVBM"], "czech-republic"),
    "dkma": ("Danish Medicines Agency", ["DKMA"], "denmark"),
    "estonia-sam": ("State Agency of Medicines", ["SAM"], "estonia"),
    "fimea": ("Finnish Medicines Agency", ["FIMEA"], "finland"),
    "ansm": ("French National Agency for Medicines and Health Products Safety",
             ["Agence nationale de sécurité du médicament et des produits de santé", "ANSM"], "france"),
    "anses": ("French Agency for Food, Environmental and Occupational Health Safety",
              ["Agence nationale de sécurité sanitaire de l'alimentation, de l'environnement et du travail", "ANSES"],
              "france"),
    "germany-federal-ministry-of-health": ("Federal Ministry of Health (Germany)", ["Bundesministerium für Gesundheit"],
                                           "germany"),
    "ppbhk": ("Pharmacy and Poisons Board of Hong Kong", ["PPBHK"], "hong-kong-sar"),
    "medsafe": ("Medicines and Medical Devices Safety Authority", ["Medsafe"], "new-zealand"),
    "south-africa-mcc": ("Medicines Control Council", ["MCC"], "south-africa"),
    "ukraine-siqcm": ("State Inspectorate for Quality Control of Medicines", ["SIQCM"], "ukraine"),
    "swissmedic": ("Swissmedic", ["Swiss Agency for Therapeutic Products"], "switzerland"),
    "russia-ministry-of-industry-and-trade": ("Ministry of Industry and Trade (Russian Federation)", [],
                                              "russian-federation"),
    "russia-federal-service-for-surveillance-in-healthcare": ("Federal Service for Surveillance in Healthcare", [],
                                                              "russian-federation"),
}
AUTHORITY_NOTES = {
    "south-africa-mcc": "The name as reported in 2015; the current authority's name was not checked.",
    "ukraine-siqcm": "The name as reported in 2010; the current authority's name was not checked.",
    "cdsco": "The full name is the one the reference regulators list gives (that row is unverified only for its "
             "website and PIC/S status); the approvals list writes CDSCO.",
    "hk-department-of-health": "Hong Kong's PIC/S participating authority is the Pharmacy and Poisons Board of Hong "
                               "Kong (PPBHK), a distinct body (reference regulators list). The list names the "
                               "Department's Drug Office beside it, and the domain it gives, drugoffice.gov.hk, is "
                               "the Drug Office's.",
    "mhlw": "The list names MHLW, PMDA and the prefectures together as Japan's PIC/S participating authorities; "
            "Japan's one membership is recorded as PMDA's, the body the seed article names, and MHLW takes part "
            "through it (pics_participating_unit).",
    "health-canada": "PIC/S lists Health Canada's Regulatory Operations and Enforcement Branch (ROEB) as the "
                     "participating unit (reference PIC/S members list).",
    "ema": "A PIC/S partner organisation, not a participating authority (reference regulators list).",
}

# Authority column of cell_therapy_approvals.csv -> id.
APPROVAL_AUTHORITY = {
    "FDA": "fda", "European Commission (EMA opinion)": "european-commission", "Health Canada": "health-canada",
    "MHLW": "mhlw", "TGA": "tga", "HSA": "hsa", "NMPA": "nmpa", "ISAF (Pharmaceutical Administration Bureau)":
    "macao-isaf", "Department of Health": "hk-department-of-health", "MHRA": "mhra", "CDSCO": "cdsco",
}
# Acronym (or, where empty, country) column of pics_members.csv -> authority ids.
MEMBER_AUTHORITIES = {
    "INAME": ["iname"], "TGA": ["tga"], "BASG": ["basg"], "AFMPS": ["afmps"], "ANVISA": ["anvisa"], "BDA": ["bda"],
    "ROEB": ["roeb"], "TFDA": ["tfda"], "HALMED": ["halmed"], "CyPHS": ["cyprus-pharmaceutical-services"],
    "SÚKL": ["sukl"], "ISCVBM": ["iscvbm"], "DKMA": ["dkma"], "SAM": ["estonia-sam"], "FIMEA": ["fimea"],
    "ANSM": ["ansm"], "ANSES": ["anses"], "Germany": ["germany-federal-ministry-of-health"], "PPBHK": ["ppbhk"],
    "HPRA": ["hpra"], "MHLW / PMDA": ["mhlw", "pmda"], "MFDS": ["mfds"], "Medsafe": ["medsafe"], "SFDA": ["sfda"],
    "MCC": ["south-africa-mcc"], "SIQCM": ["ukraine-siqcm"], "MHRA": ["mhra"], "FDA": ["fda"], "HSA": ["hsa"],
    "Swissmedic": ["swissmedic"],
}
# Acronym column of regulators.csv -> authority id.
REGULATOR_IDS = {
    "FDA": "fda", "EMA": "ema", "EC": "european-commission", "NMPA": "nmpa", "PMDA": "pmda", "MHLW": "mhlw",
    "HC": "health-canada", "MHRA": "mhra", "Swissmedic": "swissmedic", "TGA": "tga", "HSA": "hsa", "SFDA": "sfda",
    "DH": "hk-department-of-health", "ISAF": "macao-isaf", "CDSCO": "cdsco", "MFDS": "mfds", "ANVISA": "anvisa",
    "TFDA": "tfda", "BASG": "basg", "HPRA": "hpra",
}
# An authority that approves or inspects -> the authority that takes part in PIC/S for it, as the rows say.
PICS_UNITS = {"hk-department-of-health": "ppbhk", "mhlw": "pmda", "health-canada": "roeb"}
# Names in regulators.csv that are wrong, -> (the name, why).
NAME_CORRECTIONS = {
    "ISAF": ("Pharmaceutical Administration Bureau (Instituto para a Supervisão e Administração Farmacêutica)",
             "The list's Portuguese name, “Instituto para os Assuntos Farmacêuticos”, is not the bureau's: the Macao "
             "government writes “Instituto para a Supervisão e Administração Farmacêutica” (data/sources/"
             "gov-mo-isaf.yaml)."),
}
# Unverified PIC/S rows whose membership a verified row states: the row's date becomes a claim about it.
UNVERIFIED_DATES = {"MHLW / PMDA": ("pmda-pics", "Japan's participating authorities (MHLW, PMDA and the prefectures)"),
                    "MFDS": ("mfds-pics", "The Ministry of Food and Drug Safety (MFDS, Republic of Korea)")}

# Authority column of pics_applicants.csv (or, where empty, country) -> authority ids.
APPLICANT_AUTHORITIES = {
    "National Medical Products Administration": ["nmpa"],
    "Ministry of Industry and Trade; Federal Service for Surveillance in Healthcare":
        ["russia-ministry-of-industry-and-trade", "russia-federal-service-for-surveillance-in-healthcare"],
}

# id: (label, aliases, description)
COMPANIES = {
    "novartis": ("Novartis", [], None),
    "novartis-pharma-kk": ("Novartis Pharma K.K.", [], None),
    "kite": ("Kite", ["Kite, a Gilead company"], None),
    "gilead-sciences": ("Gilead Sciences Inc.", [], None),
    "fosun-kite": ("Fosun Kite Biotechnology", [], "A joint venture of Kite and Fosun Pharma (reference list)."),
    "bristol-myers-squibb": ("Bristol Myers Squibb", [], None),
    "bristol-myers-squibb-kk": ("Bristol-Myers Squibb K.K.", [], None),
    "juno-therapeutics": ("Juno Therapeutics", ["Juno Therapeutics, Inc."], None),
    "celgene": ("Celgene Corporation", [], None),
    "bluebird-bio": ("bluebird bio", [], None),
    "janssen": ("Janssen", [], "Named “Janssen (Johnson & Johnson)” in the reference list."),
    "legend-biotech": ("Legend Biotech", [], None),
    "iaso-bio": (None, [], None),
    "jw-therapeutics": ("JW Therapeutics", [], None),
    "juventas": ("Juventas Cell Therapy", [], None),
    "carsgen": ("CARsgen Therapeutics", [], None),
    "autolus": ("Autolus Therapeutics", [], None),
    "immuneel": ("Immuneel Therapeutics", [], None),
    "immunoact": ("ImmunoACT", ["Immunoadoptive Cell Therapy Pvt Ltd"], None),
    "adaptimmune": ("Adaptimmune", [], None),
    "iovance": ("Iovance Biotherapeutics", [], None),
    "mesoblast": ("Mesoblast", [], None),
    "jcr-pharma": ("JCR Pharma Co., Ltd", [], None),
    "nipro": ("Nipro Corporation", [], None),
}
# Sponsor column -> (applicant company ids, note on the application).
SPONSORS = {
    "Novartis": (["novartis"], None),
    "Novartis Pharma K.K.": (["novartis-pharma-kk"], None),
    "Kite, a Gilead company": (["kite"], None),
    "Gilead Sciences Inc.": (["gilead-sciences"], None),
    "Fosun Kite Biotechnology (Kite / Fosun Pharma joint venture)": (["fosun-kite"], None),
    "": ([], None),
    "Bristol Myers Squibb (Juno Therapeutics)": (["bristol-myers-squibb", "juno-therapeutics"], None),
    "Juno Therapeutics, Inc.": (["juno-therapeutics"], None),
    "Celgene Corporation": (["celgene"], None),
    "Bristol Myers Squibb": (["bristol-myers-squibb"], None),
    "Bristol Myers Squibb / bluebird bio": (["bristol-myers-squibb", "bluebird-bio"], None),
    "Bristol-Myers Squibb K.K.": (["bristol-myers-squibb-kk"], None),
    "Janssen (Johnson & Johnson) / Legend Biotech": (["janssen", "legend-biotech"], None),
    "Legend Biotech": (["legend-biotech"], None),
    "IASO Biotherapeutics (IASO Bio); NMPA approval co-announced with Innovent Biologics":
        (["iaso-bio"], "The reference list notes that the NMPA approval was co-announced with Innovent Biologics."),
    "IASO Biotherapeutics": (["iaso-bio"], None),
    "JW Therapeutics": (["jw-therapeutics"], None),
    "Juventas Cell Therapy (commercial partner CASI Pharmaceuticals)":
        (["juventas"], "Commercial partner: CASI Pharmaceuticals (reference list)."),
    "CARsgen Therapeutics (mainland China commercial rights: Huadong Medicine)":
        (["carsgen"], "Mainland China commercial rights: Huadong Medicine (reference list)."),
    "Autolus Therapeutics": (["autolus"], None),
    "Immuneel Therapeutics": (["immuneel"], None),
    "ImmunoACT (Immunoadoptive Cell Therapy Pvt Ltd)": (["immunoact"], None),
    "Adaptimmune": (["adaptimmune"], None),
    "Iovance Biotherapeutics": (["iovance"], None),
    "Mesoblast": (["mesoblast"], None),
    "JCR Pharma Co., Ltd": (["jcr-pharma"], None),
    "Nipro Corporation": (["nipro"], None),
}

ANTIGENS = {"cd19": ("CD19", []), "bcma": (None, []), "mage-a4": ("MAGE-A4", [])}
TARGETS = {"CD19": ["cd19"], "BCMA": ["bcma"], "MAGE-A4 (TCR-T)": ["mage-a4"],
           "none (tumour-infiltrating lymphocytes)": [], "none (allogeneic bone-marrow mesenchymal stromal cells)": [],
           "none (MSC)": []}


@dataclass
class Product:
    id: str
    type: str  # car-t or cell-therapy
    label: str | None  # None: labelled by the seed
    inn: str | None
    brands: list[str]
    aliases: list[str]
    sponsors: list[str]
    description: str | None = None


# INN column of cell_therapy_approvals.csv -> product. Product-level fields (INN, target, sponsor) were each
# read in at least one source for the product (reference README); the sponsor is the product's developer,
# and each row's own company becomes that application's applicant.
PRODUCTS = {
    "tisagenlecleucel": Product("tisagenlecleucel", "car-t", "tisagenlecleucel", "tisagenlecleucel", ["Kymriah"],
                                ["Kymriah"], ["novartis"]),
    "axicabtagene ciloleucel": Product("axicabtagene-ciloleucel", "car-t", "axicabtagene ciloleucel",
                                       "axicabtagene ciloleucel", ["Yescarta"], ["Yescarta"], ["kite"]),
    "brexucabtagene autoleucel (EU name: autologous anti-CD19-transduced CD3+ cells)": Product(
        "brexucabtagene-autoleucel", "car-t", "brexucabtagene autoleucel", "brexucabtagene autoleucel", ["Tecartus"],
        ["Tecartus", "autologous anti-CD19-transduced CD3+ cells"], ["kite"]),
    "lisocabtagene maraleucel": Product("lisocabtagene-maraleucel", "car-t", "lisocabtagene maraleucel",
                                        "lisocabtagene maraleucel", ["Breyanzi"], ["Breyanzi"],
                                        ["bristol-myers-squibb"]),
    "idecabtagene vicleucel": Product("idecabtagene-vicleucel", "car-t", "idecabtagene vicleucel",
                                      "idecabtagene vicleucel", ["Abecma"], ["Abecma"],
                                      ["bristol-myers-squibb", "bluebird-bio"]),
    "ciltacabtagene autoleucel": Product("ciltacabtagene-autoleucel", "car-t", "ciltacabtagene autoleucel",
                                         "ciltacabtagene autoleucel", ["Carvykti"], ["Carvykti"],
                                         ["janssen", "legend-biotech"]),
    "equecabtagene autoleucel": Product("equecabtagene-autoleucel", "car-t", None, "equecabtagene autoleucel",
                                        ["Fucaso"], [], ["iaso-bio"]),
    "relmacabtagene autoleucel": Product("relmacabtagene-autoleucel", "car-t", "relmacabtagene autoleucel",
                                         "relmacabtagene autoleucel", ["Carteyva"], ["Carteyva"], ["jw-therapeutics"]),
    "inaticabtagene autoleucel": Product("inaticabtagene-autoleucel", "car-t", "inaticabtagene autoleucel",
                                         "inaticabtagene autoleucel", ["源瑞达"], ["源瑞达", "Yuanruida"],
                                         ["juventas"]),
    "zevorcabtagene autoleucel": Product("zevorcabtagene-autoleucel", "car-t", "zevorcabtagene autoleucel",
                                         "zevorcabtagene autoleucel", [], [], ["carsgen"]),
    "obecabtagene autoleucel": Product("obecabtagene-autoleucel", "car-t", "obecabtagene autoleucel",
                                       "obecabtagene autoleucel", ["Aucatzyl"], ["Aucatzyl"], ["autolus"]),
    "varnimcabtagene autoleucel": Product("varnimcabtagene-autoleucel", "car-t", "varnimcabtagene autoleucel",
                                          "varnimcabtagene autoleucel", ["Qartemi"], ["Qartemi"], ["immuneel"]),
    "actalycabtagene autoleucel": Product("actalycabtagene-autoleucel", "car-t", "actalycabtagene autoleucel",
                                          "actalycabtagene autoleucel", ["NexCAR19"], ["NexCAR19"], ["immunoact"]),
    "afamitresgene autoleucel": Product("afamitresgene-autoleucel", "cell-therapy", "afamitresgene autoleucel",
                                        "afamitresgene autoleucel", ["Tecelra"], ["Tecelra"], ["adaptimmune"],
                                        "A TCR-T cell therapy (the reference list gives its target as “MAGE-A4 "
                                        "(TCR-T)”)."),
    "lifileucel": Product("lifileucel", "cell-therapy", "lifileucel", "lifileucel", ["Amtagvi"], ["Amtagvi"],
                          ["iovance"], "A tumour-infiltrating lymphocyte (TIL) therapy. It has no target antigen: the "
                                       "reference list's target field gives the cell type, tumour-infiltrating "
                                       "lymphocytes."),
    "remestemcel-L (remestemcel-L-rknd)": Product(
        "remestemcel-l", "cell-therapy", "remestemcel-L", "remestemcel-L", ["Ryoncil"],
        ["Ryoncil", "remestemcel-L-rknd"], ["mesoblast"],
        "Allogeneic bone-marrow mesenchymal stromal cells (MSC). It has no target antigen: the reference "
        "list's target field gives the cell type."),
    "human (allogeneic) bone marrow-derived mesenchymal stem cells": Product(
        "temcel-hs", "cell-therapy", "Temcel HS Injection", None, ["Temcel HS Injection"], [], ["jcr-pharma"],
        "Human (allogeneic) bone marrow-derived mesenchymal stem cells (MSC), as the reference list's INN column "
        "describes the active substance; no INN is recorded. It has no target antigen."),
    "human (autologous) bone marrow-derived mesenchymal stem cells": Product(
        "stemirac", "cell-therapy", "Stemirac for Injection", None, ["Stemirac for Injection"], [], ["nipro"],
        "Human (autologous) bone marrow-derived mesenchymal stem cells (MSC), as the reference list's INN column "
        "describes the active substance; no INN is recorded. It has no target antigen."),
}

# Other spellings of a product's INN column in some rows.
INN_SYNONYMS = {
    "brexucabtagene autoleucel": "brexucabtagene autoleucel (EU name: autologous anti-CD19-transduced CD3+ cells)",
}


def product_of(row: dict[str, str]) -> Product:
    return PRODUCTS[INN_SYNONYMS.get(row["inn"], row["inn"])]


# Pathways named in the indication column, by (authority, marker in the text).
PATHWAYS = {
    "fda-accelerated-approval": ("Accelerated approval (FDA)", "fda", "united-states"),
    "eu-conditional-marketing-authorisation": ("Conditional marketing authorisation (EU)", "european-commission",
                                               "european-union"),
    "mhra-conditional-marketing-authorisation": ("Conditional marketing authorisation (UK)", "mhra", "united-kingdom"),
    "japan-conditional-time-limited-approval": ("Conditional time-limited approval (Japan)", "mhlw", "japan"),
    "hk-1-plus-mechanism": (None, "hk-department-of-health", "hong-kong-sar"),
}
PATHWAY_MARKERS = [  # (authority, text in the indication) -> pathway
    ("fda", "(accelerated approval)", "fda-accelerated-approval"),
    ("fda", "(accelerated)", "fda-accelerated-approval"),
    ("european-commission", "(conditional)", "eu-conditional-marketing-authorisation"),
    ("mhra", "(conditional MA)", "mhra-conditional-marketing-authorisation"),
    ("mhlw", "(conditional time-limited approval)", "japan-conditional-time-limited-approval"),
    ("hk-department-of-health", "('1+' mechanism)", "hk-1-plus-mechanism"),
]

# The seed article's ids for the same decisions.
SEED_APPLICATIONS = {
    ("equecabtagene-autoleucel", "nmpa"): "equecabtagene-autoleucel-mainland-china-bla",
    ("equecabtagene-autoleucel", "macao-isaf"): "equecabtagene-autoleucel-macao-nda",
    ("equecabtagene-autoleucel", "hk-department-of-health"): "equecabtagene-autoleucel-hk-bla",
}

# The README's caveats, by (product id, authority id, date as in the CSV).
ANNOUNCED = "The recorded month is that of the announcement of {0}, not a stated decision date (reference README)."
CAVEATS = {
    ("tisagenlecleucel", "european-commission", "2018-08"): dict(
        date_basis="announcement", announcement_date="2018-08-27",
        note="Novartis announced the decision on 2018-08-27. " + ANNOUNCED.format("2018-08-27")),
    ("tisagenlecleucel", "health-canada", "2018-09"): dict(
        date_basis="announcement", announcement_date="2018-09-06", note=ANNOUNCED.format("2018-09-06")),
    ("tisagenlecleucel", "hsa", "2021-03"): dict(
        date_basis="announcement", announcement_date="2021-03-09", note=ANNOUNCED.format("2021-03-09")),
    ("axicabtagene-ciloleucel", "european-commission", "2018-08"): dict(
        date_basis="announcement", announcement_date="2018-08-27",
        note="genetherapynet gives 2018-08-27, which the reference README lists among the announcement dates "
             "used as approval dates; the list records the month."),
    ("relmacabtagene-autoleucel", "nmpa", "2021-09"): dict(
        date_basis="announcement", announcement_date="2021-09-06", note=ANNOUNCED.format("2021-09-06")),
    ("idecabtagene-vicleucel", "european-commission", "2021-08"): dict(
        date_basis="announcement", announcement_date="2021-08-19", note=ANNOUNCED.format("2021-08-19")),
    ("idecabtagene-vicleucel", "mhlw", "2022-01"): dict(
        date_basis="announcement", announcement_date="2022-01-20", note=ANNOUNCED.format("2022-01-20")),
    ("lisocabtagene-maraleucel", "european-commission", "2022-03"): dict(
        date_basis="announcement", announcement_date="2022-03-23", note=ANNOUNCED.format("2022-03-23")),
    ("ciltacabtagene-autoleucel", "nmpa", "2024-08"): dict(
        date_basis="announcement", announcement_date="2024-08-27", note=ANNOUNCED.format("2024-08-27")),
    ("ciltacabtagene-autoleucel", "european-commission", "2024-04"): dict(
        date_basis="announcement", announcement_date="2024-04-22", note=ANNOUNCED.format("2024-04-22")),
    ("obecabtagene-autoleucel", "european-commission", "2025-07"): dict(
        date_basis="announcement", announcement_date="2025-07-21", note=ANNOUNCED.format("2025-07-21")),
    ("equecabtagene-autoleucel", "macao-isaf", "2025-03"): dict(
        date_basis="announcement", announcement_date="2025-03-28", note=ANNOUNCED.format("2025-03-28")),
    ("equecabtagene-autoleucel", "hk-department-of-health", "2025-11"): dict(
        date_basis="announcement", announcement_date="2025-11-27", note=ANNOUNCED.format("2025-11-27")),
    ("inaticabtagene-autoleucel", "nmpa", "2023-11-08"): dict(
        decision_date="2023-11", date_basis="announcement", announcement_date="2023-11-08",
        note="The list gives 2023-11-08, the day of the NMPA announcement (reference README; the cited page: “On "
             "November 8th, 2023, the National Medical Product Administration (NMPA) of China made an "
             "announcement”). As for the other rows dated by an announcement, the decision is recorded by its "
             "month."),
    ("lisocabtagene-maraleucel", "fda", "2021-02-05"): dict(
        date_basis="derived",
        note="Worked out, not stated: an article dated Monday 2021-02-08 says the approval came “on Friday” "
             "(reference README)."),
    ("afamitresgene-autoleucel", "fda", "2024-08"): dict(
        note="Sources give 2024-08-01 (the company's announcement, a Thursday) and 2024-08-02 (the FDA news "
             "release); the list records the month (reference README)."),
    ("actalycabtagene-autoleucel", "cdsco", "2023-10"): dict(
        note="Most sources say October 2023 (one report is dated 2023-10-14); one site gives 2023-11-29, which may "
             "be the launch date. The list records 2023-10 (reference README)."),
    ("varnimcabtagene-autoleucel", "cdsco", ""): dict(
        note="The approval was reported between 2025-01-20 (launch) and 2025-01-29; the approval date itself was "
             "not found (reference README)."),
    ("tisagenlecleucel", "tga", ""): dict(note="The approval is confirmed but no date was found (reference README)."),
    ("ciltacabtagene-autoleucel", "mhlw", ""): dict(
        note="The approval is confirmed but no date was found (reference README)."),
    ("axicabtagene-ciloleucel", "hsa", "2023-03"): dict(
        note="Unverified: the only source is a hospital conference summary, not a regulator or company source "
             "(reference README)."),
}
# A later decision by the same authority on the same product is an extension; the row says so only with these words.
STATED_EXTENSION = re.compile(r"\bextension\b|added indication")
INFERRED_EXTENSION = ("The type indication-extension is inferred, not stated: the list gives a later decision by the "
                      "same authority on the same product, without calling it an extension.")
# Indication column text that is not (all) an indication: (product id, authority id, date) -> the indication.
INDICATION_OVERRIDES = {
    ("axicabtagene-ciloleucel", "hsa", "2023-03"): "third-line use",  # the rest is in the caveat's note
    ("stemirac", "mhlw", "2018-12-28"): None,  # "(conditional time-limited approval)": the pathway
}
PRODUCT_ROW_NOTES = {  # what the product column adds for one decision
    ("axicabtagene-ciloleucel", "nmpa"): (
        "description", "FKC876: axicabtagene ciloleucel manufactured in China under licence (reference list)."),
    ("ciltacabtagene-autoleucel", "nmpa"): (
        "note", "The reference list names the product “ciltacabtagene autoleucel (Carvykti brand used in US/EU)”."),
}

CONVENTION_DATES = {"tga": "1993-01", "basg": "1971-05", "afmps": "1991-09", "dkma": "1971", "fimea": "1971",
                    "ansm": "1992"}
HES_NOTE = ("The year only, from a Japanese consultancy's copy of the PIC/S list dated October 2019 "
            "(hes-ltd.co.jp; 52 members at that time).")

# --- source descriptions (from the reference README) -------------------------------------------------------

LIST_NOTE = ("Compiled by the CTKG curators in November 2026 from public pages and public files dated 2018 to "
             "2026; each row names the page it was read in, which each fact below cites as its source_url. An "
             "empty field in the list means the value was not found, and it is left out here.")
SOURCES = {
    "cell-therapy-approvals": dict(
        id="reference-cell-therapy-approvals",
        label="CTKG reference list: cell-therapy approvals (verified rows)",
        note=LIST_NOTE + " One row per regulatory decision, including the main label extensions found; rows marked "
             "verified = yes. Product-level fields (INN, target, sponsor) were each read in at least one source for "
             "the product, which may be another row's source. Several dates are the date a company announced the "
             "decision (date_basis: announcement); the Japanese dates come from Table 3 of a 2025 Stem Cell Research "
             "& Therapy article, of which only the start (to mid-2021) could be read. “European Commission (EMA "
             "opinion)” is an EU marketing authorisation granted by the Commission after a CHMP/CAT opinion: the "
             "regulator is the European Commission, the opinion is by EMA."),
    "cell-therapy-approvals-unverified": dict(
        id="reference-cell-therapy-approvals-unverified",
        label="CTKG reference list: cell-therapy approvals (unverified rows)",
        note=LIST_NOTE + " The rows of the approvals list marked unverified: at least one field could not be "
             "confirmed. Every fact here is marked confidence: unverified."),
    "pics-members": dict(
        id="reference-pics-members",
        label="CTKG reference list: PIC/S participating authorities (verified rows)",
        note=LIST_NOTE + " PIC/S participating authorities, rows marked verified = yes. The accession date is the "
             "date of accession to the PIC Scheme (1995 onward), not to the older PIC Convention (convention dates "
             "are in notes). Verified rows come from the PIC/S members page (only its first part, Argentina to "
             "Brazil, could be read), PIC/S news items and trade-press reports of PIC/S Committee decisions; the "
             "year-only dates for Canada through France from a consultancy's copy of the list dated October 2019; "
             "Germany's membership from PIC/S document PS/INF 21/2002 (Rev. 23, 31 January 2018). The Saudi Food "
             "and Drug Authority became the 56th participating authority on 2023-07-01; an up-to-date official "
             "total was not read."),
    "pics-members-unverified": dict(
        id="reference-pics-members-unverified",
        label="CTKG reference list: PIC/S participating authorities (unverified rows)",
        note=LIST_NOTE + " The rows of the PIC/S members list marked unverified; every fact here is marked "
             "confidence: unverified. 25 rows give only a country: they come from a third-party public code file "
             "that says it is a snapshot of picscheme.org/en/members “checked 2026-08-17”, lists 53 countries or "
             "entities and gives no authority names or dates; they cite the PIC/S page, but that part of the page "
             "could not be read. Japan and Korea: the source says “as of the 1st of July” but its readable part "
             "gives no year, so 2014 is not confirmed; other sources put the accession between 2013-01 (43rd "
             "member) and 2016-01 (47th member)."),
    "pics-applicants": dict(
        id="reference-pics-applicants",
        label="CTKG reference list: PIC/S applicants",
        note=LIST_NOTE + " Authorities in the PIC/S accession process. China's NMPA applied for pre-accession on "
             "2021-09-24, submitted a formal application on 2023-09-22 and had its applicant status confirmed on "
             "2023-11-08. Also listed are the countries the PIC/S 2021 work plan names as having applied for "
             "accession or pre-accession, as of 2021-03; Bulgaria and Saudi Arabia from that list have since "
             "joined. The current status of Armenia, Azerbaijan, Bangladesh, Pakistan and Russia was not checked."),
    "regulators": dict(
        id="reference-regulators",
        label="CTKG reference list: regulators (verified rows)",
        note=LIST_NOTE + " The regulators named in the approvals list plus a few PIC/S participating authorities, "
             "rows marked verified = yes. The list gives each website as a domain, seen either as the host of a "
             "page that was read or in several independent public code files that link to the regulator; it is "
             "recorded as given, as the authority's domain, not as the address of a page that was read. Where a "
             "row names the body that takes part in PIC/S for the authority (Hong Kong's PPBHK, Japan's PMDA), "
             "that body is its PIC/S participating unit. The PIC/S status column is recorded as a membership (with its "
             "accession date where given) when it says yes."),
    "cell-therapy-events": dict(
        id="reference-cell-therapy-events",
        label="CTKG reference list: cell-therapy regulatory events (verified rows)",
        note=LIST_NOTE + " Regulatory events for cell and tissue products that are not in the approvals list, one "
             "row per decision or step (approvals, conditional approvals, extensions, refusals, withdrawals, "
             "expiries, a suspension, applications under review), rows marked verified = yes: the quoted page "
             "states the event and the date. Each row's evidence is a verbatim quote of at most 30 words from the "
             "page it was read in (only about its first 2,000 characters could be read), in the page's language. "
             "EU marketing authorisation decisions are the European Commission's, CHMP opinions the European "
             "Medicines Agency's; Japanese decisions are recorded under MHLW, Korean ones under MFDS (KFDA before "
             "2013). FDA complete response letters are recorded as refusals. Where a note says the date is the "
             "company's (or the authority's) announcement date, the decision is recorded by its month and the day "
             "as the announcement date, as in the approvals list. A withdrawal, suspension or expiry is an event "
             "of the authorisation it ends; an application still under review has no decision date, and the date "
             "its submission was announced is a submission event."),
    "cell-therapy-events-unverified": dict(
        id="reference-cell-therapy-events-unverified",
        label="CTKG reference list: cell-therapy regulatory events (unverified rows)",
        note=LIST_NOTE + " The rows of the events list marked verified = no: part of the date comes from the page's "
             "URL or article date, not its text (Kymriah by Swissmedic, 2018-10; Kymriah by MFDS, 2021-03-05). "
             "Every fact here is marked confidence: unverified."),
    "regulators-unverified": dict(
        id="reference-regulators-unverified",
        label="CTKG reference list: regulators (unverified rows)",
        note=LIST_NOTE + " The rows of the regulators list marked unverified: Health Canada, MHRA, Swissmedic, HSA, "
             "ISAF and CDSCO, whose website domain or PIC/S status was confirmed only from secondary material. "
             "“no” for ISAF and CDSCO means only that they appear in no member list that was read. Each row is "
             "recorded as an unverified claim about the authority (which verified rows name elsewhere), so that "
             "its website and PIC/S status are not mixed into the authority's verified facts."),
}


# --- building the facts --------------------------------------------------------------------------------------


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def jurisdiction_id(name: str) -> str:
    return JURISDICTION_IDS.get(name, slug(name))


def restate(*parts: str, unverified: bool = False) -> str:
    text = ", ".join(p for p in parts if p) + (" (reference row, unverified)" if unverified else " (reference row)")
    assert len(text) <= 400, text
    return text


@dataclass
class FactsFile:
    name: str
    csv: str
    sections: dict[str, list[dict]] = field(default_factory=dict)
    comments: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, section: str, fact: dict, comment: str | None = None) -> dict:
        items = self.sections.setdefault(section, [])
        for existing in items:
            if existing["id"] == fact["id"]:
                raise ValueError(f"{self.name}: {section} {fact['id']} stated twice")
        items.append(fact)
        if comment:
            self.comments[(section, fact["id"])] = comment
        return fact

    def has(self, section: str, id_: str) -> bool:
        return any(f["id"] == id_ for f in self.sections.get(section, []))


class Curator:
    """Tracks what earlier files stated, so that every resource is labelled once and given its aliases once.

    A resource is labelled by the first file (in the order of `main`) that states it, unless the seed article
    labels it; its aliases and notes go with that first statement."""

    def __init__(self, jurisdiction_labels: dict[str, str]) -> None:
        self.jurisdiction_labels = jurisdiction_labels  # id -> the name the CSV files use
        self.labelled: dict[str, set[str]] = {kind: set(ids) for kind, ids in SEED_LABELLED.items()}
        self.names: dict[str, str] = dict(SEED_LABELS)
        self.stated: set[tuple[str, str]] = set()

    def label_once(self, kind: str, id_: str, label: str | None, fact: dict) -> str:
        """Put the label on `fact` if no earlier file gave it; returns the name, for comments."""
        if id_ not in self.labelled.setdefault(kind, set()):
            assert label, f"{kind} {id_} has no label"
            fact["label"] = label
            self.labelled[kind].add(id_)
            self.names[id_] = label
        return self.names[id_]

    def first(self, kind: str, id_: str) -> bool:
        """True the first time any file states this resource."""
        if (kind, id_) in self.stated:
            return False
        self.stated.add((kind, id_))
        return True

    def jurisdiction(self, out: FactsFile, id_: str, name: str, confidence: str) -> None:
        """State a jurisdiction in the first file that needs it, if it adds a label or aliases; later files link."""
        if id_ in SEED_LABELLED["jurisdiction"] and id_ not in JURISDICTION_ALIASES:
            return
        if not self.first("jurisdiction", id_):
            return
        fact: dict = {"id": id_}
        shown = self.label_once("jurisdiction", id_, name, fact)
        if id_ in JURISDICTION_ALIASES:
            fact["aliases"] = JURISDICTION_ALIASES[id_]
        fact["confidence"] = confidence
        fact["evidence"] = f"{name} (jurisdiction or country column of the reference list)"
        out.add("jurisdictions", fact, None if "label" in fact else shown)

    def authority(self, out: FactsFile, id_: str, confidence: str, evidence: str, source_url: str | None = None,
                  domain: str | None = None, jurisdiction_name: str | None = None) -> None:
        label, aliases, jurisdiction = AUTHORITIES[id_]
        self.jurisdiction(out, jurisdiction, jurisdiction_name or self.jurisdiction_labels[jurisdiction], confidence)
        fact: dict = {"id": id_}
        shown = self.label_once("authority", id_, label, fact)
        first = self.first("authority", id_)
        if first and aliases:
            fact["aliases"] = aliases
        fact["jurisdiction"] = jurisdiction
        if domain:  # as the list gives it: a domain, not a page that was read
            fact["domain"] = domain
        if first and id_ in PICS_UNITS:
            fact["pics_participating_unit"] = PICS_UNITS[id_]
        if first and id_ in AUTHORITY_NOTES:
            fact["note"] = AUTHORITY_NOTES[id_]
        fact["confidence"] = confidence
        if source_url:
            fact["source_url"] = source_url
        fact["evidence"] = evidence
        out.add("authorities", fact, None if "label" in fact else shown)


def read_csv(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def jurisdiction_labels(tables: dict[str, list[dict[str, str]]]) -> dict[str, str]:
    """Each jurisdiction's id and the first name the CSV files give it."""
    labels: dict[str, str] = {}
    for name, column in (("cell_therapy_approvals.csv", "jurisdiction"), ("pics_members.csv", "country"),
                         ("pics_applicants.csv", "country"), ("regulators.csv", "jurisdiction")):
        for row in tables[name]:
            labels.setdefault(jurisdiction_id(row[column]), row[column])
    return labels


def source_section(key: str) -> dict:
    src = SOURCES[key]
    return {"id": src["id"], "label": src["label"], "publisher": PUBLISHER, "accessed": ACCESSED, "note": src["note"]}


def membership(authority: str | None, jurisdiction: str | None, unverified: bool) -> str:
    return f"{authority or jurisdiction}-pics" + ("-unverified" if unverified else "")


def regulators_file(rows, curator: Curator, unverified: bool) -> FactsFile:
    out = FactsFile("regulators-unverified" if unverified else "regulators", "regulators.csv")
    for row in rows:
        if (row["verified"] == "yes") == unverified:
            continue
        id_ = REGULATOR_IDS[row["acronym"]]
        evidence = restate(row["acronym"], row["name"], row["jurisdiction"], row["website"],
                           f"PIC/S member: {row['pics_member']}", unverified=unverified)
        if unverified:
            # Only a claim: the authority itself is stated (and labelled) by verified rows or, for Swissmedic,
            # by the unverified PIC/S members file.
            name, correction = NAME_CORRECTIONS.get(row["acronym"], (row["name"], None))
            text = (f"{name} ({row['acronym']}, {row['jurisdiction']}): website {row['website']}; "
                    f"PIC/S participating authority: {row['pics_member']}.")
            note = ("Unverified in the reference list: the website domain or the PIC/S status was confirmed only "
                    "from secondary material.")
            out.add("claims", {
                "id": f"{id_}-website-and-pics-status", "text": text, "about": [f"authority/{id_}"],
                "confidence": "unverified", "source_url": row["source_url"], "evidence": evidence,
                "note": f"{note} {correction}" if correction else note,
            })
            continue
        curator.authority(out, id_, "verified", evidence, row["source_url"], row["website"] or None,
                          row["jurisdiction"])
        status = row["pics_member"]
        if status.startswith("yes"):
            member = PICS_UNITS.get(id_, id_)
            if out.has("memberships", membership(member, None, False)):  # MHLW's row: PMDA's membership
                continue
            fact: dict = {"id": membership(member, None, False), "authority": member, "scheme": "pics"}
            # "yes (from 2011-01-01)", "yes (PIC 1993-01; PIC Scheme 1995-11)": the date of the Scheme.
            found = re.search(r"(?:from |Scheme |^yes \()(\d{4}(?:-\d{2}){0,2})\)?", status)
            if found:
                fact["accession_date"] = found.group(1)
            notes = {
                "pmda": "With MHLW and the prefectures; joined on a 1 July, the year not confirmed (reference list).",
                "mfds": "Joined on a 1 July; the year is not confirmed (reference list).",
            }
            if member in notes:
                fact["note"] = notes[member]
            if member in CONVENTION_DATES:
                fact["note"] = (f"Accession to the PIC Scheme; accession to the older PIC Convention: "
                                f"{CONVENTION_DATES[member]} (reference list).")
            fact.update({"confidence": "verified", "source_url": row["source_url"], "evidence": evidence})
            out.add("memberships", fact, curator.names.get(member) or AUTHORITIES[member][0])
    return out


def members_file(rows, curator: Curator, unverified: bool) -> FactsFile:
    out = FactsFile("pics-members-unverified" if unverified else "pics-members", "pics_members.csv")
    confidence = "unverified" if unverified else "verified"
    for row in rows:
        if (row["verified"] == "yes") == unverified:
            continue
        evidence = restate(row["authority"], row["acronym"], row["country"], row["accession_date"],
                           unverified=unverified)
        key = row["acronym"] or row["country"]
        authorities = MEMBER_AUTHORITIES.get(key)
        jurisdiction = jurisdiction_id(row["country"])
        if authorities is None:  # a country and nothing else
            curator.jurisdiction(out, jurisdiction, row["country"], confidence)
            out.add("memberships", {
                "id": membership(None, jurisdiction, unverified), "jurisdiction": jurisdiction, "scheme": "pics",
                "confidence": confidence, "source_url": row["source_url"], "evidence": evidence,
                "note": "The row names only the country: no authority and no date.",
            }, row["country"])
            continue
        if unverified and key in UNVERIFIED_DATES:  # one membership, stated by a verified row: a claim on its date
            member, who = UNVERIFIED_DATES[key]
            out.add("claims", {
                "id": f"{member}-accession-date", "text": f"{who} joined PIC/S on {row['accession_date']}, as the "
                "reference list gives it; the year is not confirmed.",
                "about": [f"membership/{member}"] + [f"authority/{a}" for a in authorities],
                "confidence": "unverified", "source_url": row["source_url"], "evidence": evidence,
                "note": "The source says “as of the 1st of July” but gives no year in its readable part; 2014 is not "
                        "confirmed (other sources: between 2013-01 and 2016-01). The membership itself is verified "
                        "(reference regulators list), so this row's date is a claim about it, not a second "
                        "membership.",
            })
            continue
        for body, unit in PICS_UNITS.items():  # the body a unit takes part for, where no earlier file states it
            if unit in authorities and not unverified and ("authority", body) not in curator.stated:
                curator.authority(out, body, confidence, evidence, row["source_url"], jurisdiction_name=row["country"])
        for id_ in authorities:
            # An unverified row never restates an authority a verified row states: it only links to it.
            if not unverified or ("authority", id_) not in curator.stated:
                curator.authority(out, id_, confidence, evidence, row["source_url"], jurisdiction_name=row["country"])
            fact: dict = {"id": membership(id_, None, unverified), "authority": id_, "scheme": "pics"}
            if row["accession_date"]:
                fact["accession_date"] = row["accession_date"]
            notes = []
            if id_ in CONVENTION_DATES:
                notes.append(f"Accession to the PIC Scheme; accession to the older PIC Convention: "
                             f"{CONVENTION_DATES[id_]} (reference list).")
            if "hes-ltd.co.jp" in row["source_url"]:
                notes.append(HES_NOTE)
            if id_ == "germany-federal-ministry-of-health":
                notes.append("The source, PIC/S document PS/INF 21/2002 (Rev. 23, 31 January 2018) read through a "
                             "Scribd mirror, lists the Federal Ministry of Health “and other German authorities”; "
                             "its footnote was not read, and it gives no date here.")
            if id_ in ("south-africa-mcc", "ukraine-siqcm"):
                notes.append(AUTHORITY_NOTES[id_])
            if row["acronym"] in ("HSA", "Swissmedic"):
                notes.append("No date; the PIC/S status was confirmed only from secondary material.")
            if notes:
                fact["note"] = " ".join(notes)
            fact.update({"confidence": confidence, "source_url": row["source_url"], "evidence": evidence})
            out.add("memberships", fact, curator.names.get(id_) or AUTHORITIES[id_][0])
    return out


def applicants_file(rows, curator: Curator) -> FactsFile:
    out = FactsFile("pics-applicants", "pics_applicants.csv")
    nmpa_steps = {"2021-09-24": "nmpa-pics-pre-accession-application", "2023-09-22": "nmpa-pics-membership-application",
                  "2023-11-08": "nmpa-pics-applicant-status-confirmed"}
    for row in rows:
        assert row["verified"] == "yes", row
        evidence = restate(row["authority"], row["acronym"], row["country"], row["status"], row["status_date"])
        authorities = APPLICANT_AUTHORITIES.get(row["authority"], [])
        jurisdiction = jurisdiction_id(row["country"])
        fact: dict = {}
        if authorities == ["nmpa"]:
            fact["id"] = nmpa_steps[row["status_date"]]
        else:
            fact["id"] = f"{jurisdiction}-pics-work-plan-2021"
            curator.jurisdiction(out, jurisdiction, row["country"], "verified")
        for id_ in authorities:
            if not out.has("authorities", id_):
                curator.authority(out, id_, "verified", evidence, row["source_url"], jurisdiction_name=row["country"])
        if authorities:
            fact["authority"] = authorities
        if authorities != ["nmpa"]:
            fact["jurisdiction"] = jurisdiction
        fact["status"] = row["status"]
        fact["status_date"] = row["status_date"]
        if authorities != ["nmpa"]:
            fact["note"] = "The current status was not checked (reference README)."
        fact.update({"confidence": "verified", "source_url": row["source_url"], "evidence": evidence})
        out.add("accession_steps", fact, f"{row['authority'] or row['country']}: {row['status_date']}")
    return out


def approvals_files(rows, curator: Curator) -> tuple[FactsFile, FactsFile]:
    verified = FactsFile("cell-therapy-approvals", "cell_therapy_approvals.csv")
    unverified = FactsFile("cell-therapy-approvals-unverified", "cell_therapy_approvals.csv")
    used_caveats = set()

    # Resources, stated once in the verified file (the unverified row names only things verified rows name).
    by_product: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_product.setdefault(product_of(row).id, []).append(row)
    for id_, (label, aliases, description) in COMPANIES.items():
        rows_of = [r for r in rows if id_ in SPONSORS[r["sponsor"]][0] and r["verified"] == "yes"]
        names = sorted({r["sponsor"] for r in rows_of})
        products = sorted({r["product"] or r["inn"] for r in rows_of})
        fact: dict = {"id": id_}
        shown = curator.label_once("company", id_, label, fact)
        if aliases:
            fact["aliases"] = aliases
        if description:
            fact["description"] = description
        fact["confidence"] = "verified"
        fact["evidence"] = f"{'; '.join(names)} (sponsor column of the reference rows for {', '.join(products)})"
        verified.add("companies", fact, None if "label" in fact else shown)
    for id_, (label, _aliases) in ANTIGENS.items():
        targets = sorted({r["target"] for r in rows if id_ in TARGETS[r["target"]]})
        fact = {"id": id_}
        shown = curator.label_once("antigen", id_, label, fact)
        fact.update({"confidence": "verified",
                     "evidence": f"{'; '.join(targets)} (target column of the reference rows)"})
        verified.add("antigens", fact, None if "label" in fact else shown)
    for product in PRODUCTS.values():
        rows_of = [r for r in by_product[product.id] if r["verified"] == "yes"]
        targets = sorted({t for r in rows_of for t in TARGETS[r["target"]]})
        fact = {"id": product.id, "type": product.type}
        shown = curator.label_once("product", product.id, product.label, fact)
        if product.aliases:
            fact["aliases"] = product.aliases
        if product.inn:
            fact["inn"] = product.inn
        if product.brands:
            fact["brand_names"] = product.brands
        fact["sponsor"] = product.sponsors
        if targets:
            fact["target"] = targets
        if product.description:
            fact["description"] = product.description
        fields = sorted({(r["product"], r["inn"], r["target"]) for r in rows_of}, key=str)
        fact["confidence"] = "verified"
        fact["evidence"] = "; ".join(", ".join(p for p in f if p) for f in fields) + \
            " (product, INN and target columns of the reference rows)"
        assert len(fact["evidence"]) <= 400
        verified.add("products", fact, None if "label" in fact else shown)
    for id_, (label, authority, jurisdiction) in PATHWAYS.items():
        markers = [m for a, m, p in PATHWAY_MARKERS if p == id_]
        products = sorted({r["product"] or r["inn"] for r in rows if r["verified"] == "yes"
                           and APPROVAL_AUTHORITY[r["authority"]] == authority
                           and any(m in r["indication"] for m in markers)})
        fact = {"id": id_}
        shown = curator.label_once("pathway", id_, label, fact)
        fact.update({"authority": [authority], "jurisdiction": jurisdiction, "confidence": "verified",
                     "evidence": f"{' or '.join(markers)} in the indication column of the reference rows for "
                                 f"{', '.join(products)}"})
        verified.add("pathways", fact, None if "label" in fact else shown)
    for name, id_ in APPROVAL_AUTHORITY.items():
        jurisdictions = sorted({r["jurisdiction"] for r in rows if r["authority"] == name})
        assert len(jurisdictions) == 1 and jurisdiction_id(jurisdictions[0]) == AUTHORITIES[id_][2], \
            (name, jurisdictions)
        curator.authority(verified, id_, "verified", f"{name}, {jurisdictions[0]} (authority and jurisdiction columns "
                                                     "of the reference rows)", jurisdiction_name=jurisdictions[0])
    if not verified.has("authorities", "ema"):
        curator.authority(verified, "ema", "verified", "European Commission (EMA opinion) (authority column of the "
                                                       "reference rows)")

    # One application per row; a later decision by the same authority on the same product is an extension.
    seen: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        product = product_of(row)
        authority = APPROVAL_AUTHORITY[row["authority"]]
        key = (product.id, authority, row["approval_date"])
        earlier = seen.setdefault((product.id, authority), [])
        code = "eu" if authority == "european-commission" else authority
        if (product.id, authority) in SEED_APPLICATIONS and not earlier:
            app_id = SEED_APPLICATIONS[(product.id, authority)]
        elif not earlier:
            app_id = f"{product.id}-{code}"
        else:
            assert row["approval_date"] and all(d < row["approval_date"] for d in earlier), key
            app_id = f"{product.id}-{code}-extension-{row['approval_date'][:4]}"
        earlier.append(row["approval_date"])
        is_unverified = row["verified"] != "yes"
        fact: dict = {"id": app_id, "product": product.id, "regulator": authority}
        if authority == "european-commission":
            fact["opinion_by"] = ["ema"]
        applicants, applicant_note = SPONSORS[row["sponsor"]]
        if applicants:
            fact["applicant"] = [f"company/{c}" for c in applicants]
        fact["status"] = "approved"
        if len(earlier) > 1:
            fact["type"] = "indication-extension"
            fact["case"] = "extension"
            fact["type_basis"] = "stated" if STATED_EXTENSION.search(row["indication"]) else "derived"
            fact["extends"] = first_approval_ids(rows)[(product.id, authority)]
        else:
            fact.update({"case": "first-authorisation", "type_basis": "derived"})
        caveat = CAVEATS.get(key, {})
        if row["approval_date"]:
            fact["decision_date"] = caveat.get("decision_date", row["approval_date"])
        if caveat:
            used_caveats.add(key)
        for name in ("date_basis", "announcement_date"):
            if name in caveat:
                fact[name] = caveat[name]
        indication = INDICATION_OVERRIDES.get(key, row["indication"] or None)
        if indication:
            fact["indication"] = indication
        pathways = [p for a, m, p in PATHWAY_MARKERS if a == authority and m in row["indication"]]
        if pathways:
            fact["pathway"] = sorted(set(pathways))
        notes = [n for n in (caveat.get("note"), applicant_note) if n]
        if len(earlier) > 1 and not STATED_EXTENSION.search(row["indication"]):
            notes.insert(0, INFERRED_EXTENSION)
        extra = PRODUCT_ROW_NOTES.get((product.id, authority))
        if extra and extra[0] == "description":
            fact["description"] = extra[1]
        elif extra:
            notes.append(extra[1])
        fact["confidence"] = "unverified" if is_unverified else "verified"
        fact["source_url"] = row["source_url"]
        fact["evidence"] = restate(row["product"] or row["inn"], row["authority"], row["approval_date"] or "no date",
                                   row["indication"], unverified=is_unverified)
        if notes:
            fact["note"] = " ".join(notes)
        target = unverified if is_unverified else verified
        target.add("applications", fact, f"{row['product'] or row['inn']}, {row['authority']}, "
                                         f"{row['approval_date'] or 'no date'}")
    assert used_caveats == set(CAVEATS), set(CAVEATS) - used_caveats
    return verified, unverified


# --- cell_therapy_events.csv: further decisions and the life of each authorisation -------------------------

EVENTS_CSV = "cell_therapy_events.csv"
# Authority column (full English names) -> id; the European Medicines Agency gives opinions and receives
# submissions, the European Commission decides (reference README).
EVENT_AUTHORITY = {
    "U.S. Food and Drug Administration": "fda", "European Commission": "european-commission",
    "European Medicines Agency": "ema", "Ministry of Health, Labour and Welfare": "mhlw", "Swissmedic": "swissmedic",
    "Ministry of Food and Drug Safety": "mfds", "Health Canada": "health-canada",
    "Medicines and Healthcare products Regulatory Agency": "mhra", "Therapeutic Goods Administration": "tga",
    "Brazilian Health Regulatory Agency": "anvisa", "National Medical Products Administration": "nmpa",
}
EVENT_JURISDICTION = {"South Korea": "republic-of-korea"}  # other country names map as in the other lists

# Product column -> product id; the products of the approvals list keep their ids.
EVENT_PRODUCT_IDS = {
    "Kymriah": "tisagenlecleucel", "Yescarta": "axicabtagene-ciloleucel", "Tecartus": "brexucabtagene-autoleucel",
    "Breyanzi": "lisocabtagene-maraleucel", "Abecma": "idecabtagene-vicleucel", "Carvykti": "ciltacabtagene-autoleucel",
    "Amtagvi": "lifileucel", "Ryoncil": "remestemcel-l", "Stemirac for Injection": "stemirac",
}
# Products the events list adds. A product with an INN is labelled by it; one without (or whose INN column
# describes the cells) by its brand, the description saying what the INN column says.
EVENT_PRODUCTS = {
    "Provenge": Product("sipuleucel-t", "cell-therapy", "sipuleucel-T", "sipuleucel-T", ["Provenge"], ["Provenge"],
                        ["dendreon"], "Autologous peripheral blood mononuclear cells activated with PAP-GM-CSF, as the "
                                      "reference list's EU row describes the active substance."),
    "Alofisel": Product("darvadstrocel", "cell-therapy", "darvadstrocel", "darvadstrocel", ["Alofisel"], ["Alofisel"],
                        ["tigenix"]),
    "Holoclar": Product("holoclar", "cell-therapy", "Holoclar", None, ["Holoclar"], [], ["chiesi", "holostem"],
                        "Ex vivo expanded autologous human corneal epithelial cells containing stem cells, as the "
                        "reference list's INN column describes the active substance; no INN is recorded."),
    "Spherox": Product("spherox", "cell-therapy", "Spherox", None, ["Spherox"], [], ["co-don"],
                       "Spheroids of human autologous matrix-associated chondrocytes, as the reference list's INN "
                       "column describes the active substance; no INN is recorded."),
    "MACI": Product("maci", "cell-therapy", "MACI", None, ["MACI"], [], ["vericel"],
                    "Autologous cultured chondrocytes on a porcine collagen membrane (US row); matrix-applied "
                    "characterised autologous cultured chondrocytes (EU rows), as the reference list's INN column "
                    "describes the active substance; no INN is recorded."),
    "ChondroCelect": Product("chondrocelect", "cell-therapy", "ChondroCelect", None, ["ChondroCelect"], [],
                             ["tigenix"], "Characterised viable autologous cartilage cells expanded ex vivo expressing "
                                          "specific marker proteins, as the reference list's INN column describes the "
                                          "active substance; no INN is recorded."),
    "Zalmoxis": Product("nalotimagene-carmaleucel", "cell-therapy", "nalotimagene carmaleucel",
                        "nalotimagene carmaleucel", ["Zalmoxis"], ["Zalmoxis"], ["molmed"],
                        "Allogeneic T cells genetically modified with a retroviral vector (HSV-TK suicide gene) "
                        "(reference list)."),
    "Ebvallo": Product("tabelecleucel", "cell-therapy", "tabelecleucel", "tabelecleucel", ["Ebvallo"], ["Ebvallo"],
                       ["atara"]),
    "Omisirge": Product("omidubicel-onlv", "cell-therapy", "omidubicel-onlv", "omidubicel-onlv", ["Omisirge"],
                        ["Omisirge"], ["gamida-cell"]),
    "Lantidra": Product("donislecel", "cell-therapy", "donislecel", "donislecel", ["Lantidra"],
                        ["Lantidra", "donislecel-jujn"], ["celltrans"]),
    "Rethymic": Product("rethymic", "medicinal-product", "Rethymic", None, ["Rethymic"], [], ["enzyvant"],
                        "Allogeneic processed thymus tissue-agdc, as the reference list's INN column gives it: a "
                        "tissue-based product rather than a cell suspension (reference list); no INN is recorded."),
    "HeartSheet": Product("heartsheet", "cell-therapy", "HeartSheet", None, ["HeartSheet"], [], ["terumo"],
                          "Autologous skeletal myoblast sheets, as the reference list's INN column describes the "
                          "active substance; no INN is recorded."),
    "Cartistem": Product("cartistem", "cell-therapy", "Cartistem", None, ["Cartistem"], [], ["medipost"],
                         "Allogeneic umbilical cord blood-derived mesenchymal stem cells, as the reference list's INN "
                         "column describes the active substance; no INN is recorded."),
    "Hearticellgram-AMI": Product("hearticellgram-ami", "cell-therapy", "Hearticellgram-AMI", None,
                                  ["Hearticellgram-AMI"], [], ["fcb-pharmicell"],
                                  "Autologous somatic (adult) stem cells, as the reference list's INN column describes "
                                  "the active substance; no INN is recorded."),
    "Invossa-K Inj. (TG-C)": Product("invossa-k", "cell-therapy", "Invossa-K Inj.", None, ["Invossa-K Inj."],
                                     ["TG-C"], ["kolon-life-science"],
                                     "Cell and gene therapy: allogeneic chondrocytes plus transduced cells (reference "
                                     "list); the list gives no INN."),
    "JACE": Product("jace", "cell-therapy", "JACE", None, ["JACE"], [], ["j-tec"],
                    "Autologous cultured epidermis, as the reference list's INN column describes it; no INN is "
                    "recorded."),
    "JACC": Product("jacc", "cell-therapy", "JACC", None, ["JACC"], [], ["j-tec"],
                    "Autologous cultured cartilage, as the reference list's INN column describes it; no INN is "
                    "recorded."),
    "Nepic": Product("nepic", "cell-therapy", "Nepic", None, ["Nepic"], [], ["j-tec"],
                     "Autologous cultured corneal epithelium, as the reference list's INN column describes it; no INN "
                     "is recorded."),
    "Ocural": Product("ocural", "cell-therapy", "Ocural", None, ["Ocural"], [], ["j-tec"],
                      "Autologous cultured oral mucosal epithelium, as the reference list's INN column describes it; "
                      "no INN is recorded."),
    "JACEMIN": Product("jacemin", "cell-therapy", "JACEMIN", None, ["JACEMIN"], [], ["j-tec"],
                       "Autologous cultured epidermis maintaining melanocytes, as the reference list's INN column "
                       "describes it; no INN is recorded."),
    "Amchepry": Product("raguneprocel", "cell-therapy", "raguneprocel", "raguneprocel", ["Amchepry"], ["Amchepry"],
                        ["sumitomo-pharma", "racthera"],
                        "Allogeneic iPS cell-derived cells for Parkinson's disease (reference list's indication)."),
    "ReHeart": Product("reheart", "cell-therapy", "ReHeart", None, ["ReHeart"], [], ["cuorips"],
                       "A cardiac muscle cell sheet (reference list); the list gives no INN."),
    "Heparesc": Product("heparesc", "cell-therapy", "Heparesc", None, ["Heparesc"], [], ["cytonet"],
                        "Human heterologous liver cells, as the reference list's INN column describes the active "
                        "substance; no INN is recorded."),
    "human umbilical cord mesenchymal stem cell injection (hUC-MSC PLEB001)": Product(
        "huc-msc-pleb001", "cell-therapy", "hUC-MSC PLEB001", None, [],
        ["human umbilical cord mesenchymal stem cell injection (hUC-MSC PLEB001)"], ["platinum-life"],
        "Human umbilical cord mesenchymal stem cells. Names differ between sources: 'Animimatuo' (Yicai), 'hUC-MSC "
        "PLEB001' (Pink Sheet), 'Aimi Maito Sai injection (Ruibo Sheng)' (reportify) (reference list)."),
}
# id: (label, aliases). Companies the events list names that no other list does.
EVENT_COMPANIES = {
    "dendreon": ("Dendreon", []), "dendreon-uk": ("Dendreon UK Ltd", []),
    "tigenix": ("TiGenix NV", ["TiGenix"]), "takeda": ("Takeda Pharmaceutical Company Limited", ["Takeda"]),
    "takeda-pharma-as": ("Takeda Pharma A/S", []),
    "chiesi": ("Chiesi Farmaceutici S.p.A.", []), "holostem": ("Holostem Terapie Avanzate", []),
    "co-don": ("CO.DON AG", ["CO.DON GmbH"]),
    "vericel": ("Vericel Corporation", []), "vericel-denmark": ("Vericel Denmark ApS", []),
    "molmed": ("MolMed S.p.A.", []), "atara": ("Atara Biotherapeutics", []),
    "pierre-fabre": ("Pierre Fabre", ["Pierre Fabre Pharmaceuticals"]), "gamida-cell": ("Gamida Cell Ltd.", []),
    "celltrans": ("CellTrans Inc.", []), "enzyvant": ("Enzyvant Therapeutics", []),
    "terumo": ("Terumo Corporation", []), "medipost": ("MEDIPOST", []), "fcb-pharmicell": ("FCB-Pharmicell", []),
    "kolon-life-science": ("Kolon Life Science", []),
    "j-tec": ("Japan Tissue Engineering Co., Ltd.", ["J-TEC"]),
    "sumitomo-pharma": ("Sumitomo Pharma Co., Ltd.", []), "racthera": ("RACTHERA Inc.", []),
    "cuorips": ("Cuorips Inc.", []), "cytonet": ("Cytonet GmbH & Co. KG", []),
    "platinum-life": ("Platinum Life", ["Platinsine Biotechnology Beijing"]),
    "two-seventy-bio": ("2seventy bio", []),
    "novartis-biociencias": ("Novartis Biociências S.A.", []), "novartis-korea": ("Novartis Korea", []),
    "gilead-sciences-canada": ("Gilead Sciences Canada", []), "gilead-sciences-pty": ("Gilead Sciences Pty Ltd", []),
    "janssen-inc": ("Janssen Inc.", []), "janssen-korea": ("Janssen Korea", []),
    "janssen-pharma": ("Janssen Pharma", ["ヤンセンファーマ"]),
}
# Sponsor column -> (applicant company ids, note on the application). A row whose page does not name the holder
# names no applicant: the list took the company from the product's other rows.
NOT_NAMED = "The list gives {0} as the company, taken from the product's other rows: the page does not name the holder."
EVENT_SPONSORS = {
    "Dendreon": (["dendreon"], None), "Dendreon UK Ltd": (["dendreon-uk"], None),
    "TiGenix / Takeda (MAH at withdrawal: Takeda Pharma A/S)": (
        ["tigenix", "takeda"], "The list names “TiGenix / Takeda (MAH at withdrawal: Takeda Pharma A/S)”."),
    "Takeda Pharma A/S": (["takeda-pharma-as"], None), "Takeda Pharmaceutical Company Limited": (["takeda"], None),
    "Chiesi Farmaceutici S.p.A. (developed with Holostem Terapie Avanzate)": (
        ["chiesi"], "Developed with Holostem Terapie Avanzate (reference list)."),
    "Chiesi Farmaceutici S.p.A. / Holostem Terapie Avanzate": (["chiesi", "holostem"], None),
    "CO.DON AG (now CO.DON GmbH)": (["co-don"], None), "Vericel Corporation": (["vericel"], None),
    "Vericel Denmark ApS": (["vericel-denmark"], None),
    "Vericel Denmark ApS (MAH named at expiry)": (["vericel-denmark"], "The holder is the one named at expiry "
                                                                       "(reference list)."),
    "TiGenix NV": (["tigenix"], None), "MolMed S.p.A.": (["molmed"], None),
    "Atara Biotherapeutics": (["atara"], None),
    "Atara Biotherapeutics / Pierre Fabre": (["atara", "pierre-fabre"], None),
    "Atara Biotherapeutics / Pierre Fabre Pharmaceuticals": (["atara", "pierre-fabre"], None),
    "Pierre Fabre (European partner; UK holder not named)": (
        [], "The list names Pierre Fabre, the European partner; the UK holder is not named."),
    "Pierre Fabre (European partner; Swiss holder not named)": (
        [], "The list names Pierre Fabre, the European partner; the Swiss holder is not named."),
    "Gamida Cell Ltd.": (["gamida-cell"], None), "CellTrans Inc.": (["celltrans"], None),
    "Enzyvant Therapeutics": (["enzyvant"], None), "Terumo Corporation": (["terumo"], None),
    "Nipro Corporation": (["nipro"], None), "MEDIPOST": (["medipost"], None),
    "FCB-Pharmicell": (["fcb-pharmicell"], None), "Janssen": (["janssen"], None),
    "Gilead Sciences": (["gilead-sciences"], None), "Bristol Myers Squibb": (["bristol-myers-squibb"], None),
    "Kolon Life Science": (["kolon-life-science"], None), "Novartis": (["novartis"], None),
    "Novartis Korea": (["novartis-korea"], None), "Novartis Biociências S.A.": (["novartis-biociencias"], None),
    "Gilead Sciences Canada (Kite, a Gilead company)": (["gilead-sciences-canada"], "The list adds “Kite, a Gilead "
                                                                                   "company”."),
    "Gilead Sciences Pty Ltd": (["gilead-sciences-pty"], None), "Kite, a Gilead company": (["kite"], None),
    "Kite Pharma (Gilead)": (["kite"], None),
    "Janssen Pharma (ヤンセンファーマ)": (["janssen-pharma"], None), "Janssen Korea": (["janssen-korea"], None),
    "Janssen Inc.": (["janssen-inc"], None), "Johnson & Johnson (Janssen Inc.)": (["janssen-inc"], None),
    "Bristol Myers Squibb / 2seventy bio": (["bristol-myers-squibb", "two-seventy-bio"], None),
    "Bristol Myers Squibb (ブリストル マイヤーズ スクイブ)": (["bristol-myers-squibb"], None),
    "Japan Tissue Engineering Co., Ltd. (J-TEC)": (["j-tec"], None),
    "Sumitomo Pharma Co., Ltd. / RACTHERA Inc.": (["sumitomo-pharma", "racthera"], None),
    "Cuorips Inc.": (["cuorips"], None), "Iovance Biotherapeutics": (["iovance"], None),
    "Cytonet GmbH & Co. KG": (["cytonet"], None),
    "Platinum Life (Platinsine Biotechnology Beijing)": (["platinum-life"], None), "Mesoblast": (["mesoblast"], None),
}
# Rows whose note says the page does not name the holder: (product, authority, date) -> the list's company.
HOLDER_NOT_NAMED = {("Carvykti", "swissmedic", "2022-08-08"): "Janssen",
                    ("Tecartus", "swissmedic", "2021-08-25"): "Gilead Sciences",
                    ("Breyanzi", "swissmedic", "2022-02-28"): "Bristol Myers Squibb"}
# Pathway column -> pathway id, with the label of a pathway the approvals list does not state.
EVENT_PATHWAYS = {
    ("european-commission", "conditional"): "eu-conditional-marketing-authorisation",
    ("mhlw", "time-limited conditional (Japan)"): "japan-conditional-time-limited-approval",
    ("fda", "accelerated approval"): "fda-accelerated-approval",
    ("nmpa", "conditional"): "nmpa-conditional-approval",
    ("health-canada", "NOC/c (Notice of Compliance with Conditions)"): "health-canada-noc-c",
    ("swissmedic", "Article 13 TPA (reliance on a foreign authorisation)"): "swissmedic-article-13-tpa",
}
NEW_PATHWAYS = {  # id: (label, aliases, authority, jurisdiction)
    "nmpa-conditional-approval": ("Conditional approval (China)", [], "nmpa", "mainland-china"),
    "health-canada-noc-c": ("Notice of Compliance with Conditions (Canada)", ["NOC/c"], "health-canada", "canada"),
    "swissmedic-article-13-tpa": ("Authorisation under Article 13 TPA (Switzerland)",
                                  ["Article 13 TPA (reliance on a foreign authorisation)"], "swissmedic",
                                  "switzerland"),
}
# The same decision as an application of the approvals list: this row adds its source (and its date).
SAME_DECISIONS = {("Kymriah", "tga"): "tisagenlecleucel-tga", ("Carvykti", "mhlw"): "ciltacabtagene-autoleucel-mhlw"}
# Rows that are not a new authorisation but the conversion of a conditional one (their notes say so), or an
# application for it; by (product column, authority id).
CONVERSIONS = {("Holoclar", "european-commission", "approval"), ("Holoclar", "mhra", "approval"),
               ("HeartSheet", "mhlw", "refusal"), ("Stemirac for Injection", "mhlw", "under_review")}
# The EMA's opinion on an application that the Commission decided: the opinion's row gives the opinion date.
OPINION_ROWS = {("Heparesc", "ema", "refusal")}
# What an event row is: (the application's status, or None for an event of an existing authorisation).
EVENT_KINDS = {
    "approval": "approved", "conditional_approval": "approved", "accelerated_approval": "approved",
    "indication_extension": "approved", "refusal": "rejected", "under_review": "under-review",
    "withdrawal": None, "expiry": None, "suspension": None,
}
# Notes that say the date is an announcement's: recorded as in the approvals list (the month as the decision's,
# the day as the announcement's).
ANNOUNCEMENT_NOTE = re.compile(r"company's announcement date|Date of the MHLW announcement|MFDS announcement date")
# A renewal the list's notes give with its year (ChondroCelect's EPAR page: "Renewed for 5 more years in 2014").
NOTE_RENEWALS = {("ChondroCelect", "european-commission"): ("2014", "Renewed for 5 more years in 2014 (same page)")}


def first_approval_ids(rows) -> dict[tuple[str, str], str]:
    """(product id, authority id) -> the id of the approvals list's first decision, as `approvals_files` names it."""
    firsts: dict[tuple[str, str], str] = {}
    for row in rows:
        key = (product_of(row).id, APPROVAL_AUTHORITY[row["authority"]])
        code = "eu" if key[1] == "european-commission" else key[1]
        firsts.setdefault(key, SEED_APPLICATIONS.get(key, f"{key[0]}-{code}"))
    return firsts


def events_files(rows, approvals_rows, curator: Curator) -> tuple[FactsFile, FactsFile]:
    verified = FactsFile("cell-therapy-events", EVENTS_CSV)
    unverified = FactsFile("cell-therapy-events-unverified", EVENTS_CSV)
    firsts = first_approval_ids(approvals_rows)
    product_ids = EVENT_PRODUCT_IDS | {name: p.id for name, p in EVENT_PRODUCTS.items()}

    # Resources no other list states: in the file of the first row that names them (verified rows first).
    ordered_rows = [r for r in rows if r["verified"] == "yes"] + [r for r in rows if r["verified"] != "yes"]
    for row in ordered_rows:
        out = verified if row["verified"] == "yes" else unverified
        confidence = "verified" if row["verified"] == "yes" else "unverified"
        authority = EVENT_AUTHORITY[row["authority"]]
        jurisdiction = EVENT_JURISDICTION.get(row["country"], jurisdiction_id(row["country"]))
        assert AUTHORITIES[authority][2] == jurisdiction, row
        if ("authority", authority) not in curator.stated:  # Swissmedic: no verified list stated it before
            curator.authority(out, authority, confidence, f"{row['authority']}, {row['country']} (authority and "
                                                          "country columns of the reference rows)",
                              jurisdiction_name=row["country"])
        for company in EVENT_SPONSORS[row["sponsor"]][0]:
            if company in EVENT_COMPANIES and not curator.first("company", company):
                continue
            if company in EVENT_COMPANIES:
                label, aliases = EVENT_COMPANIES[company]
                fact = {"id": company, "label": label}
                curator.labelled.setdefault("company", set()).add(company)
                if aliases:
                    fact["aliases"] = aliases
                names = sorted({r["sponsor"] for r in rows if company in EVENT_SPONSORS[r["sponsor"]][0]
                                and (r["verified"] == "yes") == (out is verified)})
                fact.update({"confidence": confidence,
                             "evidence": f"{'; '.join(names)} (sponsor column of the reference rows)"})
                out.add("companies", fact)
        product = EVENT_PRODUCTS.get(row["product"])
        if product and curator.first("product", product.id):
            of_product = [r for r in rows if r["product"] == row["product"]]
            fact = {"id": product.id, "type": product.type, "label": product.label}
            curator.labelled.setdefault("product", set()).add(product.id)
            if product.aliases:
                fact["aliases"] = product.aliases
            if product.inn:
                fact["inn"] = product.inn
            if product.brands:
                fact["brand_names"] = product.brands
            fact["sponsor"] = product.sponsors
            if product.description:
                fact["description"] = product.description
            fact["confidence"] = confidence
            names = sorted({", ".join(p for p in (r["product"], r["inn"]) if p) for r in of_product})
            fact["evidence"] = "; ".join(names) + " (product and INN columns of the reference rows)"
            assert len(fact["evidence"]) <= 400, fact
            out.add("products", fact)
        if row["pathway"]:
            pathway = EVENT_PATHWAYS[(authority, row["pathway"])]
            if pathway in NEW_PATHWAYS and curator.first("pathway", pathway):
                label, aliases, by, where = NEW_PATHWAYS[pathway]
                fact = {"id": pathway, "label": label}
                if aliases:
                    fact["aliases"] = aliases
                fact.update({"jurisdiction": where, "authority": [by], "confidence": confidence,
                             "evidence": f"{row['pathway']} (pathway column of the reference rows)"})
                out.add("pathways", fact)

    # One application per decision; an event (withdrawal, expiry, suspension, and a submission still under review)
    # of the authorisation or application it concerns.
    decided: dict[tuple[str, str], str] = {}  # (product id, authority id) -> its first authorisation in this list
    for row in rows:
        authority = EVENT_AUTHORITY[row["authority"]]
        if EVENT_KINDS[row["event"]] == "approved" and row["event"] != "indication_extension" \
                and (row["product"], authority, row["event"]) not in CONVERSIONS \
                and (row["product"], authority) not in SAME_DECISIONS:
            pid = product_ids[row["product"]]
            decided.setdefault((pid, authority), f"{pid}-{'eu' if authority == 'european-commission' else authority}")
    for row in rows:
        out = verified if row["verified"] == "yes" else unverified
        confidence = "verified" if row["verified"] == "yes" else "unverified"
        name, event = row["product"], row["event"]
        pid = product_ids[name]
        authority = EVENT_AUTHORITY[row["authority"]]
        regulator = "european-commission" if authority == "ema" else authority  # EMA opines, the Commission decides
        code = "eu" if regulator == "european-commission" else regulator
        first = firsts.get((pid, regulator)) or decided.get((pid, regulator))
        date = row["event_date"]
        assert (row["date_precision"] == "none") == (not date), row
        applicants, applicant_note = EVENT_SPONSORS[row["sponsor"]]
        notes = [n for n in (row["note"], applicant_note) if n]
        holder = HOLDER_NOT_NAMED.get((name, authority, date))
        if holder:
            applicants, notes = [], notes + [NOT_NAMED.format(holder)]
        status = EVENT_KINDS[event]
        if (name, authority, event) in OPINION_ROWS:
            continue  # stated with the Commission's decision below
        if status is None:  # an event of the first authorisation
            assert first, row
            fact = {"id": f"{first}-{event}", "of": first, "type": event, "authority": authority}
            if date:
                fact["date"] = date
            fact.update({"confidence": confidence, "source_url": row["source_url"], "evidence": row["evidence"]})
            if notes:
                fact["note"] = " ".join(notes)
            out.add("events", fact, f"{name}, {row['authority']}, {event}, {date or 'no date'}")
            continue
        fact = {}
        if (name, regulator) in SAME_DECISIONS:
            fact["id"] = SAME_DECISIONS[(name, regulator)]
        elif (name, regulator, event) in CONVERSIONS:
            fact["id"] = f"{pid}-{code}-conversion"
        elif event == "indication_extension":
            fact["id"] = f"{pid}-{code}-extension-{date or 'undated'}"
        elif status == "rejected":
            fact["id"] = f"{pid}-{code}-refusal-{date}"
        else:
            # A second first authorisation would be an extension the list did not type.
            assert (pid, regulator) not in firsts and first in (None, f"{pid}-{code}"), row
            fact["id"] = f"{pid}-{code}"
        fact.update({"product": pid, "regulator": regulator})
        opinion = []
        if regulator == "european-commission":
            fact["opinion_by"] = ["ema"]
            opinion = [r for r in rows if r["product"] == name and r["event"] == event
                       and (name, EVENT_AUTHORITY[r["authority"]], event) in OPINION_ROWS]
            if opinion:
                fact["opinion_date"] = opinion[0]["event_date"]
        if applicants:
            fact["applicant"] = [f"company/{c}" for c in applicants]
        fact["status"] = status
        if event == "indication_extension":
            fact["type"] = "indication-extension"
        if (name, regulator, event) in CONVERSIONS:
            fact.update({"case": "conversion", "type_basis": "stated"})
        elif event == "indication_extension":
            fact.update({"case": "extension", "type_basis": "stated"})
        else:
            fact.update({"case": "first-authorisation", "type_basis": "derived"})
        if fact["case"] != "first-authorisation" and first:
            fact["extends"] = first
        if date and status != "under-review":
            if ANNOUNCEMENT_NOTE.search(row["note"]) and len(date) == 10:
                fact.update({"decision_date": date[:7], "date_basis": "announcement", "announcement_date": date})
            else:
                fact["decision_date"] = date
        if row["indication"]:
            fact["indication"] = row["indication"]
        if row["pathway"]:
            fact["pathway"] = [EVENT_PATHWAYS[(authority, row["pathway"])]]
        fact["confidence"] = confidence
        fact["source_url"] = row["source_url"]
        fact["evidence"] = row["evidence"]
        if opinion:  # the EMA's row, on the same page: its quote and note join the Commission's
            assert all(r["source_url"] == row["source_url"] for r in opinion), row
            fact["evidence"] = [row["evidence"]] + [r["evidence"] for r in opinion]
            notes += [f"The EMA row of the list: {r['note']}" for r in opinion]
        if notes:
            fact["note"] = " ".join(notes)
        out.add("applications", fact, f"{name}, {row['authority']}, {event}, {date or 'no date'}")
        if status == "under-review":  # the row's date is the submission's, not a decision's
            submission = {"id": f"{fact['id']}-submission", "of": fact["id"], "type": "submission",
                          "authority": authority}
            if date:
                submission["date"] = date
            submission.update({"confidence": confidence, "source_url": row["source_url"],
                               "evidence": row["evidence"], "note": "The date the submission was announced "
                                                                    "(reference list)."})
            out.add("events", submission, f"{name}, {row['authority']}, submission, {date or 'no date'}")
        renewal = NOTE_RENEWALS.get((name, regulator))
        if renewal and fact["case"] == "first-authorisation" and status == "approved":
            out.add("events", {"id": f"{fact['id']}-renewal", "of": fact["id"], "type": "renewal",
                               "authority": regulator, "date": renewal[0], "confidence": confidence,
                               "source_url": row["source_url"],
                               "evidence": f"{name}, {row['authority']}: {renewal[1]} (reference row note)",
                               "note": "From the reference row's note on the same page, not a row of its own."},
                    f"{name}, {row['authority']}, renewal, {renewal[0]}")
    return verified, unverified


# --- writing readable, stable YAML --------------------------------------------------------------------------

PLAIN = re.compile(r"[A-Za-z0-9(“\u00c0-\uffff][^\n]*")
FLOW_ITEM = re.compile(r"[A-Za-z0-9(“\u00c0-\uffff][^\n,\[\]{}#:]*")


def plain_ok(text: str) -> bool:
    return (bool(PLAIN.fullmatch(text)) and text == text.strip() and ": " not in text and " #" not in text
            and not text.endswith(":"))


def scalar(text: str, indent: int, room: int) -> str:
    if plain_ok(text) and (len(text) <= room or " " not in text):  # a long address stays on its line
        return " " + text
    lines = textwrap.wrap(text, width=100, break_long_words=False, break_on_hyphens=False)
    if len(text) > room and " ".join(lines) == text and "\n" not in text:
        pad = " " * (indent + 2)
        return " >-\n" + "\n".join(pad + line for line in lines)
    return " " + json.dumps(text, ensure_ascii=False)


def value_text(value, indent: int, key: str) -> str:
    room = 110 - indent - len(key) - 2
    if isinstance(value, str):
        return scalar(value, indent, room)
    assert isinstance(value, list) and value
    if all(FLOW_ITEM.fullmatch(v) and v == v.strip() for v in value) and len(", ".join(value)) + 2 <= room:
        return " [" + ", ".join(value) + "]"
    pad = " " * (indent + 2)
    return "\n" + "\n".join(f"{pad}-" + scalar(v, indent + 2, 108 - indent) for v in value)


def ordered(fact: dict, section: str) -> list[tuple[str, object]]:
    order = list(FIELD_ORDER)
    if section == "applications":  # an application's type (BLA, extension...) reads best after its status
        order.remove("type")
        order[order.index("status") + 1:order.index("status") + 1] = ["type", "case", "type_basis", "extends"]
    if section == "events":
        order = ["id", "of", "type", "authority", "date", "confidence", "source_url", "evidence", "note"]
    unknown = set(fact) - set(order)
    assert not unknown, unknown
    return [(k, fact[k]) for k in order if k in fact]


def render(facts: FactsFile, key: str, header: str) -> tuple[str, dict]:
    """The file's text, and the document it must read back as."""
    doc: dict = {"source": source_section(key)}
    lines = [header, "source:"]
    for k, v in doc["source"].items():
        lines.append(f"  {k}:" + value_text(v, 2, k))
    for section in SECTION_ORDER:
        items = facts.sections.get(section)
        if not items:
            continue
        doc[section] = []
        lines.append("")
        lines.append(f"{section}:")
        for fact in items:
            doc[section].append(fact)
            comment = facts.comments.get((section, fact["id"]))
            lines.append(f"  - id: {fact['id']}" + (f"  # {comment}" if comment else ""))
            for k, v in ordered({k: v for k, v in fact.items() if k != "id"}, section):
                lines.append(f"    {k}:" + value_text(v, 4, k))
    return "\n".join(lines) + "\n", doc


class _StringLoader(yaml.SafeLoader):
    """As kg.facts reads facts files: every scalar stays a string."""


_StringLoader.yaml_implicit_resolvers = {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv_dir", type=Path, help="the folder with the five reference CSV files")
    parser.add_argument("out_dir", type=Path, help="where to write the YAML files (data/reference)")
    parser.add_argument("--force", action="store_true", help="overwrite existing files (they are curated by hand!)")
    args = parser.parse_args(argv)

    tables = {name: read_csv(args.csv_dir, name) for name in CSV_FILES}
    curator = Curator(jurisdiction_labels(tables))
    # The order decides which file labels a resource first: regulators, members, applicants, approvals, events.
    regulators = regulators_file(tables["regulators.csv"], curator, unverified=False)
    members = members_file(tables["pics_members.csv"], curator, unverified=False)
    applicants = applicants_file(tables["pics_applicants.csv"], curator)
    approvals, approvals_unverified = approvals_files(tables["cell_therapy_approvals.csv"], curator)
    # After the approvals (whose ids its extensions and events name), before the unverified PIC/S rows: its
    # verified rows are the first to state Swissmedic.
    events, events_unverified = events_files(tables["cell_therapy_events.csv"], tables["cell_therapy_approvals.csv"],
                                             curator)
    members_unverified = members_file(tables["pics_members.csv"], curator, unverified=True)
    regulators_unverified = regulators_file(tables["regulators.csv"], curator, unverified=True)

    outputs = [regulators, members, applicants, approvals, approvals_unverified, members_unverified,
               regulators_unverified, events, events_unverified]
    existing = [f for f in outputs if (args.out_dir / f"{f.name}.yaml").exists()]
    if existing and not args.force:
        print(f"refusing to overwrite {', '.join(f.name + '.yaml' for f in existing)} in {args.out_dir}: these files "
              "are curated by hand now; pass --force to replace them anyway", file=sys.stderr)
        return 1
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for facts in outputs:
        which = "unverified" if facts.name.endswith("-unverified") else "verified"
        header = (f"# Reference facts: the {which} rows of {facts.csv} (shared reference folder), in the format of "
                  "data/README.md.\n# First written by scripts/reference_to_yaml.py; this file is the "
                  "curated record now: edit it by hand.")
        text, doc = render(facts, facts.name, header)
        assert yaml.load(text, Loader=_StringLoader) == doc, f"{facts.name}: the YAML does not read back as written"
        (args.out_dir / f"{facts.name}.yaml").write_text(text, encoding="utf-8")
        print(f"wrote {args.out_dir / (facts.name + '.yaml')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
