"""The validation pipeline: the build's checks (`kg.validate.check`, file by file with the split shape plan,
then graph-wide on the store) report what the reference validation (`kg.validate.validate`, pySHACL on the
whole graph) reports, word for word, on the synthetic data broken in several ways."""

import pytest

from kg.build import build
from kg.errors import BuildError
from kg.validate import validate

from .conftest import settings_for
from .synthetic import BREAKAGES


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_split_validation_reports_what_whole_graph_validation_reports(synthetic_data, tmp_path, name):
    BREAKAGES[name](synthetic_data)
    settings = settings_for(synthetic_data, tmp_path / "store")
    reference = validate(settings)
    assert not reference.conforms
    with pytest.raises(BuildError) as caught:
        build(settings)
    assert str(caught.value) == reference.text
