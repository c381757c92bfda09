"""`ctkg intake --check`: a draft validated as a build would validate it beside the curated facts (the shapes
and the whole-graph checks of `kg.validate`), in a scratch directory and an in-memory store, never published;
and the marks a reviewer must settle (`# new`, `# derived`).
"""

import re
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..facts import facts_files, read_facts
from ..findings import ValidationResult, Violation
from ..settings import Settings
from ..validate import validate
from .reading import IntakeError

_MARK = re.compile(r"#\s*(new|derived)\b(.*)$")


@dataclass
class DraftCheck:
    result: ValidationResult
    marks: list[str] = field(default_factory=list)  # "line N: new: ..." lines a reviewer must confirm

    @property
    def conforms(self) -> bool:
        return self.result.conforms


def check_draft(draft: Path, settings: Settings) -> DraftCheck:
    """Validate `draft` with every facts file of `settings.data_dir`; FactsError when it cannot be read, BuildError
    when it cannot join the others (a source id already used), IntakeError when there is no such file."""
    if not draft.is_file():
        raise IntakeError(draft, "no such draft file; give the path `ctkg intake` wrote (e.g. data/drafts/NAME.yaml)")
    read_facts(draft)
    with tempfile.TemporaryDirectory(prefix="ctkg-intake-check-") as scratch:
        root = Path(scratch) / "data"
        for path in facts_files(settings.data_dir):
            if path.resolve() == draft.resolve():
                continue
            target = root / path.relative_to(settings.data_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path.resolve())
        under_check = root / "draft-under-check" / draft.name
        under_check.parent.mkdir(parents=True)
        under_check.symlink_to(draft.resolve())
        result = validate(settings.model_copy(update={"data_dir": root}))
        violations = [_renamed(v, str(under_check), str(draft), str(root), str(settings.data_dir))
                      for v in result.violations]
    result = ValidationResult(result.conforms, violations)
    return DraftCheck(result, review_marks(draft.read_text(encoding="utf-8")))


def review_marks(text: str) -> list[str]:
    """Each line marked new or derived, for the reviewer to confirm."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        m = _MARK.search(line)
        if m:
            out.append(f"line {number}: {line.split('#')[0].strip()}  ({m.group(1)}{m.group(2)})")
    return out


def _renamed(violation: Violation, scratch_draft: str, draft: str, scratch_root: str, data_dir: str) -> Violation:
    """The violation with the scratch folder's paths turned back into the user's."""
    file = violation.file.replace(scratch_draft, draft).replace(scratch_root, data_dir)
    return replace(violation, file=file)
